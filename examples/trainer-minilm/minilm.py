#!/usr/bin/env python3
"""all-MiniLM-L6-v2 in plain torch: a BERT encoder, its WordPiece tokenizer and an ONNX importer.

The model comes from Maven Central as an ONNX graph plus a Hugging Face tokenizer.json
(fetch_model.sh). Debian has torch and onnx but neither transformers nor tokenizers, so both
are written here by hand; `check` proves the torch forward equal to the ONNX graph itself, run
node by node in numpy. Weights are saved under Hugging Face BERT tensor names, with a BERT config.json and
the tokenizer, so the directory loads as a BERT model elsewhere (it has no pooler: the ONNX
graph has none, and sentence embeddings are mean-pooled token states).

    python3 minilm.py import --onnx model/all-minilm-l6-v2.onnx \
        --tokenizer model/all-minilm-l6-v2-tokenizer.json --out ../../runs/minilm-base
    python3 minilm.py check --onnx model/all-minilm-l6-v2.onnx --model ../../runs/minilm-base
"""
import argparse
import json
import math
import os
import shutil
import sys
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))
from trainer import load_safetensors, save_safetensors  # noqa: E402  (one safetensors codec for both examples)

TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_FILE = "model.safetensors"


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)


class BertConfig:
    def __init__(self, vocab=30522, hidden=384, layers=6, heads=12, intermediate=1536, max_positions=512,
                 type_vocab=2, eps=1e-12):
        self.vocab, self.hidden, self.layers, self.heads = vocab, hidden, layers, heads
        self.intermediate, self.max_positions, self.type_vocab, self.eps = intermediate, max_positions, type_vocab, eps

    def to_json(self):
        # The keys transformers' BertConfig reads; dropout only matters to a trainer that enables it.
        return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": self.vocab,
                "hidden_size": self.hidden, "num_hidden_layers": self.layers, "num_attention_heads": self.heads,
                "intermediate_size": self.intermediate, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1, "max_position_embeddings": self.max_positions,
                "type_vocab_size": self.type_vocab, "initializer_range": 0.02, "layer_norm_eps": self.eps,
                "pad_token_id": 0, "position_embedding_type": "absolute", "torch_dtype": "float32"}

    @staticmethod
    def from_json(j):
        if j.get("model_type") != "bert" or j.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"not a BERT config with exact GELU: model_type={j.get('model_type')}")
        return BertConfig(j["vocab_size"], j["hidden_size"], j["num_hidden_layers"], j["num_attention_heads"],
                          j["intermediate_size"], j["max_position_embeddings"], j["type_vocab_size"],
                          j["layer_norm_eps"])


# ---- the encoder; attribute names spell the Hugging Face tensor names ----

class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab, c.hidden)
        self.position_embeddings = nn.Embedding(c.max_positions, c.hidden)
        self.token_type_embeddings = nn.Embedding(c.type_vocab, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        # Single sentences only: token type 0 everywhere, as the tokenizer's single template says.
        x = self.word_embeddings(ids) + self.token_type_embeddings.weight[0] + self.position_embeddings(pos)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)

    def forward(self, x, additive_mask):
        b, t, d = x.shape
        q, k, v = (p(x).view(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for p in (self.query, self.key, self.value))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + additive_mask
        return (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)


class DenseNorm(nn.Module):
    """Projection, residual add, LayerNorm: BERT's attention.output and output blocks."""

    def __init__(self, d_in, c):
        super().__init__()
        self.dense = nn.Linear(d_in, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c.hidden, c)

    def forward(self, x, additive_mask):
        return self.output(self.self(x, additive_mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden, c.intermediate)

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact erf GELU: the graph has Erf nodes, not tanh


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c.intermediate, c)

    def forward(self, x, additive_mask):
        x = self.attention(x, additive_mask)
        return self.output(self.intermediate(x), x)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c.layers))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, ids, mask):
        """Token states (last_hidden_state) for ids and a 0/1 attention mask, both (batch, length)."""
        # Same additive mask as the ONNX graph: (1 - mask) * float32 min, not -inf, so no NaN rows.
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x, additive)
        return x

    def embed(self, ids, mask):
        """Sentence embeddings as sentence-transformers makes them: masked mean pooling, unit length."""
        h = self.forward(ids, mask)
        m = mask[:, :, None].float()
        return F.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)


