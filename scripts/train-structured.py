#!/usr/bin/python3
"""Train a small zoo of tiny models whose architectures carry FIXED positional structure.

Companion of scripts/train-zoo.py (same conventions: CPU, one thread, deterministic,
hand-written safetensors, Hugging Face-style folders). Every model is genuinely trained
from its own torch seed and its own numpy data-order seed. The zoo calibrates the
weight-reuse check on architectures where some tensors (or the input statistics) are
identical by construction across independent models:

  sinpe       Llama-style byte LM (RMSNorm, SwiGLU, no RoPE) with the original
              Transformer's fixed sinusoidal position encoding ADDED at the input
              (not stored). Layouts `interleaved` (sin, cos, sin, cos, ...) and `concat`
              ([sin... | cos...]). Widths 64 (2 layers, 8 seeds), 192 (4 layers, 6 heads of
              32, MLP 512; 4 seeds per layout), 384 and 512 (2 layers, 3 seeds each). Plus
              one fine-tune (derived) of the first width-192 interleaved seed.
  vit2d       Tiny ViT classifier on synthetic 32x32 images (patch 4, 65 tokens, width
              192, 4 blocks, 3 heads, MLP 384, 6 classes), 11 seeds. The MAE / MoCo-v3 2-D
              sin-cos position table is stored as a frozen buffer
              `vit.embeddings.position_embeddings`: byte-identical in every seed. Plus a light
              fine-tune (derived) of the first seed and a heavy one of the second.
  vitlearned  The same ViT with a learned (randomly initialised, trained) position table,
              3 seeds, plus one fine-tune of the first.
  cnn         Plain VGG-BN-style CNNs (first conv [24,3,3,3], 3x3 convs + BatchNorm,
              global pool, `classifier`), depths 3, 8 and 16 conv layers, 7 seeds each,
              plus a light fine-tune of each depth's first seed and a heavy one of
              depth 8's second.
  cnnshared   "Shared start": a plain-CNN model file that calls np.random.seed(0) at
              import and draws every weight from numpy in a fixed order; two models of
              different depths (13 and 19 conv layers) built by it and trained separately
              on different data orders. Their first conv shares its initialisation.
  moe         Mixture-of-experts byte LM: Llama-style (RMSNorm, RoPE as in train-zoo.py's
              llama, width 64, 2 layers, 4 heads) whose every MLP is 8 routed SwiGLU experts
              of width 64, top-2 softmax routing (renormalised over the two, as Mixtral), no
              shared expert, Switch/Mixtral load-balancing loss (coef 0.01). Names as
              Qwen-MoE / recent Mixtral: `model.layers.{i}.mlp.gate.weight` [8, 64] (router),
              `model.layers.{i}.mlp.experts.{e}.{gate,up,down}_proj.weight`. 11 seeds, plus
              fine-tunes (derived) of the first two seeds.

Output: <out>/<name>/{config.json, model.safetensors, train.json} and <out>/manifest.json
({"models": [...], "pairs": [{"candidate","reference","family","ground_truth"}...]}).
ground_truth is "independent" (every unordered pair of distinct seeds within a
family + width / depth; candidate = later seed; primary only for base-base), "derived"
(fine-tune vs its base: 60 more steps at lr/5 from the stored weights, on corpus B for the
LMs and on images drawn in the fine-tune's own order for the image models; a heavy image fine-tune
runs its base's whole schedule again at full lr) or
"shared-start" (the cnnshared pair). Every base model has its own torch seed (globally
unique); a fine-tune keeps its base's seed and gets its own data seed. Data-order seeds are
torch seed + 10000 (fine-tunes: + 20000), so no two seeds of a zoo are equal.

A fresh zoo (--seed-offset K): every torch seed, every data-order seed (fine-tunes' too) and
the cnnshared numpy init seed (0 by default) move by K, so it shares no seed and no data
order with the default zoo (K is refused when it would; 5000 is fine). Names carry the
seed (e.g. moe-s9001; cnnshared-d13/-d19 keep theirs); train.json records seed_offset and manifest.json seedOffset (both
absent when K = 0: the default zoo is unchanged). Give --manifest-only the same K.

Usage:
  /usr/bin/python3 scripts/train-structured.py [--out /tmp/zoo22]
      [--only sinpe,vit2d,vitlearned,cnn,cnnshared,moe] [--seeds N] [--steps-scale F]
      [--seed-offset K] [--manifest-only]

  --seeds N caps the base models of every group at N (the fine-tunes of the first seeds
  and the cnnshared pair are kept).

  --only takes families and/or groups (sinpe-interleaved-w64, sinpe-interleaved-w192,
  sinpe-concat-w192, sinpe-interleaved-w384, sinpe-interleaved-w512, vit2d, vitlearned,
  cnn-d3, cnn-d8, cnn-d16, cnnshared-d13, cnnshared-d19, moe). Default zoo (80 models,
  ~2 CPU-hours) on 2 cores, two roughly balanced processes (each rewrites the manifest
  from what is on disk; --manifest-only once both have finished):
    S=scripts/train-structured.py
    /usr/bin/python3 $S --only sinpe,moe &
    /usr/bin/python3 $S --only vit2d,vitlearned,cnn,cnnshared &
    wait; /usr/bin/python3 $S --manifest-only

Resumable: a model whose folder already has model.safetensors (and train.json) is
skipped. Needs only Debian's python3-numpy and python3-torch 1.13.
"""

import argparse
import importlib.util
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

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("train_zoo", os.path.join(HERE, "train-zoo.py"))
tz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tz)  # sets torch threads = 1 and deterministic algorithms

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

ZOO_VERSION = 1
VOCAB, CTX, BATCH, BOS, EOS = tz.VOCAB, tz.CTX, tz.BATCH, tz.BOS, tz.EOS
lin, RMSNorm, Linear, SwiGLU = tz.lin, tz.RMSNorm, tz.Linear, tz.SwiGLU
lr_at, sha256_file = tz.lr_at, tz.sha256_file

