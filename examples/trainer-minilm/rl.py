#!/usr/bin/env python3
"""RL fine-tuning of a pretrained transformer (all-MiniLM-L6-v2) on CPU, for AlphaRL Stream.

The task: "what is 23 plus 58?" with K candidate answers (the right sum and K-1 other numbers
from 0..198). The policy is the whole encoder: it embeds the question and each candidate (mean
pooling, unit length) and picks a candidate with probability softmax(cos(q, c) / T). Reward 1
for the right sum, 0 otherwise. The pretrained encoder knows numbers only as words that look
alike, so it starts a little above chance (1/K); RL teaches it to place a sum near its answer.

Training is GRPO-shaped: per question G answers are sampled, advantages are the rewards
normalised within the group, the loss is the policy gradient, the optimiser Adam on an f32
master copy; every checkpoint is saved in bf16 as real RL runs are. The output directory is
laid out like the Hugging Face Trainer's (checkpoint-<step>/ with model.safetensors,
config.json, tokenizer.json and trainer_state.json), plus progress.jsonl, one line per
checkpoint.

Held-out evaluation: every unordered pair {a, b} belongs either to training or to evaluation
(a fixed seeded split), so no evaluation question, nor its operands swapped, is ever trained on.

    python3 rl.py train --base ../../runs/minilm-base --out ../../runs/minilm-rl-lr-slow --lr 1e-5
    python3 rl.py eval --model ../../runs/minilm-rl-lr-slow/checkpoint-300
"""
import argparse
import json
import os
import random
import shutil
import sys
import time

import torch

import minilm

MAX_OPERAND = 99          # operands 0..99, sums 0..198
EVAL_PAIRS = 1000         # unordered pairs held out of 5050 (about 1980 ordered questions)
SPLIT_SEED = 1234         # fixes which pairs are held out: changing it changes the benchmark
EVAL_SEED = 4321          # fixes each held-out question's candidates and the probe's order
PROBE_ITEMS = 200         # the per-checkpoint eval_accuracy uses this fixed prefix of the eval set


class Item:
    """One question: its text, candidate answers (strings) and the index of the right one."""

    def __init__(self, a, b, candidates, answer):
        self.prompt = f"what is {a} plus {b}?"
        self.candidates = [str(c) for c in candidates]
        self.answer = answer


def make_item(a, b, k, rng):
    right = a + b
    wrong = rng.sample([c for c in range(2 * MAX_OPERAND + 1) if c != right], k - 1)
    cands = wrong + [right]
    rng.shuffle(cands)
    return Item(a, b, cands, cands.index(right))


def split_pairs():
    """(training pairs, held-out pairs) of unordered operand pairs (a <= b)."""
    pairs = [(a, b) for a in range(MAX_OPERAND + 1) for b in range(a, MAX_OPERAND + 1)]
    random.Random(SPLIT_SEED).shuffle(pairs)
    return pairs[EVAL_PAIRS:], pairs[:EVAL_PAIRS]


def eval_set(k):
    """Every ordered question of the held-out pairs, in a fixed shuffled order, candidates fixed."""
    rng = random.Random(EVAL_SEED)
    ordered = sorted({(a, b) for x, y in split_pairs()[1] for a, b in ((x, y), (y, x))})
    rng.shuffle(ordered)
    return [make_item(a, b, k, rng) for a, b in ordered]


class TrainSampler:
    def __init__(self, k, seed):
        self.pairs, self.k, self.rng = split_pairs()[0], k, random.Random(seed)

    def batch(self, n):
        out = []
        for _ in range(n):
            a, b = self.rng.choice(self.pairs)
            if self.rng.random() < 0.5:
                a, b = b, a
            out.append(make_item(a, b, self.k, self.rng))
        return out


def logits(model, tok, items, temperature):
    """(len(items), K) policy logits: cosine of question and candidate embeddings over T."""
    uniq = sorted({c for it in items for c in it.candidates})
    pos = {c: i for i, c in enumerate(uniq)}
    q = model.embed(*tok.batch([it.prompt for it in items]))
    c = model.embed(*tok.batch(uniq))  # each distinct candidate once: sums repeat across questions
    idx = torch.tensor([[pos[x] for x in it.candidates] for it in items])
    return (q[:, None, :] * c[idx]).sum(-1) / temperature


@torch.no_grad()
def correct(model, tok, items, batch=500):
    """Per-item 0/1 greedy correctness (the argmax candidate; temperature does not matter)."""
    out = []
    for i in range(0, len(items), batch):
        part = items[i:i + batch]
        pred = logits(model, tok, part, 1.0).argmax(-1)
        out += [float(p == it.answer) for p, it in zip(pred.tolist(), part)]
    return out


def bootstrap_ci(values, n=2000, seed=0):
    """95 % percentile bootstrap interval of the mean of 0/1 values."""
    rng = random.Random(seed)
    k, total = len(values), sum(values)
    if total in (0, k):
        return [total / k, total / k]
    means = sorted(sum(rng.choices(values, k=k)) / k for _ in range(n))
    return [means[int(0.025 * n)], means[int(0.975 * n) - 1]]


def bf16_bits(model):
    return [p.detach().to(torch.bfloat16).view(torch.int16).clone() for p in model.parameters()]


def unchanged_share(before, after):
    same = sum(int((x == y).sum()) for x, y in zip(before, after))
    return same / sum(x.numel() for x in before)


