"""Train the LongHeads demo model (Llama arch, trained context T) and export it to GGUF.

  OMP_WAIT_POLICY=PASSIVE nice -n 10 /usr/bin/python3 tools/train-demo-model/train.py \
      --out models/longheads-demo.gguf

Data: KJV Bible (Debian `bible-kjv`, book of Acts held out) packed into windows, plus passkey
samples (see data.py). Vocabulary: the 512-token SentencePiece vocabulary of stories260K.gguf.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spm_tokenizer import SPMTokenizer  # noqa: E402
from data import DataGen  # noqa: E402
from model import Config, Llama  # noqa: E402
from export import export_gguf, load_gguf  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--T", type=int, default=256)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=688)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--schedule-steps", type=int, default=None,
                    help="length of the cosine schedule before --retarget-at (default: --steps)")
    ap.add_argument("--retarget-at", type=int, default=None,
                    help="from this step on, the cosine schedule ends at --steps instead of "
                         "--schedule-steps (the shipped run was shortened this way mid-run)")
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--passkey-frac", type=float, default=0.5)
    ap.add_argument("--answer-weight", type=float, default=5.0)
    ap.add_argument("--labelled-frac", type=float, default=0.0,
                    help="share of passkey samples with labelled needles (numbers or words, 1-3 of "
                         "them, the question naming one); 0, the default, gives the first model's data")
    ap.add_argument("--labelled-needles", default="0.5,0.35,0.15",
                    help="weights of 1, 2, 3, ... needles in a labelled sample (comma-separated)")
    ap.add_argument("--word-frac", type=float, default=0.0,
                    help="share of the (unlabelled) pass-key samples whose key is a word of the training "
                         "text instead of a number; 0, the default, gives the first model's data")
    ap.add_argument("--copy-frac", type=float, default=0.0,
                    help="share of the documents that are copying drills (a list of words, filler, the "
                         "list again); 0, the default, gives the first model's data")
    ap.add_argument("--random-copy-frac", type=float, default=0.0,
                    help="share of the documents that are random-piece copying drills (random pieces, "
                         "filler, the same pieces again); 0, the default, gives the first model's data")
    ap.add_argument("--random-copy-gap", type=int, default=300,
                    help="most characters of filler between a random-piece run and its repeat")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="models/longheads-demo.gguf")
    ap.add_argument("--ckpt", default="/tmp/longheads-demo.pt")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--export-every", type=int, default=0,
                    help="also export --out every this many steps (a long run leaves a usable model early)")
    ap.add_argument("--no-bf16", action="store_true")
    ap.add_argument("--init-from", default=None,
                    help="start from this GGUF's weights (fine-tuning) instead of a random init; the "
                         "shape flags must match it")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    tok = SPMTokenizer.from_gguf()
    gen = DataGen(tok, args.T, args.seed, args.passkey_frac, args.answer_weight, args.labelled_frac,
                  args.word_frac, args.copy_frac, args.random_copy_frac,
                  args.random_copy_gap, [float(x) for x in args.labelled_needles.split(",")])
    c = Config(vocab=tok.n_vocab, dim=args.dim, n_layer=args.layers, n_head=args.heads,
               n_kv_head=args.kv_heads, ffn=args.ffn, T=args.T)
    model = Llama(c)
    if args.init_from:
        start, _ = load_gguf(args.init_from)
        shape = lambda cfg: {k: v for k, v in cfg.to_dict().items() if k not in ("eps", "theta")}  # noqa: E731
        if shape(start.c) != shape(c):  # eps/theta: the file's f32 values
            raise SystemExit("--init-from %s has shape %s, not %s" % (args.init_from, start.c.to_dict(), c.to_dict()))
        model.load_state_dict(start.state_dict())
        model.train()
    n_params = sum(p.numel() for p in model.parameters())
    print("config", json.dumps(c.to_dict()), "params", n_params, flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim == 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(s):
        total = args.steps
        if args.schedule_steps is not None and (args.retarget_at is None or s < args.retarget_at):
            total = args.schedule_steps
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        p = min(1.0, (s - args.warmup) / max(1, total - args.warmup))
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * p))

    t0 = time.time()
    run_loss = run_ans = None
    for step in range(args.steps):
        xs, ws = zip(*[gen.window() for _ in range(args.batch)])
        x = torch.tensor(xs, dtype=torch.long)
        w = torch.tensor(ws, dtype=torch.float32)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not args.no_bf16):
            logits = model(x[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, c.vocab), x[:, 1:].reshape(-1),
                              reduction="none").view(w.shape)
        loss = (nll * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            text_loss = (nll * (w == 1)).sum() / (w == 1).sum()
            am = w > 1
            ans_loss = (nll * am).sum() / am.sum().clamp(min=1)
        run_loss = text_loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * text_loss.item()
        if am.any():
            run_ans = ans_loss.item() if run_ans is None else 0.9 * run_ans + 0.1 * ans_loss.item()
        if step % args.log_every == 0 or step == args.steps - 1:
            print("step %5d lr %.2e loss %.4f text %.4f answer %.4f  %.1fs" %
                  (step, lr_at(step), loss.item(), run_loss, run_ans or float("nan"),
                   time.time() - t0), flush=True)
        if args.export_every and step > 0 and step % args.export_every == 0:
            model.eval()
            export_gguf(model, tok, args.out)
            model.train()
            print("exported", args.out, "at step", step, flush=True)
    wall = time.time() - t0
    print("training wall time %.1f s" % wall, flush=True)
    torch.save({"config": c.to_dict(), "state_dict": model.state_dict(), "args": vars(args),
                "wall_time_s": wall}, args.ckpt)
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_gguf(model, tok, args.out)
    print("wrote", args.out, os.path.getsize(args.out), "bytes", flush=True)


if __name__ == "__main__":
    main()