IMG, PATCH, NCLASS = 32, 4, 6
VIT_BATCH, CNN_BATCH = 16, 32
IMG_EVAL_N, IMG_EVAL_SEED = 512, 777777
CLASS_NAMES = ["bar-horizontal", "bar-vertical", "bar-diagonal", "bar-antidiagonal", "disc", "ring"]

FAMILIES = ("sinpe", "vit2d", "vitlearned", "cnn", "cnnshared", "moe")

# group: family, width/depth key, per-group settings, seeds (globally unique)
SINPE = {
    # name: (layout, d, layers, heads, ff, steps, n_seeds, seed base)
    "interleaved-w64": ("interleaved", 64, 2, 4, 176, 300, 8, 1),
    "interleaved-w192": ("interleaved", 192, 4, 6, 512, 400, 4, 101),
    "concat-w192": ("concat", 192, 4, 6, 512, 400, 4, 201),
    "interleaved-w384": ("interleaved", 384, 2, 6, 1024, 150, 3, 301),
    "interleaved-w512": ("interleaved", 512, 2, 8, 1376, 150, 3, 401),
}
SINPE_LR = 3e-3
FT_STEPS, FT_LR_DIV = 60, 5.0
VIT = dict(d=192, layers=4, heads=3, ff=384)
VIT_STEPS, VIT_LR, VIT_SEEDS = {"vit2d": 250, "vitlearned": 250}, 1e-3, {"vit2d": 11, "vitlearned": 3}
VIT_SEED_BASE = {"vit2d": 1001, "vitlearned": 1101}
CNN_DEPTHS = {3: 2001, 8: 2101, 16: 2201}
CNN_SEEDS, CNN_STEPS, CNN_LR = 7, 250, 2e-3
SHARED_DEPTHS = (13, 19)
SHARED_STEPS, SHARED_LR = 250, 1e-2  # lr tuned: first-conv Pearson after training ~0.93
SHARED_TORCH_SEED_BASE = 3001
MOE = dict(d=64, layers=2, heads=4, experts=8, top_k=2, expert_ff=64)
MOE_STEPS, MOE_LR, MOE_SEEDS, MOE_SEED_BASE, MOE_FINETUNES = 300, 3e-3, 11, 4001, 2
MOE_AUX_COEF = 0.01  # load-balancing loss weight (Switch / HF load_balancing_loss_func)
DATA_SEED_OFFSET = 10000  # data_seed = seed + 10000: never equal to any torch seed used


# ----------------------------------------------------------------------------- safetensors

def write_safetensors(path, tensors):
    """F32 for floating tensors, I64 for integer ones (BatchNorm num_batches_tracked)."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype in (torch.int64, torch.int32):
            b, dt = t.to(torch.int64).numpy().astype("<i8").tobytes(), "I64"
        else:
            b, dt = tz.tensor_bytes(t, "F32"), "F32"
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
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
        np_dt = {"F32": "<f4", "I64": "<i8"}[e["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np_dt).copy()).reshape(e["shape"])
    return out


# ----------------------------------------------------------------------------- attention

class BMM(torch.autograd.Function):
    """torch.bmm whose backward feeds contiguous operands: float32 bmm goes through torch's
    generic gemm here (reference BLAS), which is fastest on row-major inputs. Same values."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = a.contiguous(), b.contiguous()
        ctx.save_for_backward(a, b)
        return torch.bmm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        g = g.contiguous()
        return torch.bmm(g, b.transpose(1, 2).contiguous()), torch.bmm(a.transpose(1, 2).contiguous(), g)


def attention(q, k, v, causal):
    """q, k, v [B, H, T, hd] -> [B, H, T, hd]."""
    B, H, T, hd = q.shape
    att = BMM.apply(q.reshape(B * H, T, hd), k.transpose(-1, -2).reshape(B * H, hd, T)) / math.sqrt(hd)
    if causal:
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    return BMM.apply(att.softmax(-1), v.reshape(B * H, T, hd)).view(B, H, T, hd)


# ----------------------------------------------------------------------------- sinpe LM

