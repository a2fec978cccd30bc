#!/usr/bin/python3
"""Train a deterministic zoo of tiny byte-level language models for calibration.

Every model is trained from scratch on CPU (one thread) and written as a Hugging
Face-style folder (config.json + model.safetensors, tensor names in Llama / GPT-2
spellings). manifest.json in --out lists every model and every pair with its
ground truth (independent-seed, independent-data, independent-arch,
derived-finetune). See docs/calibration-zoo.md.

Usage:
  /usr/bin/python3 scripts/train-zoo.py --out /tmp/zoo [--seeds 4] [--steps S]
      [--only llama|gpt2|mlp] [--no-finetunes] [--seed-offset K] [--verify-determinism]

--seed-offset K shifts every base seed by K (default 0), so a second zoo with K >= the
first's --seeds shares no initialisation or batch stream with it (a disjoint calibration set).

Resumable: a model whose folder exists and whose model.safetensors hashes to
the sha256 the manifest recorded for the same spec is skipped.

Needs Debian's python3-numpy and python3-torch (no other packages; the
safetensors file is written by hand).
"""

import argparse
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ZOO_VERSION = 1
VOCAB = 260  # bytes 0-255, 256 BOS, 257 EOS (document separator), 258 PAD, 259 spare
BOS, EOS = 256, 257
CTX = 64
BATCH = 16
HELDOUT_FRACTION = 0.05
EVAL_BATCHES = 8
EVAL_SEED = 424242
CORPUS_B_BYTES = 5_000_000

# Tiny architectures. llama and mlp share d_model / intermediate, so their
# embeddings, lm_head and MLP matrices have the same shapes (independent-arch pairs).
ARCHS = {
    "llama": dict(d=64, layers=2, heads=4, ff=176, lr=3e-3, dtype="BF16"),
    "gpt2": dict(d=96, layers=2, heads=4, ff=384, lr=3e-3, dtype="F32"),
    "mlp": dict(d=64, layers=3, ff=176, lr=3e-3, dtype="BF16"),
}
ARCH_INDEX = {"llama": 0, "gpt2": 1, "mlp": 2}
CORPORA = ("A", "B")
DEFAULT_STEPS = {"llama": 300, "gpt2": 300, "mlp": 300}
FINETUNE_STEP_FRACTION = 0.3
FINETUNE_LR_DIVISOR = 5.0


# ----------------------------------------------------------------------------- corpora

def _read_docs(paths):
    docs = []
    for p in paths:
        with open(p, "rb") as fh:
            docs.append(fh.read())
    return docs


def corpus_files(name):
    if name == "A":
        root = "/usr/share/common-licenses"
        names = sorted(os.listdir(root))
        # Regular files only: the symlinks (GPL -> GPL-3, ...) would duplicate texts.
        return [os.path.join(root, n) for n in names
                if os.path.isfile(os.path.join(root, n)) and not os.path.islink(os.path.join(root, n))]
    if name == "B":
        root = "/usr/lib/python3.11"
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for f in filenames:
                full = os.path.join(dirpath, f)
                if f.endswith(".py") and not os.path.islink(full):
                    files.append(full)
        files.sort(key=lambda p: os.path.relpath(p, root))
        out, total = [], 0
        for p in files:
            if total >= CORPUS_B_BYTES:
                break
            out.append(p)
            total += os.path.getsize(p) + 1
        return out
    raise ValueError(name)


def load_corpus(name):
    """Token stream (uint16): documents' bytes joined by EOS; B is cut at 5,000,000 tokens."""
    docs = _read_docs(corpus_files(name))
    parts = []
    for d in docs:
        parts.append(np.frombuffer(d, dtype=np.uint8).astype(np.uint16))
        parts.append(np.array([EOS], dtype=np.uint16))
    toks = np.concatenate(parts)
    if name == "B":
        toks = toks[:CORPUS_B_BYTES]
    split = int(len(toks) * (1 - HELDOUT_FRACTION))
    info = dict(documents=len(docs), tokens=int(len(toks)),
                sha256=hashlib.sha256(toks.tobytes()).hexdigest(), heldout_from=split)
    return toks[:split], toks[split:], info


def batch(toks, rng):
    starts = rng.randint(0, len(toks) - CTX - 1, size=BATCH)
    x = np.stack([toks[s:s + CTX + 1] for s in starts]).astype(np.int64)
    # Every window starts with BOS (its first byte is dropped), like the tiny fixtures.
    x[:, 0] = BOS
    t = torch.from_numpy(x)
    return t[:, :-1], t[:, 1:]


# ----------------------------------------------------------------------------- models

