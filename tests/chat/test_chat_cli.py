"""`longheads chat` on a random-weight Llama model with a real vocabulary and chat template in its
metadata: stdin lines become turns, replies stream to stdout, and each turn evaluates only the
text it adds (-v prints, per turn, the prompt tokens evaluated and kept from the cache)."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import jinja_reference as ref
from lh_ctypes import LH_OK, Model, load_library

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(ref.TEMPLATE_DIR).parents[1]
GEN = REPO / "tools" / "make-test-model" / "make_random_gguf.py"
TURN = re.compile(r"turn (\d+): (\d+) prompt tokens evaluated, (\d+) kept from the cache, (\d+) in the context, "
                  r"reply stopped by (\w+)")


def cli():
    path = os.environ.get("LONGHEADS_CLI")
    if not path or not os.path.exists(path):
        raise RuntimeError(f"LONGHEADS_CLI is not set or missing ({path}); run through ctest")
    return path


def make_model(tmp_dir, template_file, donor):
    out = pathlib.Path(tmp_dir) / f"chat-{pathlib.Path(template_file).stem}.gguf"
    subprocess.run([sys.executable, str(GEN), "--arch", "llama", "--shape", "tiny", "--type", "f32",
                    "--vocab-from", str(SHARED / "models" / "vocab" / donor),
                    "--chat-template", str(pathlib.Path(ref.TEMPLATE_DIR) / template_file),
                    "--out", str(out), "--force"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def qwen_model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("chat"), "Qwen-Qwen2.5-7B-Instruct.jinja", "ggml-vocab-qwen2.gguf")


@pytest.fixture(scope="module")
def llama31_model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("chat"), "meta-llama-Llama-3.1-8B-Instruct.jinja",
                      "ggml-vocab-llama-bpe.gguf")


def chat(model, stdin, *extra):
    proc = subprocess.run([cli(), "chat", "-m", str(model), "-n", "6", "--temp", "0", "-c", "512", "-v", *extra],
                          input=stdin, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc, [tuple(int(x) if x.isdigit() else x for x in m) for m in TURN.findall(proc.stderr)]


def test_turns_reuse_the_cache(qwen_model):
    proc, turns = chat(qwen_model, "Hello there\nTell me more\nAnd a third\n", "--system", "Be brief.")
    assert [t[0] for t in turns] == [1, 2, 3]
    # Turn 1 evaluates the whole prompt; later turns keep everything the context held and add
    # only their own text (the end of the last reply, the new user turn, the assistant prefix).
    first = turns[0]
    assert first[2] == 0 and first[1] > 12
    for prev, cur in zip(turns, turns[1:]):
        assert cur[2] == prev[3], f"turn {cur[0]} did not keep the {prev[3]} cached tokens"
        assert 5 <= cur[1] <= 30, f"turn {cur[0]} evaluated {cur[1]} tokens"
        assert cur[3] >= prev[3] + cur[1]
    # Each reply was streamed on its own line.
    assert len(proc.stdout.splitlines()) >= 3


def test_exit_command_and_eof(qwen_model):
    _, turns = chat(qwen_model, "one\n/exit\ntwo\n")
    assert len(turns) == 1
    _, turns = chat(qwen_model, "\n\nonly\n")  # blank lines are not turns; EOF ends the chat
    assert [t[0] for t in turns] == [1]


def test_same_as_formatting_whole_conversation(qwen_model):
    """Turn 2's prompt (kept + evaluated tokens) covers what formatting the whole conversation
    gives: at least the tokens of the full formatted conversation up to the reply."""
    _, turns = chat(qwen_model, "a\nb\n")
    assert turns[1][2] + turns[1][1] > turns[0][2] + turns[0][1]


def test_template_by_name_and_refusal(qwen_model, tmp_path):
    _, turns = chat(qwen_model, "hi\n", "--chat-template", "chatml")
    assert len(turns) == 1 and turns[0][1] > 5
    proc = subprocess.run([cli(), "chat", "-m", str(qwen_model), "--chat-template", "vicuna"], input="hi\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "vicuna" in proc.stderr
    smol = tmp_path / "smol.jinja"
    # SmolLM3's collected template with its original dated header (from the clock): refused.
    text = (pathlib.Path(ref.TEMPLATE_DIR) / "HuggingFaceTB-SmolLM3-3B.jinja").read_text()
    smol.write_text(text.replace("## Metadata", "## Metadata\\n\\nToday Date: {{ strftime_now('%d %B %Y') }}"))
    proc = subprocess.run([cli(), "chat", "-m", str(qwen_model), "--chat-template-file", str(smol)], input="hi\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Today Date" in proc.stderr


def test_first_turn_is_the_formatted_conversation_with_one_bos(llama31_model):
    """Llama-3.1's template writes <|begin_of_text|> itself and the vocabulary asks for BOS too:
    the first turn evaluates exactly the formatted text's tokens (BOS once, specials parsed), and
    a later turn either extends the cache or, when the template's trim of the reply changed the
    earlier text, evaluates the whole conversation again."""
    model = Model(load_library(), str(llama31_model), vocab_only=True)
    try:
        msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]
        status, text = model.format(None, msgs, True)
        assert status == LH_OK and text.startswith("<|begin_of_text|>")
        want = model.tokenize(text, add_bos=False)
        bos = model.meta_int("tokenizer.ggml.bos_token_id")
        assert want[0] == bos and want.count(bos) == 1
        proc, turns = chat(llama31_model, "Hello there\nAgain\n", "--system", "Be brief.")
        assert turns[0][1] == len(want) and turns[0][2] == 0
        second = turns[1]
        assert second[2] in (0, turns[0][3])
        if second[2] == 0:  # started over: the whole conversation, BOS once
            assert second[1] > turns[0][1]
    finally:
        model.close()
