"""The command line as a user meets it: per-subcommand help, one-line errors naming the valid
values, a random seed that is reported, the stop reason, the timing summary and the progress line."""
import json
import os
import pathlib
import pty
import re
import select
import subprocess

import pytest

from conftest import cli_path, run_cli, run_json

# What each subcommand's --help must name: its own flags.
OWN_FLAGS = {
    "info": ["--model", "--kv-type", "--attention", "--json"],
    "tokenize": ["--model", "--prompt", "--file", "--no-bos"],
    "logits": ["--tokens-file", "--all", "--attention"],
    "generate": ["--n-predict", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed", "--stop",
                 "--ignore-eos", "--no-perf", "--verbose"],
    "passkey": ["--length", "--trials", "--depth", "--seed"],
    "perplexity": ["--file", "--sequences", "--ctx"],
    "bench": ["--gen", "--prefill-only", "--membw"],
}
# Flags a subcommand does not take (and so must not list).
NOT_TAKEN = {"info": ["--temp", "--stop"], "tokenize": ["--temp", "--attention"], "bench": ["--temp", "--stop"],
             "perplexity": ["--temp", "--stop"]}
SAMPLE = ["--temp", "1.5", "--top-k", "0", "--top-p", "1", "--min-p", "0"]


def help_text(*args):
    proc = run_cli(*args)
    assert proc.stderr == ""
    return proc.stdout


def test_every_subcommand_has_its_own_help():
    texts = {name: help_text(name, "--help") for name in OWN_FLAGS}
    for name, text in texts.items():
        assert f"longheads {name}" in text, text
        for flag in OWN_FLAGS[name]:
            assert flag in text, f"{name} --help does not name {flag}"
        for flag in NOT_TAKEN.get(name, []):
            assert flag not in text, f"{name} --help names {flag}, which it does not take"
    assert len(set(texts.values())) == len(texts), "two subcommands print the same help"
    top = help_text("--help")
    assert all(name in top for name in OWN_FLAGS) and top not in texts.values()
    assert help_text("help", "generate") == texts["generate"]
    assert help_text("generate", "-h") == texts["generate"]


