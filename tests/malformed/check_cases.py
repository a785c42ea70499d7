#!/usr/bin/env python3
"""Runs the malformed-GGUF suite: generates the cases (make_cases.py) and checks that each is
refused with its status and message, through the CLI (`longheads info -m FILE` exits 1 and
prints them on stderr) and, when --lib is given, through the C API (lh_model_load via ctypes).
Valid baselines must load, and also generate a few tokens.

    /usr/bin/python3 tests/malformed/check_cases.py --out DIR --cli build/bin/longheads \
        [--lib build/lib/liblongheads.so] [--only NAME]

Prints "N passed, M failed"; exit status 1 on any failure.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

STATUS = {
    "LH_OK": (0, "ok"),
    "LH_ERROR_INVALID_ARGUMENT": (1, "invalid argument"),
    "LH_ERROR_IO": (2, "i/o error"),
    "LH_ERROR_BAD_FORMAT": (3, "bad file format"),
    "LH_ERROR_UNSUPPORTED": (4, "unsupported"),
}
TIMEOUT = 120  # seconds per CLI run: a hang is a failure


def run_cli(cli, args):
    try:
        p = subprocess.run([cli] + args, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", "timed out after %d s" % TIMEOUT
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def check_cli(cli, case):
    """Returns a list of problems (empty = pass)."""
    problems = []
    code, out, err = run_cli(cli, ["info", "-m", case["file"], "-t", "1"])
    num, text = STATUS[case["status"]]
    if case["status"] == "LH_OK":
        if code != 0:
            problems.append("cli info: exit %s, stderr: %s" % (code, err.strip()[:4000]))
            return problems
        code, out, err2 = run_cli(cli, ["generate", "-m", case["file"], "-p", "once upon", "-n", "4", "-t", "1",
                                        "--temp", "0", "--no-progress"])
        if code != 0:
            problems.append("cli generate: exit %s, stderr: %s" % (code, err2.strip()[:4000]))
        err += err2
        code, out, err2 = run_cli(cli, ["tokenize", "-m", case["file"], "-p", "once upon", "-t", "1"])
        if code != 0:
            problems.append("cli tokenize: exit %s, stderr: %s" % (code, err2.strip()[:4000]))
        err += err2
        if "Sanitizer" in err or "runtime error" in err:
            problems.append("cli: sanitizer report:\n" + err[:4000])
        return problems
    if code != 1:
        problems.append("cli: exit %s (want 1); stderr: %s" % (code, err.strip()[:500]))
    if "cannot load model: " + text not in err:
        problems.append("cli: stderr lacks status %r: %s" % (text, err.strip()[:500]))
    for m in case["messages"]:
        if m not in err:
            problems.append("cli: stderr lacks %r: %s" % (m, err.strip()[:500]))
    if "Sanitizer" in err or "runtime error" in err:
        problems.append("cli: sanitizer report:\n" + err[:4000])
    return problems


class Api:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.lh_model_load.restype = ctypes.c_int
        self.lib.lh_model_load.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.lh_last_error.restype = ctypes.c_char_p
        self.lib.lh_model_free.argtypes = [ctypes.c_void_p]

    def check(self, case):
        model = ctypes.c_void_p(0xDEAD)  # must stay untouched on failure
        status = self.lib.lh_model_load(case["file"].encode(), None, ctypes.byref(model))
        message = (self.lib.lh_last_error() or b"").decode(errors="replace")
        num, _ = STATUS[case["status"]]
        problems = []
        if status != num:
            problems.append("api: status %d (want %d %s): %s" % (status, num, case["status"], message))
        if status == 0:
            self.lib.lh_model_free(model)
            return problems
        if model.value != 0xDEAD:
            problems.append("api: out_model was written on failure")
        for m in case["messages"]:
            if m not in message:
                problems.append("api: message lacks %r: %s" % (m, message))
        return problems


PYTHON_CHECK = """
import sys, longheads
m = longheads.Model(sys.argv[1], n_threads=1)
info = m.info
ids = m.tokenize("once upon")
assert len(ids) > 0 and info.n_vocab > 0, (ids, info)
print("python ok: name=%r, %d tokens" % (m.name, len(ids)))
"""


def check_python(python_path, case):
    """A valid file must also load in the Python binding (Model(), info, tokenize)."""
    env = dict(os.environ, PYTHONPATH=python_path, PYTHONDONTWRITEBYTECODE="1")
    try:
        p = subprocess.run(["/usr/bin/python3", "-c", PYTHON_CHECK, case["file"]], capture_output=True,
                           timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return ["python: timed out after %d s" % TIMEOUT]
    if p.returncode != 0:
        return ["python: exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()[-2000:])]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="directory for the generated files")
    ap.add_argument("--cli", required=True, help="the longheads CLI")
    ap.add_argument("--lib", help="liblongheads.so for the C API checks (skip under sanitizers)")
    ap.add_argument("--only", help="run the one case with this name")
    ap.add_argument("--python-path", help="PYTHONPATH of the Python binding: valid cases must load there too")
    a = ap.parse_args()

    subprocess.run([sys.executable, os.path.join(HERE, "make_cases.py"), a.out], check=True)
    with open(os.path.join(a.out, "cases.json")) as f:
        cases = json.load(f)
    if a.only:
        cases = [c for c in cases if c["name"] == a.only]
    api = Api(a.lib) if a.lib else None
    passed = failed = 0
    for case in cases:
        problems = check_cli(a.cli, case)
        if api:
            problems += api.check(case)
        if a.python_path and case["status"] == "LH_OK":
            problems += check_python(a.python_path, case)
        if problems and "alternative" in case:
            alt = dict(case, **case["alternative"])
            alt_problems = check_cli(a.cli, alt) + (api.check(alt) if api else [])
            if not alt_problems:
                problems = []
            else:
                problems = ["as %s:" % case["status"]] + problems + ["as %s:" % alt["status"]] + alt_problems
        if problems:
            failed += 1
            print("FAIL %s (%s)" % (case["name"], case["status"]))
            for p in problems:
                print("    " + p)
        else:
            passed += 1
    n_bad = sum(c["status"] != "LH_OK" for c in cases)
    print("malformed suite: %d cases (%d malformed, %d valid), %d passed, %d failed" % (
        len(cases), n_bad, len(cases) - n_bad, passed, failed))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
