#!/usr/bin/env python3
"""Decode product of one quantized matrix kept packed vs expanded to bf16 at load, per x86 level:
the measurement that decides which types bf16 precision keeps packed (docs/BENCHMARKS.md).

For each level, type and shape, `qkernel_bench --matmul` times MatmulCache::run with one
activation row (what a decoded token does) on the packed matrix and on its bf16 expansion
(`-bf16`: oneDNN's bf16 inner product from AVX-512 on, f32 dot products of the bf16 rows before),
streaming --mb of copies so the weights come from memory. Runs alternate packed / bf16 and rotate
the level order; each run reports the median of its rounds; the table gives the median of the
runs' medians, in ms per product.

  /usr/bin/python3 bench/packed_vs_bf16.py [--types iq4_nl,iq4_xs] [--levels avx512_bf16,avx512,avx2,generic]
                                           [--shapes 5632x2048,2048x5632] [--runs 3] [--threads 2] [--mb 512]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess

REPO = pathlib.Path(__file__).resolve().parent.parent


def run(bench, qtype, level, rows, cols, args):
    cmd = [str(bench), "--type", qtype, "--matmul", "--level", level, "--rows", str(rows), "--cols", str(cols),
           "--mb", str(args.mb), "--threads", str(args.threads), "--repeat", str(args.repeat)]
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env.pop("LONGHEADS_CPU", None)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out)["median_ms_per_product"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--types", default="iq4_nl,iq4_xs")
    ap.add_argument("--levels", default="avx512_bf16,avx512,avx2,generic")
    ap.add_argument("--shapes", default="5632x2048,2048x5632", help="rows x cols (cols: the input width)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mb", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=10, help="rounds per run")
    ap.add_argument("--bench", default=str(REPO / "build" / "bin" / "qkernel_bench"))
    args = ap.parse_args()
    levels = args.levels.split(",")
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    times = {}
    for r in range(args.runs):
        for i in range(len(levels)):
            level = levels[(r + i) % len(levels)]
            for qtype in args.types.split(","):
                for rows, cols in shapes:
                    order = ["", "-bf16"] if r % 2 == 0 else ["-bf16", ""]
                    for suffix in order:
                        ms = run(args.bench, qtype + suffix, level, rows, cols, args)
                        times.setdefault((level, qtype, rows, cols, suffix), []).append(ms)
    print(f"{args.runs} runs, {args.threads} threads, --mb {args.mb}, {args.repeat} rounds per run; ms per product, "
          "median of the runs' medians\n")
    print("| level | type | rows x cols | packed | expanded bf16 | bf16 / packed |")
    print("|---|---|---|---|---|---|")
    for level in levels:
        for qtype in args.types.split(","):
            for rows, cols in shapes:
                p = statistics.median(times[(level, qtype, rows, cols, "")])
                b = statistics.median(times[(level, qtype, rows, cols, "-bf16")])
                print(f"| {level} | {qtype} | {rows}x{cols} | {p:.3f} | {b:.3f} | {b / p:.2f}x |")


if __name__ == "__main__":
    main()
