"""PEP 517 build backend of the longheads Python package (pyproject.toml at the repository root).

`pip install .` builds a wheel here: CMake configures and builds the library and the Python
module only (no tests, tools, Java or C#), and the wheel holds the package directory
`longheads/` with the SWIG module and `liblongheads.so.<soversion>` next to it (the module's RPATH
is $ORIGIN). It needs nothing from PyPI: only cmake, a C++ compiler and the Debian
build dependencies (tools/install-deps.sh), so it works offline and with pip's build isolation.

config_settings (pip install . --config-settings=KEY=VALUE):
  cmake-args   extra CMake arguments, space-separated (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  build-dir    build directory to use (and keep); default: a temporary one
  jobs         parallel build jobs; default: the number of CPUs
"""
import base64
import hashlib
import io
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

NAME = "longheads"
SOURCE = pathlib.Path(__file__).resolve().parents[3]


def _version():
    text = (SOURCE / "CMakeLists.txt").read_text()
    match = re.search(r"project\(longheads VERSION (\d+\.\d+\.\d+)", text)
    if not match:
        raise RuntimeError("no project(longheads VERSION x.y.z) in CMakeLists.txt")
    return match.group(1)


def _tag():
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{platform}"


def _metadata():
    readme = "Llama-family GGUF inference on the CPU with LongHeads attention (long contexts)."
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {_version()}\n"
            f"Summary: {readme}\nRequires-Python: >=3.8\nLicense: see the repository\n")


def _setting(config_settings, key, default=None):
    if not config_settings or key not in config_settings:
        return default
    return config_settings[key]


def _run(cmd):
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(list(map(str, cmd)), check=True)


def _build_package(build_dir, config_settings):
    """Configures and builds into build_dir; returns the package directory of the build."""
    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("cmake not found: install it (Debian: tools/install-deps.sh)")
    extra = shlex.split(_setting(config_settings, "cmake-args", ""))
    _run([cmake, "-S", SOURCE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", "-DLONGHEADS_TESTS=OFF",
          "-DLONGHEADS_TOOLS=OFF", "-DLONGHEADS_INSTALL=OFF", "-DLONGHEADS_BINDINGS=ON", "-DLONGHEADS_PYTHON=ON",
          "-DLONGHEADS_JAVA=OFF", "-DLONGHEADS_CSHARP=OFF", "-DLONGHEADS_PYTHON_WHEEL=ON",
          f"-DPython3_EXECUTABLE={sys.executable}", *extra])
    jobs = str(_setting(config_settings, "jobs", os.cpu_count() or 1))
    _run([cmake, "--build", build_dir, "-j", jobs, "--target", "longheads_python", "longheads_python_package"])
    return pathlib.Path(build_dir) / "python" / NAME


def _wheel_files(package_dir):
    """(path in the wheel, file on disk) for every file of the package."""
    files = []
    for path in sorted(package_dir.iterdir()):
        if path.name == "__pycache__" or path.is_dir():
            continue
        files.append((f"{NAME}/{path.name}", path.resolve()))
    names = {name for name, _ in files}
    if not any(re.fullmatch(rf"{NAME}/liblongheads\.so\.\d+(\.\d+)?", n) for n in names):
        raise RuntimeError(f"liblongheads.so.<soversion> missing from {package_dir} (LONGHEADS_PYTHON_WHEEL)")
    return files


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(wheel_directory, files):
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    wheel_name = f"{NAME}-{version}-{_tag()}.whl"
    generated = {
        f"{dist_info}/METADATA": _metadata().encode("utf-8"),
        f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: longheads_build\nRoot-Is-Purelib: false\n"
                               f"Tag: {_tag()}\n").encode("utf-8"),
        f"{dist_info}/top_level.txt": f"{NAME}\n".encode("utf-8"),
    }
    record = []
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, path in files:
            data = path.read_bytes()
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
            record.append(_record_line(name, data))
        for name, data in generated.items():
            whl.writestr(name, data)
            record.append(_record_line(name, data))
        record.append(f"{dist_info}/RECORD,,")
        whl.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return wheel_name


# ---- PEP 517 hooks ------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    kept = _setting(config_settings, "build-dir")
    build_dir = kept or tempfile.mkdtemp(prefix="longheads-wheel-")
    try:
        package_dir = _build_package(build_dir, config_settings)
        return _write_wheel(wheel_directory, _wheel_files(package_dir))
    finally:
        if not kept:
            shutil.rmtree(build_dir, ignore_errors=True)


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_sdist(sdist_directory, config_settings=None):
    """The tracked files of the repository (git ls-files) as NAME-VERSION.tar.gz."""
    version = _version()
    base = f"{NAME}-{version}"
    tracked = subprocess.run(["git", "-C", str(SOURCE), "ls-files", "-z"], check=True, capture_output=True).stdout
    with tarfile.open(pathlib.Path(sdist_directory) / f"{base}.tar.gz", "w:gz") as tar:
        for rel in filter(None, tracked.decode("utf-8").split("\0")):
            tar.add(SOURCE / rel, arcname=f"{base}/{rel}", recursive=False)
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode("utf-8")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return f"{base}.tar.gz"