def sinusoid_table(T, d, layout):
    """Vaswani et al. 2017: angle(pos, i) = pos / 10000^(2i/d), i = 0 .. d/2-1."""
    pos = np.arange(T, dtype=np.float64)[:, None]
    i = np.arange(d // 2, dtype=np.float64)[None, :]
    ang = pos / np.power(10000.0, 2 * i / d)
    pe = np.zeros((T, d), dtype=np.float64)
    if layout == "interleaved":
        pe[:, 0::2], pe[:, 1::2] = np.sin(ang), np.cos(ang)
    elif layout == "concat":
        pe[:, : d // 2], pe[:, d // 2:] = np.sin(ang), np.cos(ang)
    else:
        raise ValueError(layout)
    return torch.from_numpy(pe).float()


class NoRopeAttn(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = Linear(d, d), Linear(d, d), Linear(d, d), Linear(d, d)

    def forward(self, x):
        B, T, d = x.shape
        sh = lambda t: t.contiguous().view(B, T, self.h, d // self.h).transpose(1, 2)
        y = attention(sh(self.q_proj(x)), sh(self.k_proj(x)), sh(self.v_proj(x)), causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, d))


class SinLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = NoRopeAttn(d, heads)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = SwiGLU(d, ff)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class SinInner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, c["d"])
        self.layers = nn.ModuleList(SinLayer(c["d"], c["heads"], c["ff"]) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"])


class SinLM(nn.Module):
    """x = embed(tokens) * sqrt(d) + PE (as in the original Transformer); PE is not a parameter."""

    def __init__(self, c):
        super().__init__()
        self.model = SinInner(c)
        self.lm_head = Linear(c["d"], VOCAB)
        for m in self.modules():
            if isinstance(m, (Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
        self.pe = sinusoid_table(CTX, c["d"], c["layout"])  # plain attribute: not in state_dict
        self.scale = math.sqrt(c["d"])
        self.pe_on = 1.0

    def forward(self, idx):
        x = self.model.embed_tokens(idx) * self.scale + self.pe_on * self.pe[: idx.shape[1]][None]
        for l in self.model.layers:
            x = l(x)
        return self.lm_head(self.model.norm(x))


def sinpe_config(c):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": c["d"], "intermediate_size": c["ff"], "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"], "num_key_value_heads": c["heads"], "head_dim": c["d"] // c["heads"],
        "hidden_act": "silu", "max_position_embeddings": CTX, "rms_norm_eps": 1e-5, "vocab_size": VOCAB,
        "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": 258, "tie_word_embeddings": False,
        "torch_dtype": "float32",
        # Not Hugging Face Llama: no RoPE; fixed sinusoidal PE added to embed*sqrt(d) at the input.
        "rope_scaling": None, "use_rope": False, "position_embedding_type": "sinusoidal-absolute",
        "sinusoidal_layout": c["layout"], "embedding_multiplier": math.sqrt(c["d"]),
    }


# ----------------------------------------------------------------------------- MoE LM

class RopeAttn(NoRopeAttn):
    """train-zoo.py's llama attention (RoPE on q and k, rotate-halves convention)."""

    def forward(self, x):
        B, T, d = x.shape
        sh = lambda t: t.contiguous().view(B, T, self.h, d // self.h).transpose(1, 2)
        q, k = tz.rope(sh(self.q_proj(x))), tz.rope(sh(self.k_proj(x)))
        y = attention(q, k, sh(self.v_proj(x)), causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, d))


class SparseMoE(nn.Module):
    """`gate` (router, [E, d], no bias) + `experts.{e}` (SwiGLU d -> ff -> d). Each token's router
    softmax picks its top-k experts; their probabilities, renormalised to sum 1 (Mixtral), weight
    the experts' outputs. Computed densely (every expert on every token, weight 0 for experts not
    picked: the same values and gradients as sparse dispatch) with the experts' matrices
    concatenated, three 1x1 convolutions per layer. self.aux: the load-balancing loss
    E * sum_e f_e * P_e (f_e: share of the top-k picks, P_e: mean router probability)."""

    def __init__(self, d, ff, experts, top_k):
        super().__init__()
        self.gate = Linear(d, experts)
        self.experts = nn.ModuleList(SwiGLU(d, ff) for _ in range(experts))
        self.E, self.k, self.ff = experts, top_k, ff
        self.aux = None
        self.load = None  # [E] share of top-k picks in the last forward

    def forward(self, x):
        B, T, d = x.shape
        probs = self.gate(x).softmax(-1)  # [B, T, E]
        top_v, top_i = probs.topk(self.k, dim=-1)
        picked = torch.zeros_like(probs).scatter(-1, top_i, 1.0)  # [B, T, E], k ones per token
        w = probs * picked
        w = w / w.sum(-1, keepdim=True)
        self.load = picked.reshape(-1, self.E).mean(0).detach() / self.k
        self.aux = self.E * (picked.reshape(-1, self.E).mean(0) / self.k * probs.reshape(-1, self.E).mean(0)).sum()
        wg = torch.cat([e.gate_proj.weight for e in self.experts])  # [E*ff, d]
        wu = torch.cat([e.up_proj.weight for e in self.experts])
        wd = torch.cat([e.down_proj.weight for e in self.experts], 1)  # [d, E*ff]
        h = (F.silu(lin(x, wg)) * lin(x, wu)).view(B, T, self.E, self.ff) * w.unsqueeze(-1)
        return lin(h.reshape(B, T, self.E * self.ff), wd)


class MoELayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["d"])
        self.self_attn = RopeAttn(c["d"], c["heads"])
        self.post_attention_layernorm = RMSNorm(c["d"])
        self.mlp = SparseMoE(c["d"], c["expert_ff"], c["experts"], c["top_k"])

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class MoEInner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, c["d"])
        self.layers = nn.ModuleList(MoELayer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"])


class MoELM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = MoEInner(c)
        self.lm_head = Linear(c["d"], VOCAB)
        for m in self.modules():
            if isinstance(m, (Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx):
        x = self.model.embed_tokens(idx)
        for l in self.model.layers:
            x = l(x)
        return self.lm_head(self.model.norm(x))

    def aux_loss(self):
        return sum(l.mlp.aux for l in self.model.layers) / len(self.model.layers)

    def expert_load(self):
        """[layers][E] share of top-k picks per expert in the last forward."""
        return [[round(float(v), 4) for v in l.mlp.load] for l in self.model.layers]


def moe_config(c):
    return {
        "architectures": ["MixtralForCausalLM"], "model_type": "mixtral",
        "hidden_size": c["d"], "intermediate_size": c["expert_ff"], "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"], "num_key_value_heads": c["heads"], "head_dim": c["d"] // c["heads"],
        "num_local_experts": c["experts"], "num_experts_per_tok": c["top_k"],
        "num_experts": c["experts"], "moe_intermediate_size": c["expert_ff"], "shared_expert_intermediate_size": 0,
        "norm_topk_prob": True, "router_aux_loss_coef": MOE_AUX_COEF, "output_router_logits": True,
        "hidden_act": "silu", "max_position_embeddings": CTX, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "vocab_size": VOCAB, "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": 258,
        "tie_word_embeddings": False, "torch_dtype": "float32",
        # Tensor names as Qwen-MoE / recent transformers Mixtral (mlp.gate, mlp.experts.{e}.gate_proj/up_proj/
        # down_proj), not the older Mixtral block_sparse_moe.experts.{e}.w1/w2/w3.
        "tensor_naming": "mlp.gate + mlp.experts.{e}.{gate,up,down}_proj",
    }


# ----------------------------------------------------------------------------- synthetic images

_YY, _XX = np.meshgrid(np.arange(IMG, dtype=np.float64), np.arange(IMG, dtype=np.float64), indexing="ij")


def make_images(rng, n):
    """n images [n, 3, 32, 32] float32 and int64 labels, 6 classes (CLASS_NAMES): a bright
    shape near the centre (jitter +-4 px, random thickness / radius, random colours with the
    shape brighter than the background in every channel) plus Gaussian noise (sd 0.3).
    Every random number comes from rng (numpy RandomState) in a fixed order."""
    labels = rng.randint(0, NCLASS, size=n)
    cx, cy = 15.5 + rng.uniform(-4, 4, size=n), 15.5 + rng.uniform(-4, 4, size=n)
    angle_jit = rng.uniform(-0.15, 0.15, size=n)
    half = rng.uniform(1.5, 3.5, size=n)        # bar half-thickness, ring half-width
    radius = rng.uniform(5.0, 9.0, size=n)
    bg = rng.uniform(-1.0, 0.0, size=(n, 3))
    delta = np.abs(rng.normal(0, 1, size=(n, 3)))
    contrast = rng.uniform(0.8, 1.6, size=n)
    noise = rng.normal(0, 0.3, size=(n, 3, IMG, IMG))
    delta = delta / np.maximum(np.linalg.norm(delta, axis=1, keepdims=True), 1e-6) * contrast[:, None]
    dx, dy = _XX[None] - cx[:, None, None], _YY[None] - cy[:, None, None]
    ang = np.array([0.0, np.pi / 2, np.pi / 4, -np.pi / 4, 0.0, 0.0])[labels] + angle_jit
    across = np.abs(-dx * np.sin(ang)[:, None, None] + dy * np.cos(ang)[:, None, None])  # distance to the bar's axis
    dist = np.sqrt(dx ** 2 + dy ** 2)
    soft = lambda z: 1.0 / (1.0 + np.exp(-2.0 * z))
    bar = soft(half[:, None, None] - across)
    disc = soft(radius[:, None, None] - dist)
    ring = soft(half[:, None, None] * 0.6 - np.abs(dist - radius[:, None, None]))
    mask = np.where((labels < 4)[:, None, None], bar, np.where((labels == 4)[:, None, None], disc, ring))
    img = bg[:, :, None, None] + delta[:, :, None, None] * mask[:, None] + noise
    return torch.from_numpy(img.astype(np.float32)), torch.from_numpy(labels.astype(np.int64))


# ----------------------------------------------------------------------------- ViT

def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    """MAE (facebookresearch/mae util/pos_embed.py), np.float -> np.float64."""
    assert embed_dim % 2 == 0
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.0
    omega = 1.0 / 10000 ** omega
    pos = pos.reshape(-1)
    out = np.einsum("m,d->md", pos, omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    assert embed_dim % 2 == 0
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])
    return np.concatenate([emb_h, emb_w], axis=1)


def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False):
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid_w = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(grid_w, grid_h)  # w goes first
    grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
    pos_embed = get_2d_sincos_pos_embed_from_grid(embed_dim, grid)
    if cls_token:
        pos_embed = np.concatenate([np.zeros([1, embed_dim]), pos_embed], axis=0)
    return pos_embed


class LinB(nn.Module):
    """Linear with bias, weight [out, in], computed by lin() (1x1 conv)."""

    def __init__(self, nin, nout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nout, nin))
        self.bias = nn.Parameter(torch.zeros(nout))
        nn.init.trunc_normal_(self.weight, std=0.02)

    def forward(self, x):
        return lin(x, self.weight, self.bias)


