#!/usr/bin/env python3
"""Writes docs/RESULTS.md: perplexity by context length for full/window/longheads on stories260K,
and passkey retrieval on the shipped demo model. Every number comes from one run of this script.

usage: /usr/bin/python3 bench/make_results.py [--quick] [--skip-passkey] [--skip-ppl]
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
MODES = ["full", "window", "longheads"]
# Passkey columns: (label, extra CLI flags).
PASSKEY_COLUMNS = [("full", ["--attention", "full"]), ("window", ["--attention", "window"]),
                   ("longheads", ["--attention", "longheads"]),
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


def ppl_section(lengths):
    lines = ["## Perplexity of stories260K (T = 512) by context length", "",
             f"Text: `{LONG_TEXT.relative_to(REPO)}` (stories sampled from stories260K itself, see "
             "`bench/make_long_text.sh`). Each cell: the first N tokens evaluated as ONE sequence (BOS first), "
             "every position scored. In brackets: perplexity of the last window of T tokens, where positions "
             "are furthest beyond the trained context.", "",
             "| tokens | " + " | ".join(MODES) + " |", "|---|" + "---|" * len(MODES)]
    for n in lengths:
        cells = []
        for mode in MODES:
            out = run_json("perplexity", "-m", STORIES, "-f", LONG_TEXT, "--ctx", n, "--attention", mode)
            last = out["ppl_by_window"][-1][2]
            cells.append(f"{out['ppl']:.3f} ({last:.3f})")
            print(f"ppl {mode} {n}: {out['ppl']:.3f} last window {last:.3f} [{out['_seconds']:.1f}s]", flush=True)
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += ["", "Command per cell: `longheads perplexity -m models/stories260K.gguf -f "
              f"{LONG_TEXT.relative_to(REPO)} --ctx N --attention MODE --json` (LongHeads defaults for T = 512: "
              "w = 32, L = 256, B = 256; window: L = 256, S = 4).", ""]
    return lines


def sweep_section(n, configs):
    lines = [f"## LongHeads parameters: perplexity of stories260K at {n} tokens", "",
             "Chunk size `w` and attention length `L` (`K = L/w` chunks per head), same text as above.", "",
             "| w | L | K | ppl | last window |", "|---|---|---|---|---|"]
    for w, L in configs:
        out = run_json("perplexity", "-m", STORIES, "-f", LONG_TEXT, "--ctx", n, "--attention", "longheads",
                       "--chunk-size", w, "--attn-len", L, "--allow-long-attn")
        lines.append(f"| {w} | {L} | {L // w} | {out['ppl']:.3f} | {out['ppl_by_window'][-1][2]:.3f} |")
        print(f"sweep w={w} L={L}: {out['ppl']:.3f}", flush=True)
    return lines + [""]


def heldout_section(multiples, positions=65536):
    info = run_json("info", "-m", DEMO)
    T = info["context_length"]
    lines = [f"## Held-out perplexity of the demo model (T = {T})", "",
             f"Text: `{HELDOUT_TEXT.relative_to(REPO)}`, the book of Acts (KJV), which the demo model never saw in "
             f"training. Each cell scores the same {positions} tokens, cut into {positions} / N sequences of N "
             "tokens (BOS + N - 1 tokens of text, the context cleared between sequences); every position of each "
             "sequence is scored. In brackets: the last window of T positions of each sequence, furthest beyond "
             "the trained context.", "",
             "| N | sequences | " + " | ".join(c[0] for c in PASSKEY_COLUMNS) + " |",
             "|---|---|" + "---|" * len(PASSKEY_COLUMNS)]
    for mult in multiples:
        n = mult * T
        k = positions // n
        cells = []
        for label, flags in PASSKEY_COLUMNS:
            out = run_json("perplexity", "-m", DEMO, "-f", HELDOUT_TEXT, "--ctx", n, "--sequences", k, *flags)
            last = out["ppl_by_window"][-1][2]
            cells.append(f"{out['ppl']:.3f} ({last:.3f})")
            print(f"heldout {label} {mult}x: {out['ppl']:.3f} last {last:.3f} [{out['_seconds']:.1f}s]", flush=True)
        lines.append(f"| {n} ({mult}x T) | {k} | " + " | ".join(cells) + " |")
    lines += ["", "Command per cell: `longheads perplexity -m models/longheads-demo.gguf -f "
              f"{HELDOUT_TEXT.relative_to(REPO)} --ctx N --sequences K --attention MODE [--chunk-score max] --json`.", ""]
    return lines


def block_section(trials):
    """Block-shared prefill (--prefill block) against the faithful per-token rule."""
    info = run_json("info", "-m", DEMO)
    T = info["context_length"]
    lines = ["## Block-shared prefill against the faithful per-token rule", "",
             "`--prefill block`: all tokens of a chunk (within one evaluation call) share the selection of their "
             "mean query (docs/ATTENTION.md); decoding (one token per call) is unchanged. Same texts, prompts and "
             "defaults as docs/RESULTS.md.", "",
             "| measure | faithful `--prefill token` | `--prefill block` |", "|---|---|---|"]
    for n in (4096, 16384):
        cells = []
        for pm in ("token", "block"):
            out = run_json("perplexity", "-m", STORIES, "-f", LONG_TEXT, "--ctx", n, "--attention", "longheads",
                           "--prefill", pm)
            cells.append(f"{out['ppl']:.3f}")
            print(f"block: stories ppl {n} {pm}: {out['ppl']:.3f}", flush=True)
        lines.append(f"| stories260K perplexity, {n} tokens | " + " | ".join(cells) + " |")
    # (row label, CLI command, result field, format) per length and LongHeads score.
    measures = [("demo held-out perplexity", lambda n, f: ("perplexity", "-m", DEMO, "-f", HELDOUT_TEXT, "--ctx", n,
                                                             "--sequences", 65536 // n, *f), "ppl", "{:.3f}"),
                (f"demo passkey ({trials} trials)", lambda n, f: ("passkey", "-m", DEMO, "--length", n, "--trials",
                                                                  trials, "--seed", 1, *f), "accuracy", "{:.0%}")]
    for what, command, field, form in measures:
        for mult in (8, 32):
            for label, flags in PASSKEY_COLUMNS[2:]:
                cells = []
                for pm in ("token", "block"):
                    out = run_json(*command(mult * T, [*flags, "--prefill", pm]))
                    cells.append(form.format(out[field]))
                    print(f"block: {what} {label} {mult}x {pm}: {out[field]}", flush=True)
                lines.append(f"| {what}, {mult}x T, {label} | " + " | ".join(cells) + " |")
    lines += ["", "Speed of the two prefill modes: `bench/variants.py`.", ""]
    return lines


def passkey_section(multiples, trials):
    info = run_json("info", "-m", DEMO)
    T = info["context_length"]
    lines = [f"## Passkey retrieval with the demo model (T = {T})", "",
             f"`models/longheads-demo.gguf`; {trials} trials per cell, depths spread evenly over the context; "
             "greedy decoding; a trial is correct when every answer token matches.", "",
             "| length | tokens | " + " | ".join(c[0] for c in PASSKEY_COLUMNS) + " |",
             "|---|---|" + "---|" * len(PASSKEY_COLUMNS)]
    for mult in multiples:
        n = mult * T
        cells, tokens = [], 0
        for label, flags in PASSKEY_COLUMNS:
            out = run_json("passkey", "-m", DEMO, "--length", n, "--trials", trials, "--seed", 1, *flags)
            tokens = out["mean_tokens"]
            cells.append(f"{out['accuracy'] * 100:.0f} %")
            print(f"passkey {label} {mult}x: {out['accuracy']:.2f} [{out['_seconds']:.1f}s]", flush=True)
        lines.append(f"| {mult}x T | {tokens:.0f} | " + " | ".join(cells) + " |")
    lines += ["", "Command per cell: `longheads passkey -m models/longheads-demo.gguf --length N --trials K "
              "--seed 1 --attention MODE [--chunk-score max] --json` (LongHeads defaults for T = 256: w = 16, "
              "L = 128, B = 128; window: L = 128, S = 4). `--chunk-score max` is the opt-in selection "
              "variant of docs/ATTENTION.md; the other LongHeads column is the faithful rule.", "",
              "**The faithful rule stays below the 98 % target** on this model. What was tried "
              "(details and commands in `models/README.md`): chunk sizes w = 8, 16, 32 with L = 128 and 256 "
              "(numpy reference at 4x T, 10 prompts each: 0/10 in every setting; engine at 8x and 32x T with "
              "(16, 128), (16, 256), (32, 256): 0/10 each); *oracle* selection, the needle's chunks forced into "
              "every head's selection and the rest chosen as usual: 4/4 in every setting, so the model does "
              "retrieve after LongHeads' re-numbering; the ranks of the needle's chunks under q . c_j for the "
              "main retrieval head (layer 2, head 1): near last of 124 candidates. So the selection score, not "
              "the position re-mapping, is what fails here; the best-key score (last column) fixes it at a "
              "held-out perplexity cost of under 1 % (table above).", ""]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer lengths and trials")
    ap.add_argument("--skip-passkey", action="store_true")
    ap.add_argument("--skip-ppl", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--skip-heldout", action="store_true")
    ap.add_argument("--block", action="store_true",
                    help="only compare block-shared prefill with the faithful rule, into docs/RESULTS-BLOCK.md "
                         "(docs/RESULTS.md is left alone)")
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args()
    if args.block:
        lines = ["# Results: block-shared LongHeads prefill", "",
                 f"Made by `/usr/bin/python3 bench/make_results.py --block` on {datetime.date.today()} on this "
                 "project's 2-core machine. Numbers are what that run printed.", ""]
        lines += block_section(3 if args.quick else args.trials)
        out = REPO / "docs" / "RESULTS-BLOCK.md"
        out.write_text("\n".join(lines))
        print(f"wrote {out}")
        return 0
    lines = ["# Results", "", f"Made by `/usr/bin/python3 bench/make_results.py` on {datetime.date.today()} "
             "on this project's 2-core machine. Numbers are what that run printed. Block-shared prefill "
             "against the faithful per-token rule: [RESULTS-BLOCK.md](RESULTS-BLOCK.md) (`--block`).", ""]
    if not args.skip_ppl:
        lines += ppl_section([512, 2048, 4096] if args.quick else [512, 2048, 4096, 8192, 16384])
    if not args.skip_sweep:
        lines += sweep_section(8192, [(16, 256), (32, 256), (64, 256), (32, 512), (64, 512), (128, 512)])
    if not args.skip_heldout and DEMO.exists():
        lines += heldout_section([1, 8] if args.quick else [1, 8, 32])
    if not args.skip_passkey and DEMO.exists():
        lines += passkey_section([1, 8] if args.quick else [1, 8, 16, 32, 64], 3 if args.quick else args.trials)
    out = REPO / "docs" / "RESULTS.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
