#!/usr/bin/env python3
"""A small, real RL fine-tuning run for AlphaRL Stream, on CPU with Debian's python3-torch.

A tiny Llama-style character-level GPT (RMSNorm, q/k/v/o attention, gate/up/down SwiGLU MLP,
Hugging Face tensor names) learns multi-digit addition: `pretrain` teaches it by supervised
next-character prediction, deliberately short so that RL has room to improve; `grpo` fine-tunes
it with Group Relative Policy Optimization against a verifiable reward (exact answer), writing a
checkpoint-<step>/ directory in the Hugging Face Trainer layout (model.safetensors,
trainer_state.json with the reward and a held-out eval accuracy) and a progress.jsonl line per
step. `eval` scores any safetensors model of this architecture.

The trainer talks to AlphaRL through integrations/python/alpharl_trainer.py, as any trainer
would: it logs each step's progress values with `log_progress` and obeys the agent's early-stop
decision with `should_stop` (a STOP file in the output directory, or the agent's poll endpoint
with --poll-url), stopping after the current step with a checkpoint of it.

    python3 trainer.py pretrain --out runs/base
    python3 trainer.py grpo --base runs/base/model.safetensors --out runs/grpo-seed1 --steps 200
    python3 trainer.py eval --model runs/grpo-seed1/checkpoint-200/model.safetensors
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations", "python"))
import alpharl_trainer  # noqa: E402  (standard library only)

VOCAB = list("0123456789+=") + ["<eos>", "<pad>"]
STOI = {c: i for i, c in enumerate(VOCAB)}
EOS, PAD = STOI["<eos>"], STOI["<pad>"]


class Config:
    def __init__(self, d_model=64, n_layers=2, n_heads=4, d_ff=176, digits=3, max_len=16):
        self.d_model, self.n_layers, self.n_heads, self.d_ff = d_model, n_layers, n_heads, d_ff
        self.digits, self.max_len, self.vocab = digits, max_len, len(VOCAB)

    def to_json(self):
        return {"model_type": "alpharl-tiny-llama", "hidden_size": self.d_model, "num_hidden_layers": self.n_layers,
                "num_attention_heads": self.n_heads, "intermediate_size": self.d_ff, "vocab_size": self.vocab,
                "max_position_embeddings": self.max_len, "task_digits": self.digits, "torch_dtype": "bfloat16"}

    @staticmethod
    def from_json(j):
        return Config(j["hidden_size"], j["num_hidden_layers"], j["num_attention_heads"], j["intermediate_size"],
                      j["task_digits"], j["max_position_embeddings"])


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h = c.n_heads
        self.q_proj = nn.Linear(c.d_model, c.d_model, bias=False)
        self.k_proj = nn.Linear(c.d_model, c.d_model, bias=False)
        self.v_proj = nn.Linear(c.d_model, c.d_model, bias=False)
        self.o_proj = nn.Linear(c.d_model, c.d_model, bias=False)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (p(x).view(b, t, self.h, d // self.h).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.h)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        return self.o_proj((att @ v).transpose(1, 2).reshape(b, t, d))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.up_proj = nn.Linear(c.d_model, c.d_ff, bias=False)
        self.down_proj = nn.Linear(c.d_ff, c.d_model, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm, self.self_attn = RMSNorm(c.d_model), Attention(c)
        self.post_attention_layernorm, self.mlp = RMSNorm(c.d_model), MLP(c)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.d_model)
        self.embed_positions = nn.Embedding(c.max_len, c.d_model)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.n_layers))
        self.norm = RMSNorm(c.d_model)
        self.lm_head = nn.Linear(c.d_model, c.vocab, bias=False)

    def forward(self, idx):
        x = self.embed_tokens(idx) + self.embed_positions(torch.arange(idx.shape[1]))
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm(x))

    def hf_state(self):
        """Tensors under Hugging Face Llama names."""
        out = {}
        for k, v in self.state_dict().items():
            name = k if k.startswith("lm_head") else "model." + k
            out[name] = v
        return out

    def load_hf_state(self, tensors):
        self.load_state_dict({(k if k.startswith("lm_head") else k[len("model."):]): v for k, v in tensors.items()})


# ---- safetensors (written by hand: Debian has no safetensors package) ----

DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
TORCH = {v: k for k, v in DTYPES.items()}


def save_safetensors(path, tensors, dtype=torch.bfloat16, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(dtype).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype in (torch.bfloat16, torch.float16) else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = TORCH[info["dtype"]]
        if dt == torch.float32:
            t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32)
        else:
            t = torch.frombuffer(bytearray(data[a:b]), dtype=torch.int16).view(dt)
        out[name] = t.reshape(info["shape"]).float()
    return out


def load_model(path):
    cfg_path = os.path.join(os.path.dirname(path), "config.json")
    c = Config.from_json(json.load(open(cfg_path))) if os.path.exists(cfg_path) else Config()
    m = Model(c)
    m.load_hf_state(load_safetensors(path))
    return m


def save_model_dir(model, out_dir, extra=None):
    os.makedirs(out_dir, exist_ok=True)
    json.dump(model.c.to_json(), open(os.path.join(out_dir, "config.json"), "w"), indent=1)
    save_safetensors(os.path.join(out_dir, "model.safetensors"), model.hf_state(), metadata={"format": "pt", **(extra or {})})


# ---- the task ----

def problem(rng, digits):
    a, b = rng.randrange(10 ** digits), rng.randrange(10 ** digits)
    return f"{a}+{b}=", str(a + b)


def encode(s):
    return [STOI[c] for c in s]


def fixed_eval_set(digits, n=300, seed=12345):
    rng = random.Random(seed)
    return [problem(rng, digits) for _ in range(n)]


@torch.no_grad()
def generate(model, prompts, max_new, greedy=True, temperature=1.0):
    """Left-padded batch decoding; returns the completions (strings) and their token ids."""
    width = max(len(p) for p in prompts)
    idx = torch.full((len(prompts), width), PAD, dtype=torch.long)
    for i, p in enumerate(prompts):
        idx[i, width - len(p):] = torch.tensor(encode(p))
    outs = [[] for _ in prompts]
    done = [False] * len(prompts)
    for _ in range(max_new):
        logits = model(idx[:, -model.c.max_len:])[:, -1, :]
        logits[:, PAD] = float("-inf")
        nxt = logits.argmax(-1) if greedy else torch.multinomial((logits / temperature).softmax(-1), 1).squeeze(-1)
        for i, t in enumerate(nxt.tolist()):
            if not done[i]:
                outs[i].append(t)
                done[i] = t == EOS
        idx = torch.cat([idx, nxt[:, None]], 1)
        if all(done):
            break
    text = ["".join(VOCAB[t] for t in o if t != EOS) for o in outs]
    return text, outs


def accuracy(model, problems):
    correct = 0
    for i in range(0, len(problems), 100):
        batch = problems[i:i + 100]
        text, _ = generate(model, [p for p, _ in batch], model.c.digits + 2)
        correct += sum(t == a for t, (_, a) in zip(text, batch))
    return correct / len(problems)


# ---- commands ----

def cmd_pretrain(a):
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    c = Config(digits=a.digits)
    m = Model(c)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.01)
    evalset = fixed_eval_set(c.digits)
    for step in range(1, a.steps + 1):
        seqs = []
        for _ in range(128):
            p, ans = problem(rng, c.digits)
            seqs.append(encode(p + ans) + [EOS])
        width = max(map(len, seqs))
        x = torch.full((len(seqs), width), PAD, dtype=torch.long)
        for i, s in enumerate(seqs):
            x[i, :len(s)] = torch.tensor(s)
        logits = m(x[:, :-1])
        tgt = x[:, 1:].clone()
        # Learn the answer only: the operands are random, so predicting them teaches nothing.
        for i, s in enumerate(seqs):
            tgt[i, : s.index(STOI["="])] = PAD
        loss = F.cross_entropy(logits.reshape(-1, c.vocab), tgt.reshape(-1), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == a.steps:
            print(f"pretrain step {step} loss {loss.item():.3f} eval accuracy {accuracy(m, evalset):.3f}", flush=True)
    save_model_dir(m, a.out)
    print(f"base model written to {a.out}", flush=True)


def cmd_grpo(a):
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    m = load_model(a.base)
    c = m.c
    opt = torch.optim.Adam(m.parameters(), lr=a.lr)
    evalset = fixed_eval_set(c.digits)
    os.makedirs(a.out, exist_ok=True)
    history = []

    def checkpoint(step, reward, eval_acc):
        d = os.path.join(a.out, f"checkpoint-{step}")
        tmp = os.path.join(a.out, f"tmp-checkpoint-{step}")
        save_model_dir(m, tmp)
        history.append({"step": step, "reward": reward, "eval_accuracy": eval_acc})
        json.dump({"global_step": step, "max_steps": a.steps, "log_history": history},
                  open(os.path.join(tmp, "trainer_state.json"), "w"), indent=1)
        os.replace(tmp, d)  # like transformers: a checkpoint appears complete or not at all

    checkpoint(0, None, accuracy(m, evalset))
    print(f"grpo step 0 eval accuracy {history[-1]['eval_accuracy']:.3f}", flush=True)
    for step in range(1, a.steps + 1):
        prompts = [problem(rng, c.digits) for _ in range(a.prompts)]
        flat = [p for p, _ in prompts for _ in range(a.group)]
        m.eval()
        text, toks = generate(m, flat, c.digits + 2, greedy=False, temperature=a.temperature)
        rewards = torch.tensor([1.0 if t == prompts[i // a.group][1] else 0.0 for i, t in enumerate(text)])
        grouped = rewards.view(a.prompts, a.group)
        adv = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-4)).view(-1)
        # Policy gradient on the sampled tokens (GRPO without clipping: one update per batch).
        m.train()
        seqs = [encode(p) + t for p, t in zip(flat, toks)]
        width = max(map(len, seqs))
        x = torch.full((len(seqs), width), PAD, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.bool)
        for i, (p, s) in enumerate(zip(flat, seqs)):
            x[i, :len(s)] = torch.tensor(s)
            mask[i, len(p):len(s)] = True
        logp = m(x[:, :-1]).log_softmax(-1).gather(-1, x[:, 1:, None]).squeeze(-1)
        m_ = mask[:, 1:]
        per_seq = (logp * m_).sum(1) / m_.sum(1).clamp(min=1)
        loss = -(adv * per_seq).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        reward = rewards.mean().item()

        def save_step():
            m.eval()
            acc = accuracy(m, evalset)
            checkpoint(step, reward, acc)
            print(f"grpo step {step} reward {reward:.3f} eval accuracy {acc:.3f}", flush=True)
            return {"eval_accuracy": acc}

        due = step % a.save_every == 0 or step == a.steps
        if end_of_step(a.out, step, {"reward": reward}, due, save_step, a.poll_url) is not None:
            return 3
    return 0


def end_of_step(out, step, values, due, save, poll_url=None):
    """Obeys AlphaRL's early-stop decision and logs a step's progress values for it.

    The decision is read before the step's save, which is made when due or when a decision came:
    so the stop step's checkpoint is always saved after the decision was read, which is how the
    agent knows the trainer's last one (read after a save that was due anyway, a STOP written
    in between stopped the trainer on a checkpoint older than itself, and the agent never closed
    the run). save() may return more values to log (the checkpoint's eval accuracy). Returns the
    decision, or None.
    """
    decision = alpharl_trainer.should_stop(out, poll_url)
    if due or decision is not None:
        values = dict(values, **(save() or {}))
    alpharl_trainer.log_progress(out, step, **values)
    if decision is not None:
        print(f"AlphaRL early stop after step {step}: {decision.get('reason', '')} "
              f"(predicted model: {decision.get('predicted_model', 'none')})", flush=True)
    return decision


def cmd_eval(a):
    m = load_model(a.model)
    m.eval()
    acc = accuracy(m, fixed_eval_set(m.c.digits, n=a.n, seed=a.seed))
    print(json.dumps({"model": a.model, "eval_accuracy": acc, "problems": a.n}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pretrain")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--digits", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    g = sub.add_parser("grpo")
    g.add_argument("--base", required=True, help="base model.safetensors (its config.json beside it)")
    g.add_argument("--out", required=True)
    g.add_argument("--steps", type=int, default=200)
    g.add_argument("--save-every", type=int, default=5)
    g.add_argument("--prompts", type=int, default=16)
    g.add_argument("--group", type=int, default=8)
    g.add_argument("--lr", type=float, default=3e-4)
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--poll-url", help="the agent's early-stop endpoint, http://127.0.0.1:PORT/control (agent watch --control-port PORT); "
                   "the STOP file works without it")
    e = sub.add_parser("eval")
    e.add_argument("--model", required=True)
    e.add_argument("--n", type=int, default=1000)
    e.add_argument("--seed", type=int, default=777)
    a = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    sys.exit({"pretrain": cmd_pretrain, "grpo": cmd_grpo, "eval": cmd_eval}[a.cmd](a) or 0)


if __name__ == "__main__":
    main()
