#!/usr/bin/env python3
"""Read once, ask many: what a second question about a long document costs with and without
prefix reuse (through `longheads serve`), and how long a saved context of that document takes
to load (`generate --load-context`), and the server load test's figures (--load-test). One
run; figures on stdout, as JSON (--json) and in the marked section of docs/BENCHMARKS.md (--doc).

    /usr/bin/python3 bench/read_once_ask_many.py --tokens 16384            # the demo model, LongHeads
    /usr/bin/python3 bench/read_once_ask_many.py --model models/stories260K.gguf --tokens 4096 --doc ""

The document is the start of bench/data/kjv_acts.txt (the book the demo model never saw), cut to
--tokens tokens. Each question's time is the whole HTTP request (prefill + 16 greedy tokens)."""
import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
QUESTIONS = [" Question: who wrote to Theophilus? Answer:", " Question: where did Paul go? Answer:"]


def cli(args, **kw):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    return subprocess.run([str(args.cli), *kw.pop("argv")], capture_output=True, text=True, env=env, check=True, **kw)


def document(args):
    text = (REPO / "bench" / "data" / "kjv_acts.txt").read_text()
    ids = json.loads(cli(args, argv=["tokenize", "-m", args.model, "-p", text, "--json"]).stdout)["tokens"]
    if len(ids) < args.tokens:
        raise SystemExit(f"kjv_acts.txt has only {len(ids)} tokens")
    # Cut by characters proportionally, then trim until the tokens fit.
    cut = text[: int(len(text) * args.tokens / len(ids))]
    while True:
        n = len(json.loads(cli(args, argv=["tokenize", "-m", args.model, "-p", cut, "--json"]).stdout)["tokens"])
        if n <= args.tokens:
            return cut, n
        cut = cut[: -max(1, (n - args.tokens) * 3)]


class Server:
    def __init__(self, args):
        self.log = tempfile.NamedTemporaryFile(prefix="lh_bench_serve_", delete=False)
        self.proc = subprocess.Popen([str(args.cli), "serve", "-m", args.model, "--port", "0", "-c", str(args.ctx),
                                      "-t", str(args.threads), *args.attention_flags],
                                     stderr=self.log, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
        while True:
            m = re.search(r"listening on (http://\S+)", pathlib.Path(self.log.name).read_text())
            if m:
                self.url = m.group(1)
                return
            if self.proc.poll() is not None:
                raise SystemExit(pathlib.Path(self.log.name).read_text())
            time.sleep(0.05)

    def ask(self, prompt):
        body = json.dumps({"prompt": prompt, "max_tokens": 16, "temperature": 0}).encode()
        req = urllib.request.Request(self.url + "/v1/completions", body, {"Content-Type": "application/json"})
        t0 = time.time()
        with urllib.request.urlopen(req, timeout=3600) as resp:
            r = json.loads(resp.read())
        return time.time() - t0, r

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        os.unlink(self.log.name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=REPO / "build" / "bin" / "longheads")
    ap.add_argument("--model", default=str(REPO / "models" / "longheads-demo.gguf"))
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attention", default="--attention longheads",
                    help="context flags of the server and the saved context")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--doc", default=str(REPO / "docs" / "BENCHMARKS.md"),
                    help="doc whose read-once section is written ('' for none)")
    ap.add_argument("--load-test", action="store_true",
                    help="also run tests/server/test_server_load.py and report its figures")
    args = ap.parse_args()
    args.attention_flags = args.attention.split()
    args.ctx = args.tokens + 256
    doc, n_doc = document(args)
    out = {"model": pathlib.Path(args.model).name, "document_tokens": n_doc, "flags": args.attention,
           "threads": args.threads, "load_average_before": os.getloadavg()[0]}

    server = Server(args)
    try:
        t1, r1 = server.ask(doc + QUESTIONS[0])
        t2, r2 = server.ask(doc + QUESTIONS[1])
    finally:
        server.stop()
    fresh = Server(args)
    try:
        t2_fresh, r2_fresh = fresh.ask(doc + QUESTIONS[1])
    finally:
        fresh.stop()
    assert r2["choices"][0]["text"] == r2_fresh["choices"][0]["text"], "reuse changed the answer"
    out.update(first_question_s=t1, second_question_reused_s=t2,
               second_question_reused_tokens=r2["usage"]["prompt_tokens_details"]["cached_tokens"],
               second_question_without_reuse_s=t2_fresh, prompt_tokens=r2["usage"]["prompt_tokens"])

    with tempfile.TemporaryDirectory() as tmp:
        saved = pathlib.Path(tmp) / "doc.lhctx"
        docfile = pathlib.Path(tmp) / "doc.txt"
        docfile.write_text(doc)
        t0 = time.time()
        cli(args, argv=["generate", "-m", args.model, "-c", str(args.ctx), "-t", str(args.threads),
                        *args.attention_flags, "-f", str(docfile), "-n", "0", "--no-perf", "--save-context", str(saved)])
        out["save_run_s"] = time.time() - t0
        out["file_bytes"] = saved.stat().st_size
        loads = []
        for _ in range(3):
            err = cli(args, argv=["generate", "-m", args.model, "-t", str(args.threads), "--load-context", str(saved),
                                  "-p", QUESTIONS[1], "-n", "16", "--temp", "0", "--no-perf", "-v"]).stderr
            loads.append(float(re.search(r"loaded \d+ tokens from .* in ([0-9.]+) ms", err).group(1)))
        out["load_ms"] = loads

    if args.load_test:
        out["load_test"] = load_test(args)
    print(json.dumps(out, indent=1))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    if args.doc:
        doc_path = pathlib.Path(args.doc)
        doc_path.write_text(with_section(doc_path.read_text() if doc_path.exists() else "", section(out)))


