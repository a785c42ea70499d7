#!/usr/bin/python3
"""Quality of the attention modes, as a person would look at it: writes docs/RESULTS.md and the
needle heat-map docs/needle-heatmap.svg. Every number comes from one run of this script:

    OMP_WAIT_POLICY=PASSIVE nice -n 10 /usr/bin/python3 bench/evaluate.py

(a quality run, not a timing run: niced, in the background; about an hour on the shared 2-core
machine with other jobs beside it).
Raw results go to bench/results/evaluate.json as they come; --resume reuses the cells found there,
--render only rewrites the documents from it, --quick runs a small smoke version into /tmp.
Speed (decode tok/s and bytes per token) is a separate command: bench/decode_scores.py.

Models: models/longheads-demo.gguf (T = 256) for retrieval and held-out perplexity (Acts),
models/stories260K.gguf (T = 512) for perplexity on its own stories. Uses the Python binding
(of build/, or LONGHEADS_BUILD), run from a copy made at the start.
"""
import argparse
import ctypes
import datetime
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import plot_svg  # noqa: E402


def load_binding(build, snapshot):
    """Imports the Python binding of `build` from a copy in `snapshot` (with its liblongheads),
    so that rebuilding `build` during a run of hours cannot change the engine under it."""
    if snapshot.exists():
        shutil.rmtree(snapshot)
    shutil.copytree(build / "python" / "longheads", snapshot / "python" / "longheads")
    (snapshot / "lib").mkdir(parents=True)
    for lib in (build / "lib").glob("liblongheads.so*"):
        shutil.copy2(lib.resolve(), snapshot / "lib" / lib.name)
    # Loaded first under its soname, the copy is the one the extension module links to.
    ctypes.CDLL(str(snapshot / "lib" / "liblongheads.so.0"), mode=ctypes.RTLD_GLOBAL)
    sys.path.insert(0, str(snapshot / "python"))
    import longheads
    return longheads

DEMO = REPO / "models" / "longheads-demo.gguf"
STORIES = REPO / "models" / "stories260K.gguf"
STORIES_TEXT = REPO / "bench" / "data" / "stories_long.txt"
ACTS_TEXT = REPO / "bench" / "data" / "kjv_acts.txt"  # the demo model's held-out book
RESULTS_JSON = REPO / "bench" / "results" / "evaluate.json"
lh = None  # the longheads module, loaded by main()

# Mode label -> context keyword arguments (library defaults otherwise: w = T/16, L = 3T/4, B = L).
# Scores and local chunks are always explicit: the library's default is one of these settings.
MODES = {
    "full": dict(attention="full"),
    "window": dict(attention="window"),
    "faithful": dict(attention="longheads", chunk_score="faithful", local_chunks=2),
    "bound": dict(attention="longheads", chunk_score="bound", local_chunks=2),
    "max": dict(attention="longheads", chunk_score="max_key", local_chunks=2),
    # The same scores with 4 local chunks (the local_chunks study's best setting), measured alike.
    "faithful-n4": dict(attention="longheads", chunk_score="faithful", local_chunks=4),
    "bound-n4": dict(attention="longheads", chunk_score="bound", local_chunks=4),
    "max-n4": dict(attention="longheads", chunk_score="max_key", local_chunks=4),
    "mid-n4": dict(attention="longheads", chunk_score="bound_mid", local_chunks=4),  # the library default
}
ALL_MODES = ["full", "window", "faithful", "bound", "max", "faithful-n4", "bound-n4", "max-n4", "mid-n4"]
NAMES = {"full": "full", "window": "window (S = 4)", "faithful": "LongHeads faithful (paper)",
         "bound": "LongHeads bound", "max": "LongHeads max", "faithful-n4": "LongHeads faithful, 4 local chunks",
         "bound-n4": "LongHeads bound, 4 local chunks", "max-n4": "LongHeads max, 4 local chunks",
         "mid-n4": "LongHeads bound_mid, 4 local chunks (default)"}
LONGHEADS = ["faithful", "bound", "max", "faithful-n4", "bound-n4", "max-n4", "mid-n4"]  # every LongHeads setting
# The modes of the retrieval sections (the heat-map, three needles, the word needle): the n4
# variants of faithful and max add little there (the local chunks do not reach the needle).
RETRIEVAL_MODES = ["full", "window", "faithful", "bound", "max", "bound-n4", "mid-n4"]
FULL_MAX_MULT = 8  # full attention only up to 8x T (it has failed long before, and is O(n^2))

# ---------------------------------------------------------------------------------------------
# Prompts: the passkey format of docs/longheads.md (tools/cli passkey builds the same one)
# ---------------------------------------------------------------------------------------------

TASK = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
        "I will quiz you about the important information there.")
FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."


def filler(n):
    return " ".join([FILLER] * n)


def needle(label, value):
    return f"The {label} is {value}. Remember it. {value} is the {label}."


def question(label):
    return f"What is the {label}? The {label} is"


def build_prompt(needles, gaps, ask):
    """TASK, then filler(gaps[0]), needles[0], filler(gaps[1]), ... , filler(gaps[-1]), question.
    needles: [(label, value)]; gaps: len(needles) + 1 filler repeat counts; ask: label asked."""
    parts = [TASK, filler(gaps[0])]
    for (label, value), gap in zip(needles, gaps[1:]):
        parts += [needle(label, value), filler(gap)]
    return "\n".join(parts + [question(ask)])