# ---- WordPiece tokenizer, from the Hugging Face tokenizer.json ----

def _is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    # BERT counts every non-alphanumeric ASCII character as punctuation ("$", "^", "`" too).
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    """BertNormalizer + BertPreTokenizer + WordPiece + the [CLS] A [SEP] template."""

    def __init__(self, path):
        j = read_json(path)
        model, norm = j["model"], j["normalizer"]
        if model["type"] != "WordPiece" or norm["type"] != "BertNormalizer":
            raise ValueError(f"{path}: expected a BERT WordPiece tokenizer, found {model['type']}/{norm['type']}")
        self.vocab = model["vocab"]
        self.unk = self.vocab[model["unk_token"]]
        self.prefix = model["continuing_subword_prefix"]
        self.max_chars = model["max_input_chars_per_word"]
        self.lowercase = norm["lowercase"]
        # tokenizers strips accents when strip_accents is null and lowercase is on, like BERT uncased.
        self.strip_accents = norm["strip_accents"] if norm["strip_accents"] is not None else norm["lowercase"]
        self.cjk = norm["handle_chinese_chars"]
        self.cls, self.sep, self.pad = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[PAD]"]

    def _normalize(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                out.append(" ")
            elif self.cjk and _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = "".join(out)
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        return text.lower() if self.lowercase else text

    @staticmethod
    def _pre_tokenize(text):
        words = []
        for chunk in text.split():
            cur = ""
            for ch in chunk:
                if _is_punctuation(ch):
                    if cur:
                        words.append(cur)
                    words.append(ch)
                    cur = ""
                else:
                    cur += ch
            if cur:
                words.append(cur)
        return words

    def _word_pieces(self, word):
        if len(word) > self.max_chars:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:  # greedy longest match first
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]  # like BERT: an unsplittable word is one [UNK], not partial pieces
            start = end
        return ids

    def encode(self, text, max_len=128):
        ids = [i for w in self._pre_tokenize(self._normalize(text)) for i in self._word_pieces(w)]
        return [self.cls] + ids[: max_len - 2] + [self.sep]

    def batch(self, texts, max_len=128):
        """Right-padded ids and attention mask, (len(texts), longest) int64 tensors."""
        seqs = [self.encode(t, max_len) for t in texts]
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
            mask[i, :len(s)] = 1
        return ids, mask


# ---- model directories ----

def save_model_dir(model, out_dir, tokenizer_path, dtype=torch.float32, metadata=None):
    """config.json, model.safetensors (dtype) and tokenizer.json; written to a temporary name first."""
    os.makedirs(out_dir, exist_ok=True)
    cfg = model.c.to_json()
    cfg["torch_dtype"] = {torch.float32: "float32", torch.bfloat16: "bfloat16"}[dtype]
    write_json(os.path.join(out_dir, "config.json"), cfg)
    shutil.copyfile(tokenizer_path, os.path.join(out_dir, TOKENIZER_FILE))
    save_safetensors(os.path.join(out_dir, WEIGHTS_FILE), model.state_dict(), dtype=dtype,
                     metadata={"format": "pt", **(metadata or {})})


def load_model_dir(path):
    """A model directory (or its model.safetensors) -> (Bert in f32, WordPiece). bf16 or f32 weights."""
    d = path if os.path.isdir(path) else os.path.dirname(path)
    for f in ("config.json", WEIGHTS_FILE, TOKENIZER_FILE):
        if not os.path.exists(os.path.join(d, f)):
            raise FileNotFoundError(f"{d}: no {f} (a model directory needs config.json, {WEIGHTS_FILE}, "
                                    f"{TOKENIZER_FILE})")
    model = Bert(BertConfig.from_json(read_json(os.path.join(d, "config.json"))))
    model.load_state_dict(load_safetensors(os.path.join(d, WEIGHTS_FILE)))
    return model.eval(), WordPiece(os.path.join(d, TOKENIZER_FILE))