def load_test(args):
    """The figures line the load test prints (16 clients x 20 requests, see its docstring)."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", LONGHEADS_CLI=str(args.cli))
    t0 = time.time()
    run = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                          str(REPO / "tests" / "server" / "test_server_load.py")],
                         capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise SystemExit("the load test failed:\n" + run.stdout[-3000:] + run.stderr[-2000:])
    return {"line": next(l for l in run.stdout.splitlines() if l.startswith("load: ")), "test_s": time.time() - t0}


BEGIN = "<!-- read-once:begin (written by bench/read_once_ask_many.py) -->"
END = "<!-- read-once:end -->"


def section(out):
    cmd = "/usr/bin/python3 bench/read_once_ask_many.py " + " ".join(sys.argv[1:])
    rows = [
        ("document", f"{out['document_tokens']} tokens of bench/data/kjv_acts.txt, model {out['model']}, "
                     f"`{out['flags']}`, {out['threads']} threads"),
        ("first question (reads the document)", f"{out['first_question_s']:.2f} s"),
        ("second question, prefix reuse (server)",
         f"{out['second_question_reused_s']:.2f} s ({out['second_question_reused_tokens']} of "
         f"{out['prompt_tokens']} prompt tokens reused)"),
        ("second question, no reuse (fresh server)", f"{out['second_question_without_reuse_s']:.2f} s"),
        ("saved context file", f"{out['file_bytes'] / 2**20:.1f} MiB"),
        ("reload of the saved context (lh_context_load)",
         ", ".join(f"{x:.1f}" for x in out["load_ms"]) + " ms (3 runs)"),
    ]
    lines = [BEGIN, "", "## Read once, ask many (issue 15)", "",
             f"Run of {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC: `{cmd}`. Each question is one HTTP",
             "request to `longheads serve` (prefill + 16 greedy tokens); the answer with reuse equals the",
             f"fresh server's. Machine load average before the run: {out['load_average_before']:.2f}.", "", "| what | measured |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    if "load_test" in out:
        lines += ["", f"Load test (`tests/server/test_server_load.py`, {out['load_test']['test_s']:.0f} s in all): "
                      + out["load_test"]["line"][len("load: "):]]
    return "\n".join(lines + ["", END])


def with_section(text, block):
    """text with its read-once section replaced by block (appended when it has none)."""
    if BEGIN in text and END in text:
        return text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def keep_section(old_text, new_text):
    """For run_bench.py: the read-once section of old_text carried into new_text."""
    if BEGIN not in old_text or END not in old_text:
        return new_text
    return with_section(new_text, old_text[old_text.index(BEGIN):old_text.index(END) + len(END)])


if __name__ == "__main__":
    main()
