#!/usr/bin/python3
"""Engine variants side by side: writes docs/BENCHMARKS-VARIANTS.md from one run.

Each (attention, context) cell is run once per variant (a name and extra `longheads bench`
flags) in the same run, so the ratios between variants come from one machine state. Default
variants: the KV cache in bf16 and in int8 (q8), and block-shared LongHeads prefill.

  /usr/bin/python3 bench/variants.py --model mha-f16 --cells full:8192,longheads:32768
"""
import argparse
import datetime
import pathlib
import shlex
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import run_bench as rb  # noqa: E402

DEFAULT_VARIANTS = "kv bf16=--kv-type bf16;kv q8=--kv-type q8;kv bf16, prefill block=--kv-type bf16 --prefill block"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mha-f16", help="SHAPE-TYPE, as in run_bench.py")
    ap.add_argument("--cells", default="full:8192,longheads:8192,longheads:32768",
                    help="comma list of ATTENTION:CONTEXT")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS,
                    help="semicolon list of NAME=FLAGS (FLAGS may hold VAR=VALUE environment settings); the "
                         "first is the baseline of the ratios")
    ap.add_argument("--precision", default="bf16")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cli", default=str(rb.DEFAULT_CLI))
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS-VARIANTS.md"))
    args = ap.parse_args()
    args.omp_wait_policy = "passive"
    variants = [(v.split("=", 1)[0].strip(), shlex.split(v.split("=", 1)[1])) for v in args.variants.split(";") if v]

    stamp = datetime.datetime.now()
    runner = rb.Runner(args, REPO / "build" / "bench" / f"variants-{stamp:%Y%m%d-%H%M%S}-engine")
    path = rb.ensure_model(pathlib.Path(args.models_dir), args.model, True)
    info, _, err, _ = runner.run(["info", "-m", path, "--json"])
    if err:
        raise SystemExit(f"info failed: {err}")
    bw, _, err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"])
    bw = bw["membw_bytes_per_s"] if bw else None
    rows = []
    for cell in rb.parse_list(args.cells):
        attention, n = cell.split(":")
        res = {}
        for name, flags in variants:
            # NAME=VALUE tokens (e.g. LONGHEADS_EXPAND_QUANTIZED=1) go to the environment of the run.
            env = dict(f.split("=", 1) for f in flags if "=" in f and not f.startswith("-"))
            flags = [f for f in flags if not ("=" in f and not f.startswith("-"))]
            argv = ["bench", "-m", path, "--ctx", n, "--gen", args.gen, "--attention", attention, "--precision",
                    args.precision, "-t", args.threads, *flags, "--json"]
            saved = dict(runner.env)
            runner.env.update(env)
            out, wall, err, _ = runner.run(argv, timeout=3600)
            runner.env = saved
            if err:
                rb.log(f"{attention} {n} [{name}]: failed: {err}")
                continue
            rb.log(f"{attention} {n} [{name}]: prefill {out['prefill_s']:.1f} s, decode {out['decode_tok_s']:.2f} "
                   f"tok/s, KV {out['kv_bytes'] / 2**20:.0f} MiB, RSS {out['peak_rss_bytes'] / 2**30:.2f} GiB")
            res[name] = out
        rows.append((attention, int(n), res))

    base = variants[0][0]
    L = ["# Engine variants side by side", "",
         f"Made by `/usr/bin/python3 bench/variants.py {' '.join(shlex.quote(a) for a in sys.argv[1:])}` on "
         f"{stamp:%Y-%m-%d %H:%M} (git {rb.git_describe()}); model `{args.model}` ({info['n_layer']} layers, "
         f"{info['n_head']}/{info['n_head_kv']} heads of {info['head_dim']}), precision {args.precision}, "
         f"{args.threads} threads, {args.gen} decoded tokens per cell; read bandwidth "
         f"{bw / 1e9 if bw else float('nan'):.1f} GB/s. All variants of a row ran in this one run, one after the "
         "other; ratios are against the first variant.", "",
         "Variants: " + "; ".join(f"**{n}** = `{' '.join(f)}`" for n, f in variants) + ".", "",
         "KV bytes per cached token and head: f32 4·d, bf16 2·d, q8 d + 4 (int8 and one float scale), for "
         "keys and values each. Block-shared prefill (`--prefill block`): all tokens of a chunk share one "
         "selection (docs/ATTENTION.md); its quality against the faithful rule is in docs/RESULTS.md.", "",
         f"| attention | context | variant | KV MiB | KV bytes per token | prefill s | prefill vs {base} | decode tok/s "
         f"| decode vs {base} | peak RSS GiB |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for attention, n, res in rows:
        b = res.get(base)
        for name, _ in variants:
            r = res.get(name)
            if not r:
                L.append(f"| {attention} | {rb.ctx_label(n)} | {name} | failed | | | | | | |")
                continue
            pr = f"{b['prefill_s'] / r['prefill_s']:.2f}x faster" if b and name != base else "—"
            dr = f"{r['decode_tok_s'] / b['decode_tok_s']:.2f}x" if b and name != base else "—"
            per_token = r['kv_bytes'] / (n + args.gen)  # the bench sizes the cache for ctx + gen tokens
            L.append(f"| {attention} | {rb.ctx_label(n)} | {name} | {r['kv_bytes'] / 2**20:.0f} | {per_token:,.0f} | "
                     f"{r['prefill_s']:.1f} | "
                     f"{pr} | {r['decode_tok_s']:.2f} | {dr} | {r['peak_rss_bytes'] / 2**30:.2f} |")
    L += ["", "KV MiB is the engine's `kv_bytes` (cache, chunk keys and RoPE table; chunk keys stay f32) for "
          "context + decoded tokens; per token is that divided by their number.", ""]
    pathlib.Path(args.doc).write_text("\n".join(L) + "\n")
    rb.log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
