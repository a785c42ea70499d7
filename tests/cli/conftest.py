"""Shared fixtures: the CLI binary, the shared models, and a runner that parses --json output."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("LONGHEADS_SHARED_DIR", REPO.parent / "shared"))
sys.path.insert(0, str(REPO / "tests" / "reference"))


def cli_path():
    path = os.environ.get("LONGHEADS_CLI", str(REPO / "build" / "bin" / "longheads"))
    if not os.path.exists(path):
        pytest.skip(f"CLI not built at {path}")
    return path


def run_cli(*args, expect_ok=True):
    proc = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True, timeout=900)
    if expect_ok:
        assert proc.returncode == 0, f"longheads {' '.join(map(str, args))} failed: {proc.stderr}"
    return proc


def run_json(*args):
    return json.loads(run_cli(*args, "--json").stdout)


@pytest.fixture(scope="session")
def stories():
    path = SHARED / "models" / "stories260K.gguf"
    if not path.exists():
        pytest.skip(f"shared model missing: {path}")
    return path


@pytest.fixture(scope="session")
def tiny_random():
    path = SHARED / "models" / "llama-2-tiny-random.gguf"
    if not path.exists():
        pytest.skip(f"shared model missing: {path}")
    return path


@pytest.fixture(scope="session")
def reference_dir():
    path = SHARED / "reference" / "llamacpp"
    if not path.exists():
        pytest.skip(f"llama.cpp reference outputs missing: {path}")
    return path