class RunWriter:
    """checkpoint-<step>/ directories, their trainer_state.json and progress.jsonl."""

    def __init__(self, out, tokenizer_path, max_steps, run_config):
        self.out, self.tokenizer_path, self.max_steps = out, tokenizer_path, max_steps
        self.history = []
        os.makedirs(out, exist_ok=True)
        minilm.write_json(os.path.join(out, "run_config.json"), run_config)

    def checkpoint(self, model, step, entry):
        d = os.path.join(self.out, f"checkpoint-{step}")
        tmp = os.path.join(self.out, f"tmp-checkpoint-{step}")
        minilm.save_model_dir(model, tmp, self.tokenizer_path, dtype=torch.bfloat16, metadata={"step": step})
        self.history.append(entry)
        minilm.write_json(os.path.join(tmp, "trainer_state.json"),
                          {"global_step": step, "max_steps": self.max_steps, "log_history": self.history})
        os.replace(tmp, d)  # like transformers: a checkpoint appears complete or not at all
        with open(os.path.join(self.out, "progress.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def cmd_train(a):
    if os.path.exists(a.out) and os.listdir(a.out):
        raise ValueError(f"{a.out} exists and is not empty; choose a new --out")
    torch.manual_seed(a.seed)
    model, tok = minilm.load_model_dir(a.base)
    # Real RL starts from a bf16 release: the f32 master starts at the bf16 weights, so
    # checkpoint-0 equals W_0 exactly and an untouched value stays bitwise unchanged.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sampler = TrainSampler(a.k, a.seed)
    probe = eval_set(a.k)[:PROBE_ITEMS]
    writer = RunWriter(a.out, os.path.join(a.base if os.path.isdir(a.base) else os.path.dirname(a.base),
                                           minilm.TOKENIZER_FILE), a.steps, vars(a))

    def probe_accuracy():
        c = correct(model, tok, probe)
        return sum(c) / len(c)

    start, cpu_start = time.time(), time.process_time()
    writer.checkpoint(model, 0, {"step": 0, "reward": None, "eval_accuracy": probe_accuracy()})
    print(f"step 0 eval_accuracy {writer.history[-1]['eval_accuracy']:.3f}", flush=True)
    bits = bf16_bits(model)
    bits_at_checkpoint = bits
    rewards, shares = [], []
    for step in range(1, a.steps + 1):
        items = sampler.batch(a.prompts)
        logp = logits(model, tok, items, a.temperature).log_softmax(-1)
        picks = torch.multinomial(logp.detach().exp(), a.group, replacement=True)
        reward = (picks == torch.tensor([it.answer for it in items])[:, None]).float()
        adv = (reward - reward.mean(1, keepdim=True)) / (reward.std(1, keepdim=True) + 1e-4)
        loss = -(adv * logp.gather(1, picks)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        new_bits = bf16_bits(model)
        shares.append(unchanged_share(bits, new_bits))
        bits = new_bits
        rewards.append(reward.mean().item())
        print(f"step {step} reward {rewards[-1]:.3f} unchanged_bf16 {shares[-1]:.4f}", flush=True)
        if step % a.save_every == 0 or step == a.steps:
            entry = {"step": step,
                     "reward": sum(rewards) / len(rewards),  # mean over the steps since the last checkpoint
                     "eval_accuracy": probe_accuracy(),
                     "unchanged_bf16_per_step": sum(shares) / len(shares),
                     "unchanged_bf16_since_checkpoint": unchanged_share(bits_at_checkpoint, bits),
                     "elapsed_s": round(time.time() - start, 1),
                     # CPU seconds of this process: comparable across runs on a shared machine, wall time is not
                     "cpu_s": round(time.process_time() - cpu_start, 1)}
            writer.checkpoint(model, step, entry)
            bits_at_checkpoint, rewards, shares = bits, [], []
            print(f"checkpoint {step} reward {entry['reward']:.3f} eval_accuracy {entry['eval_accuracy']:.3f} "
                  f"unchanged_bf16 {entry['unchanged_bf16_per_step']:.4f}/step "
                  f"{entry['unchanged_bf16_since_checkpoint']:.4f}/checkpoint elapsed {entry['elapsed_s']}s "
                  f"cpu {entry['cpu_s']}s",
                  flush=True)
    return 0


def cmd_eval(a):
    model, tok = minilm.load_model_dir(a.model)
    items = eval_set(a.k)
    c = correct(model, tok, items)
    print(json.dumps({"model": a.model, "eval_accuracy": sum(c) / len(c), "items": len(c),
                      "ci95": bootstrap_ci(c), "candidates": a.k}))
    return 0


def parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="GRPO-style RL from a base model directory")
    t.add_argument("--base", required=True, help="model directory (minilm.py import writes one)")
    t.add_argument("--out", required=True, help="new run directory")
    t.add_argument("--steps", type=int, default=300)
    t.add_argument("--save-every", type=int, default=10)
    t.add_argument("--lr", type=float, default=1e-5)
    t.add_argument("--prompts", type=int, default=32, help="questions per step")
    t.add_argument("--group", type=int, default=8, help="answers sampled per question (G)")
    t.add_argument("--k", type=int, default=8, help="candidates per question (K)")
    t.add_argument("--temperature", type=float, default=0.05)
    t.add_argument("--seed", type=int, default=1)
    e = sub.add_parser("eval", help="accuracy on the full held-out set, with a 95 % bootstrap interval")
    e.add_argument("--model", required=True, help="model directory (bf16 or f32 model.safetensors)")
    e.add_argument("--k", type=int, default=8)
    return ap


def main():
    a = parser().parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        return {"train": cmd_train, "eval": cmd_eval}[a.cmd](a)
    except (OSError, ValueError) as e:
        print(f"rl.py {a.cmd}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
