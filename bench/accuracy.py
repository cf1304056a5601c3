#!/usr/bin/env python3
"""Accuracy benchmark of AlphaRL on real runs of examples/trainer (needs Debian's python3-torch).

For each run directory and each window (10-50 % of the planned steps), predicts the final model
with `alpharl predict` on both progress axes and scores, on the trainer's held-out eval set:
the base model, the checkpoint at the window's end (stopping early), the predictions, and the
fully trained model. Prints a Markdown table of eval accuracy and retention of the RL gain,
(acc - base) / (final - base).

    bench/accuracy.py examples/runs/add2-grpo-seed1 [more run dirs...]

Runs of other seeds: examples/trainer/trainer.py grpo --base <base> --out DIR --seed N.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "trainer"))
import trainer as T  # noqa: E402

WINDOWS = [0.1, 0.2, 0.3, 0.4, 0.5]


def accuracy(model_dir, config):
    m = T.Model(config)
    m.load_hf_state(T.load_safetensors(os.path.join(model_dir, "model.safetensors")))
    m.eval()
    return T.accuracy(m, T.fixed_eval_set(config.digits, n=1000, seed=777))


def steps_of(run):
    return sorted(int(d.split("-")[1]) for d in os.listdir(run) if d.startswith("checkpoint-"))


def main(runs):
    rows = []
    for run in runs:
        config = T.Config.from_json(json.load(open(os.path.join(run, "checkpoint-0", "config.json"))))
        steps = steps_of(run)
        final = steps[-1]
        base = accuracy(os.path.join(run, "checkpoint-0"), config)
        trained = accuracy(os.path.join(run, f"checkpoint-{final}"), config)
        gain = trained - base
        for w in WINDOWS:
            k = min(s for s in steps if s >= w * final)
            early = accuracy(os.path.join(run, f"checkpoint-{k}"), config)
            row = {"run": os.path.basename(run), "window": w, "step": k, "base": base, "early": early, "final": trained}
            for axis in ("step", "signal"):
                with tempfile.TemporaryDirectory() as out:
                    subprocess.run([os.path.join(ROOT, "alpharl"), "predict", run, "--window-step", str(k), "--axis", axis,
                                    "--out", out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    row[axis + "_axis"] = accuracy(out, config)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print("| run | window | step | base | stop early | AlphaRL (step axis) | AlphaRL (signal axis) | trained | kept: stop early | kept: step axis | kept: signal axis |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        gain = r["final"] - r["base"]
        kept = lambda a: f"{100 * (a - r['base']) / gain:.0f} %" if gain > 0 else "-"
        print(f"| {r['run']} | {100 * r['window']:.0f} % | {r['step']} | {r['base']:.3f} | {r['early']:.3f} | {r['step_axis']:.3f} | "
              f"{r['signal_axis']:.3f} | {r['final']:.3f} | {kept(r['early'])} | {kept(r['step_axis'])} | {kept(r['signal_axis'])} |")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(ROOT, "examples", "runs", "add2-grpo-seed1")])
