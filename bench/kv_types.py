#!/usr/bin/python3
"""KV cache element types side by side: writes docs/BENCHMARKS-KV.md from one run.

For one model, each (attention, context) cell is run once per KV type (f32 | bf16 | q8) in the
same run, so the ratios between types come from one run on one machine state.

  /usr/bin/python3 bench/kv_types.py --model mha-f16 --cells full:8192,longheads:32768
"""
import argparse
import datetime
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import run_bench as rb  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mha-f16", help="SHAPE-TYPE, as in run_bench.py")
    ap.add_argument("--cells", default="full:8192,longheads:8192,longheads:32768",
                    help="comma list of ATTENTION:CONTEXT")
    ap.add_argument("--kv-types", default="bf16,q8")
    ap.add_argument("--precision", default="bf16")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cli", default=str(rb.DEFAULT_CLI))
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS-KV.md"))
    args = ap.parse_args()
    args.omp_wait_policy = "passive"

    stamp = datetime.datetime.now()
    runner = rb.Runner(args, REPO / "build" / "bench" / f"kv-{stamp:%Y%m%d-%H%M%S}-engine")
    path = rb.ensure_model(pathlib.Path(args.models_dir), args.model, True)
    info, _, err, _ = runner.run(["info", "-m", path, "--json"])
    if err:
        raise SystemExit(f"info failed: {err}")
    bw, _, err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"])
    bw = bw["membw_bytes_per_s"] if bw else None
    kv_types = rb.parse_list(args.kv_types)
    rows = []
    for cell in rb.parse_list(args.cells):
        attention, n = cell.split(":")
        res = {}
        for kv in kv_types:
            argv = ["bench", "-m", path, "--ctx", n, "--gen", args.gen, "--attention", attention, "--precision",
                    args.precision, "--kv-type", kv, "-t", args.threads, "--json"]
            out, wall, err, _ = runner.run(argv, timeout=3600)
            if err:
                rb.log(f"{attention} {n} {kv}: failed: {err}")
                continue
            rb.log(f"{attention} {n} {kv}: prefill {out['prefill_s']:.1f} s, decode {out['decode_tok_s']:.2f} tok/s, "
                   f"KV {out['kv_bytes'] / 2**20:.0f} MiB, RSS {out['peak_rss_bytes'] / 2**30:.2f} GiB")
            res[kv] = out
        rows.append((attention, int(n), res))

    base = kv_types[0]
    L = ["# KV cache element types", "",
         f"Made by `/usr/bin/python3 bench/kv_types.py {' '.join(sys.argv[1:])}` on {stamp:%Y-%m-%d %H:%M} "
         f"(git {rb.git_describe()}); model `{args.model}` ({info['n_layer']} layers, {info['n_head_kv']} KV heads of "
         f"{info['head_dim']}), precision {args.precision}, {args.threads} threads, {args.gen} decoded tokens per cell; "
         f"read bandwidth {bw / 1e9:.1f} GB/s. Every type of a row was run in this one run, one after the other.", "",
         "Bytes per cached token and head: f32 4·d, bf16 2·d, q8 d + 4 (int8 and one float scale) per key "
         "and per value.", "",
         "| attention | context | KV type | KV MiB | prefill s | decode tok/s | decode vs " + base + " | peak RSS GiB |",
         "|---|---|---|---|---|---|---|---|"]
    for attention, n, res in rows:
        for kv in kv_types:
            r = res.get(kv)
            if not r:
                L.append(f"| {attention} | {rb.ctx_label(n)} | {kv} | failed | | | | |")
                continue
            ratio = (f"{r['decode_tok_s'] / res[base]['decode_tok_s']:.2f}x" if base in res and kv != base else "—")
            L.append(f"| {attention} | {rb.ctx_label(n)} | {kv} | {r['kv_bytes'] / 2**20:.0f} | {r['prefill_s']:.1f} | "
                     f"{r['decode_tok_s']:.2f} | {ratio} | {r['peak_rss_bytes'] / 2**30:.2f} |")
    L += ["", "KV MiB is the engine's `kv_bytes` (cache, chunk keys and RoPE table); the chunk keys stay f32.", ""]
    pathlib.Path(args.doc).write_text("\n".join(L) + "\n")
    rb.log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
