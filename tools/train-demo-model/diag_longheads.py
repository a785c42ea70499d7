"""Diagnostic (not a test): a passkey prompt longer than T through tests/reference/longheads_ref.py
in longheads mode, (a) normally, (b) with the needle's chunks forced into every head's selection
("oracle"), and which heads select the needle's chunks at the answer step.

  /usr/bin/python3 tools/train-demo-model/diag_longheads.py models/longheads-demo.gguf \
      --mult 4 --chunk-size 16 --attn-len 256 --prompts 5
"""
import argparse
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "reference"))
import longheads_ref as ref  # noqa: E402
from spm_tokenizer import SPMTokenizer  # noqa: E402
from data import passkey_prompt, GARBAGE, TASK, needle, garbage_inf  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("--mult", type=int, default=4)
    ap.add_argument("--chunk-size", type=int, default=16)
    ap.add_argument("--attn-len", type=int, default=256)
    ap.add_argument("--prompts", type=int, default=5)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    tok = SPMTokenizer.from_gguf(args.gguf)
    m = ref.Model(args.gguf)
    T = m.n_ctx_train if hasattr(m, "n_ctx_train") else 256
    w, L = args.chunk_size, args.attn_len
    rng = random.Random(args.seed)
    fixed = len(tok.encode(passkey_prompt(50000, 0, 0) + " 50000", bos=True))
    total = int((args.mult * 256 - fixed) * len(GARBAGE) / len(tok.encode(GARBAGE)))
    orig_select = ref.select_chunks
    for p in range(args.prompts):
        k = rng.randint(1, 50000)
        pre = rng.randint(0, total)
        prompt = passkey_prompt(k, pre, total - pre)
        pids = tok.encode(prompt, bos=True)
        ans = tok.encode(prompt + " %d" % k, bos=True)[len(pids):]
        s0 = len(tok.encode(TASK + "\n" + garbage_inf(pre) + "\n", bos=True))
        s1 = len(tok.encode(TASK + "\n" + garbage_inf(pre) + "\n" + needle(k), bos=True))
        nchunks = sorted(set(range(s0 // w, (s1 - 1) // w + 1)))
        ids = pids + ans[:-1]
        # record, at the last prompt token, each head's ranks of the needle's chunks
        state = {"layer": -1, "calls": 0}
        ranks = {}
        orig_layer = ref.attention_layer
        t_last = len(pids) - 1

        def layer_wrap(*a, **kw):
            state["layer"] += 1
            state["calls"] = 0
            return orig_layer(*a, **kw)

        def rank_select(q, ckeys, mm, K):
            i = state["calls"]
            state["calls"] += 1
            t, h = L + i // m.n_head, i % m.n_head
            if t == t_last:
                cand = np.arange(1, mm - 1)
                sc = ckeys[cand] @ q
                order = cand[np.argsort(-sc, kind="stable")].tolist()
                ranks[(state["layer"], h)] = [order.index(c) + 1 for c in nchunks if c in order]
            return orig_select(q, ckeys, mm, K)
        ref.attention_layer, ref.select_chunks = layer_wrap, rank_select
        lg, sel = ref.forward(m, ids, "longheads", w, L, L, return_selections=True)
        ref.attention_layer, ref.select_chunks = orig_layer, orig_select
        pred = lg[len(pids) - 1:].argmax(-1).tolist()
        t = len(pids) - 1
        hits = [["%d" % len(set(nchunks) & set(s)) for s in sel[l][t]] for l in range(len(sel))]

        def forced(q, ckeys, mm, K):
            base = orig_select(q, ckeys, mm, K)
            need = [c for c in nchunks if c < mm - 1 and c > 0 and c not in base]
            if not need:
                return base
            keep = {0, mm - 1, mm}
            rest = [c for c in base if c not in keep]
            # drop the lowest-scored non-forced chunks to make room
            sc = {c: float(ckeys[c] @ q) for c in rest}
            rest = sorted(rest, key=lambda c: sc[c], reverse=True)[:max(0, len(rest) - len(need))]
            return sorted(keep | set(rest) | set(need))
        ref.select_chunks = forced
        lg2 = ref.forward(m, ids, "longheads", w, L, L)
        pred2 = lg2[len(pids) - 1:].argmax(-1).tolist()
        ref.select_chunks = orig_select
        print("prompt %d: %d tokens, key %d, needle tokens %d..%d = chunks %s" % (
            p, len(pids), k, s0, s1, nchunks))
        print("   longheads: %r %s | oracle: %r %s" % (tok.decode(pred), pred == ans,
                                                       tok.decode(pred2), pred2 == ans))
        print("   needle chunks selected per head at the last prompt token (rows: layers):")
        for l, h in enumerate(hits):
            print("     L%d %s" % (l, " ".join(h)))
        print("   ranks of the needle's chunks among %d candidates (K-3 = %d are kept), per head:"
              % (t // w - 2, L // w - 3))
        for l in range(len(sel)):
            print("     L%d %s" % (l, "  ".join(",".join(map(str, ranks.get((l, h), [])))
                                          for h in range(m.n_head))))


if __name__ == "__main__":
    main()
