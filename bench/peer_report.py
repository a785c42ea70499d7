"""The docs/BENCHMARKS.md section of bench/peer_bench.py: one table of both engines side by side, the
forced-level table and the issue-16 targets, from one results file. The section sits between the
markers below; run_bench.py keeps it when it rewrites the rest of the doc."""
import datetime
import os
import pathlib
import shlex
import statistics

import run_bench as rb

BEGIN = "<!-- peer-bench:begin (written by bench/peer_bench.py) -->"
END = "<!-- peer-bench:end -->"
QUANTIZED = ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_K_M", "q5_K_M", "q6_K")
FILE_LABEL = {"f16": "F16", "bf16": "BF16", "q8_0": "Q8_0", "q4_0": "Q4_0", "q4_K_M": "Q4_K_M-like",
              "q5_K_M": "Q5_K_M-like", "q6_K": "Q6_K"}


def kv_read_bytes(facts, depth, attention):
    """KV bytes one decoded token reads at `depth` (2-byte elements in both engines): the whole
    cache for full attention; LongHeads' lower bound as run_bench.bytes_per_token computes it."""
    per_token = 2 * facts["n_layer"] * facts["n_head_kv"] * facts["head_dim"] * 2
    if attention != "longheads":
        return per_token * depth
    cell = dict(ctx=depth, attention="longheads", weight_bytes=0)
    info = dict(facts, n_vocab=0, _type="f32")
    b = rb.bytes_per_token(info, cell, 2)
    return b["kv"] + b["chunk"]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a and b else None


class Results:
    def __init__(self, records):
        self.meta = next((r for r in records if r["kind"] == "meta"), {})
        self.end = next((r for r in reversed(records) if r["kind"] == "end"), {})
        self.files = {r["file"]: r for r in records if r["kind"] == "file"}
        self.cells = {}  # (file, cell, level, engine, attention) -> [ok records]
        self.failures = []
        pending = []
        self.bw_start = self.bw_end = None
        self.bws = []
        for r in records:
            if r["kind"] == "cell":
                if r["status"] == "ok":
                    key = (r["file"], r["cell"], r.get("level"), r["engine"], r["attention"])
                    self.cells.setdefault(key, []).append(r)
                    pending.append(r)
                else:
                    self.failures.append(r)
            elif r["kind"] == "membw" and r.get("ok"):
                bw = r["membw_bytes_per_s"]
                if r["when"] == "start":
                    self.bw_start = bw
                elif r["when"] == "end":
                    self.bw_end = bw
                else:
                    self.bws.append(bw)
                    for c in pending:
                        c["membw_after"] = bw
                    pending = []

    def rate(self, f, cell, engine, attention="full", level=None):
        """(median rate, median bandwidth after) of a cell: prefill tok/s for pp, decode otherwise."""
        recs = self.cells.get((f, cell, level, engine, attention), [])
        field = "prefill_tok_s" if cell == "pp" else "decode_tok_s"
        return median(r[field] for r in recs), median(r.get("membw_after") for r in recs), recs

    def decode_rate(self, f, cell, engine, attention="full", level=None):
        recs = self.cells.get((f, cell, level, engine, attention), [])
        return median(r["decode_tok_s"] for r in recs)

    def bytes_per_token(self, f, depth, attention="full"):
        facts = self.files[f]["facts"]
        return facts["weight_bytes"] + kv_read_bytes(facts, depth, attention)

    def bw_pct(self, f, cell, depth, engine, attention="full", level=None):
        tok_s = self.decode_rate(f, cell, engine, attention, level)
        _, bw, _ = self.rate(f, cell, engine, attention, level)
        bw = bw or self.bw_start
        if not tok_s or not bw:
            return None
        return 100.0 * self.bytes_per_token(f, depth, attention) * tok_s / bw

    def variant(self, level=None):
        vs = {r.get("cpu_variant") for (f, c, lv, e, a), recs in self.cells.items() if e == "llama.cpp" and lv == level
              for r in recs}
        return ", ".join(sorted(v for v in vs if v)) or "?"


