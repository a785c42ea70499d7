"""Export the PyTorch model to GGUF (arch `llama`) and load a GGUF back into PyTorch."""
import numpy as np
import torch
from gguf_writer import GGUFWriter, read_gguf, T_STRING, T_FLOAT32, T_INT32
from model import Config, Llama


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
    w = GGUFWriter()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", name)
    w.add_u32("general.alignment", 32)
    w.add_u32("llama.context_length", c.T)
    w.add_u32("llama.embedding_length", c.dim)
    w.add_u32("llama.block_count", c.n_layer)
    w.add_u32("llama.feed_forward_length", c.ffn)
    w.add_u32("llama.attention.head_count", c.n_head)
    w.add_u32("llama.attention.head_count_kv", c.n_kv_head)
    w.add_u32("llama.rope.dimension_count", c.d_head)
    w.add_f32("llama.rope.freq_base", c.theta)
    w.add_f32("llama.attention.layer_norm_rms_epsilon", c.eps)
    w.add_u32("llama.vocab_size", c.vocab)
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", T_STRING, tok.tokens)
    w.add_array("tokenizer.ggml.scores", T_FLOAT32, tok.scores)
    w.add_array("tokenizer.ggml.token_type", T_INT32, tok.token_types)
    w.add_u32("tokenizer.ggml.bos_token_id", tok.bos_id)
    w.add_u32("tokenizer.ggml.eos_token_id", tok.eos_id)
    w.add_u32("tokenizer.ggml.padding_token_id", 0)
    sd = model.state_dict()
    for gname, tname in _names(c):
        a = sd[tname].detach().float().cpu().numpy()
        # 1-D norms stay F32 (llama.cpp requires it); matrices optionally F16
        a = a.astype(np.float16) if (f16 and a.ndim == 2) else a.astype(np.float32)
        w.add_tensor(gname, a)
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