class Prompts:
    """Tokenizes prompts and places needles so a prompt has about n tokens."""

    def __init__(self, model):
        self.model = model

    def ids(self, text):
        return self.model.tokenize(text, add_bos=True)

    def repeats_for(self, n_tokens, needles):
        """Filler repeats that bring a prompt with these needles to about n_tokens (as the CLI)."""
        k = len(needles) + 1
        fixed = len(self.ids(build_prompt(needles, [0] * k, needles[0][0])))
        more = len(self.ids(build_prompt(needles, [100 // k] * k, needles[0][0])))
        per_repeat = (more - fixed) / (100 // k * k)
        return max(0, round((n_tokens - fixed) / per_repeat))

    def case(self, n_tokens, needles, depths, ask):
        """Needle i at depth depths[i] (fraction of the filler before it, ascending)."""
        total = self.repeats_for(n_tokens, needles)
        cuts = [round(d * total) for d in depths]
        gaps = [cuts[0]] + [b - a for a, b in zip(cuts, cuts[1:])] + [total - cuts[-1]]
        text = build_prompt(needles, gaps, ask)
        value = dict(needles)[ask]
        ids = self.ids(text)
        full = self.ids(text + " " + str(value))
        if full[:len(ids)] != ids or len(full) <= len(ids):
            raise RuntimeError("the answer does not tokenize as a continuation of the prompt")
        return ids, full[len(ids):]


def greedy(ctx, ids, n):
    """Greedy continuation of n tokens after ids (the context cleared first)."""
    ctx.reset()
    ctx.eval(ids)
    out = []
    for i in range(n):
        t = int(np.argmax(ctx.logits()))
        out.append(t)
        if i + 1 < n:
            ctx.eval([t])
    return out


# ---------------------------------------------------------------------------------------------
# Results store (resumable)
# ---------------------------------------------------------------------------------------------

class Store:
    """Cells by section and key; each cell a run made carries that run's number ("run", 1 if absent)."""

    def __init__(self, path, resume):
        self.path = path
        self.data = json.loads(path.read_text()) if resume and path.exists() else {}
        self.run_id = None

    def start_run(self, info):
        runs = self.data.get("meta", {}).get("runs", [])
        if "run" in self.data.get("meta", {}):  # the first run's record, before runs were numbered
            runs = [dict(self.data["meta"].pop("run"), run=1)] + runs
        self.run_id = len(runs) + 1
        self.put("meta", "runs", runs + [dict(info, run=self.run_id)])

    def end_run(self, minutes):
        runs = self.data["meta"]["runs"]
        runs[-1]["minutes"] = minutes
        self.put("meta", "runs", runs)

    def get(self, section, key):
        return self.data.get(section, {}).get(key)

    def put(self, section, key, value):
        if section != "meta" and self.run_id is not None:
            value = dict(value, run=self.run_id)
        self.data.setdefault(section, {})[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        tmp.replace(self.path)


def git_describe():
    """The engine's commit (+ "-dirty" when the engine's tracked sources differ from it)."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--",
                            "src", "include", "bindings", "CMakeLists.txt"], capture_output=True, text=True).stdout.strip()
    return head + ("-dirty" if dirty else "")


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


# ---------------------------------------------------------------------------------------------
# Retrieval: needle heat-map, several needles, word needles
# ---------------------------------------------------------------------------------------------

def trial_rng(*key):
    return random.Random("/".join(map(str, key)))


def run_cells(store, section, model, T, cells, make_case, modes, extra_ctx=None):
    """cells: list of (key, mult, payload); make_case(payload) -> (ids, expected, info).
    Stores per cell and mode: {"correct": c, "trials": t, "answers": [...]} (answers of misses)."""
    prompts = Prompts(model)
    for mode in modes:
        by_mult = {}
        for cell in cells:
            by_mult.setdefault(cell[1], []).append(cell)
        for mult, group in sorted(by_mult.items()):
            if mode == "full" and mult > FULL_MAX_MULT:
                continue
            todo = [c for c in group if store.get(section, f"{mode}|{c[0]}") is None]
            if not todo:
                continue
            kw = dict(MODES[mode], **(extra_ctx or {}))
            t0, n_tok = time.time(), 0
            with model.context(n_ctx=mult * T + 96, **kw) as ctx:
                for key, _, payload in todo:
                    correct, misses, trials = 0, [], 0
                    for ids, expected, info in make_case(prompts, payload):
                        got = greedy(ctx, ids, len(expected))
                        n_tok += len(ids)
                        trials += 1
                        if got == expected:
                            correct += 1
                        else:
                            misses.append({"expected": model.detokenize(expected), "got": model.detokenize(got),
                                           "tokens": len(ids), **info})
                    store.put(section, f"{mode}|{key}", {"correct": correct, "trials": trials, "misses": misses})
            log(f"{section} {mode} {mult}x: {len(todo)} cells, {n_tok} prompt tokens in {time.time() - t0:.0f} s")


def heatmap_cells(mults, depths, trials):
    cells = []
    for mult in mults:
        for di, depth in enumerate(depths):
            cells.append((f"{mult}|{di}", mult, (mult, depth, trials)))
    return cells


def passkey_cases(T):
    def make(prompts, payload):
        mult, depth, trials = payload
        for k in range(trials):
            key = trial_rng("passkey", mult, depth, k).randint(1, 50000)
            ids, expected = prompts.case(mult * T, [("pass key", key)], [depth], "pass key")
            yield ids, expected, {"depth": depth, "key": key}
    return make


# Three labelled needles; the question asks for one of them.
LABELS = ["pass key", "door code", "room number"]


def multi_cases(T, asked):
    """Three needles (LABELS, each a random number) at random distinct depths; `asked` picks
    which label the question names ("pass key" is the one the demo model was trained on)."""
    def make(prompts, payload):
        mult, trials = payload
        for k in range(trials):
            rng = trial_rng("multi", mult, k)
            values = [rng.randint(1, 50000) for _ in LABELS]
            order = rng.sample(range(3), 3)
            depths = sorted(rng.uniform(0.0, 1.0) for _ in range(3))
            needles = [(LABELS[i], values[i]) for i in order]
            ids, expected = prompts.case(mult * T, needles, depths, asked)
            yield ids, expected, {"depths": [round(d, 3) for d in depths], "order": [LABELS[i] for i in order]}
    return make


# Words of the demo model's training text (KJV), each a few tokens of its 512-token vocabulary.
WORDS = ["Jerusalem", "shepherd", "vineyard", "trumpet", "wilderness", "garment", "harvest", "mountain",
         "river", "temple", "silver", "olive", "eagle", "camel", "lamb", "garden", "stone", "bread",
         "candle", "sword", "crown", "cedar", "fountain", "pillar", "tabernacle", "chariot", "honey",
         "lion", "raven", "barley"]


def word_cases(T):
    def make(prompts, payload):
        mult, trials = payload
        for k in range(trials):
            rng = trial_rng("word", mult, k)
            word, depth = rng.choice(WORDS), rng.uniform(0.0, 1.0)
            ids, expected = prompts.case(mult * T, [("pass key", word)], [depth], "pass key")
            yield ids, expected, {"depth": round(depth, 3), "word": word}
    return make


# ---------------------------------------------------------------------------------------------
# Perplexity
# ---------------------------------------------------------------------------------------------

def perplexity(model, text_ids, n, n_seq, ctx_kw, T):
    """Scores n_seq consecutive sequences of n tokens (BOS + n-1 text tokens, the context cleared
    between them), every position. Returns (ppl, ppl of the last T predictions of each sequence)."""
    bos = model.bos
    nll = np.zeros((n_seq, n - 1))
    with model.context(n_ctx=n, **ctx_kw) as ctx:
        for s in range(n_seq):
            seq = [bos] + text_ids[s * (n - 1):(s + 1) * (n - 1)]
            ctx.reset()
            for start in range(0, n, 512):
                part = seq[start:start + 512]
                ctx.eval(part, all_logits=True)
                for j in range(len(part)):
                    pos = start + j
                    if pos + 1 >= n:
                        break
                    lg = ctx.logits(j).astype(np.float64)
                    mx = lg.max()
                    nll[s, pos] = -(lg[seq[pos + 1]] - mx - np.log(np.exp(lg - mx).sum()))
    return float(np.exp(nll.mean())), float(np.exp(nll[:, -T:].mean()))


def ppl_runs(store, section, model, text_path, T, plan):
    """plan: list of (key, n, n_seq, mode label, ctx kwargs)."""
    text_ids = model.tokenize(text_path.read_text(), add_bos=False)
    for key, n, n_seq, label, kw in plan:
        if store.get(section, key) is not None:
            continue
        if len(text_ids) < n_seq * (n - 1):
            raise SystemExit(f"{text_path}: {len(text_ids)} tokens, fewer than {n_seq} x {n - 1}")
        t0 = time.time()
        ppl, last = perplexity(model, text_ids, n, n_seq, kw, T)
        store.put(section, key, {"ppl": ppl, "last": last, "n": n, "sequences": n_seq, "mode": label})
        log(f"{section} {key}: {ppl:.4f} (last T: {last:.4f}) [{time.time() - t0:.0f} s]")


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

# LongHeads (w, L) settings of the parameter sweep (stories260K, T = 512; defaults w = 32, L = 384).
SWEEP = [(16, 256), (32, 256), (64, 256), (32, 384), (32, 512), (64, 512), (128, 512)]
# The library's default attention length as a fraction of T (runtime/context.cpp): L = 3T/4.
DEFAULT_ATTN_FRAC = (3, 4)


class Plan:
    def __init__(self, quick):
        self.mults = [1, 4, 8] if quick else [1, 4, 8, 16, 32, 64]
        self.depths = [i / 9 for i in range(10)]
        self.trials = 1 if quick else 4
        self.multi_mults = [1, 8] if quick else [1, 8, 32]
        self.multi_trials = 2 if quick else 20
        self.stories_lengths = [512, 2048] if quick else [512, 2048, 4096, 8192, 16384]
        self.acts_mults = [1, 8] if quick else [1, 8, 32, 64]
        self.acts_tokens = 4096 if quick else 65536
        self.local_values = [2, 4] if quick else [2, 3, 4, 6]
        self.local_mult = 8 if quick else 32
        self.local_acts_mults = [8] if quick else [8, 32]  # Acts perplexity of the local_chunks study
        self.sweep_tokens = 2048 if quick else 8192
        self.attn_fracs = [(1, 2), (5, 8)]  # attention lengths L = T * a / b studied beside the default 3T/4
        self.attn_mults = [8, 16] if quick else [8, 16, 32, 64]  # pass-key lengths of that study


def run(store, plan, sections):
    demo = lh.Model(str(DEMO))
    stories = lh.Model(str(STORIES))
    T = demo.info.n_ctx_train
    Ts = stories.info.n_ctx_train
    modes = ALL_MODES
    if "heatmap" in sections:
        run_cells(store, "heatmap", demo, T, heatmap_cells(plan.mults, plan.depths, plan.trials), passkey_cases(T),
                  RETRIEVAL_MODES)
    if "multi" in sections:
        for asked in LABELS:
            cells = [(f"{m}", m, (m, plan.multi_trials)) for m in plan.multi_mults]
            run_cells(store, f"multi:{asked}", demo, T, cells, multi_cases(T, asked), RETRIEVAL_MODES)
    if "word" in sections:  # the lengths of the three-needle pass key
        cells = [(f"{m}", m, (m, plan.multi_trials)) for m in plan.multi_mults]
        run_cells(store, "word", demo, T, cells, word_cases(T), RETRIEVAL_MODES)
    if sections & {"ppl", "ppl_stories"}:
        plan_s = [(f"{mode}|{n}", n, 1, mode, MODES[mode]) for n in plan.stories_lengths for mode in modes]
        ppl_runs(store, "ppl_stories", stories, STORIES_TEXT, Ts, plan_s)
    if sections & {"ppl", "ppl_acts"}:
        plan_a = [(f"{mode}|{m}", m * T, plan.acts_tokens // (m * T), mode, MODES[mode])
                  for m in plan.acts_mults for mode in modes if not (mode == "full" and m > 32)]
        ppl_runs(store, "ppl_acts", demo, ACTS_TEXT, T, plan_a)
    if "sweep" in sections:
        plan_w = [(f"{score}|{w}|{L}", plan.sweep_tokens, 1, f"{score} w={w} L={L}",
                   dict(MODES[score], chunk_size=w, attn_len=L)) for score in ("faithful", "bound") for w, L in SWEEP]
        ppl_runs(store, "sweep_stories", stories, STORIES_TEXT, Ts, plan_w)
    if "local" in sections:
        study_local(store, plan, demo, stories, T)
    if "attn" in sections:
        study_attn_len(store, plan, demo, stories, T)


def study_local(store, plan, demo, stories, T):
    """local_chunks n (the most recent n chunks always kept) for the bound and faithful scores:
    perplexity (Acts at 8x and 32x T, stories at 8192) and retrieval at local_mult x T."""
    m = plan.local_mult
    for score in ("bound", "faithful"):
        for n in plan.local_values:
            kw = dict(MODES[score], local_chunks=n)
            label = f"{score}|{n}"
            ppl_runs(store, "local_acts", demo, ACTS_TEXT, T,
                     [(f"{label}|{mm}", mm * T, plan.acts_tokens // (mm * T), label, kw) for mm in plan.local_acts_mults])
            ppl_runs(store, "local_stories", stories, STORIES_TEXT, stories.info.n_ctx_train,
                     [(f"{label}|8192", 8192, 1, label, kw)])
            cells = [(f"{n}|{m}|{di}", m, (m, d, plan.trials)) for di, d in enumerate(plan.depths)]
            run_cells(store, f"local_passkey:{score}", demo, T, cells, passkey_cases(T), [score],
                      extra_ctx={"local_chunks": n})


def study_attn_len(store, plan, demo, stories, T):
    """The default score (bound_mid, 4 local chunks) with other attention lengths L (fewer chunks
    chosen by score, K = L/w): three needles, pass keys past T at every depth, perplexity as in the
    local_chunks study. L = 3T/4, the default, is measured by the main sections."""
    for a, b in plan.attn_fracs:
        La, Ls = T * a // b, stories.info.n_ctx_train * a // b
        kw = dict(MODES["mid-n4"], attn_len=La)
        for asked in LABELS:
            cells = [(f"{La}|{m}", m, (m, plan.multi_trials)) for m in plan.multi_mults if m > 1]
            run_cells(store, f"attn_multi:{asked}", demo, T, cells, multi_cases(T, asked), ["mid-n4"],
                      extra_ctx={"attn_len": La})
        cells = [(f"{La}|{m}|{di}", m, (m, d, plan.trials)) for m in plan.attn_mults
                 for di, d in enumerate(plan.depths)]
        run_cells(store, "attn_passkey", demo, T, cells, passkey_cases(T), ["mid-n4"], extra_ctx={"attn_len": La})
        ppl_runs(store, "attn_acts", demo, ACTS_TEXT, T,
                 [(f"{La}|{mm}", mm * T, plan.acts_tokens // (mm * T), f"mid-n4 L={La}", kw)
                  for mm in plan.local_acts_mults])
        ppl_runs(store, "attn_stories", stories, STORIES_TEXT, stories.info.n_ctx_train,
                 [(f"{Ls}|8192", 8192, 1, f"mid-n4 L={Ls}", dict(MODES["mid-n4"], attn_len=Ls))])


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------

def pooled(cells):
    """The measured cells of a list (None: not measured) summed into one; None if none was measured."""
    cells = [c for c in cells if c]
    return {"correct": sum(c["correct"] for c in cells), "trials": sum(c["trials"] for c in cells)} if cells else None


def pct(c):
    return f"{100 * c['correct'] / c['trials']:.0f} %" if c else "—"


def frac(c):
    return c["correct"] / c["trials"] if c else None


def run_info(d):
    """One line per run: its engine, start, duration and what it measured."""
    meta = d.get("meta", {})
    runs = meta.get("runs") or ([dict(meta["run"], run=1)] if "run" in meta else [])
    made = {}  # run -> {section: {mode}}
    for section, cells in d.items():
        if section == "meta":
            continue
        for key, cell in cells.items():
            made.setdefault(cell.get("run", 1), {}).setdefault(section, set()).add(key.split("|")[0])
    lines = []
    for r in runs:
        took = f"{r['minutes']:.0f} min" if "minutes" in r else "stopped before its end"
        what = "; ".join(f"{sec}: {', '.join(sorted(m))}" for sec, m in sorted(made.get(r["run"], {}).items()))
        lines.append(f"- run {r['run']}: engine `{r['engine']}`, started {r['started']}, {took}; measured "
                     f"{what or 'nothing'}")
    return lines


def render(store, plan, doc_path, svg_path, command):
    d = store.data
    T = 256
    modes, names = RETRIEVAL_MODES, NAMES
    mults, depths = plan.mults, plan.depths
    L = ["# Results", "",
         f"Made by `{command}` on this project's shared 2-core machine (a quality run, niced, the machine "
         "shared with other jobs; timing is elsewhere), resumable (`--resume` keeps the cells already measured, "
         "`--render` only rewrites this page). Every number below is what these runs measured; raw results: "
         f"`{RESULTS_JSON.relative_to(REPO)}`. Models: `models/longheads-demo.gguf` (trained window T = 256, "
         "docs in `models/README.md`) and `models/stories260K.gguf` (T = 512). LongHeads runs with the "
         "library's defaults for T (w = T/16, L = 3T/4, K = 12 chunks, B = L) with the score and the number of "
         "local chunks each column names (2 unless it says 4); window keeps S = 4 sinks + the last L - S tokens. "
         "The chunk scores are defined in docs/ATTENTION.md: `faithful` is the paper's q . c_j, `bound` the "
         "channel-wise key bounds (Quest), `bound_mid` halfway between that bound and the key box's centre, "
         "`max` the best single key of each chunk.", ""] + run_info(d) + [""]
    L += render_summary(d, plan)
    # Heat-map
    panels = []
    for mode in modes:
        grid = [[frac(d.get("heatmap", {}).get(f"{mode}|{m}|{di}")) for m in mults] for di in range(len(depths))]
        panels.append((names[mode], grid))
    plot_svg.heatmaps(svg_path, "Pass key retrieval by needle depth and length (demo model, T = 256)", panels,
                      [f"{100 * x:.0f} %" for x in depths], [f"{m}x" for m in mults], "needle depth",
                      "prompt length (x T)")
    L += ["## Needle heat-map", "",
          f"![pass key heat-map]({svg_path.name})", "",
          f"The pass-key prompt of docs/longheads.md, needle at depth 0 %..100 % of the filler in {len(depths)} "
          f"steps, {plan.trials} keys per cell ({plan.trials * len(depths)} per length), greedy decoding of every "
          "answer token; full attention only up to 8x T. Per length (all depths):", "",
          "| mode | " + " | ".join(f"{m}x T" for m in mults) + " | cells < 98 % |",
          "|---|" + "---|" * (len(mults) + 1)]
    for mode in modes:
        row, below, n_run = [], [], 0
        for m in mults:
            cells = [d.get("heatmap", {}).get(f"{mode}|{m}|{di}") for di in range(len(depths))]
            cells = [c for c in cells if c]
            if not cells:
                row.append("—")
                continue
            n_run += len(cells)
            row.append(pct(pooled(cells)))
            below += [f"{m}x/{100 * depths[di]:.0f}%" for di in range(len(depths))
                      if (c := d["heatmap"].get(f"{mode}|{m}|{di}")) and c["correct"] < 0.98 * c["trials"]]
        below_txt = ", ".join(below) if len(below) <= 12 else f"{len(below)} of {n_run}"
        L.append(f"| {names[mode]} | " + " | ".join(row) + f" | {below_txt or 'none'} |")
    L += ["", "Per depth (rows) and length (columns), % correct:", ""]
    for mode in modes:
        L += [f"<details><summary>{names[mode]}</summary>", "",
              "| depth | " + " | ".join(f"{m}x" for m in mults) + " |", "|---|" + "---|" * len(mults)]
        for di, x in enumerate(depths):
            L.append(f"| {100 * x:.0f} % | " + " | ".join(pct(d.get("heatmap", {}).get(f"{mode}|{m}|{di}"))
                                                            for m in mults) + " |")
        L += ["", "</details>", ""]
    L += render_retrieval_extras(d, plan, modes, names)
    L += render_speed()
    L += render_ppl(d, plan, ALL_MODES, names, T)
    L += render_local(d, plan)
    L += render_attn_len(d, plan, T, 512)  # stories260K's trained window
    L += render_sweep(d, plan)
    doc_path.write_text("\n".join(L) + "\n")


def render_summary(d, plan):
    """The default's bar (issue 13): >= 98 % at every depth at 8x-64x T, perplexity within 1 % of the
    best LongHeads setting at every length past T; says which setting meets which part."""
    far = [m for m in plan.mults if m >= 8]
    L = ["## Summary: the default chunk score", "",
         "Bar for the default: pass-key retrieval >= 98 % at every depth at 8x-64x T, perplexity within 1 % of "
         "the best LongHeads setting (any score, 2 or 4 local chunks) at every length past T (decode speed at 32K >= 0.9x the paper's "
         "score: a timing job, see *Decode speed* below).", "",
         "| setting | worst cell, 8x-64x T | cells < 98 % | worst perplexity vs the best LongHeads setting past T |",
         "|---|---|---|---|"]
    for score in LONGHEADS:
        cells = [d.get("heatmap", {}).get(f"{score}|{m}|{di}") for m in far for di in range(len(plan.depths))]
        cells = [c for c in cells if c]
        worst = min((frac(c) for c in cells), default=None)
        below = sum(1 for c in cells if frac(c) < 0.98)
        gaps = []
        for section, keys in (("ppl_acts", [f"{m}" for m in plan.acts_mults if m > 1]),
                              ("ppl_stories", [f"{n}" for n in plan.stories_lengths if n > 512])):
            for k in keys:
                vals = {s_: d.get(section, {}).get(f"{s_}|{k}") for s_ in LONGHEADS}
                mine = d.get(section, {}).get(f"{score}|{k}")
                if all(vals.values()) and mine:
                    best = min(v["ppl"] for v in vals.values())
                    what = "Acts " + k + "x T" if section == "ppl_acts" else "stories " + k
                    gaps.append((mine["ppl"] / best - 1, what))
        gap_txt = "—"
        if gaps:
            g, what = max(gaps)
            over = [w for x, w in gaps if x > 0.01]
            gap_txt = f"+{100 * g:.2f} % ({what})" + (f"; over 1 %: {', '.join(over)}" if over else "; all within 1 %")
        L.append(f"| {NAMES[score].replace('LongHeads ', '')} | {'—' if worst is None else f'{100 * worst:.0f} %'} | {below} of {len(cells)} | "
                 f"{gap_txt} |")
    verdict = []
    for score in LONGHEADS:
        cells = [d.get("heatmap", {}).get(f"{score}|{m}|{di}") for m in far for di in range(len(plan.depths))]
        if all(cells) and all(frac(c) >= 0.98 for c in cells):
            verdict.append(NAMES[score].replace("LongHeads ", ""))
    return L + ["", "The library's default is `bound_mid` with 4 local chunks (the last row; docs/ATTENTION.md), "
                "chosen on these measurements: the paper's rule (`faithful`) does not retrieve past the window, the "
                "Quest bound retrieves but costs perplexity, and crediting half of the key box's spread keeps the "
                "bound's retrieval at most of its perplexity cost. It has the bound's state and kernels (one "
                "different query row), so its decode cost is the bound's. Settings that meet the retrieval bar: "
                + ("; ".join(verdict) if verdict else "none") + ". Where a row shows a perplexity over 1 %, that "
                "part of the bar is not met; the tables below have every cell (a dash: not measured). `faithful` "
                "(the paper's rule, with its 2 local chunks) stays selectable.", ""]


def render_speed():
    doc = REPO / "docs" / "BENCHMARKS-SCORES.md"
    L = ["## Decode speed", "",
         "Decode tok/s and bytes read per token at 8K, 32K and 64K for faithful, bound, bound_mid and max on the "
         "TinyLlama shape are a timing job, run on a quiet machine only (never beside this evaluation):", "",
         "    /usr/bin/python3 bench/decode_scores.py    # writes docs/BENCHMARKS-SCORES.md", ""]
    # the full run, and a targeted re-run of the bar's cell (32K, faithful and bound_mid) if made
    docs = [d for d in (doc, REPO / "docs" / "BENCHMARKS-SCORES-32K.md") if d.exists()]
    bar = None
    for d in docs:
        lines = d.read_text().splitlines()
        made = next((ln for ln in lines if ln.startswith("One run of")), "")
        table = [ln for ln in lines if ln.startswith("|")]
        L += [f"[{d.name}]({d.name}): {made}", ""] + table + [""]
        base = None  # the first score of the 32K rows: the baseline of the ratio column
        for ln in table:
            cells = [c.strip() for c in ln.strip("|").split("|")]
            if cells[0] == "32K" and base is None:
                base = cells[1]
            if cells[:2] == ["32K", "bound_mid"] and cells[3].endswith("x"):
                bar = (cells[3], d.name, base)  # the later document wins: the targeted re-run
    if bar:
        met = float(bar[0][:-1]) >= 0.9
        L.append(f"The default (bound_mid) at 32K ({bar[1]}): {bar[0]} the decode speed of the faithful rule "
                 f"(`{bar[2]}`; `@L` an attention length other than the default), so the speed part of the bar "
                 f"(>= 0.9x) is {'met' if met else '**not met**'}.")
    if len(docs) == 2:
        L += ["", "Why the 32K run: the full run decodes 32 tokens per cell, once, so one slow episode of this shared "
              "machine (BENCHMARKS.md, \"Slow decode runs\") decides a cell's ratio, and it ran every score at "
              "L = T/2, the default until 2026-12-04. The 32K run times the default as it is now (L = 3T/4) "
              "against faithful at T/2, the authors' passkey setting and the stricter baseline (at the default "
              "3T/4 faithful attends to as many tokens and still reads its f32 chunk keys: 0.65x bound_mid's "
              "attention speed in BENCHMARKS-SCORES-ATTENTION.md). It decodes 128 tokens per cell, the scores "
              "alternating, and takes the median of the runs. The attention alone predicts about 1.02x for the "
              "whole token. Single pairs of whole-model cells scatter more than that on this shared machine "
              "(one slow cell can halve a pair's ratio), hence the median; the gap to the prediction is not "
              "isolated."]
    if not docs:
        L.append("**Not run yet** (the whole model: minutes of prefill per 64K cell and score).")
    attn = REPO / "docs" / "BENCHMARKS-SCORES-ATTENTION.md"
    if attn.exists():
        L += ["", "What differs between the scores, the attention's share of a decoded token (no weights; "
              "`bench/score_attention_cost.py`, minutes): [BENCHMARKS-SCORES-ATTENTION.md]"
              "(BENCHMARKS-SCORES-ATTENTION.md), which also adds a measured weights' share to give the whole "
              "token's rate."]
    return L + [""]


def one_digit_slip(expected, got):
    """True when `got` is the expected number with one digit changed or dropped: the right needle
    found, its copy slipped (rather than another needle's number or a guess)."""
    e, g = expected.strip(), got.strip()
    if len(e) == len(g):
        return sum(a != b for a, b in zip(e, g)) == 1
    return len(g) == len(e) - 1 and any(e[:i] + e[i + 1:] == g for i in range(len(e)))


def multi_misses_paragraph(d, plan, modes, names):
    """What the three-needle misses past the window are, per key-based setting, read from the results."""
    longer = [m for m in plan.multi_mults if m > 1]
    parts = []
    for mode in modes:
        misses = [x for asked in LABELS for m in longer
                  for x in (d.get(f"multi:{asked}", {}).get(f"{mode}|{m}") or {}).get("misses", [])]
        slips = sum(one_digit_slip(x["expected"], x["got"]) for x in misses)
        parts.append(f"{names[mode]}: {len(misses)} of {len(LABELS) * len(longer) * plan.multi_trials}, "
                     f"{slips} of them one digit changed or dropped")
    return ("Misses past the window (" + ", ".join(f"{m}x" for m in longer) + " T, the three labels together): "
            + "; ".join(parts) + ". A slip is the asked needle found and its copy gone wrong, not another "
            "label's number. With 4 local chunks a head has K - 1 - 4 = 7 chunks chosen by score against 9 with 2 "
            "(K = 12), while three needle lines span 9-12 chunks of w = 16; *Attention length of the default* "
            "below gives the default fewer of them, as it had until 2026-12-04 (L = T/2).")


def render_retrieval_extras(d, plan, modes, names):
    L = ["## Harder retrieval", "",
         "**Three needles.** Three labelled numbers, `The pass key is K1. Remember it. K1 is the pass key.`, "
         "the same with `door code` and `room number`, in random order at random depths; the question asks "
         f"for one label. {plan.multi_trials} prompts per cell (the same prompts for every mode and label). The "
         "model must match the question's label to one of three needles, then copy that needle's number. The "
         "first demo model never learned to (0 % for `door code` and `room number` inside its window); the "
         "shipped one was taught with labelled samples of mostly two and three needles (the last of its "
         "fine-tunes, tools/train-demo-model/README.md). Its labels include these three, its numbers are "
         "random, so every prompt here is new to it. With 100 prompts per cell (docs/RESULTS-THREE-NEEDLES.md, "
         "bench/three_needles_more.py), full attention inside the window gets 95-98 %: the model's own "
         "accuracy on this task, which the default matches there and keeps at 8x and 32x T.", "",
         "| asked for | length | " + " | ".join(names[m] for m in modes) + " |",
         "|---|---|" + "---|" * len(modes)]
    for asked in LABELS:
        for m in plan.multi_mults:
            L.append(f"| {asked} | {m}x T | " + " | ".join(pct(d.get(f"multi:{asked}", {}).get(f"{mode}|{m}"))
                                                          for mode in modes) + " |")
    L += ["", multi_misses_paragraph(d, plan, [m for m in ("bound", "bound-n4", "mid-n4") if m in modes], names)]
    word = d.get("word", {})
    # Misses where the needle is in reach (full attention inside its window, the default at every
    # length) say something about the word itself; the others mostly show a needle never seen.
    misses = [x for mode, m in [("full", 1)] + [("mid-n4", m) for m in plan.multi_mults]
              for x in (word.get(f"{mode}|{m}") or {}).get("misses", [])][:4]
    L += ["", "**A word as the needle.** `The pass key is shepherd. Remember it. shepherd is the pass key.` with "
          f"a word of the training text ({len(WORDS)} words, {plan.multi_trials} prompts per length, random depths):",
          "", "| length | " + " | ".join(names[m] for m in modes) + " |", "|---|" + "---|" * len(modes)]
    for m in plan.multi_mults:
        L.append(f"| {m}x T | " + " | ".join(pct(word.get(f"{mode}|{m}")) for mode in modes) + " |")
    L += ["", ("Misses of full attention inside the window and of the default: "
               + ", ".join(f"`{x['word']}` answered `{x['got'].strip()}` ({x['tokens']} tokens)" for x in misses)
               + ". " if misses else "Full attention inside the window and the default missed none. ") +
          "A word is several pieces of the demo model's 512-piece vocabulary, so answering it needs a head that "
          "copies what followed an earlier match (an induction head), not only one that finds the needle. The "
          "first demo model (shipped until 2026-12-04) had none: trained on numeric pass keys, it answered every "
          "word needle with digits, 0 % in every mode, inside its window too. Six recipes to teach it words "
          "(word-valued pass keys, labelled needles, copying drills of word lists, a model with wider heads, from "
          "scratch and as fine-tunes) failed; tools/train-demo-model/README.md has each with its log. What worked "
          "was to grow the induction head first, with drills of random vocabulary pieces repeated after filler, "
          "then to add word-list drills: two fine-tunes of the first model, 27 minutes, the start of the "
          "shipped model, with a third and a fourth for the labels of the three-needle table.", ""]
    return L


def render_ppl(d, plan, modes, names, T):
    L = ["## Perplexity by length", "",
         f"**stories260K (T = 512)** on `{STORIES_TEXT.relative_to(REPO)}` (stories sampled from the model itself): "
         "the first N tokens as ONE sequence, every position scored; in brackets the last 512 predictions, the "
         "furthest past the trained window.", "",
         "| tokens | " + " | ".join(names[m] for m in modes) + " |", "|---|" + "---|" * len(modes)]
    cell = lambda c: f"{c['ppl']:.3f} ({c['last']:.3f})" if c else "—"  # noqa: E731
    for n in plan.stories_lengths:
        L.append(f"| {n} | " + " | ".join(cell(d.get("ppl_stories", {}).get(f"{mode}|{n}")) for mode in modes) + " |")
    L += ["", f"**Held-out Acts on the demo model (T = {T})**: `{ACTS_TEXT.relative_to(REPO)}`, a book the model "
          f"never saw; each cell scores the same {plan.acts_tokens} tokens cut into sequences of N (BOS each, the "
          "context cleared between them), every position; in brackets the last T predictions of each sequence.", "",
          "| N | sequences | " + " | ".join(names[m] for m in modes) + " |", "|---|---|" + "---|" * len(modes)]
    for m in plan.acts_mults:
        n = m * T
        L.append(f"| {n} ({m}x T) | {plan.acts_tokens // n} | " +
                 " | ".join(cell(d.get("ppl_acts", {}).get(f"{mode}|{m}")) for mode in modes) + " |")
    return L + [""]


def render_local(d, plan):
    m = plan.local_mult
    L = ["## Local chunks", "",
         "`local_chunks` n: the most recent n chunks every token keeps besides the sink (the paper: 2, the previous "
         "and the current chunk), so K - 1 - n chunks are chosen by score. Perplexity as above (Acts at 8x and 32x "
         f"T, stories260K at 8192 tokens) and pass-key retrieval at {m}x T ({plan.trials * len(plan.depths)} "
         "prompts, every depth).", "",
         "| score | n | Acts 8x T | Acts 32x T | stories 8192 | pass key " + f"{m}x T |", "|---|---|---|---|---|---|"]
    for score in ("bound", "faithful"):
        for n in plan.local_values:
            a8 = d.get("local_acts", {}).get(f"{score}|{n}|8")
            a32 = d.get("local_acts", {}).get(f"{score}|{n}|32")
            st = d.get("local_stories", {}).get(f"{score}|{n}|8192")
            pk = pct(pooled(d.get(f"local_passkey:{score}", {}).get(f"{score}|{n}|{m}|{di}")
                            for di in range(len(plan.depths))))
            f = lambda c: f"{c['ppl']:.3f}" if c else "—"  # noqa: E731
            L.append(f"| {score} | {n} | {f(a8)} | {f(a32)} | {f(st)} | {pk} |")
    return L + [""]


def render_attn_len(d, plan, T, Ts):
    """The attention-length study beside the default's own cells (L = 3T/4, from the main sections)."""
    longer = [m for m in plan.multi_mults if m > 1]
    L = ["## Attention length of the default", "",
         "The default score (`bound_mid`, 4 local chunks) with other attention lengths L, so more or fewer chunks "
         "are chosen by score (K = L/w, w = T/16; K - 1 - 4 of them). Three needles as above (the three labels "
         f"together, {len(LABELS) * plan.multi_trials} prompts per length), pass keys at every depth "
         f"({plan.trials * len(plan.depths)} per length) at " + ", ".join(f"{m}x" for m in plan.attn_mults) +
         f" T, perplexity as in *Local chunks* (stories260K with the same fraction of its T = {Ts}). The row "
         "L = 3T/4 is the default's cells of the sections above; L = T/2 was the default until 2026-12-04 (the "
         "authors' passkey setting); these rows are why it moved. A head attends to L tokens, so the "
         "attention's work per token grows with L (the weights' does not): docs/BENCHMARKS-SCORES-ATTENTION.md "
         "times it.", "",
         "| L | K | scored chunks | three needles " + " | ".join(f"{m}x T" for m in longer) +
         " | pass key, worst length | Acts 8x T | Acts 32x T | stories 8192 |",
         "|---|---|---|" + "---|" * len(longer) + "---|---|---|---|"]
    w = T // 16
    fracs = [(DEFAULT_ATTN_FRAC, True)] + [(frac, False) for frac in plan.attn_fracs]
    rows = sorted((T * a // b, Ts * a // b, default) for (a, b), default in fracs)
    for La, Ls, default in rows:
        if default:
            multi = [pooled([d.get(f"multi:{q}", {}).get(f"mid-n4|{m}") for q in LABELS]) for m in longer]
            pk = [pooled([d.get("heatmap", {}).get(f"mid-n4|{m}|{di}") for di in range(len(plan.depths))])
                  for m in plan.attn_mults]
            a8, a32 = (d.get("ppl_acts", {}).get(f"mid-n4|{m}") for m in (8, 32))
            st = d.get("ppl_stories", {}).get("mid-n4|8192")
        else:
            multi = [pooled([d.get(f"attn_multi:{q}", {}).get(f"mid-n4|{La}|{m}") for q in LABELS]) for m in longer]
            pk = [pooled([d.get("attn_passkey", {}).get(f"mid-n4|{La}|{m}|{di}") for di in range(len(plan.depths))])
                  for m in plan.attn_mults]
            a8, a32 = (d.get("attn_acts", {}).get(f"{La}|{m}") for m in (8, 32))
            st = d.get("attn_stories", {}).get(f"{Ls}|8192")
        pk = [c for c in pk if c]
        worst = min(pk, key=lambda c: c["correct"] / c["trials"]) if pk else None
        f = lambda c: f"{c['ppl']:.3f}" if c else "—"  # noqa: E731
        L.append(f"| {La}{' (default)' if default else ''} | {La // w} | {La // w - 5} | " +
                 " | ".join(pct(c) for c in multi) + f" | {pct(worst)} | {f(a8)} | {f(a32)} | {f(st)} |")
    return L + [""]


def render_sweep(d, plan):
    L = ["## Chunk size and attention length", "",
         f"stories260K perplexity over the first {plan.sweep_tokens} tokens (one sequence, as above) for chunk size "
         "`w` and attention length `L` (`K = L/w` chunks per head; defaults for T = 512: w = 32, L = 384), in "
         "brackets the last 512 predictions.", "",
         "| w | L | K | faithful (paper) | bound |", "|---|---|---|---|---|"]
    for w, Lk in SWEEP:
        cells = [d.get("sweep_stories", {}).get(f"{score}|{w}|{Lk}") for score in ("faithful", "bound")]
        L.append(f"| {w} | {Lk} | {Lk // w} | " + " | ".join(f"{c['ppl']:.3f} ({c['last']:.3f})" if c else "—"
                                                            for c in cells) + " |")
    return L + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small smoke run into /tmp")
    ap.add_argument("--resume", action="store_true", help="reuse the cells already in the results file")
    ap.add_argument("--render", action="store_true", help="only rewrite the documents from the results file")
    ap.add_argument("--sections", default="heatmap,multi,word,ppl,local,sweep,attn",
                    help="comma-separated subset of heatmap,multi,word,ppl,local,sweep,attn "
                         "(ppl_stories or ppl_acts: one model's half of ppl)")
    args = ap.parse_args()
    plan = Plan(args.quick)
    if args.quick:
        results, doc, svg = pathlib.Path("/tmp/evaluate-quick.json"), pathlib.Path("/tmp/RESULTS-quick.md"), \
            pathlib.Path("/tmp/needle-heatmap.svg")
    else:
        results, doc, svg = RESULTS_JSON, REPO / "docs" / "RESULTS.md", REPO / "docs" / "needle-heatmap.svg"
    store = Store(results, args.resume or args.render)
    global lh
    if not args.render:
        build = pathlib.Path(os.environ.get("LONGHEADS_BUILD", REPO / "build"))
        lh = load_binding(build, (pathlib.Path("/tmp") if args.quick else build) / "evaluate-engine")
        t0 = time.time()
        store.start_run({"engine": git_describe(), "started": datetime.datetime.now(datetime.timezone.utc)
                         .isoformat(timespec="seconds"), "sections": args.sections, "resumed": args.resume})
        run(store, plan, set(args.sections.split(",")))
        store.end_run(round((time.time() - t0) / 60, 1))
        log(f"done in {(time.time() - t0) / 60:.1f} min")
    render(store, plan, doc, svg, "OMP_WAIT_POLICY=PASSIVE nice -n 10 /usr/bin/python3 bench/evaluate.py")
    print(f"wrote {doc} and {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