def x(v):
    return f"{v:.2f}×" if v else "—"


def section(res):
    m = res.meta
    files = [f for f in res.files if any(k[0] == f and k[2] is None for k in res.cells)]
    depths = m.get("depths") or []
    pp, gen, threads = m.get("pp"), m.get("gen"), m.get("threads")
    cmd = " ".join(["/usr/bin/python3 bench/peer_bench.py", *(shlex.quote(a) for a in (m.get("argv") or [])[1:])])
    la0, la1 = m.get("loadavg_start") or [0], res.end.get("loadavg_end") or [0]
    bws = sorted(res.bws)
    L = [BEGIN, "## Side by side with llama.cpp (one run)", ""]
    if m.get("smoke"):
        L += ["> **SMOKE RUN — not the benchmark.** A quick pass (small shape, few cells) that checks "
              "`bench/peer_bench.py` end to end, on a machine shared with other jobs; the figures say nothing "
              "about the targets.", ""]
    L += [f"- Run: {m.get('started', '?')} → {res.end.get('finished', 'unfinished')}, command `{cmd}`, "
          f"git {m.get('git', '?')}.",
          f"- Machine: {m.get('cpu', '?')}, {os.cpu_count()} cores, {m.get('mem_total', 0) / 2**30:.0f} GiB; "
          f"x86 extensions {' '.join(m.get('cpu_flags') or [])}; load average {la0[0]:.1f} at the start, "
          f"{la1[0]:.1f} at the end" + (" (**busy: other jobs were running**)" if max(la0[0], la1[0]) > 2.5 else "")
          + ".",
          f"- Read bandwidth (`longheads bench --membw -t {threads}`): {rb.fmt(res.bw_start and res.bw_start / 1e9, 2)}"
          f" GB/s at the start, {rb.fmt(res.bw_end and res.bw_end / 1e9, 2)} at the end; measured again after each "
          f"pair of cells ({len(bws)} readings"
          + (f", {bws[0] / 1e9:.1f}–{bws[-1] / 1e9:.1f} GB/s, median {bws[len(bws) // 2] / 1e9:.1f}" if bws else "")
          + "); a cell's `% BW` uses the median of the readings after its repeats.",
          f"- llama.cpp: node-llama-cpp {m.get('node_llama_cpp', '?')}, prebuilt CPU build, ggml CPU variant "
          f"loaded: **{res.variant()}** (its best for this CPU); KV cache f16, flash attention "
          f"{'on' if m.get('llama_flash_attn') else 'off'}, batch 512, {threads} threads "
          "(`bench/peer/llamacpp_bench.mjs`).",
          f"- longheads: `longheads bench --precision bf16 --kv-type bf16 -t {threads}`, its best level for this CPU, "
          "`OMP_WAIT_POLICY=passive`.",
          f"- Cells: prefill of {pp} tokens from an empty context; decode of {gen} tokens from an empty context "
          f"(depth 0) and after prefilling {', '.join(rb.ctx_label(d) for d in depths) or '—'} tokens. Each cell is a "
          f"process per engine, repeated {m.get('repeat')} times (median), the engines alternating which goes first; "
          "same file, same pseudo-random prompt.",
          "- `% BW` = bytes a decoded token reads × decode tok/s ÷ read bandwidth, with the bytes taken from the "
          "file's tensor sizes (every matrix but the embedding table, of which one row, or all of it when it is also the output; plus the KV cache at that "
          "depth, 2 bytes an element in both engines; LongHeads: its selected chunks and chunk keys, as in "
          "run_bench.py) — the same bytes for both engines, whatever either holds in memory.", ""]
    head = (f"| file | file GB | MB per token (depth 0) | prefill {pp} tok/s: llama.cpp | longheads | × | "
            "decode depth 0 tok/s: llama.cpp | longheads | × | % BW llama.cpp / longheads |")
    sep = "|---|---|---|---|---|---|---|---|---|---|"
    for d in depths:
        head += (f" decode {rb.ctx_label(d)}: llama.cpp | longheads full | × | longheads LongHeads | × | "
                 "% BW llama.cpp / full / LongHeads |")
        sep += "---|---|---|---|---|---|"
    L += [head, sep]
    for f in files:
        facts = res.files[f]["facts"]
        lp, _, _ = res.rate(f, "pp", "llama.cpp")
        op, _, _ = res.rate(f, "pp", "longheads")
        lt, _, _ = res.rate(f, "tg0", "llama.cpp")
        ot, _, _ = res.rate(f, "tg0", "longheads")
        row = [FILE_LABEL.get(f, f), f"{facts['file_bytes'] / 1e9:.2f}", f"{res.bytes_per_token(f, 0) / 1e6:.0f}",
               rb.fmt(lp), rb.fmt(op), x(ratio(op, lp)), rb.fmt(lt, 2), rb.fmt(ot, 2), x(ratio(ot, lt)),
               f"{rb.fmt(res.bw_pct(f, 'tg0', gen / 2, 'llama.cpp'), 0)} / "
               f"{rb.fmt(res.bw_pct(f, 'tg0', gen / 2, 'longheads'), 0)}"]
        for d in depths:
            c = f"tg{d}"
            ld, _, _ = res.rate(f, c, "llama.cpp")
            of, _, _ = res.rate(f, c, "longheads")
            oh, _, _ = res.rate(f, c, "longheads", "longheads")
            row += [rb.fmt(ld, 2), rb.fmt(of, 2), x(ratio(of, ld)), rb.fmt(oh, 2), x(ratio(oh, ld)),
                    " / ".join(rb.fmt(res.bw_pct(f, c, d, e, a), 0) for e, a in
                               (("llama.cpp", "full"), ("longheads", "full"), ("longheads", "longheads")))]
        L.append("| " + " | ".join(row) + " |")
    L += ["", "Matrix bytes by type in each file (GB): " + "; ".join(
        f"{FILE_LABEL.get(f, f)} " + ", ".join(f"{t} {b / 1e9:.3f}" for t, b in
                                              sorted(res.files[f]["facts"]["matrix_bytes_by_type"].items()))
        for f in files) + ".", ""]
    L += section_levels(res)
    L += section_targets(res, files, depths)
    if res.failures:
        L += ["### Cells that failed", "", "| file | cell | level | engine | reason |", "|---|---|---|---|---|"]
        for r in res.failures:
            reason = str(r.get("reason", "")).replace("|", "\\|").replace("\n", " ")[:200]
            L.append(f"| {r['file']} | {r['cell']} | {r.get('level') or 'best'} | {r['engine']} | {reason} |")
        L.append("")
    L.append(END)
    return L


