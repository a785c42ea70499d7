#!/usr/bin/python3
"""Engine variants side by side: writes docs/BENCHMARKS-VARIANTS.md from one run.

Each cell (model, attention, context) is run once per variant (a name and extra `longheads bench`
flags, and VAR=VALUE environment settings) in the same run, one after the other, so the ratios
between variants come from one machine state. Default variants: the KV cache in bf16 and in int8
(q8), and block-shared LongHeads prefill.

  /usr/bin/python3 bench/variants.py --model mha-f16 --cells full:8192,longheads:32768
  /usr/bin/python3 bench/variants.py --cells tinyllama-q8_0/full:1024 \\
      --variants "kept=--kv-type bf16;expanded=--kv-type bf16 LONGHEADS_EXPAND_QUANTIZED=1"

Several runs can share one doc: --append adds this run's section to it instead of rewriting it.
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


def parse_variants(text):
    """NAME=FLAGS;... -> [(name, flags, env)]; FLAGS tokens of the form VAR=VALUE go to env."""
    out = []
    for v in text.split(";"):
        if not v.strip():
            continue
        name, flags = v.split("=", 1)
        tokens = shlex.split(flags)
        env = dict(t.split("=", 1) for t in tokens if "=" in t and not t.startswith("-"))
        out.append((name.strip(), [t for t in tokens if t.split("=", 1)[0] not in env], env))
    return out


def parse_cells(text, default_model):
    """[MODEL/]ATTENTION:CONTEXT,... -> [(model, attention, ctx)]."""
    cells = []
    for c in rb.parse_list(text):
        model, _, rest = c.rpartition("/")
        attention, n = rest.split(":")
        cells.append((model or default_model, attention, int(n)))
    return cells


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="mha-f16", help="SHAPE-TYPE, as in run_bench.py (cells may name their own)")
    ap.add_argument("--cells", default="full:8192,longheads:8192,longheads:32768",
                    help="comma list of [MODEL/]ATTENTION:CONTEXT")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS,
                    help="semicolon list of NAME=FLAGS (FLAGS may hold VAR=VALUE environment settings); the "
                         "first is the baseline of the ratios")
    ap.add_argument("--precision", default="bf16")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cli", default=str(rb.DEFAULT_CLI))
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS-VARIANTS.md"))
    ap.add_argument("--append", action="store_true", help="add a section to --doc instead of rewriting it")
    args = ap.parse_args()
    args.omp_wait_policy = "passive"
    variants = parse_variants(args.variants)
    cells = parse_cells(args.cells, args.model)

    stamp = datetime.datetime.now()
    runner = rb.Runner(args, REPO / "build" / "bench" / f"variants-{stamp:%Y%m%d-%H%M%S}-engine")
    infos, paths = {}, {}
    for model in dict.fromkeys(m for m, _, _ in cells):
        paths[model] = rb.ensure_model(pathlib.Path(args.models_dir), model, True)
        info, _, err, _ = runner.run(["info", "-m", paths[model], "--json"])
        if err:
            raise SystemExit(f"info of {model} failed: {err}")
        infos[model] = info
    rows = []
    for model, attention, n in cells:
        res = {}
        for name, flags, env in variants:
            argv = ["bench", "-m", paths[model], "--ctx", n, "--gen", args.gen, "--attention", attention,
                    "--precision", args.precision, "-t", args.threads, *flags, "--json"]
            saved = dict(runner.env)
            runner.env.update(env)
            out, wall, err, _ = runner.run(argv, timeout=3600)
            runner.env = saved
            if err:
                rb.log(f"{model} {attention} {n} [{name}]: failed: {err}")
                continue
            bw, _, bw_err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"])
            out["membw_after"] = bw["membw_bytes_per_s"] if bw and not bw_err else None
            rb.log(f"{model} {attention} {n} [{name}]: prefill {out['prefill_s']:.1f} s, decode "
                   f"{out['decode_tok_s']:.2f} tok/s, KV {out['kv_bytes'] / 2**20:.0f} MiB, RSS "
                   f"{out['peak_rss_bytes'] / 2**30:.2f} GiB")
            res[name] = out
        rows.append((model, attention, n, res))

    base = variants[0][0]
    cmd = " ".join(shlex.quote(a) for a in sys.argv[1:])
    L = [] if args.append else ["# Engine variants side by side", "",
                                "Each section is one run of `bench/variants.py`: every variant of a row ran in that "
                                "run, one after the other, and ratios are against the section's first variant. "
                                "KV bytes per cached token and head: f32 4·d, bf16 2·d, q8 d + 4 (int8 and one "
                                "float scale), for keys and values each. Block-shared prefill (`--prefill block`): "
                                "all tokens of a chunk share one selection (docs/ATTENTION.md); its quality against "
                                "the faithful rule is in docs/RESULTS-BLOCK.md.", ""]
    L += [f"## Run of {stamp:%Y-%m-%d %H:%M}", "",
          f"`/usr/bin/python3 bench/variants.py {cmd}` (git {rb.git_describe()}); precision {args.precision}, "
          f"{args.threads} threads, {args.gen} decoded tokens per cell; read bandwidth measured right after each "
          "variant of each cell.", "",
          "Models: " + "; ".join(f"`{m}` ({i['n_layer']} layers, {i['n_head']}/{i['n_head_kv']} heads of "
                                 f"{i['head_dim']})" for m, i in infos.items()) + ".", "",
          "Variants: " + "; ".join(f"**{n}** = `{' '.join(f + [f'{k}={v}' for k, v in e.items()])}`"
                                   for n, f, e in variants) + ".", "",
          f"| model | attention | context | variant | KV MiB | KV bytes per token | prefill s | prefill speed vs {base} | "
          f"decode tok/s | decode vs {base} | read GB/s after | peak RSS GiB |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, attention, n, res in rows:
        b = res.get(base)
        for name, _, _ in variants:
            r = res.get(name)
            if not r:
                L.append(f"| {model} | {attention} | {rb.ctx_label(n)} | {name} | failed | | | | | | | |")
                continue
            per_token = r["kv_bytes"] / (n + args.gen)  # the bench sizes the cache for ctx + gen tokens
            pr = f"{b['prefill_s'] / r['prefill_s']:.2f}x" if b and name != base else "—"
            dr = f"{r['decode_tok_s'] / b['decode_tok_s']:.2f}x" if b and name != base else "—"
            L.append(f"| {model} | {attention} | {rb.ctx_label(n)} | {name} | {r['kv_bytes'] / 2**20:.0f} | "
                     f"{per_token:,.0f} | {r['prefill_s']:.1f} | {pr} | {r['decode_tok_s']:.2f} | {dr} | "
                     f"{rb.fmt(r['membw_after'] and r['membw_after'] / 1e9, 1)} | "
                     f"{r['peak_rss_bytes'] / 2**30:.2f} |")
    L += ["", "KV MiB is the engine's `kv_bytes` (cache, chunk keys and RoPE table; chunk keys stay f32) for "
          "context + decoded tokens; per token is that divided by their number.", ""]
    doc = pathlib.Path(args.doc)
    text = "\n".join(L) + "\n"
    if args.append and doc.exists():
        text = doc.read_text().rstrip("\n") + "\n\n" + text
    doc.write_text(text)
    rb.log(f"wrote {doc}")


if __name__ == "__main__":
    main()
