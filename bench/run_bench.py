#!/usr/bin/python3
"""Speed and memory matrix for docs/BENCHMARKS.md: models x precision x attention x context, measured
with `longheads bench ... --json` and `longheads bench --membw`. Every figure and ratio in the doc
comes from one run of this script (one results file).

  /usr/bin/python3 bench/run_bench.py                 # the whole matrix (hours; see bench/README.md)
  /usr/bin/python3 bench/run_bench.py --quick         # smoke run: small shape, 512..4K, marked as such
  /usr/bin/python3 bench/run_bench.py --report-only build/bench/results-X.jsonl   # rewrite the doc only

Models are random-weight GGUFs of real shapes made by tools/make-test-model/make_random_gguf.py
(generated into build/models/ when missing). Cells are run in increasing context order per series
(model, precision, attention); a cell whose predicted wall time exceeds the time limit is skipped,
together with the larger contexts of its series, and the doc says so.
"""
import argparse
import datetime
import json
import math
import os
import pathlib
import platform
import shlex
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import plot_svg  # noqa: E402

GEN_SCRIPT = REPO / "tools" / "make-test-model" / "make_random_gguf.py"
DEFAULT_CLI = REPO / "build" / "bin" / "longheads"
DEFAULT_MODELS = "tinyllama-f16,tinyllama-bf16,tinyllama-q8_0,tinyllama-q4_0,mha-f16"
DEFAULT_CONTEXTS = "512,1024,2048,4096,8192,16384,32768"
DEFAULT_LH_EXTRA = "65536"
# bytes per element of a matrix as stored in the file
FILE_BPE = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
LLAMACPP = dict(prefill_512=93.6, prefill_2048=84.3, prefill_512_at_4096=46.8, decode=11.8)
SHAPE_LABEL = {"tinyllama": "TinyLlama-1.1B shape", "mha": "multi-head shape (Llama-2-7B layers, 4 of them)",
               "small": "small shape"}


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def parse_list(s, conv=str):
    return [conv(x) for x in s.split(",") if x.strip()] if s else []


def model_path(models_dir, name):
    return pathlib.Path(models_dir) / f"random-{name}.gguf"


def split_name(name):
    shape, typ = name.rsplit("-", 1)
    return shape, typ


def ensure_model(models_dir, name, allow_generate):
    path = model_path(models_dir, name)
    if path.exists():
        return path
    if not allow_generate:
        raise SystemExit(f"{path} is missing (run tools/make-test-model/make_random_gguf.py or drop --no-generate)")
    shape, typ = split_name(name)
    log(f"generating {path}")
    subprocess.run(["/usr/bin/python3", str(GEN_SCRIPT), "--shape", shape, "--type", typ, "--out", str(path)],
                   check=True)
    return path


def parse_score_at_len(text, scores, need_len=False):
    """'bound_mid@1536' -> ('bound_mid', 1536); 'bound_mid' -> ('bound_mid', None) unless need_len.
    scores: the accepted score names."""
    score, _, attn_len = text.partition("@")
    if score not in scores or (attn_len and not attn_len.isdigit()) or (need_len and not attn_len):
        form = "SCORE@L" if need_len else "SCORE or SCORE@L"
        raise SystemExit(f"{text!r} is not {form} with SCORE one of {', '.join(scores)}")
    return score, int(attn_len) if attn_len else None


