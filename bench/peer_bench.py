#!/usr/bin/python3
"""longheads and llama.cpp side by side, in one run: prefill of 512 tokens and decode at depth 0 and
at depth 8K for F16, Q8_0, Q4_0, Q4_K_M-like and Q5_K_M-like random-weight files of one shape, the
cells of the two engines interleaved; then both engines at each forced x86 level. Writes the
section between the `peer-bench` markers of docs/BENCHMARKS.md (run_bench.py keeps it).

  /usr/bin/python3 bench/peer_bench.py                    # the full run (see bench/README.md for its duration)
  /usr/bin/python3 bench/peer_bench.py --smoke            # small shape, a few cells: checks the script
  /usr/bin/python3 bench/peer_bench.py --report-only build/bench/peer-X.jsonl

llama.cpp is the prebuilt CPU build of node-llama-cpp 3.21.1 (the version tests/oracle/package.json
pins; `npm ci` there installs it), driven by bench/peer/llamacpp_bench.mjs; nothing of llama.cpp is
built or committed. Its loader picks the best of the ggml CPU variants shipped next to libggml
(libggml-cpu-haswell.so, -skylakex.so, -zen4.so, ...); for a forced level the script runs it from a
hard-linked copy of node_modules whose bins keep one variant only. longheads is forced to a level
with LONGHEADS_CPU.

Cells (both engines, same file, same prompt generator, 2 threads):
  pp     prefill of --pp tokens (512) from an empty context; then --gen tokens decoded at that depth
  tg0    decode of --gen tokens from an empty context (one prompt token)
  tgD    decode of --gen tokens at depth D for each --depths value (8192): D tokens prefilled first
Each cell is one process per engine and is repeated --repeat times; the repeats alternate which
engine goes first, and the read bandwidth is measured after every pair.
"""
import argparse
import datetime
import json
import os
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tools" / "gguf"))
import run_bench as rb  # noqa: E402
import gguf_io  # noqa: E402
import peer_report  # noqa: E402

NODE_DIR = REPO / "tests" / "oracle"
DRIVER = REPO / "bench" / "peer" / "llamacpp_bench.mjs"
DEFAULT_FILES = "f16,q8_0,q4_0,q4_K_M,q5_K_M"
# longheads level -> the ggml CPU variant of the same instruction set (llama.cpp's names)
LEVEL_VARIANT = {"generic": "x64", "avx2": "haswell", "avx512": "skylakex", "avx512_bf16": "zen4"}


