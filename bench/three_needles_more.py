#!/usr/bin/python3
"""The three-needle cells of docs/RESULTS.md with more prompts per cell: the library's default
LongHeads setting at 1x, 8x and 32x T and, as the model's own ceiling, full attention at 1x T.
Prompts k = 0 .. N-1 of bench/evaluate.py's generator, so the first 20 of every cell are
RESULTS.md's own. Writes docs/RESULTS-THREE-NEEDLES.md (about 7 minutes for N = 100).

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/three_needles_more.py [--prompts 100]
"""
import argparse
import datetime
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import evaluate as ev  # noqa: E402

CELLS = [("full", 1), ("mid-n4", 1), ("mid-n4", 8), ("mid-n4", 32)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=100)
    ap.add_argument("--out", default=str(REPO / "docs" / "RESULTS-THREE-NEEDLES.md"))
    args = ap.parse_args()
    lh = ev.load_binding(REPO / "build", pathlib.Path("/tmp") / "three-needles-engine")
    ev.lh = lh
    model = lh.Model(str(ev.DEMO))
    T = model.info.n_ctx_train
    prompts = ev.Prompts(model)
    started, t0 = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), time.time()
    rows = []
    for mode, mult in CELLS:
        with model.context(n_ctx=mult * T + 96, **ev.MODES[mode]) as ctx:
            for asked in ev.LABELS:
                correct = first = 0
                misses = []
                for k, (ids, expected, info) in enumerate(ev.multi_cases(T, asked)(prompts, (mult, args.prompts))):
                    ok = ev.greedy(ctx, ids, len(expected)) == expected
                    correct += ok
                    first += ok and k < 20
                    if not ok:
                        misses.append(str(k))
                rows.append((mode, mult, asked, correct, first, misses))
                print(f"{mode} {asked} {mult}x T: {correct}/{args.prompts}, misses {misses}", flush=True)
    minutes = (time.time() - t0) / 60
    n = args.prompts
    lines = ["# Three needles, more prompts per cell", "",
             f"Made by `OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/three_needles_more.py --prompts {n}` "
             f"(engine {ev.git_describe()}, {started}, {minutes:.0f} min). The prompts of docs/RESULTS.md's "
             f"*Three needles* (three labelled numbers at random depths, the question asks for one label), "
             f"{n} per cell instead of 20: prompts 0-{n - 1} of the same generator, so prompts 0-19 are "
             "RESULTS.md's. Demo model, T = 256. `full` at 1x T is the model's own accuracy on the task; the "
             "default is LongHeads bound_mid with 4 local chunks.", "",
             "| asked for | mode | length | correct | of RESULTS.md's 20 | missed prompts |", "|---|---|---|---|---|---|"]
    for mode, mult, asked, correct, first, misses in rows:
        name = "full" if mode == "full" else "default"
        lines.append(f"| {asked} | {name} | {mult}x T | {correct} / {n} ({100 * correct / n:.0f} %) | {first} / 20 | "
                     f"{', '.join(misses) or '—'} |")
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
