"""Diagnostics for the LongHeads demo model, run on the exported GGUF (loaded into PyTorch):

  /usr/bin/python3 tools/train-demo-model/eval_passkey.py models/longheads-demo.gguf \
      [--ckpt /tmp/longheads-demo.pt] [--trials 100] [--sweep-trials 3] [--heads]

- in-window passkey accuracy: prompts <= T tokens (prompt + answer), `--trials` trials, full
  attention, needle-to-question gap uniform over the whole window, prefix filler uniform in the rest;
- gap sweep: every suffix-filler length (in characters) from 0 to the maximum that fits, so every
  needle-to-question gap in tokens occurs; accuracy reported per token gap;
- held-out perplexity at T on the book of Acts (never trained on): windows of BOS + T-1 tokens;
- `--heads`: per layer/head, the share of attention on the needle's tokens at the answer steps.
Correct = greedy decoding reproduces every answer token (checked with one teacher-forced pass:
greedy decoding stays on the answer exactly as long as every argmax matches).
With --ckpt, also checks that the GGUF reproduces the PyTorch checkpoint's logits.
"""
import argparse
import math
import os
import random
import sys
from collections import defaultdict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spm_tokenizer import SPMTokenizer  # noqa: E402
from data import (TASK, GARBAGE, QUESTION, needle, garbage_inf, passkey_prompt,  # noqa: E402
                  heldout_text)
from export import load_gguf  # noqa: E402
from model import Config, Llama  # noqa: E402


def build(tok, k, pre, suf):
    prompt = passkey_prompt(k, pre, suf)
    p = tok.encode(prompt, bos=True)
    full = tok.encode(prompt + " %d" % k, bos=True)
    assert full[:len(p)] == p
    # gap = tokens strictly between the needle line's last token and the question's first token
    before_q = tok.encode(prompt[:len(prompt) - len(QUESTION)], bos=True)
    upto_needle = tok.encode(TASK + "\n" + garbage_inf(pre) + "\n" + needle(k), bos=True)
    gap = len(before_q) - len(upto_needle)
    needle_span = (len(tok.encode(TASK + "\n" + garbage_inf(pre) + "\n", bos=True)), len(upto_needle))
    return full, len(p), gap, needle_span


def build_fit(tok, k, pre, suf, T):
    """build(), shortening the prefix filler if a mid-word cut made the prompt exceed T."""
    while True:
        it = build(tok, k, pre, suf)
        if len(it[0]) <= T or pre == 0:
            return it
        pre -= 1


def max_chars(tok, T):
    """Largest total filler characters with prompt + answer <= T tokens (worst-case key)."""
    lo, hi = 0, 4 * T
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if all(len(build(tok, k, 0, mid)[0]) <= T and len(build(tok, k, mid, 0)[0]) <= T
               for k in (44444, 50000, 12345)):
            lo = mid
        else:
            hi = mid - 1
    return lo


@torch.no_grad()
def score(model, items, batch=32, heads=False):
    """items: list of (ids, n_prompt, ...). Returns list of bool (all answer tokens argmax)."""
    out, head_share = [], None
    for b in range(0, len(items), batch):
        chunk = items[b:b + batch]
        n = max(len(it[0]) for it in chunk)
        x = torch.zeros(len(chunk), n, dtype=torch.long)
        for i, it in enumerate(chunk):
            x[i, :len(it[0])] = torch.tensor(it[0])
        if heads:
            logits, atts = model(x, return_attn=True)
        else:
            logits = model(x)
        pred = logits.argmax(-1)
        for i, it in enumerate(chunk):
            ids, np_ = it[0], it[1]
            ok = all(pred[i, j - 1].item() == ids[j] for j in range(np_, len(ids)))
            out.append(ok)
            if heads:
                s0, s1 = it[3]
                sh = torch.stack([a[i, :, np_ - 1:len(ids) - 1, s0:s1].sum(-1).mean(-1) for a in atts])
                head_share = sh if head_share is None else head_share + sh
    return out, (head_share / len(items) if heads else None)


