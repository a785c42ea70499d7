"""Runs the official OpenAI Node client's tests (openai_client.test.mjs) against the server.
Needs `npm ci` in tests/server (the CI does it): a missing client fails."""
import os
import pathlib
import re
import shutil
import subprocess

from conftest import PROMPT, SYSTEM, TEMPLATE, cli_chat_reply, cli_greedy

HERE = pathlib.Path(__file__).resolve().parent


def test_the_openai_node_client(start_server):
    assert shutil.which("node"), "node is required"
    assert (HERE / "node_modules" / "openai").is_dir(), "run `npm ci` in tests/server first"
    s = start_server("-c", "1024", "--parallel", "2", "--api-key", "test-key", *TEMPLATE)
    busy = start_server("-c", "1024", "--parallel", "1", "--queue", "0", "--api-key", "test-key")
    env = dict(os.environ, LONGHEADS_URL=s.url, LONGHEADS_BUSY_URL=busy.url, LONGHEADS_API_KEY="test-key",
               LONGHEADS_MODEL="stories260K", LONGHEADS_PROMPT=PROMPT, LONGHEADS_EXPECTED=cli_greedy(PROMPT, 24)["text"],
               LONGHEADS_CHAT_SYSTEM=SYSTEM, LONGHEADS_CHAT_EXPECTED=cli_chat_reply(SYSTEM, PROMPT, 16, *TEMPLATE))
    out = subprocess.run(["node", "--test", "--test-reporter=spec", str(HERE / "openai_client.test.mjs")],
                         capture_output=True, text=True, env=env, timeout=300, cwd=HERE)
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    for zero in ("fail", "cancelled", "skipped", "todo"):
        assert re.search(rf"\b{zero} 0\b", out.stdout), out.stdout
    assert re.search(r"\bpass 7\b", out.stdout), out.stdout
    assert s.alive() and busy.alive()
    # The aborted streams were seen as gone and their generations stopped.
    for server in (s, busy):
        gone = [line for line in server.log().splitlines() if "client gone" in line]
        assert len(gone) == 1 and " 1000 generated" not in gone[0] and " 2000 generated" not in gone[0], server.log()