def section_levels(res):
    levels = res.meta.get("levels") or []
    if not levels:
        return []
    pp, gen = res.meta.get("pp"), res.meta.get("gen")
    L = ["### Each x86 level, forced", "",
         "Both engines forced to one instruction-set level: longheads with `LONGHEADS_CPU=<level>`, llama.cpp from "
         "a copy of its bins that keeps one ggml CPU variant. Prefill of "
         f"{pp} tokens, then {gen} tokens decoded at that depth.", "",
         "| level | llama.cpp variant | file | prefill llama.cpp | longheads | × | decode llama.cpp | longheads | × | "
         "longheads decode, top level ÷ this level |", "|---|---|---|---|---|---|---|---|---|---|"]
    top = levels[-1]
    for lv in levels:
        for f in dict.fromkeys(k[0] for k in res.cells if k[2] == lv):
            lp, _, _ = res.rate(f, "pp", "llama.cpp", level=lv)
            op, _, _ = res.rate(f, "pp", "longheads", level=lv)
            ld = res.decode_rate(f, "pp", "llama.cpp", level=lv)
            od = res.decode_rate(f, "pp", "longheads", level=lv)
            otop = res.decode_rate(f, "pp", "longheads", level=top)
            L.append(f"| {lv} | {res.variant(lv)} | {FILE_LABEL.get(f, f)} | {rb.fmt(lp)} | {rb.fmt(op)} | "
                     f"{x(ratio(op, lp))} | {rb.fmt(ld, 2)} | {rb.fmt(od, 2)} | {x(ratio(od, ld))} | "
                     f"{x(ratio(otop, od))} |")
    return L + [""]


