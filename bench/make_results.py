#!/usr/bin/env python3
"""Writes docs/RESULTS-BLOCK.md: block-shared LongHeads prefill against the per-token rule, through
the CLI. Every number comes from one run of this script. (docs/RESULTS.md, the evaluation of the
attention modes, is made by bench/evaluate.py.)

usage: /usr/bin/python3 bench/make_results.py --block [--quick] [--trials N]
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
CLI = pathlib.Path(os.environ.get("LONGHEADS_CLI", REPO / "build" / "bin" / "longheads"))
STORIES = REPO / "models" / "stories260K.gguf"
LONG_TEXT = REPO / "bench" / "data" / "stories_long.txt"
HELDOUT_TEXT = REPO / "bench" / "data" / "kjv_acts.txt"  # the demo model's held-out book
DEMO = REPO / "models" / "longheads-demo.gguf"
# LongHeads chunk scores compared: (label, CLI flags).
SCORES = [("longheads, --chunk-score faithful", ["--attention", "longheads", "--chunk-score", "faithful"]),
          ("longheads, --chunk-score bound", ["--attention", "longheads", "--chunk-score", "bound"]),
          ("longheads, --chunk-score max", ["--attention", "longheads", "--chunk-score", "max"])]


def run_json(*args):
    cmd = [str(CLI), *map(str, args), "--json", "--no-progress"]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    out = json.loads(proc.stdout)
    out["_seconds"] = time.time() - t0
    return out


def block_section(trials):
    """Block-shared prefill (--prefill block) against the faithful per-token rule."""
    info = run_json("info", "-m", DEMO)
    T = info["context_length"]
    lines = ["## Block-shared prefill against the per-token rule", "",
             "`--prefill block`: all tokens of a chunk (within one evaluation call) share the selection of their "
             "mean query (docs/ATTENTION.md); decoding (one token per call) is unchanged. Same texts, prompts and "
             "defaults as docs/RESULTS.md.", "",
             "| measure | per-token selection `--prefill token` | `--prefill block` |", "|---|---|---|"]
    for n in (4096, 16384):
        cells = []
        for pm in ("token", "block"):
            out = run_json("perplexity", "-m", STORIES, "-f", LONG_TEXT, "--ctx", n, *SCORES[0][1], "--prefill", pm)
            cells.append(f"{out['ppl']:.3f}")
            print(f"block: stories ppl {n} {pm}: {out['ppl']:.3f}", flush=True)
        lines.append(f"| stories260K perplexity, {n} tokens, faithful | " + " | ".join(cells) + " |")
    # (row label, CLI command, result field, format) per length and LongHeads score.
    measures = [("demo held-out perplexity", lambda n, f: ("perplexity", "-m", DEMO, "-f", HELDOUT_TEXT, "--ctx", n,
                                                             "--sequences", 65536 // n, *f), "ppl", "{:.3f}"),
                (f"demo passkey ({trials} trials)", lambda n, f: ("passkey", "-m", DEMO, "--length", n, "--trials",
                                                                  trials, "--seed", 1, *f), "accuracy", "{:.0%}")]
    for what, command, field, form in measures:
        for mult in (8, 32):
            for label, flags in SCORES:
                cells = []
                for pm in ("token", "block"):
                    out = run_json(*command(mult * T, [*flags, "--prefill", pm]))
                    cells.append(form.format(out[field]))
                    print(f"block: {what} {label} {mult}x {pm}: {out[field]}", flush=True)
                lines.append(f"| {what}, {mult}x T, {label} | " + " | ".join(cells) + " |")
    lines += ["", "Speed of the two prefill modes: `bench/variants.py`.", ""]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--block", action="store_true", required=True,
                    help="compare block-shared prefill with per-token selection, into docs/RESULTS-BLOCK.md")
    ap.add_argument("--quick", action="store_true", help="3 trials instead of --trials")
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args()
    lines = ["# Results: block-shared LongHeads prefill", "",
             f"Made by `/usr/bin/python3 bench/make_results.py --block` on {datetime.date.today()} on this "
             "project's 2-core machine. Numbers are what that run printed.", ""]
    lines += block_section(3 if args.quick else args.trials)
    out = REPO / "docs" / "RESULTS-BLOCK.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
