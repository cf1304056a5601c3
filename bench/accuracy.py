#!/usr/bin/env python3
"""Accuracy benchmark: how much of a run's RL gain each predictor keeps, from 10-50 % windows.

For each run and window w (k = the first checkpoint at or after w * T), scores on the run's
held-out eval set: stopping at k, every predictor applied as fixed:SPEC (bench/accuracy/predict.py
lists them), and the default `auto` policy with its gate state and reason, all through
`alpharl predict`. Retention of the RL gain is (acc - base) / (final - base), with a 95 % paired
bootstrap interval (items resampled jointly for base, final and the model; 1000 resamples).

Writes bench/results/accuracy.jsonl (one line per run/window/predictor, plus each run's base and
final, per-item correctness included so every figure can be recomputed) and
bench/results/accuracy.md (headline table, full table, the issue's two targets checked).

    nice mvn -q -B -o -pl cli -am package -DskipTests     # so ./alpharl does not build itself
    /usr/bin/python3 bench/accuracy.py                    # the five default runs (with mid: 62 min on 2 shared cores)
    /usr/bin/python3 bench/accuracy.py --with-mid         # and runs/minilm-rl-lr-mid
    /usr/bin/python3 bench/accuracy.py --with-mid --with-batch-128   # and the 4x-batch run minilm-rl-lr-2e-5-batch-128
    /usr/bin/python3 bench/accuracy.py RUN_DIR...         # other runs of examples/trainer or trainer-minilm
    /usr/bin/python3 bench/accuracy.py --report-only      # re-render accuracy.md from accuracy.jsonl

Needs Debian's python3-torch (/usr/bin/python3). Not part of `mvn verify`.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from accuracy import predict, report, runs, stats  # noqa: E402

# The runs beside the repository's files, ignored by git (examples/trainer-minilm/make_runs.sh makes them there).
RUNS_DIR = os.path.join(ROOT, "runs")
DEFAULT_RUNS = (os.path.join(ROOT, "examples", "runs", "add2-grpo-seed1"), "{runs}/add2-grpo-seed2", "{runs}/add2-grpo-seed3",
                "{runs}/minilm-rl-lr-slow", "{runs}/minilm-rl-lr-fast")
MID_RUN = "{runs}/minilm-rl-lr-mid"
# Four times the prompts per step (less gradient noise): does a cleaner update extrapolate better?
BATCH_RUN = "{runs}/minilm-rl-lr-2e-5-batch-128"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Results:
    """accuracy.jsonl, appended as rows are made; on --resume, rows already there are reused."""

    def __init__(self, path, resume):
        self.path = path
        self.rows = {}
        if resume and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    r = json.loads(line)
                    self.rows[key(r)] = r
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for r in self.rows.values():
                f.write(json.dumps(r) + "\n")

    def get(self, run, window, predictor):
        return self.rows.get((run, window, predictor))

    def add(self, row):
        self.rows[key(row)] = row
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        return row


def key(row):
    return row["run"], row["window"], row["predictor"]


def scored(evaluator, model_dir):
    t0 = time.time()
    correct = evaluator.correct(model_dir)
    return correct, round(time.time() - t0, 2)


def checked(row, evaluator, model_dir, step):
    """Adds the eval's own accuracy of a checkpoint, which the per-item split must reproduce."""
    ref = evaluator.reference_accuracy(model_dir, step)
    row["reference_accuracy"] = ref
    if ref is not None and abs(ref - row["accuracy"]) > 1e-9:
        log(f"WARNING {row['run']} checkpoint-{step}: per-item accuracy {row['accuracy']:.4f} differs from the eval's {ref:.4f}")
    return row