class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, theta=10000.0):
    # x: [B, H, T, hd]; rotate halves (Hugging Face Llama convention).
    T, hd = x.shape[-2], x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)
    sin = torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    rot = torch.cat([-x2, x1], -1)
    return x * cos + rot * sin


def causal_attention(q, k, v):
    T = q.shape[-2]
    att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    att = att.masked_fill(mask, float("-inf")).softmax(-1)
    return att @ v


def lin(x, w, b=None):
    """x [B, T, in] @ w[out, in].T (+ b) as a 1x1 convolution: Debian's torch links the
    reference BLAS, and oneDNN's convolution is ~10x faster than aten::mm here."""
    return F.conv1d(x.transpose(1, 2), w.unsqueeze(-1), b).transpose(1, 2)


class Linear(nn.Module):
    """nn.Linear without bias, weight [out, in] (Hugging Face layout), computed by lin()."""

    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nout, nin).normal_(std=0.02))

    def forward(self, x):
        return lin(x, self.weight)


class SwiGLU(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.gate_proj = Linear(d, ff)
        self.up_proj = Linear(d, ff)
        self.down_proj = Linear(ff, d)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaAttn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.q_proj = Linear(d, d)
        self.k_proj = Linear(d, d)
        self.v_proj = Linear(d, d)
        self.o_proj = Linear(d, d)

    def forward(self, x):
        B, T, d = x.shape
        sh = lambda t: t.view(B, T, self.h, d // self.h).transpose(1, 2)
        q, k, v = sh(self.q_proj(x).contiguous()), sh(self.k_proj(x).contiguous()), sh(self.v_proj(x).contiguous())
        y = causal_attention(rope(q), rope(k), v)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, d))


class LlamaLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = LlamaAttn(d, heads)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = SwiGLU(d, ff)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaInner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, c["d"])
        self.layers = nn.ModuleList(LlamaLayer(c["d"], c["heads"], c["ff"]) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"])


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = LlamaInner(c)
        self.lm_head = Linear(c["d"], VOCAB)
        for m in self.modules():
            if isinstance(m, (Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx):
        x = self.model.embed_tokens(idx)
        for l in self.model.layers:
            x = l(x)
        return self.lm_head(self.model.norm(x))

    def export(self):
        return {k: v for k, v in self.state_dict().items()}


class TokenShiftLayer(nn.Module):
    """Attention-free block: a causal token shift (mix of the previous position) + SwiGLU."""

    def __init__(self, d, ff):
        super().__init__()
        self.post_attention_layernorm = RMSNorm(d)
        self.time_mix = nn.Parameter(torch.zeros(d))
        self.mlp = SwiGLU(d, ff)

    def forward(self, x):
        h = self.post_attention_layernorm(x)
        prev = F.pad(h, (0, 0, 1, 0))[:, :-1]
        mix = torch.sigmoid(self.time_mix)
        return x + self.mlp(h * (1 - mix) + prev * mix)


class MLPInner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, c["d"])
        self.layers = nn.ModuleList(TokenShiftLayer(c["d"], c["ff"]) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"])


class ByteMLP(Llama):
    def __init__(self, c):
        nn.Module.__init__(self)
        self.model = MLPInner(c)
        self.lm_head = Linear(c["d"], VOCAB)
        for m in self.modules():
            if isinstance(m, (Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)


class Conv1D(nn.Module):
    """GPT-2's Conv1D: weight stored [in, out], y = x @ W + b."""

    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nin, nout).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(nout))

    def forward(self, x):
        return lin(x, self.weight.t(), self.bias)


class GPT2Attn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=-1)
        sh = lambda t: t.reshape(B, T, self.h, d // self.h).transpose(1, 2)
        y = causal_attention(sh(q), sh(k), sh(v))
        return self.c_proj(y.transpose(1, 2).reshape(B, T, d))


class GPT2MLP(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.c_fc = Conv1D(d, ff)
        self.c_proj = Conv1D(ff, d)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class GPT2Block(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = GPT2Attn(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = GPT2MLP(d, ff)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, c["d"])
        self.wpe = nn.Embedding(CTX, c["d"])
        self.h = nn.ModuleList(GPT2Block(c["d"], c["heads"], c["ff"]) for _ in range(c["layers"]))
        self.ln_f = nn.LayerNorm(c["d"], eps=1e-5)


class GPT2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = GPT2Inner(c)
        nn.init.normal_(self.transformer.wte.weight, std=0.02)
        nn.init.normal_(self.transformer.wpe.weight, std=0.01)

    def forward(self, idx):
        t = self.transformer
        pos = torch.arange(idx.shape[1])
        x = t.wte(idx) + t.wpe(pos)[None]
        for b in t.h:
            x = b(x)
        return lin(t.ln_f(x), t.wte.weight)  # tied lm_head

    def export(self):
        # Tied embeddings: like Hugging Face, no lm_head.weight in the file.
        return {k: v for k, v in self.state_dict().items()}


def build(arch):
    c = ARCHS[arch]
    return {"llama": Llama, "gpt2": GPT2, "mlp": ByteMLP}[arch](c)


def hf_config(arch):
    c = ARCHS[arch]
    dtype = {"BF16": "bfloat16", "F32": "float32"}[c["dtype"]]
    if arch == "llama":
        return {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": c["d"], "intermediate_size": c["ff"],
            "num_hidden_layers": c["layers"], "num_attention_heads": c["heads"],
            "num_key_value_heads": c["heads"], "head_dim": c["d"] // c["heads"],
            "hidden_act": "silu", "max_position_embeddings": CTX, "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "vocab_size": VOCAB, "bos_token_id": BOS, "eos_token_id": EOS,
            "pad_token_id": 258, "tie_word_embeddings": False, "torch_dtype": dtype,
        }
    if arch == "gpt2":
        return {
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "n_embd": c["d"], "n_layer": c["layers"], "n_head": c["heads"], "n_inner": c["ff"],
            "n_positions": CTX, "n_ctx": CTX, "activation_function": "gelu_new",
            "layer_norm_epsilon": 1e-5, "vocab_size": VOCAB, "bos_token_id": BOS,
            "eos_token_id": EOS, "tie_word_embeddings": True, "torch_dtype": dtype,
        }
    return {
        "architectures": ["ByteMLPForCausalLM"], "model_type": "byte-mlp",
        "hidden_size": c["d"], "intermediate_size": c["ff"], "num_hidden_layers": c["layers"],
        "hidden_act": "silu", "token_shift": True, "rms_norm_eps": 1e-5, "vocab_size": VOCAB,
        "bos_token_id": BOS, "eos_token_id": EOS, "tie_word_embeddings": False, "torch_dtype": dtype,
    }


# ----------------------------------------------------------------------------- safetensors

def tensor_bytes(t, dtype):
    t = t.detach().contiguous()
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "BF16":
        # torch's float32 -> bfloat16 conversion rounds to nearest even; reinterpret as int16.
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype):
    """tensors: ordered dict name -> torch tensor. Names sorted, data contiguous."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":"), sort_keys=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[a:b]
        if e["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())
        elif e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16).to(torch.float32)
        else:
            raise ValueError(e["dtype"])
        out[name] = t.reshape(e["shape"])
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------- training

def lr_at(step, steps, peak):
    warm = max(1, steps // 10)
    if step < warm:
        return peak * (step + 1) / warm
    p = (step - warm) / max(1, steps - warm)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


@torch.no_grad()
def evaluate(model, heldout):
    model.eval()
    rng = np.random.RandomState(EVAL_SEED)
    tot = 0.0
    for _ in range(EVAL_BATCHES):
        x, y = batch(heldout, rng)
        tot += F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1)).item()
    model.train()
    return tot / EVAL_BATCHES


def train(model, train_toks, heldout, steps, lr, data_seed):
    rng = np.random.RandomState(data_seed)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": nodecay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    losses = []
    model.train()
    for s in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(s, steps, lr)
        x, y = batch(train_toks, rng)
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    tail = max(1, steps // 10)
    return dict(first_loss=round(losses[0], 4), final_train_loss=round(float(np.mean(losses[-tail:])), 4),
                final_train_loss_window=tail)


# ----------------------------------------------------------------------------- plan

def other(corpus):
    return "B" if corpus == "A" else "A"


def plan(seeds, steps_override, only, finetunes, seed_offset=0):
    """Base models and fine-tunes in training order (a fine-tune after its base)."""
    archs = [only] if only else list(ARCHS)
    items = []
    for arch in archs:
        steps = steps_override or DEFAULT_STEPS[arch]
        for corpus in CORPORA:
            for i in range(seeds):
                # Globally unique seeds: no two base models share an init or a batch stream.
                seed = 1 + 1000 * ARCH_INDEX[arch] + 100 * CORPORA.index(corpus) + seed_offset + i
                base = dict(kind="base", path=f"{arch}-{corpus}-s{seed}", arch=arch, corpus=corpus,
                            seed=seed, data_seed=seed, steps=steps, lr=ARCHS[arch]["lr"])
                items.append(base)
                if finetunes:
                    items.append(dict(kind="finetune", path=f"{base['path']}-ft{other(corpus)}", arch=arch,
                                      corpus=other(corpus), base=base["path"], seed=seed,
                                      data_seed=seed + 50000,
                                      steps=max(1, round(steps * FINETUNE_STEP_FRACTION)),
                                      lr=ARCHS[arch]["lr"] / FINETUNE_LR_DIVISOR))
    return items


def spec_of(item, base_sha=None):
    s = dict(zoo_version=ZOO_VERSION, arch=item["arch"], arch_config=ARCHS[item["arch"]],
             corpus=item["corpus"], seed=item["seed"], data_seed=item["data_seed"], steps=item["steps"],
             lr=item["lr"], batch=BATCH, ctx=CTX, vocab=VOCAB, kind=item["kind"], base_sha256=base_sha)
    return hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()


def pairs_of(models):
    """Every pair of models with known ground truth (candidate, reference)."""
    by_path = {m["path"]: m for m in models}
    lineage = {m["path"]: (m.get("base") or m["path"]) for m in models}
    out = []
    ms = sorted(models, key=lambda m: m["path"])
    for i, a in enumerate(ms):
        for b in ms[i + 1:]:
            if a["arch"] != b["arch"]:
                continue
            if lineage[a["path"]] == lineage[b["path"]]:
                ft, base = (a, b) if a["kind"] == "finetune" else (b, a)
                out.append(dict(candidate=ft["path"], reference=base["path"], ground_truth="derived-finetune",
                                arch=a["arch"], kinds="finetune-base", primary=True))
                continue
            # Different lineages. Corpus of the *base* training run decides seed vs data.
            ca, cb = by_path[lineage[a["path"]]]["corpus"], by_path[lineage[b["path"]]]["corpus"]
            gt = "independent-seed" if ca == cb else "independent-data"
            kinds = "-".join(sorted([a["kind"], b["kind"]]))
            out.append(dict(candidate=a["path"], reference=b["path"], ground_truth=gt, arch=a["arch"],
                            kinds=kinds, primary=(kinds == "base-base")))
    # Different architectures with the same shapes (llama vs mlp): the i-th seed of each per corpus.
    bases = [m for m in ms if m["kind"] == "base"]
    for corpus in CORPORA:
        ll = [m for m in bases if m["arch"] == "llama" and m["corpus"] == corpus]
        mm = [m for m in bases if m["arch"] == "mlp" and m["corpus"] == corpus]
        for a, b in zip(sorted(mm, key=lambda m: m["seed"]), sorted(ll, key=lambda m: m["seed"])):
            out.append(dict(candidate=a["path"], reference=b["path"], ground_truth="independent-arch",
                            arch="mlp/llama", kinds="base-base", primary=False))
    return out


# ----------------------------------------------------------------------------- main

def load_manifest(out):
    p = os.path.join(out, "manifest.json")
    if os.path.exists(p):
        with open(p) as fh:
            return json.load(fh)
    return None


def save_manifest(out, manifest):
    p = os.path.join(out, "manifest.json")
    with open(p + ".tmp", "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    os.replace(p + ".tmp", p)


def train_one(item, out, corpora, base_state=None):
    c = ARCHS[item["arch"]]
    torch.manual_seed(item["seed"])
    model = build(item["arch"])
    if base_state is not None:
        # Fine-tune from the base as released (its stored dtype), tied weights restored.
        sd = model.state_dict()
        for k in sd:
            sd[k].copy_(base_state[k])
    train_toks, held, _ = corpora[item["corpus"]]
    t0 = time.time()
    before = evaluate(model, held)
    stats = train(model, train_toks, held, item["steps"], item["lr"], item["data_seed"])
    stats["heldout_loss_before"] = round(before, 4)
    stats["heldout_loss"] = round(evaluate(model, held), 4)
    oc = other(item["corpus"])
    stats[f"heldout_loss_{oc}"] = round(evaluate(model, corpora[oc][1]), 4)
    stats["seconds"] = round(time.time() - t0, 2)
    folder = os.path.join(out, item["path"])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump(hf_config(item["arch"]), fh, indent=2)
        fh.write("\n")
    tensors = model.export()
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors, c["dtype"])
    stats["parameters"] = int(sum(t.numel() for t in tensors.values()))
    stats["dtype"] = c["dtype"]
    stats["sha256"] = sha256_file(os.path.join(folder, "model.safetensors"))
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, default=4, help="models per architecture x corpus (default 4)")
    ap.add_argument("--steps", type=int, default=None, help="training steps of a base model (default per arch)")
    ap.add_argument("--only", choices=list(ARCHS), default=None)
    ap.add_argument("--no-finetunes", action="store_true")
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="added to every base seed (a zoo disjoint from one trained with --seeds <= K)")
    ap.add_argument("--verify-determinism", action="store_true",
                    help="train the first planned model a second time in memory and compare sha256")
    a = ap.parse_args()

    t_start = time.time()
    os.makedirs(a.out, exist_ok=True)
    corpora = {}
    for name in CORPORA:
        corpora[name] = load_corpus(name)
    corpus_info = {n: corpora[n][2] for n in CORPORA}
    old = load_manifest(a.out) or {}
    old_models = {m["path"]: m for m in old.get("models", [])}
    if old.get("corpora") and old["corpora"] != corpus_info:
        print("warning: corpora differ from the existing manifest's; every model is retrained", file=sys.stderr)
        old_models = {}

    if a.seed_offset < 0 or a.seed_offset + a.seeds > 100:
        ap.error("--seed-offset + --seeds must stay within 0..100 (seeds are numbered per architecture x corpus)")
    items = plan(a.seeds, a.steps, a.only, not a.no_finetunes, a.seed_offset)
    models = {p: m for p, m in old_models.items()}  # kept unless retrained below
    trained = skipped = 0
    for item in items:
        base_sha = models[item["base"]]["sha256"] if item["kind"] == "finetune" else None
        spec = spec_of(item, base_sha)
        prev = old_models.get(item["path"])
        st = os.path.join(a.out, item["path"], "model.safetensors")
        if prev and prev.get("spec") == spec and os.path.exists(st) and sha256_file(st) == prev["sha256"]:
            skipped += 1
            continue
        base_state = None
        if item["kind"] == "finetune":
            # gpt2 is tied: the file has no lm_head.weight and the model has none to load.
            base_state = read_safetensors(os.path.join(a.out, item["base"], "model.safetensors"))
        stats = train_one(item, a.out, corpora, base_state)
        entry = {k: item[k] for k in ("path", "kind", "arch", "corpus", "seed", "data_seed", "steps", "lr")}
        if item["kind"] == "finetune":
            entry["base"] = item["base"]
            entry["base_sha256"] = base_sha
        entry.update(stats)
        entry["spec"] = spec
        models[item["path"]] = entry
        trained += 1
        print(f"{item['path']:28s} {stats['parameters']:>8,d} params  {item['steps']:4d} steps  "
              f"loss {stats['first_loss']:.3f} -> {stats['final_train_loss']:.3f}  held-out "
              f"{stats['heldout_loss_before']:.3f} -> {stats['heldout_loss']:.3f}  {stats['seconds']:.1f}s",
              flush=True)
        save_manifest(a.out, manifest_of(models, corpus_info))

    manifest = manifest_of(models, corpus_info)
    save_manifest(a.out, manifest)
    n_ind = sum(1 for p in manifest["pairs"] if p["ground_truth"].startswith("independent") and p["primary"])
    print(f"trained {trained}, skipped {skipped}; {len(manifest['models'])} models, {len(manifest['pairs'])} pairs "
          f"({n_ind} primary independent); {time.time() - t_start:.1f}s", flush=True)

    if a.verify_determinism:
        item = items[0]
        stats = train_one(dict(item, path=".determinism"), a.out, corpora)
        same = stats["sha256"] == models[item["path"]]["sha256"]
        print(f"determinism: {item['path']} retrained -> sha256 {stats['sha256'][:16]} "
              f"{'==' if same else '!='} {models[item['path']]['sha256'][:16]}", flush=True)
        tmp = os.path.join(a.out, ".determinism")
        for f in ("config.json", "model.safetensors"):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
        if not same:
            sys.exit(1)


def manifest_of(models, corpus_info):
    ms = sorted(models.values(), key=lambda m: m["path"])
    pairs = pairs_of(ms)
    counts = {}
    for p in pairs:
        k = p["ground_truth"] + (" (primary)" if p["primary"] else "")
        counts[k] = counts.get(k, 0) + 1
    return {
        "zooVersion": ZOO_VERSION,
        "generator": "scripts/train-zoo.py",
        "torch": torch.__version__, "numpy": np.__version__,
        "training": dict(batch=BATCH, ctx=CTX, vocab=VOCAB, optimizer="AdamW(0.9,0.95) wd 0.1 on matrices",
                         schedule="warmup 10% + cosine to 0.1x", eval_batches=EVAL_BATCHES,
                         finetune="from the stored base, other corpus, lr/5, 30% of the steps"),
        "architectures": ARCHS,
        "corpora": corpus_info,
        "models": ms,
        "pairCounts": counts,
        "pairs": pairs,
    }


if __name__ == "__main__":
    main()
