"""The Java (java.net.http) and C# (HttpClient) examples in examples/ call the server as the
services the library is meant for would: their output must be the CLI's greedy text."""
import shutil
import subprocess

from conftest import PROMPT, REPO, cli_greedy


def check_output(out, expected):
    lines = out.splitlines()
    assert "model: stories260K" in lines, out
    assert f"completion: {expected}" in lines, out
    assert f"stream: {expected}" in lines, out
    assert int(next(l for l in lines if l.startswith("pieces: ")).split()[1]) >= 10, out
    assert any(l.startswith("error 400: 'n' must be 1") for l in lines), out


def test_java_example(start_server, tmp_path):
    for tool in ("javac", "java"):
        assert shutil.which(tool), f"{tool} is required"
    s = start_server("-c", "1024", "--api-key", "k")
    subprocess.run(["javac", "-d", str(tmp_path), str(REPO / "examples" / "java" / "ServerClient.java")],
                   check=True, timeout=300)
    out = subprocess.run(["java", "-cp", str(tmp_path), "ServerClient", s.url, "k", PROMPT],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    check_output(out.stdout, cli_greedy(PROMPT, 24)["text"])


def test_csharp_example(start_server, tmp_path):
    for tool in ("mcs", "mono"):
        assert shutil.which(tool), f"{tool} is required"
    s = start_server("-c", "1024", "--api-key", "k")
    exe = tmp_path / "ServerClient.exe"
    subprocess.run(["mcs", "-r:System.Net.Http", f"-out:{exe}", str(REPO / "examples" / "csharp" / "ServerClient.cs")],
                   check=True, timeout=300)
    out = subprocess.run(["mono", str(exe), s.url, "k", PROMPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    check_output(out.stdout, cli_greedy(PROMPT, 24)["text"])
