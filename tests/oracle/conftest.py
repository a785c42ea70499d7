"""Shared pieces of the live llama.cpp comparisons (CTest label `oracle`).

The oracle is llama.cpp itself, through the prebuilt CPU build of the npm package node-llama-cpp
pinned in package.json (`npm ci --omit=optional --ignore-scripts` in this folder installs it; .ci/run
does). A missing oracle, model or tool FAILS these tests: they never skip.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = pathlib.Path(os.environ.get("LONGHEADS_SHARED_DIR", REPO.parent / "shared"))
BUILD = pathlib.Path(os.environ.get("LONGHEADS_BUILD_DIR", REPO / "build"))


def require_file(path, what):
    path = pathlib.Path(path)
    if not path.exists():
        pytest.fail(f"{what} missing: {path}")
    return path


def oracle_ready():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (the llama.cpp oracle runs on Node.js)")
    require_file(HERE / "node_modules" / "node-llama-cpp" / "package.json",
                 "the llama.cpp oracle (run `npm ci --omit=optional --ignore-scripts` in tests/oracle)")
    return node


def run_oracle(cmd, model, payload, timeout=900):
    """Runs oracle.mjs `cmd` on `model` with the JSON payload; returns the parsed output."""
    node = oracle_ready()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = pathlib.Path(tmp) / "in.json", pathlib.Path(tmp) / "out.json"
        src.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        proc = subprocess.run([node, str(HERE / "oracle.mjs"), cmd, str(model), str(src), str(dst)],
                              cwd=HERE, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not dst.exists():
            pytest.fail(f"oracle {cmd} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        return json.loads(dst.read_text(encoding="utf-8"))


def tool(name):
    env = os.environ.get("LONGHEADS_" + name.upper())
    path = pathlib.Path(env) if env else BUILD / "bin" / name
    return require_file(path, f"test tool {name} (build it first)")


def run_tool(name, *args, timeout=900):
    proc = subprocess.run([str(tool(name)), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{name} {' '.join(map(str, args))} failed: {proc.stderr[-2000:]}")
    return proc