class NS(nn.Module):
    """Plain namespace module (for Hugging Face nesting of names)."""


class ViTLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.h = heads
        self.attention = NS()
        self.attention.attention = NS()
        self.attention.attention.query, self.attention.attention.key, self.attention.attention.value = LinB(d, d), LinB(d, d), LinB(d, d)
        self.attention.output = NS()
        self.attention.output.dense = LinB(d, d)
        self.intermediate = NS()
        self.intermediate.dense = LinB(d, ff)
        self.output = NS()
        self.output.dense = LinB(ff, d)
        self.layernorm_before = nn.LayerNorm(d, eps=1e-12)
        self.layernorm_after = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x):
        B, T, d = x.shape
        a = self.attention.attention
        h = self.layernorm_before(x)
        sh = lambda t: t.contiguous().view(B, T, self.h, d // self.h).transpose(1, 2)
        q, k, v = sh(a.query(h)), sh(a.key(h)), sh(a.value(h))
        y = attention(q, k, v, causal=False).transpose(1, 2).reshape(B, T, d)
        x = x + self.attention.output.dense(y)
        h = self.layernorm_after(x)
        return x + self.output.dense(F.gelu(self.intermediate.dense(h)))


class ViT(nn.Module):
    def __init__(self, learned_pos):
        super().__init__()
        d, n = VIT["d"], (IMG // PATCH) ** 2
        self.vit = NS()
        e = self.vit.embeddings = NS()
        e.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        e.patch_embeddings = NS()
        e.patch_embeddings.projection = nn.Conv2d(3, d, PATCH, stride=PATCH)
        nn.init.trunc_normal_(e.patch_embeddings.projection.weight, std=0.02)
        nn.init.zeros_(e.patch_embeddings.projection.bias)
        nn.init.trunc_normal_(e.cls_token, std=0.02)
        if learned_pos:
            e.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, d))
            nn.init.trunc_normal_(e.position_embeddings, std=0.02)
        else:
            pe = get_2d_sincos_pos_embed(d, IMG // PATCH, cls_token=True)
            e.register_buffer("position_embeddings", torch.from_numpy(pe).float().unsqueeze(0))
        self.vit.encoder = NS()
        self.vit.encoder.layer = nn.ModuleList(ViTLayer(d, VIT["heads"], VIT["ff"]) for _ in range(VIT["layers"]))
        self.vit.layernorm = nn.LayerNorm(d, eps=1e-12)
        self.classifier = LinB(d, NCLASS)

    def forward(self, img):
        e = self.vit.embeddings
        p = e.patch_embeddings.projection(img).flatten(2).transpose(1, 2)  # [B, 64, d]
        x = torch.cat([e.cls_token.expand(p.shape[0], -1, -1), p], 1) + e.position_embeddings
        for l in self.vit.encoder.layer:
            x = l(x)
        return lin(self.vit.layernorm(x)[:, :1], self.classifier.weight, self.classifier.bias)[:, 0]


def vit_config(learned):
    return {
        "architectures": ["ViTForImageClassification"], "model_type": "vit",
        "hidden_size": VIT["d"], "num_hidden_layers": VIT["layers"], "num_attention_heads": VIT["heads"],
        "intermediate_size": VIT["ff"], "hidden_act": "gelu", "layer_norm_eps": 1e-12,
        "image_size": IMG, "patch_size": PATCH, "num_channels": 3, "qkv_bias": True,
        "num_labels": NCLASS, "id2label": {str(i): n for i, n in enumerate(CLASS_NAMES)},
        "label2id": {n: i for i, n in enumerate(CLASS_NAMES)}, "torch_dtype": "float32",
        "position_embedding_type": "learned" if learned else "fixed-2d-sincos (MAE get_2d_sincos_pos_embed, frozen)",
    }


# ----------------------------------------------------------------------------- CNNs

def stage_cfg(depth, widths=(24, 48, 64)):
    """VGG-style cfg: `depth` 3x3 convs in 3 stages separated by max-pools; first conv 3 -> 24."""
    n1 = max(1, depth // 3)
    n2 = (depth - n1) // 2
    n3 = depth - n1 - n2
    return [widths[0]] * n1 + ["M"] + [widths[1]] * n2 + ["M"] + [widths[2]] * n3


# The shared-start "model file": VGG-like configs by depth; only the stem is the same shape.
SHARED_CFGS = {
    13: [24, "M"] + [32] * 4 + ["M"] + [48] * 4 + ["M"] + [64] * 4,
    19: [24, "M"] + [40] * 6 + ["M"] + [56] * 6 + ["M"] + [64] * 6,
}


class CNN(nn.Module):
    """torchvision VGG-BN naming: features.{i} = Conv2d(bias) / BatchNorm2d / ReLU / MaxPool2d."""

    def __init__(self, cfg):
        super().__init__()
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, NCLASS)
        for m in self.modules():  # torchvision VGG init
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, img):
        h = self.features(img).mean((2, 3))
        return h @ self.classifier.weight.t() + self.classifier.bias


