"""Export the PyTorch model to GGUF (arch `llama`) and load a GGUF back into PyTorch."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gguf"))
from gguf_io import Gguf, read_gguf, T_ARRAY, T_FLOAT32, T_INT32, T_STRING, T_UINT32  # noqa: E402
from model import Config, Llama  # noqa: E402


def _names(c):
    yield "token_embd.weight", "tok_emb.weight"
    for i in range(c.n_layer):
        p = "blocks.%d." % i
        for g, t in [("attn_norm", "attn_norm"), ("attn_q", "wq"), ("attn_k", "wk"), ("attn_v", "wv"),
                     ("attn_output", "wo"), ("ffn_norm", "ffn_norm"), ("ffn_gate", "w_gate"),
                     ("ffn_up", "w_up"), ("ffn_down", "w_down")]:
            yield "blk.%d.%s.weight" % (i, g), p + t + ".weight"
    yield "output_norm.weight", "norm.weight"
    yield "output.weight", "out.weight"


def export_gguf(model, tok, path, name="longheads-demo", f16=False):
    c = model.c
    w = Gguf()
    w.set("general.architecture", T_STRING, "llama")
    w.set("general.name", T_STRING, name)
    w.set("general.alignment", T_UINT32, 32)
    w.set("llama.context_length", T_UINT32, c.T)
    w.set("llama.embedding_length", T_UINT32, c.dim)
    w.set("llama.block_count", T_UINT32, c.n_layer)
    w.set("llama.feed_forward_length", T_UINT32, c.ffn)
    w.set("llama.attention.head_count", T_UINT32, c.n_head)
    w.set("llama.attention.head_count_kv", T_UINT32, c.n_kv_head)
    w.set("llama.rope.dimension_count", T_UINT32, c.d_head)
    w.set("llama.rope.freq_base", T_FLOAT32, c.theta)
    w.set("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, c.eps)
    w.set("llama.vocab_size", T_UINT32, c.vocab)
    w.set("tokenizer.ggml.model", T_STRING, "llama")
    w.set("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, list(tok.tokens)))
    w.set("tokenizer.ggml.scores", T_ARRAY, (T_FLOAT32, list(tok.scores)))
    w.set("tokenizer.ggml.token_type", T_ARRAY, (T_INT32, list(tok.token_types)))
    w.set("tokenizer.ggml.bos_token_id", T_UINT32, tok.bos_id)
    w.set("tokenizer.ggml.eos_token_id", T_UINT32, tok.eos_id)
    w.set("tokenizer.ggml.padding_token_id", T_UINT32, 0)
    sd = model.state_dict()
    for gname, tname in _names(c):
        a = sd[tname].detach().float().cpu().numpy()
        # 1-D norms stay F32 (llama.cpp requires it); matrices optionally F16
        a = a.astype(np.float16) if (f16 and a.ndim == 2) else a.astype(np.float32)
        w.array(gname, a)
    w.write(path)


def load_gguf(path):
    """Builds a PyTorch Llama from a GGUF written by export_gguf (or any F32/F16 llama GGUF
    with Meta-layout Q/K)."""
    m, t = read_gguf(path)
    c = Config(vocab=len(m["tokenizer.ggml.tokens"]), dim=m["llama.embedding_length"],
               n_layer=m["llama.block_count"], n_head=m["llama.attention.head_count"],
               n_kv_head=m.get("llama.attention.head_count_kv", m["llama.attention.head_count"]),
               ffn=m["llama.feed_forward_length"], T=m["llama.context_length"],
               theta=m.get("llama.rope.freq_base", 10000.0),
               eps=m["llama.attention.layer_norm_rms_epsilon"])
    model = Llama(c)
    sd = {tn: torch.from_numpy(np.array(t[gn], dtype=np.float32)) for gn, tn in _names(c)}
    model.load_state_dict(sd)
    model.eval()
    return model, m
