"""The accuracy benchmark's parts (bench/accuracy.py is the command).

runs: a run directory's checkpoints, windows and kind; evaluation: per-item correctness on each
kind's held-out eval set; predict: the predictor policies and `alpharl predict`; stats: retention
of the RL gain with paired bootstrap intervals; report: the Markdown report and the target checks.

bench/accuracy.py imports this package as `accuracy`: a package directory takes precedence over
the module accuracy.py of the same name on the same path entry, and the script itself runs as
__main__, so there is no clash.
"""