def numpy_init_shared(model, seed=0):
    """What the shared-start model file does: `np.random.seed(0)` at import, then every conv
    and the classifier drawn from the global numpy stream in module order (He normal,
    fan-in); biases 0, BatchNorm 1 / 0. Re-seeding here = importing the file in a new process.
    `seed` is 0 in the default zoo (--seed-offset K: K, the same for both models of the pair)."""
    np.random.seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                w = np.random.normal(0.0, math.sqrt(2.0 / fan_in), size=tuple(m.weight.shape))
                m.weight.copy_(torch.from_numpy(w.astype(np.float32)))
                m.bias.zero_()
            elif isinstance(m, nn.Linear):
                w = np.random.normal(0.0, 0.01, size=tuple(m.weight.shape))
                m.weight.copy_(torch.from_numpy(w.astype(np.float32)))
                m.bias.zero_()


def cnn_config(cfg, note=None):
    c = {"architectures": ["VGGBNForImageClassification"], "model_type": "cnn", "cfg": cfg,
         "conv_layers": sum(1 for v in cfg if v != "M"), "batch_norm": True, "global_pool": "avg",
         "image_size": IMG, "num_channels": 3, "num_labels": NCLASS,
         "id2label": {str(i): n for i, n in enumerate(CLASS_NAMES)}, "torch_dtype": "float32"}
    if note:
        c["init"] = note
    return c


# ----------------------------------------------------------------------------- training

def make_opt(model, lr, wd):
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_wd = lambda n, p: p.dim() < 2 or "position_embeddings" in n or "cls_token" in n
    decay = [p for n, p in named if not no_wd(n, p)]
    nodecay = [p for n, p in named if no_wd(n, p)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                              {"params": nodecay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))


def run_steps(model, steps, lr, wd, next_batch, loss_of):
    opt = make_opt(model, lr, wd)
    losses = []
    model.train()
    for s in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(s, steps, lr)
        x, y = next_batch()
        loss = loss_of(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    tail = max(1, steps // 10)
    return dict(first_loss=round(losses[0], 4), final_train_loss=round(float(np.mean(losses[-tail:])), 4))


def lm_loss(logits, y):
    return F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))


_EVAL_IMAGES = None


@torch.no_grad()
def eval_images(model):
    global _EVAL_IMAGES
    if _EVAL_IMAGES is None:
        _EVAL_IMAGES = make_images(np.random.RandomState(IMG_EVAL_SEED), IMG_EVAL_N)
    x, y = _EVAL_IMAGES
    model.eval()
    logits = torch.cat([model(x[i:i + 128]) for i in range(0, len(x), 128)])
    model.train()
    return round(F.cross_entropy(logits, y).item(), 4), round((logits.argmax(1) == y).float().mean().item(), 4)


# ----------------------------------------------------------------------------- plan