def file_facts(path):
    """Hyper-parameters and the bytes a decoded token reads from the file's tensors."""
    r = gguf_io.Reader(str(path))
    arch = r.kv["general.architecture"].value
    kv = {k.split(".", 1)[1]: v.value for k, v in r.kv.items() if k.startswith(arch + ".")}
    n_embd, n_head = int(kv["embedding_length"]), int(kv["attention.head_count"])
    sizes = {name: gguf_io.tensor_nbytes(dims, t) for name, dims, t, _ in r.tensors}
    types = {}
    for name, dims, t, _ in r.tensors:
        if len(dims) == 2:
            types[gguf_io.GGML_TYPES[t][0]] = types.get(gguf_io.GGML_TYPES[t][0], 0) + sizes[name]
    embd = sizes.get("token_embd.weight", 0)
    # Of the embedding table one row is read per token, unless it is also the output (tied: no
    # output.weight), which reads all of it.
    embd_read = embd if "output.weight" not in sizes else embd // max(1, len(r.kv["tokenizer.ggml.tokens"].value))
    return dict(n_layer=int(kv["block_count"]), n_embd=n_embd, n_head=n_head,
                n_head_kv=int(kv.get("attention.head_count_kv", n_head)),
                head_dim=int(kv.get("attention.key_length", n_embd // n_head)),
                context_length=int(kv["context_length"]), file_bytes=os.path.getsize(path),
                weight_bytes=sum(sizes.values()) - embd + embd_read,
                matrix_bytes_by_type=types)


class Engines:
    """Runs one cell of either engine; returns (result dict or None, error text or None)."""

    def __init__(self, args, snapshot):
        self.args = args
        self.ours = rb.Runner(args, snapshot)
        self.node_dirs = {}

    def longheads(self, path, ctx, gen, attention, level):
        argv = ["bench", "-m", path, "--ctx", ctx, "--gen", gen, "--attention", attention, "--precision", "bf16",
                "--kv-type", "bf16", "-t", self.args.threads, "--json"]
        saved = dict(self.ours.env)
        if level:
            self.ours.env["LONGHEADS_CPU"] = level
        try:
            res, wall, err, cmd = self.ours.run(argv, timeout=self.args.cell_timeout_s)
        finally:
            self.ours.env = saved
        if res:
            res.update(wall_s=wall, cmd=" ".join(shlex.quote(str(c)) for c in cmd))
        return res, err

    def node_modules(self, variant):
        """node_modules for llama.cpp: the installed one, or a hard-linked copy whose bins keep only
        libggml-cpu-<variant>.so."""
        base = NODE_DIR / "node_modules"
        if variant is None:
            return base
        if variant not in self.node_dirs:
            dest = self.args.work_dir / f"node-{variant}" / "node_modules"
            if dest.exists():
                shutil.rmtree(dest.parent)
            dest.parent.mkdir(parents=True)
            subprocess.run(["cp", "-al", str(base), str(dest)], check=True)
            bins = next(dest.glob("@node-llama-cpp/linux-x64/bins/*"))
            keep = f"libggml-cpu-{variant}.so"
            if not (bins / keep).exists():
                raise SystemExit(f"{bins} has no {keep}")
            for lib in bins.glob("libggml-cpu-*.so"):
                if lib.name != keep:
                    lib.unlink()
            self.node_dirs[variant] = dest
        return self.node_dirs[variant]

    def llamacpp(self, path, ctx, gen, variant, flash_attn=False):
        cmd = ["node", str(DRIVER), str(self.node_modules(variant)), str(path), str(ctx), str(gen),
               str(self.args.threads)] + (["--flash-attn"] if flash_attn else [])
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.cell_timeout_s)
        except subprocess.TimeoutExpired:
            return None, "timeout"
        if p.returncode != 0:
            return None, (p.stderr.strip() or p.stdout.strip() or f"exit {p.returncode}")[-500:]
        try:
            res = json.loads(p.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            return None, "unparsable output: " + p.stdout[-300:]
        res.update(wall_s=time.time() - t0, cmd=" ".join(shlex.quote(c) for c in cmd))
        return res, None

    def membw(self):
        bw, _, err, _ = self.ours.run(["bench", "--membw", "-t", self.args.threads, "--json"], timeout=600)
        return bw["membw_bytes_per_s"] if bw and not err else None


def cell_plan(args):
    """(kind, ctx, gen, attentions of longheads) in run order."""
    plan = [("pp", args.pp, args.gen, ["full"]), ("tg0", 1, args.gen, ["full"])]
    for d in args.depths:
        plan.append((f"tg{d}", d, args.gen, ["full", "longheads"] if args.longheads_deep else ["full"]))
    return plan


def run_pair(eng, emit, base, path, ctx, gen, attentions, rep, level, variant):
    """One repeat of one cell: llama.cpp and longheads (each attention), in alternating order."""
    jobs = [("llama.cpp", None)] + [("longheads", a) for a in attentions]
    if rep % 2 == 1:
        jobs.reverse()
    for engine, attention in jobs:
        rec = dict(base, engine=engine, attention=attention or "full", repeat=rep)
        if engine == "llama.cpp":
            res, err = eng.llamacpp(path, ctx, gen, variant, eng.args.llama_flash_attn)
        else:
            res, err = eng.longheads(path, ctx, gen, attention, level)
        if err:
            emit(dict(rec, status="failed", reason=err))
            rb.log(f"{base['file']} {base['cell']} {engine} {attention or ''}: FAILED: {err}")
        else:
            emit(dict(rec, status="ok", **res))
            rb.log(f"{base['file']} {base['cell']}{' ' + level if level else ''} {engine} {attention or ''}: "
                   f"prefill {res['prefill_tok_s']:.1f} tok/s, decode {res['decode_tok_s']:.2f} tok/s")
    bw = eng.membw()
    emit(dict(kind="membw", when="after", file=base["file"], cell=base["cell"], level=level, ok=bw is not None,
              membw_bytes_per_s=bw))


def run(args, results_path):
    snap = results_path.with_name(results_path.stem + "-engine")
    eng = Engines(args, snap)
    out = open(results_path, "a")

    def emit(rec):
        out.write(json.dumps(rec) + "\n")
        out.flush()

    emit(dict(kind="meta", started=datetime.datetime.now().isoformat(timespec="seconds"), argv=sys.argv,
              smoke=args.smoke, threads=args.threads, gen=args.gen, pp=args.pp, depths=args.depths,
              repeat=args.repeat, shape=args.shape, levels=args.levels, llama_flash_attn=args.llama_flash_attn,
              git=rb.git_describe(), cpu=rb.cpu_name(), cpu_flags=cpu_flags(), mem_total=rb.mem_total(),
              loadavg_start=rb.loadavg(), node_llama_cpp=node_package_version(), engine_snapshot=str(snap)))
    bw = eng.membw()
    emit(dict(kind="membw", when="start", ok=bw is not None, membw_bytes_per_s=bw))
    rb.log(f"read bandwidth {bw / 1e9:.2f} GB/s" if bw else "membw failed")
    paths = {}
    for f in args.files:
        paths[f] = ensure_model(args, f)
        emit(dict(kind="file", file=f, path=str(paths[f]), facts=file_facts(paths[f])))
    for f in args.files:
        for cell, ctx, gen, attentions in cell_plan(args):
            for rep in range(args.repeat):
                base = dict(kind="cell", file=f, cell=cell, ctx=ctx, gen=gen, level=None)
                run_pair(eng, emit, base, paths[f], ctx, gen, attentions, rep, None, None)
    for f in args.level_files:
        if args.levels and f not in paths:
            paths[f] = ensure_model(args, f)
            emit(dict(kind="file", file=f, path=str(paths[f]), facts=file_facts(paths[f])))
    # Repeats outermost: each round visits every level, so a slow spell of the shared host falls on
    # all levels alike instead of on whichever level ran then (the levels are compared as ratios).
    for rep in range(args.level_repeat):
        for level in args.levels:
            for f in args.level_files:
                base = dict(kind="cell", file=f, cell="pp", ctx=args.pp, gen=args.gen, level=level)
                run_pair(eng, emit, base, paths[f], args.pp, args.gen, ["full"], rep, level, LEVEL_VARIANT[level])
    bw = eng.membw()
    emit(dict(kind="membw", when="end", ok=bw is not None, membw_bytes_per_s=bw))
    emit(dict(kind="end", finished=datetime.datetime.now().isoformat(timespec="seconds"), loadavg_end=rb.loadavg()))
    out.close()


def ensure_model(args, f):
    path = pathlib.Path(args.models_dir) / f"random-{args.shape}-{f}.gguf"
    if not path.exists():
        rb.log(f"generating {path}")
        subprocess.run(["/usr/bin/python3", str(rb.GEN_SCRIPT), "--shape", args.shape, "--type", f, "--out",
                        str(path)], check=True)
    return path


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return sorted(f for f in flags if f.startswith(("avx", "fma", "f16c", "amx")))
    except OSError:
        pass
    return []


def node_package_version():
    try:
        pkg = json.loads((NODE_DIR / "node_modules" / "node-llama-cpp" / "package.json").read_text())
        rel = json.loads((NODE_DIR / "node_modules" / "node-llama-cpp" / "llama" / "binariesGithubRelease.json")
                         .read_text())
        return f"{pkg['version']} (llama.cpp binaries release {rel.get('release')})"
    except (OSError, ValueError, KeyError):
        return "unknown"


def ensure_node(args):
    if shutil.which("node") is None:
        raise SystemExit("node is missing (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "node-llama-cpp").exists():
        rb.log("installing node-llama-cpp (npm ci in tests/oracle)")
        subprocess.run(["npm", "ci", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                       check=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", default=DEFAULT_FILES, help="file types (make_random_gguf.py --type names)")
    ap.add_argument("--shape", default="tinyllama")
    ap.add_argument("--pp", type=int, default=512, help="prefill length of the pp cell")
    ap.add_argument("--gen", type=int, default=32, help="tokens decoded per cell")
    ap.add_argument("--depths", default="8192", help="depths of the deep decode cells (comma list; '' for none)")
    ap.add_argument("--no-longheads-deep", dest="longheads_deep", action="store_false",
                    help="deep cells: full attention only (default: longheads also runs LongHeads attention)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--levels", default="avx2,avx512,avx512_bf16",
                    help="forced levels run after the main table (both engines; '' for none)")
    ap.add_argument("--level-files", default="q4_0,q4_K_M")
    ap.add_argument("--level-repeat", type=int, default=2)
    ap.add_argument("--llama-flash-attn", action="store_true", help="llama.cpp with flash attention (default off)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cell-timeout-s", type=float, default=1800)
    ap.add_argument("--cli", default=str(rb.DEFAULT_CLI))
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--results", help="results file (JSON lines; default build/bench/peer-DATE.jsonl)")
    ap.add_argument("--report-only", metavar="RESULTS", help="only rewrite the doc section from a results file")
    ap.add_argument("--out", default=str(REPO / "docs" / "BENCHMARKS.md"), help="doc whose peer section is written")
    ap.add_argument("--smoke", action="store_true",
                    help="check the script: small shape, q4_0 and q4_K_M, depth 1024, gen 4, one repeat, "
                         "level avx2 on q4_0 (the section is marked as a smoke run)")
    args = ap.parse_args()
    if args.smoke:
        args.shape, args.files, args.depths, args.gen, args.repeat = "small", "q4_0,q4_K_M", "1024", 4, 1
        args.levels, args.level_files, args.level_repeat = "avx2", "q4_0", 1
    args.files = rb.parse_list(args.files)
    args.depths = rb.parse_list(args.depths, int)
    args.levels = rb.parse_list(args.levels)
    args.level_files = rb.parse_list(args.level_files)
    for lv in args.levels:
        if lv not in LEVEL_VARIANT:
            raise SystemExit(f"unknown level {lv} (one of {', '.join(LEVEL_VARIANT)})")
    args.omp_wait_policy = "passive"
    return args


def main():
    args = parse_args()
    if args.report_only:
        peer_report.write(rb.read_results(args.report_only), args.out)
        return
    if not os.access(args.cli, os.X_OK):
        raise SystemExit(f"{args.cli} not found: build first (cmake --build build -j2)")
    ensure_node(args)
    results = pathlib.Path(args.results or REPO / "build" / "bench" /
                           f"peer-{datetime.datetime.now():%Y%m%d-%H%M%S}.jsonl")
    results.parent.mkdir(parents=True, exist_ok=True)
    args.work_dir = results.with_name(results.stem + "-work")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rb.log(f"results -> {results}")
    try:
        run(args, results)
    finally:
        shutil.rmtree(args.work_dir, ignore_errors=True)  # the hard-linked node_modules copies
    peer_report.write(rb.read_results(results), args.out)
    rb.log(f"done; rewrite the section with: /usr/bin/python3 bench/peer_bench.py --report-only {results}")


if __name__ == "__main__":
    main()
