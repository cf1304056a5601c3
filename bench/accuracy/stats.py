"""Retention of the RL gain, (acc - base) / (final - base), with paired bootstrap intervals.

Every figure of one run is computed on the same eval items, so the bootstrap resamples items
jointly for the base, the fully trained model and every predicted model: one matrix of draw
counts per run, shared by all its figures, makes each interval (and each difference of two
figures) paired.
"""
import numpy as np


def to_hex(correct):
    """0/1 per item -> hex of the packed bits (compact enough to keep in the results)."""
    return np.packbits(np.asarray(correct, dtype=np.uint8)).tobytes().hex()


def from_hex(text, n):
    """Inverse of to_hex for n items."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(text), dtype=np.uint8))[:n].astype(np.float64)


def retention(model, base, final):
    """Point estimate; NaN when the run gained nothing."""
    gain = np.mean(final) - np.mean(base)
    return float((np.mean(model) - np.mean(base)) / gain) if gain != 0 else float("nan")


class PairedBootstrap:
    """Resamples of one eval set: `draws[b, i]` is how often item i is drawn in resample b."""

    def __init__(self, n_items, resamples=1000, seed=0):
        rng = np.random.default_rng(seed)
        self.n = n_items
        self.draws = rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=resamples).astype(np.float64)

    def means(self, correct):
        return self.draws @ np.asarray(correct, dtype=np.float64) / self.n

    def retentions(self, model, base, final):
        """Retention in every resample (NaN where a resample's gain is 0)."""
        b = self.means(base)
        gain = self.means(final) - b
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(gain != 0, (self.means(model) - b) / gain, np.nan)

    def retention_ci(self, model, base, final, level=0.95):
        return interval(self.retentions(model, base, final), level)

    def difference_ci(self, model, other, base, final, level=0.95):
        """Interval of retention(model) - retention(other), paired over items."""
        return interval(self.retentions(model, base, final) - self.retentions(other, base, final), level)


def interval(values, level=0.95):
    """Percentile interval, ignoring NaN resamples."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return [float("nan"), float("nan")]
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(v, [tail, 100 - tail])
    return [float(lo), float(hi)]