def image_finetune(it, heavy=False):
    """The fine-tune (derived) of an image model from its stored weights, on images drawn in another order
    (its own data seed), as the LM fine-tunes do on corpus B: FT_STEPS more steps at lr / FT_LR_DIV, or
    (heavy, name `-ft-heavy`) the base's whole schedule again at its lr."""
    steps, lr = (it["steps"], it["lr"]) if heavy else (FT_STEPS, it["lr"] / FT_LR_DIV)
    return dict(it, name=it["name"] + ("-ft-heavy" if heavy else "-ft"), kind="finetune", base=it["name"],
                data_seed=it["seed"] + 2 * DATA_SEED_OFFSET, steps=steps, lr=lr)


def plan(only, seeds_override, seed_offset=0):
    """seed_offset K shifts every torch seed, data-order seed and the cnnshared numpy init seed by K."""
    items = []
    if "sinpe" in only:
        for g, (layout, d, L, H, ff, steps, n, base) in SINPE.items():
            for i in range(seeds_override or n):
                seed = base + i + seed_offset
                c = dict(layout=layout, d=d, layers=L, heads=H, ff=ff)
                it = dict(name=f"sinpe-{g}-s{seed}", family="sinpe", group=f"sinpe-{g}", width=d, layout=layout,
                          seed=seed, data_seed=seed + DATA_SEED_OFFSET, steps=steps, lr=SINPE_LR, corpus="A",
                          cfg=c, kind="base")
                items.append(it)
                if g == "interleaved-w192" and i == 0:
                    items.append(dict(it, name=it["name"] + "-ft", kind="finetune", base=it["name"],
                                      data_seed=seed + 2 * DATA_SEED_OFFSET, steps=FT_STEPS,
                                      lr=SINPE_LR / FT_LR_DIV, corpus="B"))
    for fam in ("vit2d", "vitlearned"):
        if fam in only:
            for i in range(seeds_override or VIT_SEEDS[fam]):
                seed = VIT_SEED_BASE[fam] + i + seed_offset
                it = dict(name=f"{fam}-s{seed}", family=fam, group=fam, width=VIT["d"], seed=seed,
                          data_seed=seed + DATA_SEED_OFFSET, steps=VIT_STEPS[fam], lr=VIT_LR, kind="base")
                items.append(it)
                if i == 0:
                    items.append(image_finetune(it))
                if i == 1 and fam == "vit2d":
                    items.append(image_finetune(it, heavy=True))
    if "cnn" in only:
        for depth, base in CNN_DEPTHS.items():
            for i in range(seeds_override or CNN_SEEDS):
                seed = base + i + seed_offset
                it = dict(name=f"cnn-d{depth}-s{seed}", family="cnn", group=f"cnn-d{depth}", depth=depth,
                          cfg=stage_cfg(depth), seed=seed, data_seed=seed + DATA_SEED_OFFSET,
                          steps=CNN_STEPS, lr=CNN_LR, kind="base")
                items.append(it)
                if i == 0:
                    items.append(image_finetune(it))
                if i == 1 and depth == 8:
                    items.append(image_finetune(it, heavy=True))
    if "cnnshared" in only:
        for j, depth in enumerate(SHARED_DEPTHS):
            seed = SHARED_TORCH_SEED_BASE + j + seed_offset
            items.append(dict(name=f"cnnshared-d{depth}", family="cnnshared", group=f"cnnshared-d{depth}",
                              depth=depth, cfg=SHARED_CFGS[depth], seed=seed, numpy_init_seed=seed_offset,
                              data_seed=seed + DATA_SEED_OFFSET, steps=SHARED_STEPS, lr=SHARED_LR, kind="base"))
    if "moe" in only:
        for i in range(seeds_override or MOE_SEEDS):
            seed = MOE_SEED_BASE + i + seed_offset
            it = dict(name=f"moe-s{seed}", family="moe", group="moe", width=MOE["d"], seed=seed,
                      data_seed=seed + DATA_SEED_OFFSET, steps=MOE_STEPS, lr=MOE_LR, corpus="A",
                      cfg=dict(MOE), kind="base")
            items.append(it)
            if i < MOE_FINETUNES:
                items.append(dict(it, name=it["name"] + "-ft", kind="finetune", base=it["name"],
                                  data_seed=seed + 2 * DATA_SEED_OFFSET, steps=FT_STEPS,
                                  lr=MOE_LR / FT_LR_DIV, corpus="B"))
    if seed_offset:
        items = [dict(it, seed_offset=seed_offset) for it in items]  # recorded in train.json (absent = 0)
    return items


def all_seeds(items):
    """Every seed a zoo uses, once per use: torch and data seeds of each model (a fine-tune reuses its
    base's torch seed on purpose), plus the one numpy init seed the cnnshared pair shares on purpose."""
    init = sorted({it["numpy_init_seed"] for it in items if "numpy_init_seed" in it})
    return [it["seed"] for it in items if it["kind"] == "base"] + [it["data_seed"] for it in items] + init


def check_seed_offset(k):
    """The zoo for offset k uses no seed twice and none of the default zoo's seeds (torch, data or init)."""
    mine = all_seeds(plan(FAMILIES, None, k))
    if k < 0 or len(mine) != len(set(mine)):
        return f"--seed-offset {k}: seeds must be >= 0 and distinct"
    clash = sorted(set(mine) & set(all_seeds(plan(FAMILIES, None, 0)))) if k else []
    return f"--seed-offset {k} reuses default-zoo seeds {clash[:5]}...; try 5000 or 30000+" if clash else None


# ----------------------------------------------------------------------------- train one

_CORPORA = {}


def corpus(name):
    if name not in _CORPORA:
        _CORPORA[name] = tz.load_corpus(name)
    return _CORPORA[name]


