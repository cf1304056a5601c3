"""The predictor policies the benchmark scores, and `alpharl predict` run for one of them."""
import json
import os
import re
import subprocess
import time

# Every predictor of fit/.../predict/PredictorRegistry.java with each axis it is defined on
# (whole-* have no signal axis), applied as fixed:SPEC, i.e. to every module it can fit, without
# the backtest's judgement. k = 4 and the W_0 base are the registry's defaults.
FIXED_SPECS = (
    "alpharl:axis=signal", "alpharl:axis=step", "alpharl:axis=sublinear",
    "alpharl-increment:axis=signal", "alpharl-increment:axis=step", "alpharl-increment:axis=sublinear",
    "rank-k:k=4,axis=signal", "rank-k:k=4,axis=step", "rank-k:k=4,axis=sublinear",
    "rank-k-increment:k=4,axis=signal", "rank-k-increment:k=4,axis=step", "rank-k-increment:k=4,axis=sublinear",
    "whole-scale:axis=step", "whole-scale:axis=sublinear",
    "whole-trend:axis=step", "whole-trend:axis=sublinear",
)

# alpharl-reference takes y* from the user and has no trend of its own: without target= the
# registry's predictor has no plan and every module is carried (the model is stop's). It is
# scored with the oracle target the paper uses, the run's logged progress value at the final step.
REFERENCE = "alpharl-reference"

# fixed:stop writes the window-end checkpoint through the same predict/write path: its accuracy
# must equal the checkpoint's, which checks that path on every window.
PIPELINE_CHECK = "fixed:stop"


def policies(oracle_target):
    """(label, --predictor value, kind) in the order they are scored."""
    out = [(PIPELINE_CHECK, PIPELINE_CHECK, "check")]
    out += [(f"fixed:{s}", f"fixed:{s}", "fixed") for s in FIXED_SPECS]
    if oracle_target is not None:
        out.append((f"fixed:{REFERENCE}:target=oracle", f"fixed:{REFERENCE}:target={oracle_target!r}", "fixed"))
    out.append(("auto", "auto", "auto"))
    return out


# The one line predict prints to stdout (cli/.../PredictCommand.java); the gate state and its
# reason are not in alpharl_prediction.json, so they are read from here.
LINE = re.compile(
    r"predicted model of .* from (?P<points>\d+) window checkpoints \(steps (?P<first>\d+)\.\.(?P<last>\d+), policy (?P<policy>.*),"
    r" target step (?P<target>\d+)\): (?P<predicted>\d+) of (?P<modules>\d+) modules predicted,"
    r" backtest error (?P<error>\S+) \(stopping: (?P<stop_error>\S+)\), gate (?P<gate>\w+)(?: \((?P<reason>.*)\))?;"
    r" [\d.]+ MB written in \d+ ms to ")


def parse_line(stdout):
    for line in stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            return {
                "window_points": int(m["points"]),
                "window_first_step": int(m["first"]),
                "modules_predicted": int(m["predicted"]),
                "modules": int(m["modules"]),
                "backtest_error": number(m["error"]),
                "stop_backtest_error": number(m["stop_error"]),
                "gate": m["gate"],
                "gate_reason": m["reason"] or "",
            }
    raise ValueError("alpharl predict printed no summary line:\n" + stdout)


def number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


class NoPlan(Exception):
    """A fixed: policy whose predictor has a plan for no module: predict writes no model (since it refused to write the
    window-end checkpoint under the predictor's name) and says why in one line."""


def predict(alpharl, run_dir, window_step, policy, out_dir):
    """Runs predict; returns the summary line's fields, the chosen predictors and the seconds taken."""
    t0 = time.time()
    p = subprocess.run([alpharl, "predict", run_dir, "--window-step", str(window_step), "--predictor", policy, "--out", out_dir],
                       capture_output=True, text=True)
    last = (p.stderr.strip().splitlines() or [""])[-1]
    if p.returncode == 2 and policy.startswith("fixed:") and "has a plan for none of the" in last:
        raise NoPlan(last.removeprefix("alpharl predict: "))
    if p.returncode != 0:
        raise RuntimeError(f"alpharl predict {run_dir} --window-step {window_step} --predictor {policy} failed "
                           f"({p.returncode}): {p.stderr.strip().splitlines()[-1:] or p.stdout}")
    info = parse_line(p.stdout)
    with open(os.path.join(out_dir, "alpharl_prediction.json"), encoding="utf-8") as f:
        meta = json.load(f)
    chosen = {}
    for spec in meta.get("predictors", {}).values():
        chosen[spec] = chosen.get(spec, 0) + 1
    info["chosen"] = dict(sorted(chosen.items(), key=lambda kv: (-kv[1], kv[0])))
    info["confidence"] = meta.get("confidence")
    info["predict_seconds"] = round(time.time() - t0, 2)
    return info