@pytest.mark.parametrize("flag,bad,valid", [
    ("--kv-type", "q4", ["f32", "bf16", "q8"]),
    ("--attention", "max", ["full", "window", "longheads"]),
    ("--prefill", "chunk", ["per_token", "block"]),
    ("--chunk-score", "best", ["faithful", "max_key"]),
    ("--precision", "f16", ["f32", "bf16"]),
])
def test_bad_enum_value_names_the_valid_ones(stories, flag, bad, valid):
    proc = run_cli("generate", "-m", stories, "-p", "x", flag, bad, expect_ok=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    line = proc.stderr
    assert line.startswith("longheads generate: ") and flag in line and repr(bad) in line, line
    for name in valid:
        assert re.search(rf"\b{re.escape(name)}\b", line), f"{name} missing from: {line}"


@pytest.mark.parametrize("args,message", [
    (["generate", "-n", "abc"], "--n-predict: needs an integer from 0 to"),
    (["generate", "-n", "-3"], "--n-predict: needs an integer from 0 to"),
    (["generate", "--temp", "warm"], "--temp: needs a number, not 'warm'"),
    (["generate", "--seed", "-2"], "--seed: needs an integer from -1 to"),
    (["passkey", "--trials", "0"], "--trials: needs an integer from 1 to 100000"),
    (["generate", "-n"], "--n-predict"),
    (["info", "--temp", "1"], "unknown flag '--temp'"),
    (["info", "stray"], "unexpected argument 'stray'"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    ([], "missing command"),
    (["passkey"], "--length is required"),
])
def test_usage_errors_are_one_line(stories, args, message):
    full = args if len(args) < 1 or args[0] == "frobnicate" else [args[0], "-m", stories, *args[1:]]
    proc = run_cli(*full, expect_ok=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_enum_names_reach_the_library(stories):
    """Each --kv-type name selects its own cache type: the sizes differ as the types do."""
    kv = {t: run_json("info", "-m", stories, "-c", 1024, "--kv-type", t)["kv_bytes"] for t in ("f32", "bf16", "q8")}
    assert kv["f32"] > kv["bf16"] > kv["q8"] > 0
    for mode in ("full", "window", "longheads"):
        assert run_json("info", "-m", stories, "--attention", mode)["attention"] == mode
    # The library's spellings: any case, '-' for '_', and the older short names.
    assert run_json("info", "-m", stories, "--attention", "LongHeads")["attention"] == "longheads"
    for flag, name in (("--prefill", "per-token"), ("--prefill", "token"), ("--chunk-score", "max")):
        run_json("info", "-m", stories, flag, name)


def test_seed_is_random_unless_given_and_reported(stories):
    args = ("generate", "-m", stories, "-p", "Once upon a time", "-n", 32, *SAMPLE)
    a, b = run_json(*args), run_json(*args)
    assert isinstance(a["seed"], int) and a["seed"] != b["seed"]
    assert a["tokens"] != b["tokens"], "two unseeded runs sampled the same 32 tokens"
    again = run_json(*args, "--seed", a["seed"])
    assert again["seed"] == a["seed"] and again["tokens"] == a["tokens"]


def test_verbose_reports_the_seed(stories):
    proc = run_cli("generate", "-m", stories, "-p", "Once upon a time", "-n", 4, "-v", "--json")
    seed = json.loads(proc.stdout)["seed"]
    assert f"seed = {seed}" in proc.stderr
    proc = run_cli("generate", "-m", stories, "-p", "Once upon a time", "-n", 4, "-v", "--seed", 99)
    assert "seed = 99" in proc.stderr


def test_generate_json_has_the_stop_reason(stories):
    base = ("generate", "-m", stories, "-p", "Once upon a time", "--temp", 0)
    out = run_json(*base, "-n", 6, "--ignore-eos")
    assert out["stop_reason"] == "max_tokens" and len(out["tokens"]) == 6
    text = run_json(*base, "-n", 40)["text"]
    cut = run_json(*base, "-n", 40, "--stop", text[12:16])
    assert cut["stop_reason"] == "string" and cut["text"] == text[:text.find(text[12:16])]
    full = run_json(*base, "-n", 100, "-c", 16)
    # The last token is sampled from the full context's logits; it is not evaluated.
    assert full["stop_reason"] == "context_full" and full["prompt_tokens"] + len(full["tokens"]) == 16 + 1


def test_repeated_stop_flags_all_apply(stories):
    base = ("generate", "-m", stories, "-p", "Once upon a time", "--temp", 0, "-n", 40)
    text = run_json(*base)["text"]
    early, late = text[8:11], text[20:24]
    assert 0 <= text.find(early) < text.find(late)
    for order in ((early, late), (late, early)):
        out = run_json(*base, "--stop", order[0], "--stop", order[1])
        assert out["text"] == text[:text.find(early)]


PERF = re.compile(r"prompt eval time += +[\d.]+ ms / +(\d+) tokens .*\n.*eval time += +[\d.]+ ms / +(\d+) tokens")


def test_timing_summary_on_stderr_unless_no_perf(stories):
    args = ("generate", "-m", stories, "-p", "Once upon a time", "-n", 7, "--temp", 0, "--ignore-eos")
    proc = run_cli(*args)
    m = PERF.search(proc.stderr)
    assert m, proc.stderr
    assert (int(m.group(1)), int(m.group(2))) == (5, 7)  # BOS + 4 prompt tokens; 7 generated
    assert "eval time" not in proc.stdout and proc.stdout.startswith("Once upon a time")
    quiet = run_cli(*args, "--no-perf")
    assert quiet.stderr == "" and quiet.stdout == proc.stdout
    js = run_cli(*args, "--json")
    assert PERF.search(js.stderr) and json.loads(js.stdout)["timings"]["eval_ms"] > 0


def run_on_terminal(args, env_extra):
    """Runs the CLI with stderr on a pseudo-terminal; returns (exit code, stdout, terminal output)."""
    master, slave = pty.openpty()
    env = dict(os.environ, **env_extra)
    proc = subprocess.Popen([cli_path(), *map(str, args)], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out.decode(), seen.decode(errors="replace")


def test_prefill_progress_only_on_a_terminal(stories):
    prompt = "Once upon a time there was a little dog. " * 30
    args = ["generate", "-m", stories, "-p", prompt, "-n", 2, "--temp", 0, "-b", 16, "-c", 512, "--no-perf"]
    # LONGHEADS_PROGRESS_AFTER=0: show from the first slice (the default waits 1 s).
    code, out, term = run_on_terminal(args, {"LONGHEADS_PROGRESS_AFTER": "0"})
    assert code == 0 and out.startswith(prompt)
    lines = re.findall(r"prompt: (\d+)/(\d+) tokens, [\d.]+ tokens/s, \d+ s left", term)
    assert len(lines) >= 5, term
    done = [int(d) for d, _ in lines]
    assert done == sorted(done) and done[0] == 16 and int(lines[-1][1]) == done[-1]
    assert term.rstrip(" ").endswith("\r"), "the progress line is not erased"
    code, _, term = run_on_terminal([*args, "--no-progress"], {"LONGHEADS_PROGRESS_AFTER": "0"})
    assert code == 0 and "tokens/s" not in term
    # Not a terminal: nothing, whatever the delay.
    proc = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, LONGHEADS_PROGRESS_AFTER="0"))
    assert proc.returncode == 0 and proc.stderr == ""


@pytest.mark.parametrize("content", ["[1, 2", "{\"ids\": [1]}", "[1, \"a\"]", "[1.5]", "[4294967297]",
                                     "[18446744073709551615]"])
def test_bad_tokens_file_is_refused(stories, tmp_path, content):
    path = tmp_path / "ids.json"
    path.write_text(content)
    proc = run_cli("logits", "-m", stories, "--tokens-file", path, expect_ok=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "is not a JSON array of token ids" in proc.stderr, proc.stderr


def test_version():
    proc = run_cli("--version")
    assert re.fullmatch(r"longheads \d+\.\d+\.\d+\S*\n", proc.stdout), proc.stdout


def test_passkey_and_perplexity_progress_on_a_terminal(stories):
    text = pathlib.Path(__file__).resolve().parents[2] / "bench" / "data" / "stories_long.txt"
    code, out, term = run_on_terminal(["perplexity", "-m", stories, "-f", text, "--ctx", 256, "--sequences", 2],
                                      {"LONGHEADS_PROGRESS_AFTER": "0"})
    assert code == 0 and "perplexity" in out
    assert "perplexity, sequence 1/2: 256/512 tokens" in term and "sequence 2/2: 512/512 tokens" in term, term
    code, out, term = run_on_terminal(["passkey", "-m", stories, "--length", 200, "--trials", 2, "-b", 64],
                                      {"LONGHEADS_PROGRESS_AFTER": "0"})
    assert code == 0 and "accuracy" in out
    assert re.search(r"trial 2/2 prefill: 64/\d+ tokens", term), term
