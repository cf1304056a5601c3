"""Per-item correctness of a model directory on the held-out eval set of its run's kind.

add2 (examples/trainer): the fixed set of 1000 problems, seed 777, greedy decoding, exact answer.
minilm (examples/trainer-minilm): rl.py's 1989 held-out questions, greedy candidate. Both call the
trainers' own code (imported, not copied); only the per-item split of their accuracy is done here.
"""
import json
import os
import sys

import torch

from accuracy.runs import read_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "trainer"))
sys.path.insert(0, os.path.join(ROOT, "examples", "trainer-minilm"))
import trainer  # noqa: E402
import minilm  # noqa: E402
import rl  # noqa: E402

ADD2_ITEMS, ADD2_SEED = 1000, 777


class Add2Eval:
    name = "examples/trainer fixed_eval_set(n=1000, seed=777)"

    def __init__(self, run):
        self.config = trainer.Config.from_json(read_json(os.path.join(run.checkpoint(0), "config.json")))
        self.items = trainer.fixed_eval_set(self.config.digits, n=ADD2_ITEMS, seed=ADD2_SEED)

    def model(self, model_dir):
        m = trainer.Model(self.config)
        m.load_hf_state(trainer.load_safetensors(os.path.join(model_dir, "model.safetensors")))
        return m.eval()

    def correct(self, model_dir):
        m = self.model(model_dir)
        out = []
        # trainer.accuracy's batching and decoding, kept per item
        for i in range(0, len(self.items), 100):
            batch = self.items[i:i + 100]
            text, _ = trainer.generate(m, [p for p, _ in batch], m.c.digits + 2)
            out += [float(t == a) for t, (_, a) in zip(text, batch)]
        return out

    def reference_accuracy(self, model_dir, step):
        """trainer.accuracy itself: the per-item split must sum to it."""
        return trainer.accuracy(self.model(model_dir), self.items)


class MinilmEval:
    name = "examples/trainer-minilm rl.py eval (1989 held-out items)"

    def __init__(self, run):
        cfg = os.path.join(run.path, "run_config.json")
        self.k = read_json(cfg).get("k", 8) if os.path.exists(cfg) else 8
        self.items = rl.eval_set(self.k)
        # rl.py eval's own results, written by make_runs.sh: reused as the check of this split
        self.measured = {}
        full = os.path.join(run.path, "eval_full.jsonl")
        if os.path.exists(full):
            with open(full, encoding="utf-8") as f:
                for line in f:
                    r = json.loads(line)
                    self.measured[os.path.basename(r["model"].rstrip("/"))] = r["eval_accuracy"]

    def correct(self, model_dir):
        model, tok = minilm.load_model_dir(model_dir)
        return rl.correct(model, tok, self.items)

    def reference_accuracy(self, model_dir, step):
        return self.measured.get(f"checkpoint-{step}")


def evaluator(run):
    return {"add2": Add2Eval, "minilm": MinilmEval}[run.kind](run)


def set_threads(n):
    torch.set_num_threads(n)
