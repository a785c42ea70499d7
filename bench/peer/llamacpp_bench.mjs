// One benchmark cell of llama.cpp, run through the prebuilt CPU build of node-llama-cpp (pinned in
// tests/oracle/package.json), timed the way `longheads bench` times its own cells:
//
//   node llamacpp_bench.mjs NODE_MODULES_DIR MODEL.gguf CTX GEN THREADS [--flash-attn] [--batch B]
//
// Loads the model (mmap), prefills CTX pseudo-random tokens (BOS first) in batches of B (default
// 512; the last token asks for logits, as llama.cpp does for a batch without an output list), then
// decodes GEN tokens one at a time, each asking for the greedy next token (so the output matrix
// runs every step, as in llama-bench's tg), and feeds it back. Before the timed work, one warm-up
// token is evaluated and the sequence cleared (llama-bench warms up too).
// Prints one JSON line: prefill_s, prefill_tok_s, decode_tok_s, and the ggml CPU variant the
// process loaded (libggml-cpu-<name>.so, read from /proc/self/maps).
//
// NODE_MODULES_DIR is a node_modules holding node-llama-cpp and @node-llama-cpp/linux-x64; to
// force an instruction-set level, bench/peer_bench.py passes a copy whose bins keep one CPU
// variant only. KV cache: llama.cpp's default (f16).
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const args = process.argv.slice(2);
if (args.length < 5) {
    console.error("usage: node llamacpp_bench.mjs NODE_MODULES MODEL CTX GEN THREADS [--flash-attn] [--batch B]");
    process.exit(2);
}
const [nodeModules, modelPath] = args;
const nCtx = parseInt(args[2], 10), nGen = parseInt(args[3], 10), nThreads = parseInt(args[4], 10);
const flashAttention = args.includes("--flash-attn");
const bi = args.indexOf("--batch");
const batchSize = bi >= 0 ? parseInt(args[bi + 1], 10) : 512;
if (!(nCtx >= 1 && nGen >= 0 && nThreads >= 1 && batchSize >= 1)) {
    console.error("CTX >= 1, GEN >= 0, THREADS >= 1 and B >= 1 are required");
    process.exit(2);
}

const {getLlama, LlamaLogLevel} = await import(pathToFileURL(path.join(nodeModules, "node-llama-cpp", "dist", "index.js")).href);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: nThreads});
const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: true});
const nVocab = model.tokens.count ?? model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
const context = await model.createContext({
    contextSize: nCtx + nGen + 8, batchSize, sequences: 1, flashAttention,
    threads: {ideal: nThreads, min: nThreads},
});
const seq = context.getSequence();

// The same generator as `longheads bench`'s prompt (a 64-bit LCG), so both engines see one prompt.
function benchPrompt(n) {
    const ids = new Array(n);
    let state = 0xC0FFEEn;
    const mask = (1n << 64n) - 1n;
    for (let i = 0; i < n; ++i) {
        state = (state * 6364136223846793005n + 1442695040888963407n) & mask;
        ids[i] = Number((state >> 33n) % BigInt(nVocab));
    }
    const bos = model.tokens.bos;
    if (bos != null && n > 0) ids[0] = bos;
    return ids;
}

const greedy = {token: true, options: {temperature: 0}};

// Warm-up: one token with logits, then an empty sequence again.
await seq.controlledEvaluate([[benchPrompt(1)[0], {generateNext: greedy}]]);
await seq.clearHistory();

const prompt = benchPrompt(nCtx);
const t0 = process.hrtime.bigint();
let last;
for (let done = 0; done < prompt.length; done += batchSize) {
    const part = prompt.slice(done, Math.min(prompt.length, done + batchSize));
    const isLast = done + part.length === prompt.length;
    const items = isLast ? part.slice(0, -1).concat([[part[part.length - 1], {generateNext: greedy}]]) : part;
    const res = await seq.controlledEvaluate(items);
    if (isLast) last = res[res.length - 1];
}
const prefillS = Number(process.hrtime.bigint() - t0) / 1e9;

let tok = last?.next?.token;
if (tok == null) throw new Error("no token after the prefill");
const t1 = process.hrtime.bigint();
for (let i = 0; i < nGen; ++i) {
    const res = await seq.controlledEvaluate([[tok, {generateNext: greedy}]]);
    tok = res[0]?.next?.token;
    if (tok == null) throw new Error(`no token at decode step ${i}`);
}
const decodeS = Number(process.hrtime.bigint() - t1) / 1e9;

const maps = fs.readFileSync("/proc/self/maps", "utf8");
const variant = (maps.match(/libggml-cpu-([A-Za-z0-9_]+)\.so/) ?? [null, "unknown"])[1];
console.log(JSON.stringify({
    ctx: nCtx, gen: nGen, threads: nThreads, flash_attn: flashAttention, batch: batchSize,
    prefill_s: prefillS, prefill_tok_s: nCtx / prefillS, decode_tok_s: nGen > 0 ? nGen / decodeS : 0,
    cpu_variant: variant, context_threads: context.currentThreads,
}));
await context.dispose();
await model.dispose();
await llama.dispose();
