"""The real chat templates llama.cpp collects (its `models/templates/*.jinja`), read from the git
bundle of llama.cpp's source that the pinned npm package node-llama-cpp ships
(tests/oracle/node_modules, installed by tools/install-test-deps.sh). Nothing of llama.cpp is
committed here: the bundle is fetched into a scratch repository and the files read from it."""
import os
import pathlib
import subprocess
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
BUNDLE = REPO / "tests" / "oracle" / "node_modules" / "node-llama-cpp" / "llama" / "gitRelease.bundle"
FOLDER = "models/templates/"

_scratch = None


def _git(*args):
    return subprocess.run(["git", "-C", _scratch, *args], check=True, capture_output=True).stdout


def _fetched():
    global _scratch
    if _scratch is None:
        if not BUNDLE.exists():
            raise RuntimeError(f"{BUNDLE} is missing: run tools/install-test-deps.sh (npm ci in tests/oracle)")
        _scratch = tempfile.mkdtemp(prefix="llamacpp-templates-")
        subprocess.run(["git", "init", "-q", _scratch], check=True)
        _git("fetch", "-q", str(BUNDLE), "HEAD")
    return _scratch


def names():
    """Every template file name in the bundle's models/templates."""
    _fetched()
    out = _git("ls-tree", "--name-only", "FETCH_HEAD", FOLDER).decode()
    return sorted(os.path.basename(p) for p in out.split("\n") if p.endswith(".jinja"))


def load(name):
    _fetched()
    return _git("show", f"FETCH_HEAD:{FOLDER}{name}").decode("utf-8")
