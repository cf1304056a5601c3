#!/usr/bin/env bash
# Regenerates the bundled real run: examples/runs/add2-grpo-seed1/ (checkpoints) and
# examples/runs/add2-grpo-seed1.arrow (its recording). About 2 minutes on 2 CPU cores.
# Needs Debian's python3-torch (apt-get install python3-torch); CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run="$root/examples/runs/add2-grpo-seed1"
# Checked before the bundled run is deleted: without torch it was gone, and the demo with it.
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "make_bundled_run: $py cannot import torch (apt-get install python3-torch); the bundled run is left as it is" >&2
  exit 1
fi
rm -rf "$run" "$run.arrow"
"$py" "$root/examples/trainer/trainer.py" pretrain --out "$work/base" --steps 200 --digits 2 --seed 0
"$py" "$root/examples/trainer/trainer.py" grpo --base "$work/base/model.safetensors" --out "$run" --steps 200 --save-every 5 --seed 1
"$root/alpharl" agent record "$run" --run-id add2-grpo-seed1 --progress-key eval_accuracy --out "$run.arrow"
