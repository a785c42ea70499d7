#!/usr/bin/python3
"""Decode speed of the LongHeads chunk scores side by side: writes docs/BENCHMARKS-SCORES.md.

A TIMING run: only on a quiet machine (nothing else running; check `uptime`). Per context, the
scores run one after the other (interleaved, --repeat times), so their ratios come from one
machine state; read bandwidth is measured after every cell.

  /usr/bin/python3 bench/decode_scores.py            # TinyLlama shape, 8K/32K/64K, faithful/bound/bound_mid/max
  /usr/bin/python3 bench/decode_scores.py --scores faithful@1024,bound_mid   # a score at its own L

A score alone runs at the library's default attention length (L = 3T/4); SCORE@L at that L
(B = L). The first score is the baseline of the ratio column.

Each cell is `longheads bench -m MODEL --ctx N --gen G --attention longheads --chunk-score S ...`;
the prefill runs block-shared (`--prefill block`, the same cache layout, far less time for the
`max` score) and only the decode of the G tokens after it is compared. Bytes read per decoded
token are the model of bench/run_bench.py (weights, the attended KV, and what the score reads:
faithful the chunk keys, f32, one per chunk and query head; bound one [max | min] row per chunk
and KV head; max every candidate key).
"""
import argparse
import datetime
import pathlib
import shlex
import statistics
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import run_bench as rb  # noqa: E402

SCORES = {"faithful": "faithful", "bound": "bound", "bound_mid": "bound_mid", "max": "max_key"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tinyllama-f16", help="SHAPE-TYPE, as in run_bench.py")
    ap.add_argument("--contexts", default="8192,32768,65536")
    ap.add_argument("--scores", default="faithful,bound,bound_mid,max", help="SCORE or SCORE@L list")
    ap.add_argument("--precision", default="bf16")
    ap.add_argument("--kv-type", default="bf16")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs per cell (median)")
    ap.add_argument("--cli", default=str(rb.DEFAULT_CLI))
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS-SCORES.md"))
    args = ap.parse_args()
    args.omp_wait_policy = "passive"
    scores = rb.parse_list(args.scores)
    parsed = {s: rb.parse_score_at_len(s, SCORES) for s in scores}  # label -> (score, L or None)
    contexts = rb.parse_list(args.contexts, int)

    stamp = datetime.datetime.now()
    runner = rb.Runner(args, REPO / "build" / "bench" / f"scores-{stamp:%Y%m%d-%H%M%S}-engine")
    path = rb.ensure_model(pathlib.Path(args.models_dir), args.model, True)
    info, _, err, _ = runner.run(["info", "-m", path, "--json"])
    if err:
        raise SystemExit(f"info of {args.model} failed: {err}")
    info["_type"] = rb.split_name(args.model)[1]
    kv_elem = rb.kv_elem(args.kv_type, info["head_dim"])
    res = {}  # (n, score) -> [records]
    for rep in range(args.repeat):
        for n in contexts:
            for score in scores:
                name, attn_len = parsed[score]
                argv = ["bench", "-m", path, "--ctx", n, "--gen", args.gen, "--attention", "longheads",
                        "--chunk-score", SCORES[name], "--precision", args.precision, "--kv-type", args.kv_type,
                        "--prefill", "block", "-t", args.threads, "--json"] + (["--attn-len", attn_len] if attn_len else [])
                out, wall, err, _ = runner.run(argv, timeout=4 * 3600)
                if err:
                    rb.log(f"{score} {n} (run {rep + 1}): failed: {err}")
                    continue
                bw, _, bw_err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"])
                out["membw_after"] = bw["membw_bytes_per_s"] if bw and not bw_err else None
                rb.log(f"{score} {n} (run {rep + 1}): decode {out['decode_tok_s']:.2f} tok/s, prefill "
                       f"{out['prefill_s']:.0f} s, read {rb.fmt(out['membw_after'] and out['membw_after'] / 1e9)} GB/s")
                res.setdefault((n, score), []).append(out)

    cmd = " ".join(shlex.quote(a) for a in sys.argv[1:])
    L = ["# Decode speed of the LongHeads chunk scores", "",
         f"One run of `/usr/bin/python3 bench/decode_scores.py {cmd}` on {stamp:%Y-%m-%d %H:%M} (git "
         f"{rb.git_describe()}): model `{args.model}` ({info['n_layer']} layers, {info['n_head']}/"
         f"{info['n_head_kv']} heads of {info['head_dim']}, T = {info['context_length']}), precision "
         f"{args.precision}, KV {args.kv_type}, {args.threads} threads, {args.gen} decoded tokens after a "
         f"block-shared prefill; median of {args.repeat} interleaved runs per cell. Scores: docs/ATTENTION.md, "
         "each with the library's default local chunks (2 for faithful, 4 for the others at K >= 8) and attention "
         "length (L = 3T/4 unless the score says @L); bound_mid is the default score.", "",
         "| context | score | decode tok/s | vs the first score | bytes read per token (model) | of which the score | "
         "read GB/s after |", "|---|---|---|---|---|---|---|"]
    for n in contexts:
        base = res.get((n, scores[0]))
        base_tok = statistics.median(r["decode_tok_s"] for r in base) if base else None
        for i, score in enumerate(scores):
            recs = res.get((n, score))
            if not recs:
                L.append(f"| {rb.ctx_label(n)} | {score} | failed | | | | |")
                continue
            tok = statistics.median(r["decode_tok_s"] for r in recs)
            cell = dict(recs[0], ctx=n, attention="longheads")
            name, attn_len = parsed[score]
            b = rb.bytes_per_token(dict(info, attn_len=attn_len), cell, kv_elem,
                                   chunk_score=SCORES[name])  # the library's local chunks
            ratio = f"{tok / base_tok:.2f}x" if base_tok and i > 0 else "—"
            bw = [r["membw_after"] for r in recs if r.get("membw_after")]
            L.append(f"| {rb.ctx_label(n)} | {score} | {tok:.2f} | {ratio} | {b['total'] / 2**20:.1f} MiB | "
                     f"{b['chunk'] / 2**20:.2f} MiB | {rb.fmt(statistics.median(bw) / 1e9 if bw else None)} |")
    L += ["", "Target (issue 13): the default score decodes at 32K at >= 0.9x the faithful rule's speed.", ""]
    pathlib.Path(args.doc).write_text("\n".join(L) + "\n")
    rb.log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
