#!/usr/bin/python3
"""What each LongHeads chunk score costs a decoded token, the attention alone: writes
docs/BENCHMARKS-SCORES-ATTENTION.md.

A TIMING run: only on a quiet machine. bench/decode_scores.py times the whole model (weights
included) but needs a prefill of the TinyLlama-shaped model at every context (about half an hour
at 64K on 2 cores); this script times what differs between the scores, the attention of one
decoded token over a filled cache, with `attention_bench` (random queries, keys and values; no
weights), in a few minutes. Per context the scores run one after the other, --repeat times.

  /usr/bin/python3 bench/score_attention_cost.py [--contexts 8192,32768,65536] [--weights-ms MS]
      [--variants faithful@1024,bound_mid@1536,...]

A variant is a score and its attention length L (B = L); each runs with the library's default
local chunks for that score and K = L/w. Geometry: TinyLlama-1.1B (22 layers, 32 query / 4 KV
heads of 64, T = 2048, w = 128), KV cache bf16, block-shared prefill;
--layers layers are filled and timed, and the per-layer time is scaled to 22. --weights-ms (the
weights' share of a decoded token, e.g. a depth-0 decode of the same shape: 1000 / tok/s) adds a
column with the whole token's rate that follows from it.
"""
import argparse
import datetime
import json
import pathlib
import shlex
import statistics
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import run_bench as rb  # noqa: E402

N_LAYER = 22
INFO = dict(n_layer=N_LAYER, n_head=32, n_head_kv=4, head_dim=64, context_length=2048, n_vocab=0, n_embd=0,
            _type="f16")
SCORE_NAME = {"faithful": "faithful", "bound": "bound", "bound_mid": "bound_mid", "max": "max_key"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contexts", default="8192,32768,65536")
    ap.add_argument("--variants", default="faithful@1024,faithful@1536,bound_mid@1536,bound_mid@1024,bound@1536,max@1536",
                    help="SCORE@L list; the first is the baseline of the ratio column")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weights-ms", type=float, help="ms per decoded token of the weights (optional)")
    ap.add_argument("--bench", default=str(REPO / "build" / "bin" / "attention_bench"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS-SCORES-ATTENTION.md"))
    args = ap.parse_args()
    contexts = rb.parse_list(args.contexts, int)
    variants = [rb.parse_score_at_len(v, SCORE_NAME, need_len=True) for v in rb.parse_list(args.variants)]
    env = dict(__import__("os").environ, OMP_WAIT_POLICY="PASSIVE")
    stamp = datetime.datetime.now()
    res = {}
    for rep in range(args.repeat):
        for n in contexts:
            for score, attn_len in variants:
                cmd = [args.bench, "--ctx", str(n), "--layers", str(args.layers), "--gen", str(args.gen), "--repeat",
                       "2", "--threads", str(args.threads), "--kv", "bf16", "--attn-len", str(attn_len), "--prefill", "block",
                       "--chunk-score", SCORE_NAME[score]]
                p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
                if p.returncode != 0:
                    rb.log(f"{score}@{attn_len} {n}: failed: {p.stderr.strip()[-300:]}")
                    continue
                out = json.loads(p.stdout.strip().splitlines()[-1])
                rb.log(f"{score}@{attn_len} {n} (run {rep + 1}): {out['decode_ms_per_layer']:.4f} ms per layer, "
                       f"prefill {out['prefill_s']:.1f} s")
                res.setdefault((n, score, attn_len), []).append(out)

    kv_elem = rb.kv_elem("bf16", INFO["head_dim"])
    L = ["# The attention's share of a decoded token, per LongHeads chunk score", "",
         f"One run of `/usr/bin/python3 bench/score_attention_cost.py "
         f"{' '.join(shlex.quote(a) for a in sys.argv[1:])}` on {stamp:%Y-%m-%d %H:%M} (git {rb.git_describe()}): "
         f"`attention_bench` on the TinyLlama-1.1B attention (32/4 heads of 64, T = 2048; w = 128, B = L, the "
         f"library's default local chunks for each score and K = L/w), KV cache bf16, {args.threads} threads, block-shared prefill, {args.layers} layers "
         f"filled and timed, scaled to {N_LAYER}; median of {args.repeat} interleaved runs (each the best of 2 x "
         f"{args.gen} tokens). No weights: this is what differs between the scores. Bytes read: the model of "
         "bench/run_bench.py (the attended KV, and what the score reads: faithful the f32 chunk keys of every "
         "query head, bound and bound_mid one [max | min] row per chunk and KV head, max every candidate key).", "",
         "| context | score | L | attention ms per token (22 layers) | vs the first row | bytes read by the attention per token | "
         "of which the score |" + (" tok/s with the weights' share |" if args.weights_ms else ""),
         "|---|---|---|---|---|---|---|" + ("---|" if args.weights_ms else "")]
    for n in contexts:
        base = res.get((n,) + variants[0])
        base_ms = statistics.median(r["decode_ms_per_layer"] for r in base) * N_LAYER if base else None
        for i, (score, attn_len) in enumerate(variants):
            recs = res.get((n, score, attn_len))
            if not recs:
                L.append(f"| {rb.ctx_label(n)} | {score} | {attn_len} | failed | | | |" + (" |" if args.weights_ms else ""))
                continue
            ms = statistics.median(r["decode_ms_per_layer"] for r in recs) * N_LAYER
            b = rb.bytes_per_token(dict(INFO, attn_len=attn_len), dict(weight_bytes=0, ctx=n, attention="longheads"),
                                   kv_elem, chunk_score=score)
            ratio = f"{base_ms / ms:.2f}x the speed" if base_ms and i > 0 else "—"
            row = (f"| {rb.ctx_label(n)} | {score} | {attn_len} | {ms:.2f} | {ratio} | "
                   f"{(b['kv'] + b['chunk']) / 2**20:.1f} MiB | {b['chunk'] / 2**20:.2f} MiB |")
            if args.weights_ms:
                row += f" {1000.0 / (args.weights_ms + ms):.2f} |"
            L.append(row)
    if args.weights_ms:
        L += ["", f"The last column adds {args.weights_ms:.1f} ms of weights per token (the value given with "
                  "--weights-ms) to the attention's time: the rate of the whole token when nothing else changes."]
    L += ["", "Target (issue 13): the default score decodes at 32K at >= 0.9x the faithful rule's speed.", ""]
    pathlib.Path(args.doc).write_text("\n".join(L) + "\n")
    rb.log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