@torch.no_grad()
def heldout_ppl(model, tok, T, max_windows=None):
    ids = tok.encode(heldout_text())
    nll, cnt = 0.0, 0
    nw = 0
    for s in range(0, len(ids) - (T - 1), T - 1):
        x = torch.tensor([[tok.bos_id] + ids[s:s + T - 1]])
        lp = model(x[:, :-1]).log_softmax(-1)
        nll -= lp[0].gather(-1, x[0, 1:, None]).sum().item()
        cnt += T - 1
        nw += 1
        if max_windows and nw >= max_windows:
            break
    return nll / cnt, len(ids)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--sweep-trials", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--heads", action="store_true")
    ap.add_argument("--no-ppl", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    tok = SPMTokenizer.from_gguf(args.gguf)
    model, meta = load_gguf(args.gguf)
    T = model.c.T
    print("model: T=%d dim=%d layers=%d heads=%d/%d ffn=%d" % (T, model.c.dim, model.c.n_layer,
          model.c.n_head, model.c.n_kv_head, model.c.ffn))

    if args.ckpt:
        ck = torch.load(args.ckpt)
        ref = Llama(Config(**{k: v for k, v in ck["config"].items() if k != "d_head"}))
        ref.load_state_dict(ck["state_dict"])
        ref.eval()
        x = torch.tensor([build(tok, 31415, 50, 60)[0]])
        with torch.no_grad():
            d = (ref(x) - model(x)).abs().max().item()
        print("GGUF vs checkpoint: max |logit diff| = %.3g" % d)

    cmax = max_chars(tok, T)
    print("max filler characters within T: %d" % cmax)

    # in-window accuracy: gap uniform over the window
    items = []
    for _ in range(args.trials):
        k = rng.randint(1, 50000)
        suf = rng.randint(0, cmax)
        pre = rng.randint(0, cmax - suf)
        items.append(build_fit(tok, k, pre, suf, T))
    assert max(len(it[0]) for it in items) <= T
    res, hs = score(model, items, heads=args.heads)
    gaps = [it[2] for it in items]
    print("in-window passkey: %d/%d = %.1f%%  (gaps %d..%d tokens, prompt+answer %d..%d tokens)" % (
        sum(res), len(res), 100.0 * sum(res) / len(res), min(gaps), max(gaps),
        min(len(it[0]) for it in items), max(len(it[0]) for it in items)))
    if args.heads:
        print("attention share on the needle at answer steps (rows: layers, cols: query heads):")
        for l in range(hs.shape[0]):
            print("  L%d " % l + " ".join("%.2f" % v for v in hs[l].tolist()))

    # gap sweep: every suffix length in characters -> every gap in tokens
    items = []
    for suf in range(0, cmax + 1):
        for _ in range(args.sweep_trials):
            k = rng.randint(1, 50000)
            pre = rng.randint(0, cmax - suf)
            items.append(build_fit(tok, k, pre, suf, T))
    res, _ = score(model, items)
    by_gap = defaultdict(list)
    for it, ok in zip(items, res):
        by_gap[it[2]].append(ok)
    accs = {g: sum(v) / len(v) for g, v in sorted(by_gap.items())}
    worst = min(accs.values())
    print("gap sweep: %d prompts, gaps %d..%d tokens (%d distinct), overall %.1f%%, min per-gap %.1f%%"
          % (len(items), min(accs), max(accs), len(accs), 100.0 * sum(res) / len(res), 100 * worst))
    bad = ["%d:%d/%d" % (g, sum(by_gap[g]), len(by_gap[g])) for g in sorted(by_gap) if accs[g] < 1.0]
    print("  gaps below 100%: " + (" ".join(bad) if bad else "none"))

    if not args.no_ppl:
        nll, n = heldout_ppl(model, tok, T)
        print("held-out (Acts, %d tokens) at T=%d: %.4f nats/token, perplexity %.2f" %
              (n, T, nll, math.exp(nll)))


if __name__ == "__main__":
    main()
