"""Fixtures of the Python binding tests (run through CTest: `ctest -L python`).

Environment (set by bindings/CMakeLists.txt): PYTHONPATH = the build's python/ directory,
LONGHEADS_MODEL = models/stories260K.gguf, LONGHEADS_CLI = the C CLI (expected values come
from the C API through it), LONGHEADS_SHARED_DIR = the llama.cpp reference outputs.
"""

import json
import os
import pathlib
import subprocess

import pytest

import longheads

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def model_path():
    path = os.environ.get("LONGHEADS_MODEL") or str(REPO / "models" / "stories260K.gguf")
    if not os.path.exists(path):
        pytest.skip("model not found: " + path)
    return path


@pytest.fixture(scope="session")
def model(model_path):
    with longheads.Model(model_path) as m:
        yield m


@pytest.fixture(scope="session")
def cli():
    """Runs the C CLI with --json and returns the parsed output."""
    path = os.environ.get("LONGHEADS_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("LONGHEADS_CLI is not set")

    def run(*args):
        out = subprocess.run([path] + [str(a) for a in args] + ["--json"], check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=300)
        return json.loads(out.stdout.decode("utf-8"))

    return run


@pytest.fixture(scope="session")
def reference_tokenize():
    shared = os.environ.get("LONGHEADS_SHARED_DIR") or str(REPO.parent / "shared")
    path = pathlib.Path(shared) / "reference" / "llamacpp" / "tokenize.json"
    if not path.exists():
        pytest.skip("llama.cpp reference not found: {}".format(path))
    with open(path, encoding="utf-8") as f:
        return json.load(f)["models"]["stories260K"]
