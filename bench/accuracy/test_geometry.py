"""Tests of the update-geometry figures on made-up runs with a known answer."""
import os
import tempfile
import unittest

import torch

from accuracy import geometry
from trainer import save_safetensors


class FakeRun:
    def __init__(self, path, final):
        self.path, self.final = path, final

    def checkpoint(self, step):
        return os.path.join(self.path, f"checkpoint-{step}")


def write_run(d, updates):
    """updates: step -> {name: ΔW}; W_0 is ones."""
    for step, deltas in updates.items():
        os.makedirs(os.path.join(d, f"checkpoint-{step}"))
        save_safetensors(os.path.join(d, f"checkpoint-{step}", "model.safetensors"),
                         {n: torch.ones(8, 8) + delta for n, delta in deltas.items()} | {"model.norm.weight": torch.ones(8)},
                         dtype=torch.float32)


class GeometryTest(unittest.TestCase):
    def test_the_median_of_an_even_count_is_the_middles_mean(self):
        self.assertEqual(geometry.median([4.0, 1.0, 3.0, 2.0]), 2.5)
        self.assertEqual(geometry.median([3.0, 1.0, 2.0]), 2.0)

    def test_a_straight_line_gives_the_line_figures(self):
        g = torch.randn(8, 8, generator=torch.Generator().manual_seed(1))
        name = "model.layers.0.mlp.up_proj.weight"
        with tempfile.TemporaryDirectory() as d:
            write_run(d, {0: {name: torch.zeros(8, 8)}, 40: {name: 0.4 * g}, 200: {name: 2 * g}})
            m = geometry.measure(FakeRun(d, 200), 40)
        self.assertEqual(m["modules"], 1)
        self.assertAlmostEqual(m["growth"], 5.0, places=5)
        self.assertAlmostEqual(m["cos_end"], 1.0, places=6)
        self.assertAlmostEqual(m["cos_increment"], 1.0, places=6)

    def test_an_orthogonal_increment_has_zero_cosine_and_pythagorean_growth(self):
        a = torch.zeros(8, 8)
        a[0, 0] = 3.0
        inc = torch.zeros(8, 8)
        inc[1, 1] = 4.0
        name = "model.layers.1.self_attn.q_proj.weight"
        with tempfile.TemporaryDirectory() as d:
            write_run(d, {0: {name: torch.zeros(8, 8)}, 10: {name: a}, 30: {name: a + inc}})
            m = geometry.measure(FakeRun(d, 30), 10)
        self.assertAlmostEqual(m["growth"], 5 / 3, places=6)
        self.assertAlmostEqual(m["cos_end"], 3 / 5, places=6)
        self.assertAlmostEqual(m["cos_increment"], 0.0, places=6)
        self.assertAlmostEqual(m["random_walk"]["growth"], 3 ** 0.5)

    def test_only_block_matrices_count(self):
        names = {"model.layers.0.mlp.up_proj.weight", "model.embed_tokens.weight", "lm_head.weight", "encoder.layer.3.output.dense.weight",
                 "model.layers.0.input_layernorm.weight"}
        tensors = {n: torch.zeros(2, 2) for n in names}
        self.assertEqual(sorted(geometry.modules(tensors)), ["encoder.layer.3.output.dense.weight", "model.layers.0.mlp.up_proj.weight"])


if __name__ == "__main__":
    unittest.main()
