"""The shipped demo model (models/longheads-demo.gguf, trained window T = 256): it retrieves a pass
key inside its window with full attention, and LongHeads with its default chunk score lets it
retrieve far past it; it copies a word as the needle and answers the label a question names among
three needles.

Kept short for CI (a few prompts). The full figures (the needle heat-map: 10 depths x 1x..64x T,
every mode) are in docs/RESULTS.md, made by bench/evaluate.py.
"""
import pathlib
import sys

import pytest

from conftest import REPO, run_json

DEMO = REPO / "models" / "longheads-demo.gguf"


@pytest.fixture(scope="module")
def demo():
    # The model is part of the repository: a missing file is a failure, not a skip.
    assert DEMO.exists(), f"shipped model missing: {DEMO}"
    return DEMO


def test_demo_model_is_a_short_window_llama(demo):
    info = run_json("info", "-m", demo)
    assert info["architecture"] == "llama"
    assert info["context_length"] == 256
    assert info["n_vocab"] == 512


def test_in_window_retrieval_with_full_attention(demo):
    out = run_json("passkey", "-m", demo, "--length", 220, "--trials", 4, "--seed", 7, "--attention", "full",
                   "--no-progress")
    assert out["mean_tokens"] <= 250  # prompt and the answer inside T
    assert out["accuracy"] == 1.0, out


def test_longheads_default_retrieval_at_16x_the_window(demo):
    # The default chunk score (bound_mid, docs/ATTENTION.md), no flag needed beyond the mode: a needle
    # near the start and one near the end of a 4096-token prompt.
    out = run_json("passkey", "-m", demo, "--length", 16 * 256, "--trials", 2, "--seed", 3,
                   "--attention", "longheads", "--no-progress")
    assert out["mean_tokens"] > 15 * 256
    assert out["accuracy"] == 1.0, out


def test_faithful_chunk_score_stays_selectable(demo):
    # The paper's rule (--chunk-score faithful) runs on the same prompts; on this model it ranks the
    # needle's chunks low and retrieves 20-30 % past the window (docs/RESULTS.md), reported
    # there rather than tested as a pass. Here: it runs, and differs from the default.
    args = ["logits", "-m", demo, "-p", "The pass key is 123. " * 60 + "What is the pass key?",
            "--attention", "longheads", "-c", 1024]
    faithful = run_json(*args, "--chunk-score", "faithful")["logits"]
    default = run_json(*args)["logits"]
    assert faithful != default


# The prompts of bench/evaluate.py (docs/longheads.md's pass-key form), built by its build_prompt.
sys.path.insert(0, str(REPO / "bench"))
from evaluate import build_prompt  # noqa: E402


def word_needle_prompt(word, depth, n_fillers):
    """A word of the training text as the pass key: several vocabulary pieces, copied, not only found."""
    before = max(1, round(depth * n_fillers))
    return build_prompt([("pass key", word)], [before, n_fillers - before], "pass key")


# Three of the words bench/evaluate.py hides (never a needle in training), at three depths.
WORD_CASES = [("vineyard", 0.15), ("trumpet", 0.5), ("garden", 0.85)]


@pytest.mark.parametrize("attention", ["longheads", "window"])
def test_word_needle_at_16x_the_window(demo, tmp_path, attention):
    answers = []
    for word, depth in WORD_CASES:
        prompt = tmp_path / f"{word}.txt"
        prompt.write_text(word_needle_prompt(word, depth, 80))  # ~4,050 tokens
        out = run_json("generate", "-m", demo, "-f", prompt, "-n", 8, "--temp", 0, "--attention", attention,
                       "--no-progress", "--no-perf")
        assert out["prompt_tokens"] > 15 * 256
        answers.append((word, out["text"]))
    right = [w for w, text in answers if text.startswith(" " + w)]
    if attention == "longheads":  # the default chunk score reaches the needle and the model copies it
        assert len(right) == len(WORD_CASES), answers
    else:  # the window has dropped it long before the question: the library is what finds it
        assert not right, answers


def three_needle_prompt(values, n_fillers, asked):
    """Three labelled numbers ({label: number}, in prompt order) at a quarter, half and three quarters
    of the filler."""
    quarter = n_fillers // 4
    return build_prompt(list(values.items()), [quarter] * 3 + [n_fillers - 3 * quarter], asked)


@pytest.mark.parametrize("n_fillers, attention", [(0, "full"), (80, "longheads")])  # in the window; 16x T
def test_three_labelled_needles_answer_the_label_asked(demo, tmp_path, n_fillers, attention):
    # The model must match the question's label to one of three needles and copy that one's number.
    values = {"door code": 4718, "pass key": 30562, "room number": 217}
    answers = {}
    for label, value in values.items():
        prompt = tmp_path / "three.txt"
        prompt.write_text(three_needle_prompt(values, n_fillers, label))
        out = run_json("generate", "-m", demo, "-f", prompt, "-n", 6, "--temp", 0, "--attention", attention,
                       "--no-progress", "--no-perf")
        assert (out["prompt_tokens"] < 256) == (attention == "full")
        answers[label] = out["text"]
    right = [label for label, value in values.items() if answers[label].startswith(f" {value}")]
    # Measured on 20 prompts per label (docs/RESULTS.md) the model answers 70-95 % of these, so one
    # miss in three is allowed; the first demo model answered none of the door codes and room numbers.
    assert len(right) >= 2, answers
