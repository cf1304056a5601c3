#!/usr/bin/env bash
# Makes every run the accuracy benchmark uses, under DIR (default the repository's runs/, ignored by git): the MiniLM base,
# three RL runs on it (learning rates 1e-5, 5e-5, 1.5e-4) and one with four times the prompts per
# step, each checkpoint's accuracy on the full held-out set, and two more seeds of the tiny add2
# GRPO run. About 50 minutes of 2 CPU cores
# with nothing else running. Needs Maven, unzip and Debian's python3-torch, python3-onnx
# (apt-get install -y python3-torch libopenblas0-pthread python3-onnx). Refuses existing runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-$root/runs}"
py=/usr/bin/python3
mkdir -p "$runs"

"$here/fetch_model.sh"
[[ -d "$runs/minilm-base" ]] || nice "$py" "$here/minilm.py" import --onnx "$here/model/all-minilm-l6-v2.onnx" \
  --tokenizer "$here/model/all-minilm-l6-v2-tokenizer.json" --out "$runs/minilm-base"
nice "$py" "$here/minilm.py" check --onnx "$here/model/all-minilm-l6-v2.onnx" --model "$runs/minilm-base"

for spec in slow:1e-5 mid:5e-5 fast:1.5e-4; do
  name="minilm-rl-lr-${spec%%:*}"
  nice "$py" "$here/rl.py" train --base "$runs/minilm-base" --out "$runs/$name" --lr "${spec#*:}" \
    --steps 300 --save-every 10 --seed 1 2>&1 | tee "$runs/$name.log"
  for ckpt in $(ls -d "$runs/$name"/checkpoint-* | sort -V); do
    nice "$py" "$here/rl.py" eval --model "$ckpt"
  done > "$runs/$name/eval_full.jsonl"
done

# The same task with four times the prompts per step (less gradient noise), 150 steps.
name=minilm-rl-lr-2e-5-batch-128
nice "$py" "$here/rl.py" train --base "$runs/minilm-base" --out "$runs/$name" --lr 2e-5 --prompts 128 \
  --steps 150 --save-every 5 --seed 1 2>&1 | tee "$runs/$name.log"
for ckpt in $(ls -d "$runs/$name"/checkpoint-* | sort -V); do
  nice "$py" "$here/rl.py" eval --model "$ckpt"
done > "$runs/$name/eval_full.jsonl"

for seed in 2 3; do
  nice "$py" "$root/examples/trainer/trainer.py" grpo \
    --base "$root/examples/runs/add2-grpo-seed1/checkpoint-0/model.safetensors" \
    --out "$runs/add2-grpo-seed$seed" --steps 200 --save-every 5 --seed "$seed" 2>&1 | tee "$runs/add2-grpo-seed$seed.log"
done
