// llama.cpp (node-llama-cpp's prebuilt CPU build, pinned in package.json) as a live oracle.
//
//   node oracle.mjs tokenize VOCAB.gguf IN.json OUT.json
//       IN: {"texts": [...], "special": true}; OUT: [[ids of text 0], ...] (no BOS added)
//   node oracle.mjs next MODEL.gguf IN.json OUT.json
//       IN: {"prompts": [[ids], ...], "greedy": N, "ctx": C}
//       OUT: [{"probs": [p(token 0), p(token 1), ...] after the prompt, "greedy": [N tokens]}, ...]
//       One fresh sequence per prompt, f32 KV cache, no flash attention, one thread.
import fs from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [cmd, modelPath, inPath, outPath] = process.argv.slice(2);
if (!cmd || !modelPath || !inPath || !outPath) {
    console.error("usage: node oracle.mjs tokenize|next MODEL IN.json OUT.json");
    process.exit(2);
}
const input = JSON.parse(fs.readFileSync(inPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});

if (cmd === "tokenize") {
    const model = await llama.loadModel({modelPath, vocabOnly: true});
    const out = input.texts.map((t) => Array.from(model.tokenize(t, input.special !== false)));
    fs.writeFileSync(outPath, JSON.stringify(out));
    await model.dispose();
} else if (cmd === "next") {
    const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: false});
    const nVocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
    const out = [];
    for (const prompt of input.prompts) {
        const context = await model.createContext({
            contextSize: input.ctx ?? 512, batchSize: 512, threads: 1, flashAttention: false,
            experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", sequences: 1,
        });
        const seq = context.getSequence();
        const items = prompt.slice(0, -1).concat([[prompt[prompt.length - 1], {generateNext: {probabilities: true}}]]);
        const res = await seq.controlledEvaluate(items);
        const last = res[res.length - 1].next;
        const probs = new Array(nVocab).fill(0);
        for (const [tok, p] of last.probabilities) probs[tok] = p;
        // Greedy: the most probable token (lowest id on ties), fed back one at a time.
        const argmax = (m) => {
            let best = -1, bp = -1;
            for (const [t, p] of m) if (p > bp || (p === bp && t < best)) { best = t; bp = p; }
            return best;
        };
        const greedy = [];
        let tok = argmax(last.probabilities);
        for (let i = 0; i < (input.greedy ?? 0); ++i) {
            greedy.push(tok);
            if (i + 1 === input.greedy) break;
            const r = await seq.controlledEvaluate([[tok, {generateNext: {probabilities: true}}]]);
            tok = argmax(r[0].next.probabilities);
        }
        out.push({probs, greedy});
        await context.dispose();
    }
    fs.writeFileSync(outPath, JSON.stringify(out));
    await model.dispose();
} else {
    console.error(`unknown command ${cmd}`);
    process.exit(2);
}