def load_base(model, it, out, stats):
    """A fine-tune starts from its base's stored weights (the base's sha256 recorded); a base model: nothing."""
    if it["kind"] != "finetune":
        return
    path = os.path.join(out, it["base"], "model.safetensors")
    model.load_state_dict(read_safetensors(path), strict=True)
    stats["base_sha256"] = sha256_file(path)


def train_item(it, out, scale):
    steps = max(1, round(it["steps"] * scale))
    torch.manual_seed(it["seed"])
    rng = np.random.RandomState(it["data_seed"])
    t0 = time.time()
    stats = {}
    if it["family"] == "sinpe":
        model = SinLM(it["cfg"])
        load_base(model, it, out, stats)
        tr, held, _ = corpus(it["corpus"])
        stats["heldout_loss_before"] = round(tz.evaluate(model, held), 4)
        stats.update(run_steps(model, steps, it["lr"], 0.1, lambda: tz.batch(tr, rng), lm_loss))
        stats["heldout_loss"] = round(tz.evaluate(model, held), 4)
        model.pe_on = 0.0  # how much the fixed position signal matters
        stats["heldout_loss_without_pe"] = round(tz.evaluate(model, held), 4)
        model.pe_on = 1.0
        config = sinpe_config(it["cfg"])
    elif it["family"] == "moe":
        model = MoELM(it["cfg"])
        load_base(model, it, out, stats)
        tr, held, _ = corpus(it["corpus"])
        stats["heldout_loss_before"] = round(tz.evaluate(model, held), 4)
        loss_of = lambda logits, y: lm_loss(logits, y) + MOE_AUX_COEF * model.aux_loss()
        stats.update(run_steps(model, steps, it["lr"], 0.1, lambda: tz.batch(tr, rng), loss_of))
        stats["heldout_loss"] = round(tz.evaluate(model, held), 4)
        stats["heldout_expert_load_last_batch"] = model.expert_load()  # per layer, share of top-k picks
        config = moe_config(it["cfg"])
    elif it["family"] in ("vit2d", "vitlearned"):
        model = ViT(learned_pos=it["family"] == "vitlearned")
        load_base(model, it, out, stats)
        stats["heldout_loss_before"], stats["heldout_acc_before"] = eval_images(model)
        stats.update(run_steps(model, steps, it["lr"], 0.05, lambda: make_images(rng, VIT_BATCH), F.cross_entropy))
        stats["heldout_loss"], stats["heldout_acc"] = eval_images(model)
        config = vit_config(it["family"] == "vitlearned")
    else:
        model = CNN(it["cfg"])
        note = None
        if it["family"] == "cnnshared":
            numpy_init_shared(model, it["numpy_init_seed"])
            note = f"numpy: np.random.seed({it['numpy_init_seed']}) at import, He-normal (fan-in) draws in module order"
            stats["init_first_conv_sha256"] = __import__("hashlib").sha256(
                model.features[0].weight.detach().numpy().tobytes()).hexdigest()
        load_base(model, it, out, stats)
        stats["heldout_loss_before"], stats["heldout_acc_before"] = eval_images(model)
        stats.update(run_steps(model, steps, it["lr"], 0.05, lambda: make_images(rng, CNN_BATCH), F.cross_entropy))
        stats["heldout_loss"], stats["heldout_acc"] = eval_images(model)
        config = cnn_config(it["cfg"], note)
    stats["steps_run"] = steps
    stats["seconds"] = round(time.time() - t0, 2)
    folder = os.path.join(out, it["name"])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2)
        fh.write("\n")
    tensors = dict(model.state_dict())
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    stats["parameters"] = int(sum(t.numel() for k, t in tensors.items() if not k.endswith("num_batches_tracked")))
    stats["sha256"] = sha256_file(os.path.join(folder, "model.safetensors"))
    entry = {k: v for k, v in it.items() if k not in ("cfg",)}
    entry.update(stats)
    with open(os.path.join(folder, "train.json"), "w") as fh:
        json.dump(entry, fh, indent=1)
        fh.write("\n")
    return entry


# ----------------------------------------------------------------------------- manifest

def pearson(a, b):
    a = a.double().flatten() - a.double().mean()
    b = b.double().flatten() - b.double().mean()
    return float((a @ b) / (a.norm() * b.norm()))


