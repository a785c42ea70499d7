"""Cross-checks the exported GGUF against the project's independent numpy reference
(tests/reference/longheads_ref.py, itself checked against llama.cpp): full-attention logits must
match the PyTorch model. Optionally (--longheads) runs a few passkey prompts longer than T through
the reference in full / longheads modes and prints the greedy answers (diagnostic only).

  /usr/bin/python3 tools/train-demo-model/check_reference.py models/longheads-demo.gguf \
      [--longheads --mult 4 --prompts 2 --chunk-size 16 --attn-len 256]
"""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "reference"))
import longheads_ref as ref  # noqa: E402
from spm_tokenizer import SPMTokenizer  # noqa: E402
from data import passkey_prompt, GARBAGE  # noqa: E402
from export import load_gguf  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("--longheads", action="store_true")
    ap.add_argument("--mult", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--attn-len", type=int, default=None)
    ap.add_argument("--begin", type=int, default=None)
    ap.add_argument("--modes", default="longheads,full")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = SPMTokenizer.from_gguf(args.gguf)
    tm, _ = load_gguf(args.gguf)
    m = ref.Model(args.gguf)
    T = tm.c.T
    ids = tok.encode(passkey_prompt(4711, 60, 70), bos=True)
    with torch.no_grad():
        lt = tm(torch.tensor([ids]))[0].double().numpy()
    lr = ref.forward(m, ids, "full")
    print("full attention, %d tokens: max |torch - numpy reference| = %.3g (logit scale %.3g)" %
          (len(ids), np.abs(lt - lr).max(), np.abs(lr).max()))
    if not args.longheads:
        return
    rng = random.Random(args.seed)
    n_target = args.mult * T
    fixed = len(tok.encode(passkey_prompt(50000, 0, 0) + " 50000", bos=True))
    total_chars = int((n_target - fixed) * len(GARBAGE) / len(tok.encode(GARBAGE)))
    for p in range(args.prompts):
        k = rng.randint(1, 50000)
        pre = rng.randint(0, total_chars)
        prompt = passkey_prompt(k, pre, total_chars - pre)
        pids = tok.encode(prompt, bos=True)
        ans = tok.encode(prompt + " %d" % k, bos=True)[len(pids):]
        for mode in args.modes.split(","):
            t0 = time.time()
            kw = {}
            if mode == "longheads":
                kw = dict(chunk_size=args.chunk_size, attn_len=args.attn_len, begin=args.begin)
            lg = ref.forward(m, pids + ans[:-1], mode, **kw)
            pred = lg[len(pids) - 1:].argmax(-1).tolist()
            ok = pred == ans
            print("%dx T (%d tokens), needle depth %.2f, key %d, %s: predicted %r -> %s (%.0fs)" % (
                args.mult, len(pids), pre / max(1, total_chars), k, mode,
                tok.decode(pred), "OK" if ok else "wrong", time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
