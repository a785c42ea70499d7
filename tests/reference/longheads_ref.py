#!/usr/bin/python3
"""Plain numpy reference of the Llama forward pass with three attention modes.

This is the test oracle for the C++ engine. It follows docs/ATTENTION.md to the letter and
favours readability over speed: every token's attention is computed on its own, from the
un-rotated keys/values of its layer, so prefill and decoding are the same thing here.

Array conventions: activations are token-major (n_tokens, n_head, head_dim) unless noted;
"head-major" copies (n_head, n_tokens, head_dim) are used for per-token gathers.
All arithmetic is float64.

CLI (see --help):
  /usr/bin/python3 tests/reference/longheads_ref.py -m MODEL --tokens-file ids.json \
      --attention longheads --chunk-size 32 --attn-len 256 --begin 256 --json
"""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_reader import GGUFFile  # noqa: E402


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------

class Model:
    """Llama hyperparameters and weights (float64). Matrices are (out, in): y = W @ x."""

    def __init__(self, path):
        g = GGUFFile(path)
        md = g.metadata
        arch = md.get("general.architecture")
        if arch not in ("llama", "smollm3"):
            raise ValueError("%s: architecture %r, only 'llama' and 'smollm3' are supported" % (path, arch))
        # smollm3 is llama whose every fourth layer applies no RoPE (llama.cpp's fixed step 4).
        self.no_rope_layer_step = 4 if arch == "smollm3" else 0

        def hp(key, default=None):
            full = arch + "." + key
            if full in md:
                return md[full]
            if default is None:
                raise ValueError("%s: missing metadata %s" % (path, full))
            return default

        self.path = path
        self.n_embd = int(hp("embedding_length"))
        self.n_layer = int(hp("block_count"))
        self.n_ff = int(hp("feed_forward_length"))
        self.n_head = int(hp("attention.head_count"))
        self.n_head_kv = int(hp("attention.head_count_kv", self.n_head))
        self.head_dim = self.n_embd // self.n_head
        self.n_rot = int(hp("rope.dimension_count", self.head_dim))
        self.rope_base = float(hp("rope.freq_base", 10000.0))
        self.eps = float(hp("attention.layer_norm_rms_epsilon"))
        self.n_ctx_train = int(hp("context_length"))
        # llama.cpp's `llama` arch rotates adjacent pairs; its GGUF Q/K rows are the converter's
        # permutation of the HF rows, so the faithful pooling logit reads keys in HF order.
        self.hf_key_order = True
        if self.n_head % self.n_head_kv != 0:
            raise ValueError("n_head %d not a multiple of n_head_kv %d" % (self.n_head, self.n_head_kv))

        def w(name):
            return np.asarray(g.tensor(name), dtype=np.float64)

        self.tok_embd = w("token_embd.weight")            # (n_vocab, n_embd)
        self.n_vocab = self.tok_embd.shape[0]
        self.layers = []
        for i in range(self.n_layer):
            p = "blk.%d." % i
            self.layers.append({
                "attn_norm": w(p + "attn_norm.weight"),
                "wq": w(p + "attn_q.weight"),             # (n_head*hd, n_embd)
                "wk": w(p + "attn_k.weight"),             # (n_head_kv*hd, n_embd)
                "wv": w(p + "attn_v.weight"),
                "wo": w(p + "attn_output.weight"),        # (n_embd, n_head*hd)
                "ffn_norm": w(p + "ffn_norm.weight"),
                "w_gate": w(p + "ffn_gate.weight"),       # (n_ff, n_embd)
                "w_up": w(p + "ffn_up.weight"),
                "w_down": w(p + "ffn_down.weight"),       # (n_embd, n_ff)
            })
        self.output_norm = w("output_norm.weight")
        # Tied embeddings when there is no separate output matrix.
        self.output = w("output.weight") if "output.weight" in g.tensors else self.tok_embd

        l0 = self.layers[0]
        assert l0["wq"].shape == (self.n_head * self.head_dim, self.n_embd), l0["wq"].shape
        assert l0["wk"].shape == (self.n_head_kv * self.head_dim, self.n_embd), l0["wk"].shape
        assert self.output.shape == (self.n_vocab, self.n_embd), self.output.shape

    def rot_dims(self, layer):
        """Dimensions RoPE rotates in `layer` (0 in a NoPE layer)."""
        step = self.no_rope_layer_step
        return 0 if step and (layer + 1) % step == 0 else self.n_rot