def build_manifest(out, seed_offset=0):
    models = []
    for it in plan(FAMILIES, None, seed_offset):
        p = os.path.join(out, it["name"], "train.json")
        if os.path.exists(p) and os.path.exists(os.path.join(out, it["name"], "model.safetensors")):
            with open(p) as fh:
                models.append(json.load(fh))
    pairs = []
    groups = {}
    for m in models:
        groups.setdefault((m["family"], m.get("width"), m.get("depth")), []).append(m)
    for (fam, _, _), ms in groups.items():
        if fam == "cnnshared":
            continue
        ms = sorted(ms, key=lambda m: (m["seed"], m["kind"] != "base"))
        for i, a in enumerate(ms):
            for b in ms[i + 1:]:
                if a["seed"] == b["seed"]:
                    continue
                ref, cand = (a, b) if a["seed"] < b["seed"] else (b, a)
                kinds = "-".join(sorted([a["kind"], b["kind"]]))
                pr = dict(candidate=cand["name"], reference=ref["name"], family=fam, ground_truth="independent",
                          group=f"{ref['group']}|{cand['group']}", kinds=kinds, primary=kinds == "base-base")
                pairs.append(pr)
    for m in models:
        if m["kind"] == "finetune":
            pairs.append(dict(candidate=m["name"], reference=m["base"], family=m["family"], ground_truth="derived",
                              group=m["group"], kinds="finetune-base", primary=True))
    names = {m["name"] for m in models}
    a, b = (f"cnnshared-d{d}" for d in SHARED_DEPTHS)
    if a in names and b in names:
        sa = read_safetensors(os.path.join(out, a, "model.safetensors"))
        sb = read_safetensors(os.path.join(out, b, "model.safetensors"))
        r = pearson(sa["features.0.weight"], sb["features.0.weight"])
        wa, wb = sa["features.4.weight"], sb["features.4.weight"]  # second conv: shared numpy-stream prefix
        k = min(wa.shape[0], wb.shape[0])
        r2 = pearson(wa[:k], wb[:k])
        pairs.append(dict(candidate=b, reference=a, family="cnnshared", ground_truth="shared-start",
                          group="cnnshared", kinds="base-base", primary=True,
                          first_conv_pearson_after_training=round(r, 4),
                          second_conv_prefix_pearson_after_training=round(r2, 4),
                          note="same numpy-seeded init of features.0 (the only same-shape tensor); the second "
                               "conv of the 13-layer model starts equal to the first 32 output channels of the "
                               "19-layer one (same numpy stream prefix)"))
    counts = {}
    for p in pairs:
        k = f"{p['family']}:{p['ground_truth']}" + ("" if p["primary"] else " (non-primary)")
        counts[k] = counts.get(k, 0) + 1
    man = {
        "zooVersion": ZOO_VERSION, "generator": "scripts/train-structured.py",
        "torch": torch.__version__, "numpy": np.__version__,
        "training": dict(optimizer="AdamW(0.9,0.95), wd on matrices/kernels", schedule="warmup 10% + cosine to 0.1x",
                         lm=dict(batch=BATCH, ctx=CTX, vocab=VOCAB, corpus="A (finetune: B)"),
                         images=dict(size=IMG, vit_batch=VIT_BATCH, cnn_batch=CNN_BATCH, classes=CLASS_NAMES, eval_n=IMG_EVAL_N,
                                     eval_seed=IMG_EVAL_SEED)),
        "models": sorted(models, key=lambda m: m["name"]),
        "pairCounts": counts,
        "pairs": pairs,
    }
    if seed_offset:
        man["seedOffset"] = seed_offset
    return man


def save_manifest(out, seed_offset=0):
    man = build_manifest(out, seed_offset)
    p = os.path.join(out, "manifest.json")
    tmp = f"{p}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(man, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, p)
    return man


def offset_mismatch(out, k):
    """A folder trained with another --seed-offset would be left out of the manifest silently."""
    if not os.path.isdir(out):
        return None
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name, "train.json")
        if os.path.exists(p):
            with open(p) as fh:
                theirs = json.load(fh).get("seed_offset", 0)
            if theirs != k:
                return f"{out}/{name} was trained with --seed-offset {theirs}, not {k}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/zoo22")
    ap.add_argument("--only", default=",".join(FAMILIES),
                    help="comma-separated families and/or groups (e.g. sinpe-concat-w192, cnn-d16)")
    ap.add_argument("--seeds", type=int, default=None, help="models per group (default: per group)")
    ap.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count (smoke tests)")
    ap.add_argument("--seed-offset", type=int, default=0, metavar="K",
                    help="add K to every torch, data-order and init seed (a fresh zoo; give the same K to "
                         "--manifest-only)")
    ap.add_argument("--manifest-only", action="store_true")
    a = ap.parse_args()
    only = [f.strip() for f in a.only.split(",") if f.strip()]
    groups = {it["group"] for it in plan(FAMILIES, None)}
    bad = [f for f in only if f not in FAMILIES and f not in groups]
    if bad:
        ap.error(f"unknown family or group {bad}; choose from {FAMILIES} or {sorted(groups)}")
    why = check_seed_offset(a.seed_offset) or offset_mismatch(a.out, a.seed_offset)
    if why:
        ap.error(why)
    t_start = time.time()
    os.makedirs(a.out, exist_ok=True)
    trained = skipped = 0
    if not a.manifest_only:
        for it in plan(FAMILIES, a.seeds, a.seed_offset):
            if it["family"] not in only and it["group"] not in only:
                continue
            folder = os.path.join(a.out, it["name"])
            if os.path.exists(os.path.join(folder, "model.safetensors")) and os.path.exists(os.path.join(folder, "train.json")):
                skipped += 1
                continue
            e = train_item(it, a.out, a.steps_scale)
            trained += 1
            if "heldout_acc" in e:
                extra = f"acc {e.get('heldout_acc_before', 0):.3f} -> {e['heldout_acc']:.3f}"
            elif "heldout_loss_without_pe" in e:
                extra = f"no-PE {e['heldout_loss_without_pe']:.3f}"
            else:
                load = e["heldout_expert_load_last_batch"]
                extra = "expert load " + " | ".join(f"{min(l):.3f}-{max(l):.3f}" for l in load)
            print(f"{it['name']:30s} {e['parameters']:>9,d} params {e['steps_run']:4d} steps  loss "
                  f"{e['first_loss']:.3f} -> {e['final_train_loss']:.3f}  held-out {e['heldout_loss_before']:.3f} -> "
                  f"{e['heldout_loss']:.3f}  {extra}  {e['seconds']:.1f}s", flush=True)
            save_manifest(a.out, a.seed_offset)
    man = save_manifest(a.out, a.seed_offset)
    for p in man["pairs"]:
        if p["ground_truth"] == "shared-start":
            print(f"shared-start {p['candidate']} vs {p['reference']}: first-conv Pearson "
                  f"{p['first_conv_pearson_after_training']:.4f} (second-conv prefix "
                  f"{p['second_conv_prefix_pearson_after_training']:.4f})", flush=True)
    print(f"trained {trained}, skipped {skipped}; manifest: {len(man['models'])} models, {len(man['pairs'])} pairs "
          f"{json.dumps(man['pairCounts'])}; {time.time() - t_start:.1f}s", flush=True)


if __name__ == "__main__":
    main()
