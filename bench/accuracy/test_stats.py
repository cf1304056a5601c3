"""Tests of the retention figures and their paired bootstrap (run: cd bench && /usr/bin/python3 -m unittest discover -s accuracy -t .)."""
import unittest

import numpy as np

from accuracy import stats


def items(n, p, rng):
    return (rng.random(n) < p).astype(np.float64)


class StatsTest(unittest.TestCase):
    def test_hex_round_trip_keeps_every_item_of_a_length_not_a_multiple_of_8(self):
        rng = np.random.default_rng(1)
        for n in (1, 7, 8, 1989):
            c = items(n, 0.5, rng)
            np.testing.assert_array_equal(stats.from_hex(stats.to_hex(c), n), c)

    def test_retention_is_the_share_of_the_gain(self):
        base, final = np.array([0, 0, 0, 0, 1.0]), np.array([1, 1, 1, 0, 1.0])  # 0.2 -> 0.8
        self.assertAlmostEqual(stats.retention(np.array([1, 0, 0, 0, 1.0]), base, final), 1 / 3)
        self.assertAlmostEqual(stats.retention(final, base, final), 1.0)
        self.assertTrue(np.isnan(stats.retention(final, base, base)))

    def test_a_model_equal_to_base_or_final_has_a_degenerate_interval(self):
        rng = np.random.default_rng(2)
        base, final = items(500, 0.3, rng), items(500, 0.7, rng)
        boot = stats.PairedBootstrap(500, 200, seed=3)
        self.assertEqual(boot.retention_ci(base, base, final), [0.0, 0.0])
        np.testing.assert_allclose(boot.retention_ci(final, base, final), [1.0, 1.0])

    def test_interval_matches_the_delta_method_on_a_large_eval_set(self):
        # Independent reference: R = mean(d1)/mean(d2) with d1 = m - b, d2 = f - b per item;
        # se(R) ~ sd(d1 - R d2) / (sqrt(n) mean(d2)). The percentile interval's width must agree.
        rng = np.random.default_rng(4)
        n = 4000
        base = items(n, 0.3, rng)
        final = np.where(rng.random(n) < 0.5, 1.0, base)            # gains on about half the items
        model = np.where(rng.random(n) < 0.6, final, base)          # keeps about 60 % of the gain
        r = stats.retention(model, base, final)
        d1, d2 = model - base, final - base
        se = np.std(d1 - r * d2, ddof=1) / (np.sqrt(n) * np.mean(d2))
        lo, hi = stats.PairedBootstrap(n, 1000, seed=5).retention_ci(model, base, final)
        self.assertAlmostEqual((hi - lo) / (2 * 1.96 * se), 1.0, delta=0.12)
        self.assertLess(lo, r)
        self.assertGreater(hi, r)

    def test_pairing_makes_the_difference_of_two_close_models_tighter_than_either(self):
        rng = np.random.default_rng(6)
        n = 2000
        base = items(n, 0.3, rng)
        final = np.where(rng.random(n) < 0.5, 1.0, base)
        a = np.where(rng.random(n) < 0.7, final, base)
        b = a.copy()
        b[:20] = base[:20]                                           # differs on a few items only
        boot = stats.PairedBootstrap(n, 1000, seed=7)
        lo, hi = boot.difference_ci(a, b, base, final)
        alo, ahi = boot.retention_ci(a, base, final)
        self.assertLess(hi - lo, (ahi - alo) / 3)
        self.assertLessEqual(lo, stats.retention(a, base, final) - stats.retention(b, base, final))


if __name__ == "__main__":
    unittest.main()