# ---- ONNX import and the equivalence check ----

def _graph_facts(graph):
    """Attention heads, LayerNorm eps and the GELU flavour, read from the graph rather than assumed."""
    from onnx import numpy_helper
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"}
    eps = {float(v) for k, v in consts.items() if "LayerNorm/Constant_1" in k}
    heads = {int(v[0]) for k, v in consts.items() if k.endswith("attention/self/Constant_2_output_0")}
    erf = sum(n.op_type == "Erf" for n in graph.node)
    tanh = sum(n.op_type == "Tanh" for n in graph.node)
    if len(eps) != 1 or len(heads) != 1 or tanh or not erf:
        raise ValueError(f"unexpected graph: LayerNorm eps {eps}, heads {heads}, Erf {erf}, Tanh {tanh}")
    # The graph stores eps as float32 (9.99999996e-13); the config states the intended 1e-12.
    return heads.pop(), float(f"{eps.pop():.6g}")


def import_onnx(onnx_path):
    """Bert with the ONNX graph's initializers; MatMul weights ([in, out]) become nn.Linear ([out, in])."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(onnx_path).graph
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
    state = {k: v for k, v in inits.items() if not k.startswith("onnx::") and k != "embeddings.position_ids"}
    for n in g.node:
        # Exported MatMul weights are anonymous; the node's output name says which layer they belong to,
        # e.g. /encoder/layer.0/attention/self/query/MatMul_output_0.
        if n.op_type == "MatMul" and n.input[1] in inits:
            prefix = n.output[0].strip("/").rsplit("/", 1)[0].replace("/", ".")
            state[prefix + ".weight"] = inits[n.input[1]].t().contiguous()
    heads, eps = _graph_facts(g)
    we = state["embeddings.word_embeddings.weight"]
    layers = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.layer."))
    c = BertConfig(vocab=we.shape[0], hidden=we.shape[1], layers=layers, heads=heads,
                   intermediate=state["encoder.layer.0.intermediate.dense.weight"].shape[0],
                   max_positions=state["embeddings.position_embeddings.weight"].shape[0],
                   type_vocab=state["embeddings.token_type_embeddings.weight"].shape[0], eps=eps)
    model = Bert(c)
    model.load_state_dict(state)  # strict: every tensor of the graph used, none missing
    return model.eval()


CHECK_SENTENCES = ["Hello, World!", "The quick brown fox jumps over the lazy dog.",
                   "Café crème at 7:30 — naïve résumé?", "a"]
# Known bert-base-uncased ids: a tokenizer regression shows here before it shows in the model.
KNOWN_IDS = {"Hello, World!": [101, 7592, 1010, 2088, 999, 102]}


def cmd_import(a):
    model = import_onnx(a.onnx)
    save_model_dir(model, a.out, a.tokenizer)
    n = sum(p.numel() for p in model.parameters())
    print(json.dumps({"out": a.out, "parameters": n, "heads": model.c.heads, "layer_norm_eps": model.c.eps}))


def _np_dtype(onnx_type):
    import onnx
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return onnx.helper.tensor_dtype_to_np_dtype(onnx_type)
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def run_onnx_numpy(onnx_path, feeds):
    """Runs the graph node by node in numpy: an independent reference for the torch model.

    Debian's python3-onnx (1.12) predates onnx.reference and there is no onnxruntime, so this
    interprets the ops this export uses (opset 11 semantics), and refuses any other op.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper
    m = onnx.load(onnx_path)
    env = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    env.update(feeds)
    erf = np.vectorize(math.erf, otypes=[np.float64])

    def softmax(x, axis):  # opset < 13: flatten to 2-D at axis, normalise the trailing block
        flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
        e = np.exp(flat - flat.max(1, keepdims=True))
        return (e / e.sum(1, keepdims=True)).reshape(x.shape)

    def reshape(x, shape):
        shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]
        return x.reshape(shape)

    def slice_(x, starts, ends, axes=None, steps=None):
        idx = [slice(None)] * x.ndim
        axes = range(len(starts)) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        for s, e, ax, st in zip(starts, ends, axes, steps):
            idx[int(ax)] = slice(int(s), int(e), int(st))
        return x[tuple(idx)]

    ops = {
        "Add": lambda n, x, y: x + y, "Sub": lambda n, x, y: x - y, "Mul": lambda n, x, y: x * y,
        "Div": lambda n, x, y: x / y, "Pow": lambda n, x, y: np.power(x, y), "Sqrt": lambda n, x: np.sqrt(x),
        "MatMul": lambda n, x, y: x @ y, "Erf": lambda n, x: erf(x).astype(x.dtype),
        "Shape": lambda n, x: np.array(x.shape, dtype=np.int64),
        "Gather": lambda n, x, i: np.take(x, i, axis=n.get("axis", 0)),
        "Unsqueeze": lambda n, x: np.expand_dims(x, tuple(n["axes"])),
        "Cast": lambda n, x: x.astype(_np_dtype(n["to"])),
        "Concat": lambda n, *xs: np.concatenate(xs, axis=n["axis"]),
        "Reshape": lambda n, x, s: reshape(x, s), "Transpose": lambda n, x: x.transpose(n["perm"]),
        "ReduceMean": lambda n, x: x.mean(axis=tuple(n["axes"]), keepdims=bool(n.get("keepdims", 1))),
        "Softmax": lambda n, x: softmax(x, n.get("axis", 1) % x.ndim), "Slice": lambda n, x, *r: slice_(x, *r),
    }
    for node in m.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Constant":
            env[node.output[0]] = numpy_helper.to_array(attrs["value"])
            continue
        if node.op_type not in ops:
            raise ValueError(f"{onnx_path}: op {node.op_type} is not supported by the numpy reference")
        env[node.output[0]] = ops[node.op_type](attrs, *(env[i] for i in node.input))
    return [env[o.name] for o in m.graph.output]