def default_params(n_ctx_train):
    """Defaults from ATTENTION.md: w = min(max(16, T/16), T/6) as a power of two (rounded
    down), L = 3T/4 (a multiple of w), B = L, S = 4."""
    target = max(1, min(max(16, n_ctx_train // 16), n_ctx_train // 6))
    w = 1 << (int(target).bit_length() - 1)
    L = 3 * n_ctx_train // 4
    L = max(w, L // w * w)  # keep L a multiple of w
    return {"chunk_size": w, "attn_len": L, "begin": L, "sinks": 4}


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------

def rms_norm(x, g, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def rope(x, positions, n_rot, base):
    """Rotate adjacent pairs (x[2i], x[2i+1]), i < n_rot/2, by angle pos * base^(-2i/n_rot).

    x: (..., d); positions: broadcastable to x.shape[:-1]. Dims >= n_rot are left as they are.
    """
    x = np.asarray(x, dtype=np.float64)
    pos = np.asarray(positions, dtype=np.float64)
    inv_freq = base ** (-np.arange(0, n_rot, 2, dtype=np.float64) / n_rot)  # (n_rot/2,)
    ang = pos[..., None] * inv_freq
    cos, sin = np.cos(ang), np.sin(ang)
    out = x.copy()
    x0 = x[..., 0:n_rot:2]
    x1 = x[..., 1:n_rot:2]
    out[..., 0:n_rot:2] = x0 * cos - x1 * sin
    out[..., 1:n_rot:2] = x0 * sin + x1 * cos
    return out


def attend(q, k, v):
    """Softmax attention of one query per head over P keys.
    q: (H, d) rotated; k, v: (H, P, d) (k rotated). Returns (H, d)."""
    d = q.shape[-1]
    scores = np.einsum("hd,hpd->hp", q, k) / math.sqrt(d)
    return np.einsum("hp,hpd->hd", softmax(scores, axis=-1), v)


# --------------------------------------------------------------------------------------------
# LongHeads pieces (exported for tests)
# --------------------------------------------------------------------------------------------

def hf_channels(d):
    """Index array: HF key channel x is GGUF (llama) channel hf_channels(d)[x]. The GGUF converter
    permutes each head's Q/K rows so that HF's rotary pairs (i, i + d/2) become adjacent (2i, 2i+1)."""
    half = d // 2
    return np.concatenate([2 * np.arange(half), 2 * np.arange(half) + 1])


def chunk_keys(q, k, v, w, n_rot, base, hf_order=False):
    """Chunk keys c_j of every complete chunk (ATTENTION.md, "Chunk key").

    q, k, v: (n, H, d) un-rotated, k/v already expanded to query heads.
    hf_order: the pooling logit s . k~ reads the key channels in Hugging Face order (llama GGUFs,
    ATTENTION.md "Key channel order"); the pooled key itself stays in the cache's order.
    Returns (n // w, H, d).
    """
    n, H, d = q.shape
    nc = n // w
    if nc == 0:
        return np.zeros((0, H, d))

    def split(x):  # (nc*w, H, d) -> (nc, H, w, d)
        return x[:nc * w].reshape(nc, w, H, d).transpose(0, 2, 1, 3)

    local = np.arange(w).reshape(1, 1, w)  # local positions 0..w-1 in every chunk and head
    qt = rope(split(q), local, n_rot, base)
    kt = rope(split(k), local, n_rot, base)
    vt = split(v)
    scale = 1.0 / math.sqrt(d)
    # 1. bidirectional attention inside the chunk
    o = np.einsum("chij,chjd->chid", softmax(np.einsum("chid,chjd->chij", qt, kt) * scale), vt)
    # 2. mean output of the chunk
    s = o.mean(axis=2)  # (nc, H, d)
    # 3. attention-pool the rotated keys with s as the query
    kt_logit = kt[..., hf_channels(d)] if hf_order else kt
    a = softmax(np.einsum("chd,chid->chi", s, kt_logit) * scale)
    return np.einsum("chi,chid->chd", a, kt)


def n_candidates(m, local):
    """Candidates of a token in chunk m: chunks 1 .. m-local (ATTENTION.md step 1)."""
    return max(0, m - local)


def select_chunks(q, ckeys, m, K, local=2):
    """Chunks one query head attends to when its token is in chunk m (ATTENTION.md step 1-2).

    q: (d,) the head's query BEFORE RoPE; ckeys: (>= m-1, d) this head's chunk keys c_0, c_1, ...
    local: the most recent chunks always kept (m-local+1 .. m). Returns the selected chunk
    indices, ascending.
    """
    cand = np.arange(1, 1 + n_candidates(m, local))
    scores = ckeys[cand] @ q if len(cand) else np.zeros(0)
    return select_by_scores(scores, m, K, local)


def max_key_scores(q, k_local, m, w, n_rot, base, local=2):
    """Chunk score "max" (ATTENTION.md, "Chunk-scoring variants"): for candidates
    j = 1 .. m-local, score_j = max_i R(w-1)q . k~_{jw+i}, k~ the key rotated at its local offset i.

    q: (d,) one head's query before RoPE; k_local: (n, d) that head's keys rotated at t mod w.
    Returns the candidates' scores (one per candidate, empty if there is none)."""
    nc = n_candidates(m, local)
    if nc == 0:
        return np.zeros(0)
    qr = rope(q, w - 1, n_rot, base)
    return (k_local[w:(nc + 1) * w] @ qr).reshape(nc, w).max(axis=1)


def key_boxes(q, k_local, m, w, n_rot, base, local=2):
    """The bound scores' inputs: q~ = R(w-1)q and, per candidate j = 1 .. m-local, the channel-wise
    min and max of its keys rotated at their local offsets (rows of lo, hi). Arguments as
    max_key_scores."""
    nc = n_candidates(m, local)
    chunks = k_local[w:(nc + 1) * w].reshape(nc, w, k_local.shape[-1])  # nc may be 0
    return rope(q, w - 1, n_rot, base), chunks.min(axis=1), chunks.max(axis=1)


def bound_scores(q, k_local, m, w, n_rot, base, local=2):
    """Chunk score "bound" (ATTENTION.md, "Chunk-scoring variants"):
    score_j = sum_i max(q~_i * min_ji, q~_i * max_ji), an upper bound of every q~ . k~ in the
    chunk, i.e. of its "max" score (key_boxes)."""
    qr, lo, hi = key_boxes(q, k_local, m, w, n_rot, base, local)
    return np.maximum(lo * qr, hi * qr).sum(axis=1)


def bound_mid_scores(q, k_local, m, w, n_rot, base, local=2):
    """Chunk score "bound_mid": halfway between the box centre's score and the bound,
    score_j = sum_i q~_i c_ji + |q~_i| r_ji / 2 with c = (max + min) / 2, r = (max - min) / 2
    (key_boxes)."""
    qr, lo, hi = key_boxes(q, k_local, m, w, n_rot, base, local)
    centre, half_range = (hi + lo) / 2, (hi - lo) / 2
    return (centre @ qr) + 0.5 * (half_range @ np.abs(qr))


def select_by_scores(scores, m, K, local=2):
    """select_chunks with given candidate scores (scores[j-1] for chunk j = 1 .. m-local):
    the sink 0, the local chunks m-local+1 .. m and the K-1-local best candidates."""
    forced = {0} | set(range(max(0, m - local + 1), m + 1))
    cand = np.arange(1, 1 + n_candidates(m, local))
    # Stable sort on -score: equal scores keep ascending index order -> lower index wins.
    order = np.argsort(-np.asarray(scores), kind="stable")
    best = cand[order[:max(0, K - 1 - local)]]
    return sorted(forced | set(int(j) for j in best))


def gather_indices(selected, m, w, t):
    """Token indices of the selected chunks in order; chunk m only up to token t."""
    parts = []
    for j in selected:
        end = t + 1 if j == m else (j + 1) * w
        parts.append(np.arange(j * w, end))
    return np.concatenate(parts)


# --------------------------------------------------------------------------------------------
# Attention of one layer, per mode
# --------------------------------------------------------------------------------------------

def _full_token(qh_rot, kh_rot, vh, t):
    return attend(qh_rot[:, t], kh_rot[:, :t + 1], vh[:, :t + 1])


CHUNK_SCORES = ("faithful", "max", "bound", "bound_mid")


def attention_layer(q, k, v, model, mode, w, L, B, S, chunk_score="faithful", local=2, hf_order=None, n_rot=None):
    """One layer's attention for all tokens.

    q, k, v: (n, H, d) un-rotated; k/v expanded to query heads. hf_order (faithful score): read
    the key channels in HF order in the pooling logit; None = as the model's rope needs it
    (llama's adjacent pairs: yes).
    Returns (out (n, H, d), selections) where selections[t] is None (full attention used)
    or a list of H ascending chunk lists (longheads). n_rot: the dimensions rotated (None: the
    model's; 0 in a NoPE layer).
    """
    n, H, d = q.shape
    n_rot, base = (model.n_rot if n_rot is None else n_rot), model.rope_base
    qh, kh, vh = (x.transpose(1, 0, 2) for x in (q, k, v))  # head-major (H, n, d)

    # True-position rotations, used by full attention and by the full prefix of other modes.
    pos = np.arange(n)[None, :]
    qh_rot = rope(qh, pos, n_rot, base)
    kh_rot = rope(kh, pos, n_rot, base)

    out = np.zeros((n, H, d))
    selections = [None] * n

    if mode == "full":
        for t in range(n):
            out[t] = _full_token(qh_rot, kh_rot, vh, t)
        return out, selections

    if mode == "window":
        slots = np.arange(L)[None, :]
        for t in range(n):
            if t < L:
                out[t] = _full_token(qh_rot, kh_rot, vh, t)
                continue
            idx = np.concatenate([np.arange(S), np.arange(t - (L - S) + 1, t + 1)])
            keys = rope(kh[:, idx], slots, n_rot, base)
            qt = rope(qh[:, t], L - 1, n_rot, base)
            out[t] = attend(qt, keys, vh[:, idx])
        return out, selections

    if mode == "longheads":
        K = L // w
        if hf_order is None:
            hf_order = getattr(model, "hf_key_order", True)
        if chunk_score == "faithful":
            ck = chunk_keys(q, k, v, w, n_rot, base, hf_order)  # (n // w, H, d)
        else:
            kh_local = rope(kh, (np.arange(n) % w)[None, :], n_rot, base)
            score_fn = {"max": max_key_scores, "bound": bound_scores, "bound_mid": bound_mid_scores}[chunk_score]
        heads = np.arange(H)[:, None]
        for t in range(n):
            if t < B:
                out[t] = _full_token(qh_rot, kh_rot, vh, t)
                continue
            m = t // w
            if chunk_score == "faithful":
                sel = [select_chunks(qh[h, t], ck[:, h], m, K, local) for h in range(H)]
            else:
                sel = [select_by_scores(score_fn(qh[h, t], kh_local[h], m, w, n_rot, base, local), m, K, local)
                       for h in range(H)]
            idx = [gather_indices(s, m, w, t) for s in sel]
            P = len(idx[0])
            assert all(len(i) == P for i in idx), "heads gathered different token counts"
            idx = np.stack(idx)  # (H, P)
            keys = rope(kh[heads, idx], np.arange(P)[None, :], n_rot, base)
            qt = rope(qh[:, t], P - 1, n_rot, base)
            out[t] = attend(qt, keys, vh[heads, idx])
            selections[t] = sel
        return out, selections

    raise ValueError("unknown attention mode %r" % mode)


# --------------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------------

def resolve_params(model, mode, chunk_size=None, attn_len=None, begin=None, sinks=None):
    d = default_params(model.n_ctx_train)
    w = d["chunk_size"] if chunk_size is None else int(chunk_size)
    L = d["attn_len"] if attn_len is None else int(attn_len)
    B = L if begin is None else int(begin)
    S = d["sinks"] if sinks is None else int(sinks)
    if mode == "longheads":
        if w <= 0 or L <= 0 or L % w != 0:
            raise ValueError("longheads needs chunk_size > 0 and attn_len a multiple of it (w=%d, L=%d)" % (w, L))
        if L // w < 3:
            raise ValueError("longheads needs K = L/w >= 3 (chunks 0, m-1, m are always kept); got %d" % (L // w))
        if B < 0:
            raise ValueError("begin must be >= 0")
    if mode == "window":
        if L <= 0 or not (0 <= S < L):
            raise ValueError("window needs attn_len > 0 and 0 <= sinks < attn_len (L=%d, S=%d)" % (L, S))
    return w, L, B, S


def forward(model, tokens, mode="full", chunk_size=None, attn_len=None, begin=None, sinks=None,
            return_selections=False, chunk_score="faithful", local_chunks=2, hf_order=None):
    """Logits for every position, shape (n_tokens, n_vocab).

    chunk_score (longheads mode): "faithful" (the paper's q . c_j), "max", "bound" or "bound_mid".
    local_chunks: the most recent chunks every token keeps (m-local+1 .. m; default 2).
    hf_order: faithful pooling logit over HF-ordered key channels (None: as the model needs).

    With return_selections=True also returns selections[layer][t] (see attention_layer).
    """
    if mode not in ("full", "window", "longheads"):
        raise ValueError("unknown attention mode %r" % mode)
    if chunk_score not in CHUNK_SCORES:
        raise ValueError("unknown chunk_score %r" % chunk_score)
    w, L, B, S = resolve_params(model, mode, chunk_size, attn_len, begin, sinks)
    if mode == "longheads" and not 1 <= local_chunks <= max(L // w - 1, 2):
        raise ValueError("local_chunks must be in 1..K-1 (K = %d), got %d" % (L // w, local_chunks))
    tokens = np.asarray(tokens, dtype=np.int64)
    if tokens.ndim != 1 or len(tokens) == 0:
        raise ValueError("tokens must be a non-empty 1-D sequence")
    if tokens.min() < 0 or tokens.max() >= model.n_vocab:
        raise ValueError("token id out of range [0, %d)" % model.n_vocab)
    n = len(tokens)
    H, Hkv, hd = model.n_head, model.n_head_kv, model.head_dim
    kv_of_head = np.arange(H) // (H // Hkv)  # GQA: query head h reads KV head h // group

    x = model.tok_embd[tokens].copy()  # (n, n_embd)
    all_selections = []
    for il, layer in enumerate(model.layers):
        h = rms_norm(x, layer["attn_norm"], model.eps)
        q = (h @ layer["wq"].T).reshape(n, H, hd)
        k = (h @ layer["wk"].T).reshape(n, Hkv, hd)[:, kv_of_head]
        v = (h @ layer["wv"].T).reshape(n, Hkv, hd)[:, kv_of_head]
        a, sel = attention_layer(q, k, v, model, mode, w, L, B, S, chunk_score, local_chunks, hf_order,
                                 model.rot_dims(il))
        x = x + a.reshape(n, H * hd) @ layer["wo"].T
        h = rms_norm(x, layer["ffn_norm"], model.eps)
        x = x + (silu(h @ layer["w_gate"].T) * (h @ layer["w_up"].T)) @ layer["w_down"].T
        all_selections.append(sel)
    x = rms_norm(x, model.output_norm, model.eps)
    logits = x @ model.output.T
    if return_selections:
        return logits, all_selections
    return logits


def selected_chunks(model, tokens, layer, head, t, chunk_size=None, attn_len=None, begin=None):
    """Diagnostics: chunks query head `head` of `layer` selects for token t (longheads mode),
    ascending; None if that token used full attention (t < B)."""
    _, sel = forward(model, list(tokens)[:t + 1], "longheads", chunk_size, attn_len, begin,
                     return_selections=True)
    s = sel[layer][t]
    return None if s is None else list(s[head])


def perplexity(logits, tokens):
    """NLL of token i+1 given positions 0..i, for i = 0..n-2; and exp(mean NLL)."""
    tokens = np.asarray(tokens)
    lp = logits[:-1] - logits[:-1].max(axis=-1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(axis=-1, keepdims=True))
    nll = -lp[np.arange(len(tokens) - 1), tokens[1:]]
    return float(np.exp(nll.mean())), nll


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="numpy reference Llama forward (full/window/longheads)")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--tokens-file", required=True, help="JSON list of token ids")
    ap.add_argument("--attention", choices=["full", "window", "longheads"], default="full")
    ap.add_argument("--chunk-size", type=int, default=None, help="w (default from trained context)")
    ap.add_argument("--attn-len", type=int, default=None, help="L (default 3T/4)")
    ap.add_argument("--begin", type=int, default=None, help="B (default L)")
    ap.add_argument("--sinks", type=int, default=None, help="S (default 4)")
    ap.add_argument("--chunk-score", choices=CHUNK_SCORES, default="faithful",
                    help="longheads candidate scoring (default faithful)")
    ap.add_argument("--local-chunks", type=int, default=2,
                    help="longheads: most recent chunks always attended (default 2)")
    ap.add_argument("--positions", choices=["all", "last"], default="last")
    ap.add_argument("--ppl", action="store_true", help="print perplexity and per-token NLL instead")
    ap.add_argument("--selections", action="store_true",
                    help="also print selections[layer][head] for the last token (longheads)")
    ap.add_argument("--json", action="store_true", help="JSON output (the default format anyway)")
    args = ap.parse_args(argv)

    with open(args.tokens_file) as f:
        tokens = json.load(f)
    model = Model(args.model)
    logits, sel = forward(model, tokens, args.attention, args.chunk_size, args.attn_len,
                          args.begin, args.sinks, return_selections=True, chunk_score=args.chunk_score,
                          local_chunks=args.local_chunks)
    if args.ppl:
        ppl, nll = perplexity(logits, tokens)
        result = {"tokens": len(tokens), "ppl": ppl, "nll": [float(x) for x in nll]}
    else:
        rows = logits if args.positions == "all" else logits[-1:]
        result = {"tokens": len(tokens), "logits": [[float(x) for x in r] for r in rows]}
    if args.selections:
        result["selections"] = [s[-1] for s in sel]  # None per layer if full attention
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