def section_targets(res, files, depths):
    """The issue-16 targets, each with the figure that decides it."""
    gen = res.meta.get("gen") or 0
    rows = []

    def add(target, cell, value, met):
        rows.append(f"| {target} | {cell} | {value} | {'yes' if met else '**no**' if met is not None else '—'} |")

    for f in (f for f in files if f in ("q4_0", "q4_K_M")):
        pct = res.bw_pct(f, "tg0", gen / 2, "longheads")
        add("4-bit decode ≥ 85 % of the read bandwidth", f"{FILE_LABEL[f]}, depth 0",
            f"{rb.fmt(pct, 0)} %", None if pct is None else pct >= 85)
        for cell, label in [("tg0", "depth 0")] + [(f"tg{d}", rb.ctx_label(d)) for d in depths]:
            r = ratio(res.decode_rate(f, cell, "longheads"), res.decode_rate(f, cell, "llama.cpp"))
            add("4-bit decode ≥ 1.2 × llama.cpp", f"{FILE_LABEL[f]}, {label}", x(r), None if r is None else r >= 1.2)
    for f in (f for f in files if f in QUANTIZED):
        r = ratio(res.rate(f, "pp", "longheads")[0], res.rate(f, "pp", "llama.cpp")[0])
        add("prefill on quantized files ≥ 1.5 × llama.cpp", FILE_LABEL.get(f, f), x(r),
            None if r is None else r >= 1.5)
    levels = res.meta.get("levels") or []
    if "avx2" in levels:
        for top in (lv for lv in ("avx512", "avx512_bf16") if lv in levels):
            for f in dict.fromkeys(k[0] for k in res.cells if k[2] == "avx2"):
                r = ratio(res.decode_rate(f, "pp", "longheads", level=top),
                          res.decode_rate(f, "pp", "longheads", level="avx2"))
                add("AVX2 decode within 1.5 × of AVX-512", f"{FILE_LABEL.get(f, f)}, {top} ÷ avx2", x(r),
                    None if r is None else r <= 1.5)
    return ["### Targets (issue 16)", "", "| target | cell | measured | met? |", "|---|---|---|---|", *rows, ""]


def write(records, doc_path):
    """Replaces the peer section of the doc (or puts it after the title) with this run's."""
    doc = pathlib.Path(doc_path)
    new = "\n".join(section(Results(records)))
    text = doc.read_text() if doc.exists() else "# Benchmarks: speed and memory\n"
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + new + text[b:]
    else:
        lines = text.split("\n")
        at = 1 if lines and lines[0].startswith("# ") else 0
        text = "\n".join(lines[:at] + ["", new, ""] + lines[at:])
    doc.write_text(text)
    rb.log(f"wrote the peer section of {doc} ({datetime.datetime.now():%H:%M})")


def keep_section(old_text, new_text):
    """For run_bench.py: the peer section of old_text carried into new_text (after its title)."""
    if BEGIN not in old_text or END not in old_text:
        return new_text
    block = old_text[old_text.index(BEGIN):old_text.index(END) + len(END)]
    lines = new_text.split("\n")
    at = 1 if lines and lines[0].startswith("# ") else 0
    return "\n".join(lines[:at] + ["", block, ""] + lines[at:])