def cmd_check(a):
    import numpy as np
    model, tok = load_model_dir(a.model)
    for text, ids in KNOWN_IDS.items():
        if tok.encode(text) != ids:
            print(f"tokenizer mismatch on {text!r}: {tok.encode(text)} != {ids}")
            return 1
    ids, mask = tok.batch(CHECK_SENTENCES)
    with torch.no_grad():
        mine = model(ids, mask).numpy()
    ref = run_onnx_numpy(a.onnx, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                  "token_type_ids": np.zeros_like(ids.numpy())})[0]
    valid = mask.numpy().astype(bool)
    diff = float(np.abs(mine - ref)[valid].max())
    ok = diff < a.tol
    print(json.dumps({"sentences": len(CHECK_SENTENCES), "tokens": int(valid.sum()), "max_abs_diff": diff,
                      "max_abs_value": float(np.abs(ref[valid]).max()), "tolerance": a.tol, "ok": ok}))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("import", help="ONNX graph + tokenizer.json -> Hugging Face BERT model directory (f32)")
    i.add_argument("--onnx", required=True)
    i.add_argument("--tokenizer", required=True)
    i.add_argument("--out", required=True)
    c = sub.add_parser("check", help="torch forward of a model directory against onnx's reference evaluator")
    c.add_argument("--onnx", required=True)
    c.add_argument("--model", required=True)
    c.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    try:
        return {"import": cmd_import, "check": cmd_check}[a.cmd](a) or 0
    except (OSError, ValueError) as e:
        print(f"minilm.py {a.cmd}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
