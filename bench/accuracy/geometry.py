"""How the cumulative update grows past a window: along a line, or like a random walk?

Per modelled module, with ΔW_t = W_t − W_0, k the window end and T the final step:
    growth  = ‖ΔW_T‖ / ‖ΔW_k‖                  (a straight line: T/k; a random walk: √(T/k))
    cos_end = cos(ΔW_k, ΔW_T)                   (line: 1; random walk: √(k/T))
    cos_inc = cos(ΔW_k, ΔW_T − ΔW_k)           (line: 1; random walk: 0)
Every predictor extrapolates what the window shows; where the rest of the run adds an increment
nearly orthogonal to it, extrapolation mostly adds noise. Medians over modules; computed from the
checkpoint files with torch, independently of the Java code.
"""
import os
import re

import torch

from accuracy import evaluation  # noqa: F401  (puts examples/trainer on the path)
from trainer import load_safetensors  # noqa: E402

# 2-D weights inside numbered blocks: the modules `alpharl predict` models by default
BLOCK = re.compile(r"(^|\.)(layers|layer|h|blocks)\.\d+\..*\.weight$")


def modules(tensors):
    return [n for n, t in tensors.items() if t.dim() == 2 and BLOCK.search(n) and "embed" not in n and "norm" not in n]


def measure(run, window_step):
    load = lambda s: load_safetensors(os.path.join(run.checkpoint(s), "model.safetensors"))
    w0, wk, wt = load(0), load(window_step), load(run.final)
    growth, cos_end, cos_inc = [], [], []
    for n in modules(w0):
        a = (wk[n] - w0[n]).flatten().double()
        b = (wt[n] - w0[n]).flatten().double()
        inc = b - a
        if a.norm() == 0 or b.norm() == 0 or inc.norm() == 0:
            continue
        growth.append(float(b.norm() / a.norm()))
        cos_end.append(float(a @ b / (a.norm() * b.norm())))
        cos_inc.append(float(a @ inc / (a.norm() * inc.norm())))
    reach = run.final / window_step
    return {"modules": len(growth), "growth": median(growth), "cos_end": median(cos_end), "cos_increment": median(cos_inc),
            "line": {"growth": reach, "cos_end": 1.0, "cos_increment": 1.0},
            "random_walk": {"growth": reach ** 0.5, "cos_end": reach ** -0.5, "cos_increment": 0.0}}


def median(v):
    # torch's median() is the lower of the two middle values for an even count (36 and 14 modules here): the middle's mean instead.
    return float(torch.tensor(v, dtype=torch.float64).quantile(0.5)) if v else float("nan")