def lh_defaults(T, chunk_score="bound_mid", attn_len=None):
    """LongHeads settings the library resolves from the trained context T for a chunk score
    (docs/ATTENTION.md): w, L (attn_len if given), B = L, K = L/w and the local chunks."""
    w = 1
    while w * 2 <= min(max(16, T // 16), max(T // 6, 1)):
        w *= 2
    L = attn_len or max(w, 3 * T // 4 // w * w)
    K = L // w
    local = 4 if chunk_score not in ("faithful", None) and K >= 8 else 2
    return dict(w=w, L=L, B=L, K=K, local=local)


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (0, 0, 0)


def snapshot_engine(cli, dest):
    """Copies the CLI and liblongheads.so* (from ../lib beside bin/) to dest, so that a rebuild of
    build/ during a long run cannot change the engine under it. Returns (cli copy, library dir)."""
    import shutil
    dest.mkdir(parents=True, exist_ok=True)
    cli = pathlib.Path(cli).resolve()
    shutil.copy2(cli, dest / cli.name)
    libdir = cli.parent.parent / "lib"
    for lib in sorted(libdir.glob("liblongheads.so*")):
        shutil.copy2(lib.resolve(), dest / lib.name)  # symlinks become copies under their own names
    return dest / cli.name, dest


class Runner:
    def __init__(self, args, snapshot_dir=None):
        self.args = args
        self.cli = str(args.cli)
        self.env = dict(os.environ)
        if args.omp_wait_policy != "unset":
            self.env["OMP_WAIT_POLICY"] = args.omp_wait_policy
        if snapshot_dir is not None:
            cli, libdir = snapshot_engine(args.cli, snapshot_dir)
            self.cli = str(cli)
            self.env["LD_LIBRARY_PATH"] = str(libdir) + (":" + self.env["LD_LIBRARY_PATH"]
                                                         if self.env.get("LD_LIBRARY_PATH") else "")

    def run(self, argv, timeout=None):
        cmd = [self.cli, *map(str, argv)]
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, time.time() - t0, "timeout", cmd
        wall = time.time() - t0
        if p.returncode != 0:
            return None, wall, (p.stderr.strip() or p.stdout.strip() or f"exit {p.returncode}")[-500:], cmd
        try:
            return json.loads(p.stdout.strip().splitlines()[-1]), wall, None, cmd
        except (json.JSONDecodeError, IndexError):
            return None, wall, "unparsable output: " + p.stdout[-300:], cmd


# -------------------------------------------------------------------------------------------------
# Prediction of a cell's wall time from the cells already measured in its series
# -------------------------------------------------------------------------------------------------
def predict(done, n, attention, gen):
    """done: list of measured records (ascending ctx). Returns predicted wall seconds or None."""
    if not done:
        return None
    last = done[-1]
    n2, t2 = last["ctx"], last["prefill_s"]
    if len(done) >= 2:
        n1, t1 = done[-2]["ctx"], done[-2]["prefill_s"]
        b = (t2 / n2 - t1 / n1) / (n2 - n1)
        b = max(b, 0.0)
        a = max(t2 / n2 - b * n2, 0.0)
        prefill = a * n + b * n * n
    else:
        prefill = t2 * (n / n2) ** (2 if attention == "full" else 1)
    dec = 0.0
    if gen > 0 and last.get("decode_tok_s"):
        per_tok = 1.0 / last["decode_tok_s"]
        dec = gen * per_tok * (n / n2 if attention == "full" else 1.0)
    overhead = max(last["wall_s"] - last["prefill_s"] - (gen / last["decode_tok_s"] if last.get("decode_tok_s") else 0),
                   0.0)
    return prefill + dec + overhead


# -------------------------------------------------------------------------------------------------
# Bytes read per decoded token
# -------------------------------------------------------------------------------------------------
def bytes_per_token(info, cell, kv_elem, chunk_score=None, local_chunks=None):
    """Weights + attended KV + chunk-score state read to decode one token at depth ctx (see the doc).
    chunk_score: the cell's LongHeads score (default: the cell's "chunk_score", else "faithful");
    the attention length is info's "attn_len" if set, and the local chunks the library's default
    for the score unless given."""
    nl, nh, nkv, d = info["n_layer"], info["n_head"], info["n_head_kv"], info["head_dim"]
    embd = info["n_vocab"] * info["n_embd"] * FILE_BPE[info["_type"]]
    weights = cell["weight_bytes"] - embd  # token_embd: one row per token
    n = cell["ctx"]
    full_kv = 2 * nl * nkv * d * n * kv_elem
    chunk = 0.0
    if cell["attention"] == "full":
        kv = full_kv
    else:
        score = chunk_score or cell.get("chunk_score", "faithful")
        p = lh_defaults(info["context_length"], score, info.get("attn_len"))
        w, B, K = p["w"], p["B"], p["K"]
        local_chunks = p["local"] if local_chunks is None else local_chunks
        if n < B:
            kv = full_kv
        else:
            m = n // w
            n_best = min(max(K - 1 - local_chunks, 0), max(m - local_chunks, 0))
            # the sink, the best and the local chunks, the current (partial) one half full on average
            tokens = (1 + n_best + local_chunks - 1) * w + w / 2
            # The query heads of a KV group are attended together and a chunk several of them
            # chose is read once, so a KV head reads between one selection (all its heads agree)
            # and one per query head. The lower bound is what any exact implementation must read.
            kv = 2 * nl * nkv * d * tokens * kv_elem
            if score == "faithful":
                chunk = nl * nh * m * d * 4.0  # f32 chunk keys, one per chunk and query head
            elif score in ("bound", "bound_mid"):
                chunk = nl * nkv * m * 2 * d * kv_elem  # one [max | min] row per chunk and KV head
            else:  # max: every candidate chunk's keys
                chunk = nl * nkv * max(m - local_chunks, 0) * w * d * kv_elem
    return dict(weights=weights, kv=kv, chunk=chunk, total=weights + kv + chunk)


# -------------------------------------------------------------------------------------------------
def series_contexts(args, name, precision, attention):
    """Contexts of one series (model, precision, attention), ascending."""
    ctxs = parse_list(args.contexts, int) + (parse_list(args.lh_extra_contexts, int) if attention == "longheads"
                                             else [])
    ctxs = sorted(c for c in set(ctxs) if c <= args.max_ctx)
    long_models = None if args.long_models == "all" else set(parse_list(args.long_models))
    if long_models is not None and name not in long_models and f"{name}:{precision}" not in long_models:
        ctxs = [c for c in ctxs if c <= args.short_max_ctx]
    return ctxs


def print_plan(args):
    n = 0
    for name in parse_list(args.models):
        for precision in parse_list(args.precisions):
            for attention in parse_list(args.attentions):
                ctxs = series_contexts(args, name, precision, attention)
                n += len(ctxs)
                print(f"{name:16} {precision:5} {attention:10} " + " ".join(ctx_label(c) for c in ctxs))
    print(f"{n} cells at most (the time box may skip some)")


def run_matrix(args, results_path):
    snap = None if args.no_snapshot else results_path.with_name(results_path.stem + "-engine")
    runner = Runner(args, snap)
    if snap:
        log(f"engine copied to {snap}")
    records = []
    resumed = {}
    if args.resume:
        for r in read_results(args.resume):
            if r["kind"] == "cell" and r["status"] == "ok":
                resumed[(r["model"], r["precision"], r["attention"], r["ctx"])] = r
        log(f"resuming: {len(resumed)} measured cells from {args.resume}")
    same_file = bool(args.resume) and os.path.realpath(args.resume) == os.path.realpath(results_path)
    out = open(results_path, "a")

    def emit(rec):
        records.append(rec)
        out.write(json.dumps(rec) + "\n")
        out.flush()

    meta = dict(kind="meta", started=datetime.datetime.now().isoformat(timespec="seconds"),
                argv=sys.argv, smoke=args.quick or args.smoke, threads=args.threads, gen=args.gen,
                kv_type=args.kv_type, prefill=args.prefill, omp_wait_policy=args.omp_wait_policy,
                time_limit_full_s=args.time_limit_s, time_limit_lh_s=args.lh_time_limit_s,
                loadavg_start=loadavg(), git=git_describe(), cpu=cpu_name(), mem_total=mem_total(),
                cli=str(args.cli), engine_snapshot=str(snap) if snap else None,
                engine_mtime=datetime.datetime.fromtimestamp(os.path.getmtime(args.cli)).isoformat(timespec="seconds"))
    emit(meta)

    bw, wall, err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"], timeout=600)
    emit(dict(kind="membw", when="start", ok=err is None, error=err, **(bw or {})))
    log(f"read bandwidth: {bw['membw_bytes_per_s'] / 1e9:.2f} GB/s" if bw else f"membw failed: {err}")

    kv_flag = [] if args.kv_type == "default" else ["--kv-type", args.kv_type]
    pf_flag = [] if args.prefill == "default" else ["--prefill", args.prefill]
    for name in parse_list(args.models):
        path = ensure_model(args.models_dir, name, not args.no_generate)
        info, _, err, _ = runner.run(["info", "-m", path, "--json"], timeout=600)
        if err:
            emit(dict(kind="model", model=name, ok=False, error=err))
            log(f"{name}: info failed: {err}")
            continue
        info["_type"] = split_name(name)[1]
        info["_shape"] = split_name(name)[0]
        emit(dict(kind="model", model=name, ok=True, path=str(path), info=info))
        for precision in parse_list(args.precisions):
            for attention in parse_list(args.attentions):
                ctxs = series_contexts(args, name, precision, attention)
                limit = args.time_limit_s if attention == "full" else args.lh_time_limit_s
                done, skip_reason, skip_at = [], None, None
                for n in ctxs:
                    base = dict(kind="cell", model=name, precision=precision, attention=attention, ctx=n,
                                gen=args.gen, threads=args.threads)
                    key = (name, precision, attention, n)
                    if key in resumed:
                        rec = dict(resumed[key])
                        if not same_file:
                            rec["resumed"] = True
                            emit(rec)
                        done.append(rec)
                        continue
                    if skip_reason is None:
                        pred = predict(done, n, attention, args.gen)
                        if pred is not None and pred > limit:
                            skip_reason = f"predicted {pred:.0f} s > limit {limit:.0f} s"
                        params = info["n_params"]
                        need = (os.path.getsize(path) + params * (4 if precision == "f32" else 2)
                                + 2 * info["n_layer"] * info["n_head_kv"] * info["head_dim"] * n * 4 * 1.1)
                        if skip_reason is None and need > mem_available() * 0.9:
                            skip_reason = (f"needs ~{need / 2**30:.1f} GiB, {mem_available() / 2**30:.1f} GiB "
                                           "available")
                    if skip_reason:
                        if skip_at is None:
                            skip_at = n
                        reason = (skip_reason if skip_at == n
                                  else f"series stopped at {ctx_label(skip_at)}: {skip_reason}")
                        emit(dict(base, status="skipped", reason=reason))
                        log(f"{name} {precision} {attention} {n}: skipped ({skip_reason})")
                        continue
                    argv = ["bench", "-m", path, "--ctx", n, "--gen", args.gen, "--attention", attention,
                            "--precision", precision, "-t", args.threads, *kv_flag, *pf_flag, "--json"]
                    reps = []
                    for _ in range(args.repeat):
                        res, wall, err, cmd = runner.run(argv, timeout=max(3 * limit, 300))
                        if err:
                            break
                        res["wall_s"] = wall
                        reps.append(res)
                    cmd_str = " ".join(shlex.quote(str(c)) for c in cmd)
                    if err:
                        status = "timeout" if err == "timeout" else "failed"
                        emit(dict(base, status=status, reason=err, cmd=cmd_str, wall_s=wall))
                        log(f"{name} {precision} {attention} {n}: {status}: {err}")
                        skip_reason, skip_at = f"{status} at {ctx_label(n)}", n
                        continue
                    res = median_record(reps)
                    # The machine's bandwidth drifts by tens of % within minutes (other tenants):
                    # measure it right after each cell for that cell's % of the limit.
                    bw_after, _, bw_err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"],
                                                        timeout=600)
                    rec = dict(base, status="ok", cmd=cmd_str, loadavg=loadavg(), **res)
                    if bw_after and not bw_err:
                        rec["membw_after"] = bw_after["membw_bytes_per_s"]
                    rec["bytes"] = bytes_per_token(info, rec, kv_elem(args.kv_type, info["head_dim"]))
                    emit(rec)
                    done.append(rec)
                    log(f"{name} {precision} {attention} {n}: prefill {rec['prefill_s']:.2f} s "
                        f"({rec['prefill_tok_s']:.1f} tok/s), decode {rec['decode_tok_s']:.2f} tok/s, "
                        f"RSS {rec['peak_rss_bytes'] / 2**30:.2f} GiB, wall {rec['wall_s']:.0f} s")

    bw2, _, err, _ = runner.run(["bench", "--membw", "-t", args.threads, "--json"], timeout=600)
    emit(dict(kind="membw", when="end", ok=err is None, error=err, **(bw2 or {})))
    emit(dict(kind="end", finished=datetime.datetime.now().isoformat(timespec="seconds"), loadavg_end=loadavg()))
    out.close()
    return records


def median_record(reps):
    if len(reps) == 1:
        return reps[0]
    by_decode = sorted(reps, key=lambda r: r["decode_tok_s"])
    rec = dict(by_decode[len(by_decode) // 2])
    rec["prefill_s"] = statistics.median(r["prefill_s"] for r in reps)
    rec["prefill_tok_s"] = rec["ctx"] / rec["prefill_s"]
    rec["repeats"] = len(reps)
    return rec


def kv_elem(kv_type, head_dim=None):
    """Bytes per cached element (int8: the per-row scale spread over the row)."""
    if kv_type == "q8":
        return 1.0 + (4.0 / head_dim if head_dim else 0.0)
    return 2 if kv_type == "bf16" else 4  # the engine's default KV type is f32


def git_describe():
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def read_results(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# -------------------------------------------------------------------------------------------------
# Report
# -------------------------------------------------------------------------------------------------
def fmt(v, nd=1, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "—"
    if abs(v) >= 100 and nd <= 1:
        return f"{v:.0f}{unit}"
    return f"{v:.{nd}f}{unit}"


def ctx_label(n):
    return f"{n // 1024}K" if n >= 1024 and n % 1024 == 0 else str(n)


class Report:
    def __init__(self, records, doc_path, plots_dir):
        self.records = records
        self.doc = pathlib.Path(doc_path)
        self.plots = pathlib.Path(plots_dir)
        self.meta = next((r for r in records if r["kind"] == "meta"), {})
        self.models = {r["model"]: r["info"] for r in records if r["kind"] == "model" and r.get("ok")}
        self.model_order = list(dict.fromkeys(r["model"] for r in records if r["kind"] == "model"))
        self.cells = {}
        for r in records:
            if r["kind"] == "cell":
                self.cells[(r["model"], r["precision"], r["attention"], r["ctx"])] = r
        bws = [r for r in records if r["kind"] == "membw" and r.get("ok")]
        self.bw_start = next((r["membw_bytes_per_s"] for r in bws if r["when"] == "start"), None)
        self.bw_end = next((r["membw_bytes_per_s"] for r in reversed(bws) if r["when"] == "end"), None)
        self.bw = self.bw_start or self.bw_end
        ends = [r for r in records if r["kind"] == "end"]
        self.end = ends[-1] if ends else {}
        self.n_starts = sum(1 for r in records if r["kind"] == "meta")
        self.precisions = list(dict.fromkeys(k[1] for k in self.cells))
        self.attentions = list(dict.fromkeys(k[2] for k in self.cells))

    def ok(self, model, prec, att, n):
        c = self.cells.get((model, prec, att, n))
        return c if c and c["status"] == "ok" else None

    def value(self, model, prec, att, n, field):
        c = self.ok(model, prec, att, n)
        return c[field] if c else None

    def contexts(self, model, prec=None, att=None):
        return sorted({k[3] for k in self.cells if k[0] == model and (prec is None or k[1] == prec)
                       and (att is None or k[2] == att)})

    def cell_bandwidths(self):
        """The bandwidths measured after the cells, ascending."""
        return sorted(c["membw_after"] for c in self.cells.values() if c.get("membw_after"))

    def median_bw(self):
        bws = self.cell_bandwidths()
        return bws[len(bws) // 2] if bws else None

    def bw_pct(self, c, bw=None):
        bw = c and (bw or c.get("membw_after") or self.bw)
        if not c or not bw or not c.get("decode_tok_s"):
            return None
        return 100.0 * c["bytes"]["total"] * c["decode_tok_s"] / bw

    def mem_ratio(self, c):
        if not c:
            return None
        return c["peak_rss_bytes"] / (c["weight_bytes"] + c["kv_bytes"])

    def extrapolated_full(self, model, prec, n, field):
        """Full-mode figure at n from its two largest measured contexts: decode time per token and
        prefill time fitted as a + b*n (decode) and a*n + b*n^2 (prefill)."""
        pts = [(c, self.ok(model, prec, "full", c)) for c in self.contexts(model, prec, "full")]
        pts = [(c, r) for c, r in pts if r]
        if len(pts) < 2:
            return None
        (n1, r1), (n2, r2) = pts[-2], pts[-1]
        if n2 >= n:
            return None
        if field == "decode_tok_s":
            s1, s2 = 1 / r1["decode_tok_s"], 1 / r2["decode_tok_s"]
            slope = max((s2 - s1) / (n2 - n1), 0.0)
            return 1.0 / (s2 + slope * (n - n2))
        t1, t2 = r1["prefill_s"], r2["prefill_s"]
        b = max((t2 / n2 - t1 / n1) / (n2 - n1), 0.0)
        a = max(t2 / n2 - b * n2, 0.0)
        return a * n + b * n * n

    # ---------------------------------------------------------------------------------------
    def write(self):
        self.plots.mkdir(parents=True, exist_ok=True)
        L = []
        smoke = self.meta.get("smoke")
        L += ["# Benchmarks: speed and memory", ""]
        if smoke:
            L += ["> **SMOKE RUN — not the benchmark.** These figures come from a quick pass that checks "
                  "`bench/run_bench.py` end to end (few models and contexts, few decoded tokens) on a machine shared with "
                  "other jobs (see the load average below); they say nothing about the targets. The real "
                  "run is `/usr/bin/python3 bench/run_bench.py` on a quiet machine (see `bench/README.md`).", ""]
        L += self.section_setup()
        L += self.section_targets()
        L += self.section_llamacpp()
        for m in self.model_order:
            if m in self.models:
                L += self.section_model(m)
        L += self.section_bandwidth_model()
        L += self.section_skipped()
        text = "\n".join(L) + "\n"
        if self.doc.exists():  # the sections of peer_bench.py and read_once_ask_many.py stay
            import peer_report
            import read_once_ask_many
            text = peer_report.keep_section(self.doc.read_text(), text)
            text = read_once_ask_many.keep_section(self.doc.read_text(), text)
        self.doc.write_text(text)
        keep = {f"{kind}-{m.replace('/', '_')}.svg" for m in self.models for kind in ("decode", "prefill")}
        for old in list(self.plots.glob("decode-*.svg")) + list(self.plots.glob("prefill-*.svg")):
            if old.name not in keep:
                old.unlink()  # a plot of a model that is not in this run
        log(f"wrote {self.doc}")

    def section_setup(self):
        m = self.meta
        la0 = m.get("loadavg_start") or [0, 0, 0]
        la1 = self.end.get("loadavg_end") or [0, 0, 0]
        flags = [f"`-t {m.get('threads')}`", f"`--gen {m.get('gen')}`"]
        flags.append(f"KV cache {'engine default (f32)' if m.get('kv_type') == 'default' else m.get('kv_type')}")
        flags.append(f"LongHeads prefill {'engine default (token)' if m.get('prefill') == 'default' else m.get('prefill')}")
        cmds = []
        for meta in (r for r in self.records if r["kind"] == "meta"):
            argv = meta.get("argv") or []
            c = " ".join(["/usr/bin/python3 bench/run_bench.py", *(shlex.quote(a) for a in argv[1:])])
            if c not in cmds:
                cmds.append(c)
        cmd = "`, then `".join(cmds) or "?"
        L = ["## Setup", "",
             f"- Run: {m.get('started', '?')} → {self.end.get('finished', 'unfinished')}; command `{cmd}`"
             + (f" (interrupted and resumed: {self.n_starts} starts on this results file)" if self.n_starts > 1
                else "") + ".",
             f"- Engine: `{m.get('cli', '?')}` (built {m.get('engine_mtime', '?')}"
             + (", run from a copy made at the start" if m.get("engine_snapshot") else "")
             + f") at commit {m.get('git', '?')}; {', '.join(flags)}; "
             f"`OMP_WAIT_POLICY={m.get('omp_wait_policy')}`.",
             f"- Machine: {m.get('cpu', '?')}, {os.cpu_count()} cores, {m.get('mem_total', 0) / 2**30:.0f} GiB; "
             f"load average {la0[0]:.1f} at the start, {la1[0]:.1f} at the end"
             + (" (**busy: other jobs were running, figures are noisy**)" if max(la0[0], la1[0]) > 2.5 else "") + ".",
             f"- Read bandwidth (`longheads bench --membw -t {m.get('threads')}`): "
             f"{fmt(self.bw_start and self.bw_start / 1e9, 2)} GB/s at the start, "
             f"{fmt(self.bw_end and self.bw_end / 1e9, 2)} GB/s at the end, and again right after each cell: a "
             "cell's `% BW` uses the figure measured right after it (the start figure if that is missing).",
             f"- Time box: a cell predicted (from the smaller contexts of its series) to take more than "
             f"{m.get('time_limit_full_s', 0):.0f} s (full) / {m.get('time_limit_lh_s', 0):.0f} s (longheads) is "
             "skipped with the larger contexts of its series (listed at the end). Each cell is one process: "
             "load, prefill N tokens of a fixed pseudo-random prompt, then decode G tokens greedily; "
             "`decode tok/s` is their mean rate at depth N.",
             "", "Models (random weights, `tools/make-test-model/make_random_gguf.py`):", "",
             "| model | shape | layers | n_embd | heads (q/kv) | head dim | FFN | T | file GB | LongHeads w / L / B |",
             "|---|---|---|---|---|---|---|---|---|---|"]
        for name in self.model_order:
            i = self.models.get(name)
            if not i:
                L.append(f"| {name} | failed to load | | | | | | | | |")
                continue
            p = lh_defaults(i["context_length"])
            L.append(f"| {name} | {SHAPE_LABEL.get(i['_shape'], i['_shape'])} | {i['n_layer']} | {i['n_embd']} | "
                     f"{i['n_head']}/{i['n_head_kv']} | {i['head_dim']} | {i['n_ff']} | {i['context_length']} | "
                     f"{i['file_bytes'] / 1e9:.2f} | {p['w']} / {p['L']} / {p['B']} |")
        return L + [""]

    def primary(self, shape):
        """The model used for the targets: the first one of that shape (F16 preferred)."""
        cands = [m for m in self.model_order if m in self.models and self.models[m]["_shape"] == shape]
        f16 = [m for m in cands if m.endswith("-f16")]
        return (f16 or cands or [None])[0]

    def section_targets(self):
        L = ["## Targets (issue 6)", ""]
        tl = self.primary("tinyllama")
        main = tl or (self.model_order[0] if self.model_order else None)
        if not tl and main:
            L += [f"No TinyLlama-shaped model in this run: the ratios below use `{main}` instead.", ""]
        mha = self.primary("mha")
        L += ["| target | model | precision | measured | met? |", "|---|---|---|---|---|"]

        def verdict(v, ok):
            return "—" if v is None else ("yes" if ok else "**no**")

        for prec in self.precisions:
            if not main:
                break
            d1, d32 = self.value(main, prec, "longheads", 1024, "decode_tok_s"), \
                self.value(main, prec, "longheads", 32768, "decode_tok_s")
            r = d32 / d1 if d1 and d32 else None
            c1, c32 = self.ok(main, prec, "longheads", 1024), self.ok(main, prec, "longheads", 32768)
            b1, b32 = c1 and c1.get("membw_after"), c32 and c32.get("membw_after")
            rn = r * b1 / b32 if r and b1 and b32 else None
            note = (f" (per GB/s of the bandwidth measured after each cell, {b32 / 1e9:.1f} and {b1 / 1e9:.1f}: "
                    f"{fmt(rn, 2)})" if rn else "")
            L.append(f"| longheads decode at 32K ≥ 0.8 × decode at 1K | {main} | {prec} | "
                     f"{fmt(d32, 2)} / {fmt(d1, 2)} tok/s = **{fmt(r, 2)}**{note} | {verdict(r, r and r >= 0.8)} |")
        for prec in self.precisions:
            if not main:
                break
            p4, p32 = self.value(main, prec, "longheads", 4096, "prefill_s"), \
                self.value(main, prec, "longheads", 32768, "prefill_s")
            r = p32 / p4 if p4 and p32 else None
            L.append(f"| longheads prefill 32K ≤ 10 × prefill 4K | {main} | {prec} | "
                     f"{fmt(p32, 1)} s / {fmt(p4, 1)} s = **{fmt(r, 2)}** | {verdict(r, r and r <= 10)} |")
        for prec in self.precisions:
            for att in self.attentions:
                if not main:
                    break
                pcts = [(n, self.bw_pct(self.ok(main, prec, att, n))) for n in self.contexts(main, prec, att)]
                pcts = [(n, p) for n, p in pcts if p is not None]
                if not pcts:
                    continue
                nmin, pmin = min(pcts, key=lambda x: x[1])
                med = self.median_bw()
                alt = ""
                if med:
                    mp = [(n, self.bw_pct(self.ok(main, prec, att, n), med)) for n, _ in pcts]
                    n2, p2 = min(mp, key=lambda x: x[1])
                    alt = (f"; with the run's median bandwidth ({med / 1e9:.1f} GB/s) for every cell: lowest "
                           f"{p2:.1f} % (at {ctx_label(n2)}), highest {max(p for _, p in mp):.0f} %")
                L.append(f"| decode ≥ 70 % of the bandwidth limit at every context | {main} | {prec} | "
                         f"{att}: lowest **{pmin:.1f} %** (at {ctx_label(nmin)}), highest "
                         f"{max(p for _, p in pcts):.0f} %{alt} | {verdict(pmin, pmin >= 70)} |")
        for prec in self.precisions:
            if not main:
                break
            c = self.ok(main, prec, "longheads", 32768)
            r = self.mem_ratio(c)
            L.append(f"| peak RSS at 32K ≤ weights + KV + 15 % (longheads) | {main} | {prec} | "
                     + (f"{c['peak_rss_bytes'] / 2**30:.2f} GiB vs {(c['weight_bytes'] + c['kv_bytes']) / 2**30:.2f} "
                        f"GiB = **{(r - 1) * 100:+.0f} %**" if c else "—") + f" | {verdict(r, r and r <= 1.15)} |")
        for prec in self.precisions:
            if not tl:
                L.append(f"| prefill and decode at short context ≥ llama.cpp (F16 TinyLlama shape) | — | {prec} | "
                         "no TinyLlama-shaped model in this run | n/a |")
                continue
            for n, ref in ((512, LLAMACPP["prefill_512"]), (2048, LLAMACPP["prefill_2048"])):
                pf = self.value(tl, prec, "full", n, "prefill_tok_s") or \
                    self.value(tl, prec, "longheads", n, "prefill_tok_s")
                L.append(f"| prefill {n} ≥ llama.cpp ({ref} tok/s, F16, another day) | {tl} | {prec} | "
                         f"**{fmt(pf, 1)}** tok/s | {verdict(pf, pf and pf >= ref)} |")
            dc = self.value(tl, prec, "full", 512, "decode_tok_s") or \
                self.value(tl, prec, "longheads", 512, "decode_tok_s")
            L.append(f"| decode at 512 ≥ llama.cpp (11.8 tok/s, F16, another day) | {tl} | {prec} | "
                     f"**{fmt(dc, 2)}** tok/s | {verdict(dc, dc and dc >= LLAMACPP['decode'])} |")
        bws = self.cell_bandwidths()
        if len(bws) >= 4:
            L += ["", f"Reading the decode figures: the machine is shared, and the read bandwidth measured right "
                  f"after the {len(bws)} cells ranged from {bws[0] / 1e9:.1f} to {bws[-1] / 1e9:.1f} GB/s "
                  f"(median {bws[len(bws) // 2] / 1e9:.1f}). A decode of a few seconds and a bandwidth reading "
                  "taken a moment later need not see the same machine, so single-cell decode rates and `% BW` "
                  "carry that noise; ratios between cells of neighbouring contexts are the least affected. "
                  "`bench/attention_bench` times the attention alone, without the weights' traffic."]
        L.append("")
        # speed-up table
        L += ["### Speed-up of longheads over full", "",
              "Decode tok/s (longheads ÷ full) and prefill time (full ÷ longheads). Full attention is not run at "
              "64K (quadratic): its figure there is *extrapolated* (marked ~) from its two largest measured "
              "contexts — decode time per token linear in N, prefill time a·N + b·N².", "",
              "| model | precision | context | decode LH / full | decode speed-up | prefill full / LH | prefill speed-up |",
              "|---|---|---|---|---|---|---|"]
        for m in [x for x in (main, mha) if x]:
            for prec in self.precisions:
                for n in (8192, 32768, 65536):
                    lh = self.ok(m, prec, "longheads", n)
                    fu = self.ok(m, prec, "full", n)
                    fd = fu["decode_tok_s"] if fu else self.extrapolated_full(m, prec, n, "decode_tok_s")
                    fp = fu["prefill_s"] if fu else self.extrapolated_full(m, prec, n, "prefill_s")
                    mark = "" if fu else "~"
                    if not lh:
                        L.append(f"| {m} | {prec} | {ctx_label(n)} | longheads not measured | — | — | — |")
                        continue
                    if fd is None:
                        L.append(f"| {m} | {prec} | {ctx_label(n)} | full not measured | — | — | — |")
                        continue
                    ld = lh["decode_tok_s"] if lh else None
                    lp = lh["prefill_s"] if lh else None
                    L.append(f"| {m} | {prec} | {ctx_label(n)} | {fmt(ld, 2)} / {mark}{fmt(fd, 2)} | "
                             f"**{mark}{fmt(ld / fd if ld and fd else None, 2)}×** | {mark}{fmt(fp, 1)} s / "
                             f"{fmt(lp, 1)} s | **{mark}{fmt(fp / lp if fp and lp else None, 2)}×** |")
        return L + [""]

    def section_llamacpp(self):
        L = ["## Short context against llama.cpp", "",
             "llama.cpp's figures are from `../shared/reference/llamacpp/README.md`: `llama-bench -t 2 -r 3` on a "
             "random-weight TinyLlama-1.1B-shaped F16 GGUF on this kind of machine, **measured on another day** "
             "(the machines are shared, so this comparison is across runs, not side by side). llama.cpp: prompt "
             "processing 93.6 tok/s at 512 tokens, 84.3 at 2048, 46.8 for 512 tokens at depth 4096; generation "
             "11.8 tok/s at short depth.", "",
             "| model | precision | attention | prefill 512 tok/s (× llama.cpp) | prefill 2048 tok/s (×) | "
             "decode at 512 tok/s (×) |", "|---|---|---|---|---|---|"]
        shown = 0
        for m in self.model_order:
            if m not in self.models or self.models[m]["_shape"] != "tinyllama":
                continue
            for prec in self.precisions:
                for att in self.attentions:
                    shown += 1
                    p5 = self.value(m, prec, att, 512, "prefill_tok_s")
                    p2 = self.value(m, prec, att, 2048, "prefill_tok_s")
                    d5 = self.value(m, prec, att, 512, "decode_tok_s")
                    if p5 is None and p2 is None and d5 is None:
                        continue

                    def x(v, ref):
                        return f"{fmt(v, 1)} ({fmt(v / ref if v else None, 2)}×)"
                    L.append(f"| {m} | {prec} | {att} | {x(p5, LLAMACPP['prefill_512'])} | "
                             f"{x(p2, LLAMACPP['prefill_2048'])} | {x(d5, LLAMACPP['decode'])} |")
        if not shown:
            L.append("| no TinyLlama-shaped model in this run: nothing comparable | | | | | |")
        L += ["", "llama.cpp's figures are for the F16 file; the other rows use the same reference for "
              "orientation only. Its Q8_0 path crashed on this CPU, so there is no llama.cpp Q8_0 figure.", ""]
        return L

    def section_model(self, m):
        L = [f"## {m}", ""]
        for prec in self.precisions:
            ctxs = self.contexts(m, prec)
            if not ctxs:
                continue
            L += [f"### {m}, precision {prec}", "",
                  "| context | full prefill s | full prefill tok/s | full decode tok/s | full % BW | "
                  "LH prefill s | LH prefill tok/s | LH decode tok/s | LH % BW | LH bytes/token MB | LH KV MB | "
                  "LH peak RSS GiB (vs W+KV) | read GB/s after (full / LH) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for n in ctxs:
                row = [ctx_label(n)]
                for att in ("full", "longheads"):
                    cell = self.cells.get((m, prec, att, n))
                    c = self.ok(m, prec, att, n)
                    if c:
                        row += [fmt(c["prefill_s"], 2), fmt(c["prefill_tok_s"], 1), fmt(c["decode_tok_s"], 2),
                                fmt(self.bw_pct(c), 0)]
                        if att == "longheads":
                            r = self.mem_ratio(c)
                            row += [fmt(c["bytes"]["total"] / 1e6, 0), fmt(c["kv_bytes"] / 1e6, 0),
                                    f"{c['peak_rss_bytes'] / 2**30:.2f} ({(r - 1) * 100:+.0f} %)"]
                    else:
                        why = "not run" if cell is None else cell["status"]
                        row += [why, "", "", ""] + (["", "", ""] if att == "longheads" else [])
                bws = [self.ok(m, prec, att, n) for att in ("full", "longheads")]
                row.append(" / ".join(fmt(c and c.get("membw_after") and c["membw_after"] / 1e9, 1) for c in bws))
                L.append("| " + " | ".join(row) + " |")
            L.append("")
        # plots
        safe = m.replace("/", "_")
        series_d, series_p = [], []
        colors = {"f32": "#1f77b4", "bf16": "#d62728"}
        for prec in self.precisions:
            for att in self.attentions:
                pts_d = [(n, self.value(m, prec, att, n, "decode_tok_s")) for n in self.contexts(m, prec, att)]
                pts_p = [(n, self.value(m, prec, att, n, "prefill_s")) for n in self.contexts(m, prec, att)]
                style = dict(color=colors.get(prec), dash=(att == "full"), marker="square" if att == "full" else "")
                series_d.append((f"{att} {prec}", [p for p in pts_d if p[1]], style))
                series_p.append((f"{att} {prec}", [p for p in pts_p if p[1]], style))
        dpath = self.plots / f"decode-{safe}.svg"
        ppath = self.plots / f"prefill-{safe}.svg"
        plot_svg.line_chart(dpath, f"{m}: decode speed at depth N", "context N (tokens)", "decode tok/s", series_d)
        plot_svg.line_chart(ppath, f"{m}: prefill time", "context N (tokens)", "prefill seconds (log)", series_p,
                            logy=True)
        rel = os.path.relpath(self.plots, self.doc.parent)
        L += [f"![decode tok/s vs context, {m}]({rel}/{dpath.name})", "",
              f"![prefill time vs context, {m}]({rel}/{ppath.name})", ""]
        return L

    def section_bandwidth_model(self):
        return ["## How the bandwidth limit is computed", "",
                "`% BW` = bytes read per decoded token × decode tok/s ÷ measured read bandwidth, i.e. the share of "
                "the memory-bound limit the decode reaches. Bytes per token:",
                "- weights: `weight_bytes` as the engine reports it for the precision (F32: every matrix expanded "
                "to f32; BF16: F16/BF16 matrices as bf16, Q8_0 as 1.25 and Q4_0 as 0.75 bytes per weight — "
                "quantized blocks kept as such, see README), less `token_embd` (one row of it is read per token);",
                "- full: the whole KV cache at depth N, once per KV head (the kernel shares each load between the "
                "query heads of a group): 2 × layers × KV heads × head dim × N × element size;",
                "- longheads, N ≥ B: one selection per KV head, K − 1 whole chunks plus on average half of "
                "the current one, plus all chunk keys (f32, one per chunk and query head); below B the full "
                "formula. The query heads of a group select independently, but the engine attends them together "
                "and reads a chunk that several of them chose once, so a KV head reads between one selection "
                "(all its heads agree) and one per query head (all differ). The lower bound is the least any "
                "exact implementation must read, so `% BW` here is conservative;",
                "- KV element size 4 bytes (engine default f32), 2 with `--kv-type bf16`, 1 + 4/head dim with "
                "`--kv-type q8`.", "",
                "Activations, the RoPE table and the logits are left out (small). Peak RSS is `VmHWM` of the "
                "bench process, compared with `weight_bytes + kv_bytes` as the engine reports them (kv_bytes "
                "includes the chunk keys and the RoPE table). A model whose weights are not much larger than the "
                "last-level cache (the small shape) is not bound by memory: its % BW says little.", ""]

    def section_skipped(self):
        rows = [c for c in self.cells.values() if c["status"] != "ok"]
        L = ["## Cells not measured", ""]
        if not rows:
            return L + ["None.", ""]
        L += ["| model | precision | attention | context | status | reason |", "|---|---|---|---|---|---|"]
        for c in sorted(rows, key=lambda c: (self.model_order.index(c["model"]) if c["model"] in self.model_order
                                             else 99, c["precision"], c["attention"], c["ctx"])):
            reason = str(c.get("reason", "")).replace("|", "\\|").replace("\n", " ")[:200]
            L.append(f"| {c['model']} | {c['precision']} | {c['attention']} | {ctx_label(c['ctx'])} | "
                     f"{c['status']} | {reason} |")
        return L + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS, help=f"comma list of SHAPE-TYPE (default {DEFAULT_MODELS})")
    ap.add_argument("--precisions", default="f32,bf16")
    ap.add_argument("--attentions", default="full,longheads")
    ap.add_argument("--contexts", default=DEFAULT_CONTEXTS)
    ap.add_argument("--lh-extra-contexts", default=DEFAULT_LH_EXTRA, help="contexts run in longheads mode only")
    ap.add_argument("--max-ctx", type=int, default=1 << 30, help="drop contexts above this")
    ap.add_argument("--long-models", default="all",
                    help="models (MODEL or MODEL:PRECISION) that run contexts above --short-max-ctx "
                         "(comma list, or 'all')")
    ap.add_argument("--short-max-ctx", type=int, default=4096)
    ap.add_argument("--gen", type=int, default=16, help="tokens decoded after the prefill")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell (median)")
    ap.add_argument("--time-limit-s", type=float, default=600, help="skip full-mode cells predicted to take longer")
    ap.add_argument("--lh-time-limit-s", type=float, default=2400,
                    help="skip longheads cells predicted to take longer")
    ap.add_argument("--kv-type", choices=["default", "f32", "bf16", "q8"], default="default")
    ap.add_argument("--prefill", choices=["default", "token", "block"], default="default")
    ap.add_argument("--omp-wait-policy", default="passive",
                    help="OMP_WAIT_POLICY for the engine (default passive; 'unset' leaves the environment)")
    ap.add_argument("--cli", default=str(DEFAULT_CLI))
    ap.add_argument("--no-snapshot", action="store_true",
                    help="run --cli in place (default: a copy of it and liblongheads.so made at the start)")
    ap.add_argument("--models-dir", default=str(REPO / "build" / "models"))
    ap.add_argument("--no-generate", action="store_true", help="fail instead of generating missing models")
    ap.add_argument("--results", help="results file (JSON lines; default build/bench/results-DATE.jsonl)")
    ap.add_argument("--resume", metavar="RESULTS",
                    help="reuse the measured cells of this results file and append to it (unless --results)")
    ap.add_argument("--report-only", metavar="RESULTS", help="only rewrite the doc from a results file")
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--plots-dir", default=str(REPO / "docs" / "benchmarks"))
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: small-f16, contexts 512..4K, gen 8 (doc marked as a smoke run)")
    ap.add_argument("--smoke", action="store_true", help="mark the doc as a smoke run")
    ap.add_argument("--dry-run", action="store_true", help="print the cells that would run, and stop")
    args = ap.parse_args()

    if args.report_only:
        Report(read_results(args.report_only), args.doc, args.plots_dir).write()
        return
    if args.quick:
        if args.models == DEFAULT_MODELS:
            args.models = "small-f16"
        if args.contexts == DEFAULT_CONTEXTS:
            args.contexts = "512,1024,2048,4096"
        if args.lh_extra_contexts == DEFAULT_LH_EXTRA:
            args.lh_extra_contexts = "8192"
        args.gen = min(args.gen, 8)
    if args.dry_run:
        print_plan(args)
        return
    if not os.access(args.cli, os.X_OK):
        raise SystemExit(f"{args.cli} not found: build first (cmake --build build -j2)")
    results = pathlib.Path(args.results or args.resume or REPO / "build" / "bench" /
                           f"results-{datetime.datetime.now():%Y%m%d-%H%M%S}.jsonl")
    results.parent.mkdir(parents=True, exist_ok=True)
    log(f"results -> {results}")
    run_matrix(args, results)
    Report(read_results(results), args.doc, args.plots_dir).write()
    log(f"done; rewrite the doc with: /usr/bin/python3 bench/run_bench.py --report-only {results}")


if __name__ == "__main__":
    main()
