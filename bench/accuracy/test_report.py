"""Tests of the report's target checks on made-up rows."""
import os
import tempfile
import unittest

from accuracy import report


def row(run, kind, window, predictor, retention, gate=None, role=None):
    r = {"run": run, "kind": kind, "window": window, "window_step": int(window * 100) if window else 0, "predictor": predictor,
         "role": role or ("auto" if predictor == "auto" else "stop" if predictor == "stop" else "fixed"), "accuracy": 0.2 + 0.4 * retention,
         "retention": retention, "retention_ci95": [retention - 0.1, retention + 0.1], "n_items": 10, "eval": "e", "correct_hex": "00"}
    if gate is not None:
        r.update(gate=gate, gate_reason="" if gate == "passing" else "why", modules_predicted=1, modules=2, backtest_error=0.2,
                 stop_backtest_error=0.3, chosen={"stop": 1, "whole-scale:axis=step": 1}, retention_minus_stop=0.0,
                 retention_minus_stop_ci95=[-0.05, 0.05])
    return r


def references(run, kind):
    return [dict(row(run, kind, None, "base", 0.0), role="reference"), dict(row(run, kind, None, "final", 1.0), role="reference")]


class TargetsTest(unittest.TestCase):
    def rows(self):
        out = references("tiny", "add2") + references("slow", "minilm") + references("fast", "minilm")
        # tiny: the gate passes at 40 % and auto loses to stop; at 50 % it passes and wins; at 30 % it fails
        out += [row("tiny", "add2", 0.3, "stop", 0.5), row("tiny", "add2", 0.3, "auto", 0.1, "failing"),
                row("tiny", "add2", 0.4, "stop", 0.6), row("tiny", "add2", 0.4, "auto", 0.55, "passing"),
                row("tiny", "add2", 0.5, "stop", 0.7), row("tiny", "add2", 0.5, "auto", 0.7, "passing")]
        # slow (48 % of its gain at 40 %): in scope; 40 % fails the gate, 50 % passes at 95 %
        out += [row("slow", "minilm", 0.4, "stop", 0.48), row("slow", "minilm", 0.4, "auto", 0.92, "failing"),
                row("slow", "minilm", 0.5, "stop", 0.6), row("slow", "minilm", 0.5, "auto", 0.95, "passing")]
        # fast (87 % at 40 %): out of scope
        out += [row("fast", "minilm", 0.4, "stop", 0.87), row("fast", "minilm", 0.4, "auto", 0.5, "failing")]
        return out

    def test_gate_target_counts_only_passing_windows_and_equal_retention_meets_it(self):
        lines, met, missed = report.target_gate_keeps_stop(report.Table(self.rows()))
        self.assertEqual((met, missed), (2, 1))
        self.assertTrue(any("| tiny | 40 % | passing |" in x and "**missed**" in x for x in lines))
        self.assertTrue(any("| tiny | 30 % | failing |" in x and "not applicable" in x for x in lines))

    def test_a_passing_gate_with_nothing_predicted_is_not_counted(self):
        rows = self.rows()
        for r in rows:
            if r["run"] == "tiny" and r["window"] == 0.5 and r["predictor"] == "auto":
                r.update(modules_predicted=0, chosen={"stop": 2})
        lines, met, missed = report.target_gate_keeps_stop(report.Table(rows))
        self.assertEqual((met, missed), (1, 1))
        self.assertTrue(any("| tiny | 50 % | passing |" in x and "nothing predicted" in x for x in lines))

    def test_slow_target_applies_to_slowly_rising_pretrained_runs_only(self):
        t = report.Table(self.rows())
        self.assertEqual(report.slow_rising(t, "slow")[0], True)
        self.assertEqual(report.slow_rising(t, "fast")[0], False)
        self.assertEqual(report.slow_rising(t, "tiny")[0], False)
        lines, met, missed = report.target_slow_runs(t)
        self.assertEqual((met, missed), (1, 1))
        self.assertTrue(any("| slow |" in x and "40 %" in x and "gate failing" in x for x in lines))
        self.assertTrue(any("| fast | no:" in x for x in lines))
        self.assertFalse(any("| tiny |" in x for x in lines))

    def test_the_report_renders_every_run(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.md")
            report.write(path, self.rows())
            with open(path, encoding="utf-8") as f:
                text = f.read()
        for run in ("tiny", "slow", "fast"):
            self.assertIn(f"### {run}", text)
        self.assertIn("met 2, missed 1", text)


class BestFixedTest(unittest.TestCase):
    def test_the_best_fixed_predictor_predicted_a_module_and_is_no_oracle(self):
        rows = references("r", "minilm") + [row("r", "minilm", 0.4, "stop", 0.5)]
        rows.append(dict(row("r", "minilm", 0.4, "fixed:alpharl:axis=signal", 0.5), modules_predicted=0))  # stop's model
        rows.append(dict(row("r", "minilm", 0.4, "fixed:alpharl-reference:target=oracle", 0.9), modules_predicted=3))
        rows.append(dict(row("r", "minilm", 0.4, "fixed:whole-scale:axis=step", 0.3), modules_predicted=3))
        t = report.Table(rows)
        self.assertEqual(t.best_fixed("r", 0.4)["predictor"], "fixed:whole-scale:axis=step")
        rows = [r for r in rows if r["predictor"] != "fixed:whole-scale:axis=step"]
        self.assertIsNone(report.Table(rows).best_fixed("r", 0.4))


class NoPlanTest(unittest.TestCase):
    def test_a_predictor_that_fits_no_module_shows_as_no_plan_and_is_never_the_best(self):
        rows = references("r", "minilm") + [row("r", "minilm", 0.4, "stop", 0.5)]
        rows.append(dict(row("r", "minilm", 0.4, "fixed:alpharl:axis=signal", 0.5), modules_predicted=0,
                         no_plan="fixed:alpharl:axis=signal has a plan for none of the 14 modules"))
        self.assertIsNone(report.Table(rows).best_fixed("r", 0.4))
        self.assertIn("| fixed:alpharl:axis=signal | no plan |", "\n".join(report.full(report.Table(rows), "r")))


class FormatTest(unittest.TestCase):
    def test_a_share_that_rounds_to_zero_has_no_minus_sign(self):
        self.assertEqual(report.ci([-0.004, 0.09]), " [0, 9]")
        self.assertEqual(report.points(-0.004, sign=True), "+0")
        self.assertEqual(report.pct(-0.126), "-13 %")


class RankTest(unittest.TestCase):
    def test_spearman_without_ties_is_the_closed_form(self):
        # 1 - 6 Σ d² / (n (n² - 1)) holds when there are no ties
        a = [0.3, 0.1, 0.9, 0.5, 0.7, 0.2]
        b = [2.0, 1.0, 5.0, 6.0, 3.0, 4.0]
        d = report.ranks(a) - report.ranks(b)
        n = len(a)
        self.assertAlmostEqual(report.spearman(a, b), 1 - 6 * float((d ** 2).sum()) / (n * (n * n - 1)))

    def test_ties_share_their_mean_rank(self):
        self.assertEqual(list(report.ranks([3, 1, 2, 2])), [4.0, 1.0, 2.5, 2.5])


if __name__ == "__main__":
    unittest.main()