def bench_run(run, results, alpharl, windows, resamples, work):
    ev = evaluation.evaluator(run)
    common = {"run": run.name, "kind": run.kind, "eval": ev.name, "n_items": len(ev.items), "planned_step": run.planned}

    def reference(name, step):
        row = results.get(run.name, None, name)
        if row is None:
            d = run.checkpoint(step)
            correct, secs = scored(ev, d)
            row = checked({**common, "window": None, "window_step": step, "predictor": name, "role": "reference",
                           "accuracy": sum(correct) / len(correct), "eval_seconds": secs, "correct_hex": stats.to_hex(correct)}, ev, d, step)
            results.add(row)
        return stats.from_hex(row["correct_hex"], row["n_items"]), row["accuracy"]

    base, base_acc = reference("base", 0)
    final, final_acc = reference("final", run.final)
    boot = stats.PairedBootstrap(len(base), resamples, seed=zlib.crc32(run.name.encode()))
    log(f"{run.name}: base {base_acc:.3f}, final {final_acc:.3f} ({len(base)} items)")

    def figures(row, correct, stop):
        row["retention"] = stats.retention(correct, base, final)
        row["retention_ci95"] = boot.retention_ci(correct, base, final)
        if stop is not None:
            row["retention_minus_stop"] = row["retention"] - stats.retention(stop, base, final)
            row["retention_minus_stop_ci95"] = boot.difference_ci(correct, stop, base, final)
        return row

    for w in windows:
        k = run.window_step(w)
        at = {**common, "window": w, "window_step": k, "base_accuracy": base_acc, "final_accuracy": final_acc}
        row = results.get(run.name, w, "stop")
        if row is None:
            d = run.checkpoint(k)
            correct, secs = scored(ev, d)
            row = checked({**at, "predictor": "stop", "policy": None, "role": "stop", "accuracy": sum(correct) / len(correct),
                           "eval_seconds": secs, "correct_hex": stats.to_hex(correct)}, ev, d, k)
            results.add(figures(row, correct, None))
        stop = stats.from_hex(row["correct_hex"], row["n_items"])
        if results.get(run.name, w, "geometry") is None:
            results.add({**at, "predictor": "geometry", "role": "geometry", **geometry.measure(run, k)})
        log(f"{run.name} {100 * w:.0f} % (step {k}): stop {row['accuracy']:.3f} kept {row['retention']:.2f}")
        for label, policy, role in predict.policies(run.progress(run.final)):
            if results.get(run.name, w, label) is not None:
                continue
            out = tempfile.mkdtemp(prefix="alpharl-accuracy-", dir=work)
            try:
                info = predict.predict(alpharl, run.path, k, policy, out)
                correct, secs = scored(ev, out)
            except predict.NoPlan as e:
                # No model: the predictor fits no module here. Kept as stop's figures (its model would carry every module), marked,
                # and left out of every comparison that asks for a module predicted.
                info = {"modules_predicted": 0, "modules": None, "backtest_error": float("nan"), "stop_backtest_error": float("nan"),
                        "gate": "-", "gate_reason": "", "chosen": {}, "no_plan": str(e)}
                correct, secs = stop, 0.0
            finally:
                shutil.rmtree(out, ignore_errors=True)
            row = {**at, "predictor": label, "policy": policy, "role": role, "accuracy": sum(correct) / len(correct), **info,
                   "eval_seconds": secs, "correct_hex": stats.to_hex(correct)}
            results.add(figures(row, correct, stop))
            if row.get("no_plan"):
                log(f"  {label}: no plan ({row['no_plan']})")
                continue
            log(f"  {label}: {row['accuracy']:.3f} kept {row['retention']:.2f} [{row['retention_ci95'][0]:.2f}, "
                f"{row['retention_ci95'][1]:.2f}], gate {row['gate']}, {row['modules_predicted']}/{row['modules']} modules")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="*", help="run directories (default: the five runs named in the docstring)")
    ap.add_argument("--runs-dir", default=RUNS_DIR, help=f"where the default runs other than the bundled one live (default {RUNS_DIR})")
    ap.add_argument("--with-mid", action="store_true", help="also the extra run minilm-rl-lr-mid")
    ap.add_argument("--with-batch-128", action="store_true", help="also the extra run minilm-rl-lr-2e-5-batch-128 (128 prompts a step)")
    ap.add_argument("--windows", default=",".join(str(w) for w in runs.WINDOWS), help="window fractions (default %(default)s)")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"), help="output folder (default bench/results)")
    ap.add_argument("--resume", action="store_true", help="keep the rows already in accuracy.jsonl and make only the missing ones")
    ap.add_argument("--report-only", action="store_true", help="only re-render accuracy.md from accuracy.jsonl")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="torch threads for evaluation (default 1: two oversubscribe a shared 2-core machine, 10x slower)")
    ap.add_argument("--work", default=None, help="folder for the predicted models while they are scored (default: the system's temp)")
    a = ap.parse_args()
    jsonl = os.path.join(a.results, "accuracy.jsonl")
    md = os.path.join(a.results, "accuracy.md")
    if a.report_only:
        with open(jsonl, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        report.write(md, rows)
        return 0
    os.nice(10)  # shared machine: the benchmark yields to everything else
    global evaluation, geometry
    from accuracy import evaluation, geometry  # torch: not needed to re-render the report
    evaluation.set_threads(a.threads)
    extras = ([MID_RUN] if a.with_mid else []) + ([BATCH_RUN] if a.with_batch_128 else [])
    paths = a.runs or [p.format(runs=a.runs_dir) for p in list(DEFAULT_RUNS) + extras]
    try:
        bench = [runs.Run(p) for p in paths]
        windows = [float(w) for w in a.windows.split(",")]
    except (OSError, ValueError) as e:
        print(f"accuracy.py: {e}", file=sys.stderr)
        return 2
    alpharl = os.path.join(ROOT, "alpharl")
    results = Results(jsonl, a.resume)
    t0 = time.time()
    for run in bench:
        bench_run(run, results, alpharl, windows, a.resamples, a.work)
        report.write(md, list(results.rows.values()))
    log(f"done in {(time.time() - t0) / 60:.1f} min: {jsonl}, {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
