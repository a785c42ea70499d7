"""Llama-architecture model in PyTorch, matching llama.cpp's `llama` arch exactly:
RMSNorm, RoPE on adjacent pairs (x[2i], x[2i+1]) with angle pos*theta^(-2i/d_head),
SwiGLU FFN, grouped-query attention (query head h uses KV head h // (n_head/n_kv_head)),
no biases, untied output."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, vocab=512, dim=256, n_layer=6, n_head=8, n_kv_head=4, ffn=688, T=256,
                 theta=10000.0, eps=1e-5):
        self.vocab, self.dim, self.n_layer, self.n_head, self.n_kv_head = vocab, dim, n_layer, n_head, n_kv_head
        self.ffn, self.T, self.theta, self.eps = ffn, T, theta, eps
        self.d_head = dim // n_head

    def to_dict(self):
        return dict(self.__dict__)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


def rope_tables(n_pos, d_head, theta, positions=None):
    i = torch.arange(0, d_head // 2, dtype=torch.float64)
    inv = theta ** (-2.0 * i / d_head)
    pos = torch.arange(n_pos, dtype=torch.float64) if positions is None else positions.double()
    ang = pos[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    """x: (B, H, N, d). Adjacent pairs (x[2i], x[2i+1]) rotated by angle (N, d/2)."""
    x0, x1 = x[..., 0::2].float(), x[..., 1::2].float()
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack([y0, y1], dim=-1).flatten(-2).to(x.dtype)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.attn_norm = RMSNorm(c.dim, c.eps)
        self.wq = nn.Linear(c.dim, c.n_head * c.d_head, bias=False)
        self.wk = nn.Linear(c.dim, c.n_kv_head * c.d_head, bias=False)
        self.wv = nn.Linear(c.dim, c.n_kv_head * c.d_head, bias=False)
        self.wo = nn.Linear(c.n_head * c.d_head, c.dim, bias=False)
        self.ffn_norm = RMSNorm(c.dim, c.eps)
        self.w_gate = nn.Linear(c.dim, c.ffn, bias=False)
        self.w_up = nn.Linear(c.dim, c.ffn, bias=False)
        self.w_down = nn.Linear(c.ffn, c.dim, bias=False)

    def forward(self, x, cos, sin, mask, return_attn=False):
        c = self.c
        B, N, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, N, c.n_head, c.d_head).transpose(1, 2)
        k = self.wk(h).view(B, N, c.n_kv_head, c.d_head).transpose(1, 2)
        v = self.wv(h).view(B, N, c.n_kv_head, c.d_head).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.n_head // c.n_kv_head
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)).float() / math.sqrt(c.d_head)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        o = (att.to(v.dtype) @ v).transpose(1, 2).reshape(B, N, c.n_head * c.d_head)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        x = x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))
        return (x, att) if return_attn else x


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok_emb = nn.Embedding(c.vocab, c.dim)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.norm = RMSNorm(c.dim, c.eps)
        self.out = nn.Linear(c.dim, c.vocab, bias=False)
        self.apply(self._init)
        for b in self.blocks:  # scaled init of residual projections
            nn.init.normal_(b.wo.weight, std=0.02 / math.sqrt(2 * c.n_layer))
            nn.init.normal_(b.w_down.weight, std=0.02 / math.sqrt(2 * c.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx, return_attn=False):
        B, N = idx.shape
        cos, sin = rope_tables(N, self.c.d_head, self.c.theta)
        mask = torch.ones(N, N, dtype=torch.bool).triu(1)
        x = self.tok_emb(idx)
        atts = []
        for b in self.blocks:
            if return_attn:
                x, a = b(x, cos, sin, mask, True)
                atts.append(a)
            else:
                x = b(x, cos, sin, mask)
        logits = self.out(self.norm(x)).float()
        return (logits, atts) if return_attn else logits
