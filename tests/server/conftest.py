"""Fixtures of the server tests: `longheads serve` started on 127.0.0.1 (any free port), plain
HTTP helpers, curl, the CLI's answers to compare with, and the server's log and memory. A missing binary, model or tool fails the tests."""
import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
PROMPT = "Once upon a time, there was a little girl named Lily."
SYSTEM = "You tell stories."  # the chat tests' system message
TEMPLATE = ("--chat-template", "chatml")  # stories260K has no chat template of its own


def cli_path():
    path = os.environ.get("LONGHEADS_CLI", str(REPO / "build" / "bin" / "longheads"))
    assert os.path.exists(path), f"longheads CLI not built at {path}"
    return path


class Server:
    """One `longheads serve` process; stopped (SIGTERM, must exit 0) by stop()."""

    def __init__(self, *flags, model="stories260K.gguf"):
        self.log_file = tempfile.NamedTemporaryFile(prefix="lh_serve_", suffix=".log", delete=False)
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        self.proc = subprocess.Popen([cli_path(), "serve", "-m", str(MODELS / model), "--port", "0", "-v",
                                      *map(str, flags)],
                                     stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            for line in self.log().splitlines():
                if "listening on http://" in line:
                    self.port = int(line.split("http://")[1].split()[0].rsplit(":", 1)[1])
                    self.url = f"http://127.0.0.1:{self.port}"
                    return
            assert self.proc.poll() is None, f"server exited: {self.log()}"
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.log()}")

    def log(self):
        return pathlib.Path(self.log_file.name).read_text(errors="replace")

    def rss_kb(self):
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def alive(self):
        return self.proc.poll() is None

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers, body bytes) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def post_json(self, path, body, headers=None):
        status, _, data = self.request("POST", path, body, headers)
        return status, json.loads(data)

    def health(self):
        return json.loads(self.request("GET", "/health")[2])

    def wait_idle(self, timeout=10):
        """Seconds until no context is busy (fails after `timeout`)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.health()["busy"] == 0:
                return time.time() - t0
            time.sleep(0.02)
        raise AssertionError(f"contexts still busy after {timeout} s: {self.health()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("server did not stop on SIGTERM")
            assert rc == 0, f"server exited with {rc}: {self.log()[-2000:]}"
        os.unlink(self.log_file.name)


@pytest.fixture
def start_server():
    started = []

    def start(*flags, **kw):
        s = Server(*flags, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def sse_events(raw):
    """The JSON payloads of a server-sent event stream, and whether it ended with [DONE]."""
    events, done = [], False
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), f"not an SSE data line: {block!r}"
        payload = block[len("data: "):]
        if payload == "[DONE]":
            done = True
        else:
            assert not done, "event after [DONE]"
            events.append(json.loads(payload))
    return events, done


def curl(server, path, body=None, *extra, timeout=120):
    """(HTTP status, body bytes); the body is sent as JSON."""
    assert shutil.which("curl"), "curl is required"
    cmd = ["curl", "-sS", "-N", "-o", "-", "-w", "\n%{http_code}", *extra, server.url + path]
    if body is not None:  # through stdin: bodies may exceed the argument size limit
        cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        body = (body if isinstance(body, str) else json.dumps(body)).encode()
    out = subprocess.run(cmd, input=body, capture_output=True, timeout=timeout)
    data, _, code = out.stdout.rpartition(b"\n")
    return int(code), data


def cli_greedy(prompt, n, *flags):
    """`longheads generate`'s greedy output (--json) on stories260K."""
    out = subprocess.run([cli_path(), "generate", "-m", str(MODELS / "stories260K.gguf"), "-p", prompt, "-n", str(n),
                          "--temp", "0", "--json", "--no-perf", *flags],
                         capture_output=True, text=True, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"), timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def error_of(code_body):
    """(status, the error object) of an error answer, checked to have the OpenAI shape."""
    code, body = code_body
    err = json.loads(body)["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return code, err


def cli_chat_reply(system, user, n, *template):
    """`longheads chat`'s greedy reply to one user turn (stdout holds the reply and a newline)."""
    out = subprocess.run([cli_path(), "chat", "-m", str(MODELS / "stories260K.gguf"), "-c", "1024", "-n", str(n),
                          "--temp", "0", "--system", system, *template],
                         input=user + "\n", capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("\n"), out.stdout
    return out.stdout[:-1]
