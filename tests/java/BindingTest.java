// Tests of the Java binding: a plain runner (no JUnit) that prints "N passed, M failed" and
// exits non-zero on a failure. Run by CTest (label java) with LONGHEADS_MODEL and
// LONGHEADS_CLI (the C CLI, whose --json output gives the C API's expected values).
import ai.longheads.Attention;
import ai.longheads.Chat;
import ai.longheads.ChatMessage;
import ai.longheads.ChunkScore;
import ai.longheads.Context;
import ai.longheads.ContextOptions;
import ai.longheads.GenerateOptions;
import ai.longheads.GenerationStream;
import ai.longheads.KvType;
import ai.longheads.Precision;
import ai.longheads.PrefillMode;
import ai.longheads.LongHeads;
import ai.longheads.LongHeadsException;
import ai.longheads.Model;
import ai.longheads.Sampler;
import ai.longheads.SamplerOptions;
import ai.longheads.Status;
import ai.longheads.StopReason;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class BindingTest {
    static final int[] HELLO_IDS = {1, 346, 306, 414, 263, 304, 341};  // llama.cpp's ids of "Hello world"
    static final String PROMPT = "Once upon a time";

    static String modelPath;
    static int passed, failed;

    interface Body {
        void run() throws Exception;
    }

    static void test(String name, Body body) {
        try {
            body.run();
            passed++;
            System.out.println("PASS " + name);
        } catch (Throwable t) {
            failed++;
            System.out.println("FAIL " + name + ": " + t);
            t.printStackTrace(System.out);
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static void checkEq(Object expected, Object actual, String what) {
        if (!expected.equals(actual)) throw new AssertionError(what + ": expected <" + expected + "> got <" + actual + ">");
    }

    static LongHeadsException expectError(Body body) throws Exception {
        try {
            body.run();
        } catch (LongHeadsException e) {
            check(e.getMessage() != null && !e.getMessage().isEmpty(), "exception has a message");
            return e;
        }
        throw new AssertionError("expected a LongHeadsException");
    }

    /** Runs the C CLI with --json; returns stdout. */
    static String cli(String... args) throws Exception {
        String exe = System.getenv("LONGHEADS_CLI");
        if (exe == null) throw new AssertionError("LONGHEADS_CLI is not set");
        List<String> cmd = new ArrayList<>();
        cmd.add(exe);
        cmd.addAll(Arrays.asList(args));
        cmd.add("--json");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        checkEq(0, p.waitFor(), "CLI exit code");
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    static int[] jsonInts(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(json);
        check(m.find(), "key " + key + " in " + json);
        String body = m.group(1).trim();
        if (body.isEmpty()) return new int[0];
        return Arrays.stream(body.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    static String jsonString(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        check(m.find(), "key " + key + " in " + json);
        String s = m.group(1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u': b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: b.append(e);
            }
        }
        return b.toString();
    }

    /** Generation options: maxTokens tokens, greedy when temperature is 0. */
    static GenerateOptions gen(int maxTokens, float temperature) {
        GenerateOptions o = new GenerateOptions();
        o.setMaxTokens(maxTokens);
        o.getSampling().setTemperature(temperature);
        return o;
    }

    static GenerateOptions greedy(int maxTokens) {
        return gen(maxTokens, 0f);
    }

    static ContextOptions ctxOptions(int nCtx) {
        ContextOptions o = new ContextOptions();
        o.setNCtx(nCtx);
        return o;
    }

    static ContextOptions longheads(int nCtx, int chunkSize, int attnLen) {
        ContextOptions o = ctxOptions(nCtx);
        o.setAttention(Attention.LONGHEADS);
        o.setChunkSize(chunkSize);
        o.setAttnLen(attnLen);
        return o;
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return 0;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--version-only")) {  // the OMP_WAIT_POLICY child
            System.out.println(LongHeads.version());
            return;
        }
        modelPath = System.getenv().getOrDefault("LONGHEADS_MODEL", "models/stories260K.gguf");
        LongHeads.load();
        Model model = new Model(modelPath);

        test("version", () -> check(LongHeads.version().split("\\.").length == 3, "version"));
        test("cpu level is the C API's", () ->
            checkEq(jsonString(cli("info", "-m", modelPath), "cpu_level"), LongHeads.cpuLevel(), "cpuLevel"));

        test("model info", () -> {
            checkEq("llama", model.architecture(), "architecture");
            checkEq(512, model.nVocab(), "nVocab");
            checkEq(512, model.nCtxTrain(), "nCtxTrain");
            checkEq(5, model.info().getNLayer(), "nLayer");
            checkEq(4, model.nHeadKv(), "nHeadKv");
            checkEq(1, model.bos(), "bos");
            checkEq(2, model.eos(), "eos");
            checkEq("512", model.metadata("llama.context_length"), "metadata");
            check(!model.tensors().isEmpty(), "tensors");
        });

        test("tokenize / detokenize round trip", () -> {
            check(Arrays.equals(HELLO_IDS, model.tokenize("Hello world")), "Hello world ids");
            check(Arrays.equals(Arrays.copyOfRange(HELLO_IDS, 1, 7), model.tokenize("Hello world", false)), "no BOS");
            checkEq(" Hello world", model.detokenize(HELLO_IDS), "detokenize");
            checkEq("<s> Hello world", model.detokenize(HELLO_IDS, true, false), "render special");
            String unicode = "unicode: café naïve 日本語 🦙";
            checkEq(unicode, model.detokenize(model.tokenize(unicode, false)), "unicode round trip");
            for (String text : new String[] {"Hello world", PROMPT + ", there was a little girl named Lily.", unicode}) {
                check(Arrays.equals(jsonInts(cli("tokenize", "-m", modelPath, "-p", text), "tokens"), model.tokenize(text)),
                        "C API ids of '" + text + "'");
            }
            check(Arrays.equals(" He".getBytes(StandardCharsets.UTF_8), model.tokenPiece(346)), "tokenPiece");
            check(model.isEog(2) && !model.isEog(346), "isEog");
        });

        test("greedy generation equals the C API", () -> {
            String json = cli("generate", "-m", modelPath, "-p", PROMPT, "-n", "16", "--temp", "0");
            GenerateOptions greedy = greedy(16);
            try (GenerationStream stream = model.stream(PROMPT, greedy)) {
                StringBuilder text = new StringBuilder();
                for (String piece : stream) text.append(piece);
                check(Arrays.equals(jsonInts(json, "tokens"), stream.tokens()), "tokens " + Arrays.toString(stream.tokens()));
                checkEq(jsonString(json, "text"), text.toString(), "stream text");
                checkEq(StopReason.MAX_TOKENS, stream.stopReason(), "stop reason");
            }
            checkEq(jsonString(json, "text"), model.generate(PROMPT, greedy), "generate text");
        });

        test("streaming equals non-streaming", () -> {
            GenerateOptions seeded = gen(40, 0.9f);
            seeded.getSampling().setSeed(42);
            seeded.getSampling().setTopK(20);
            GenerateOptions hot = gen(40, 1.2f);
            hot.getSampling().setSeed(7);
            GenerateOptions[] all = {greedy(40), seeded, hot};
            for (GenerateOptions o : all) {
                StringBuilder text = new StringBuilder();
                try (GenerationStream stream = model.stream(PROMPT, o)) {
                    for (String piece : stream) {
                        check(!piece.isEmpty(), "non-empty piece");
                        text.append(piece);
                    }
                    checkEq(text.toString(), stream.text(), "stream.text()");
                }
                checkEq(model.generate(PROMPT, o), text.toString(), "same text");
            }
        });

        test("stop string whose prefix ends the text", () -> {
            // The text's last character starts the stop string: the library holds it back
            // until the end and returns it with done; the stream must not lose it.
            GenerateOptions greedy = greedy(24);
            String full = model.generate(PROMPT, greedy);
            GenerateOptions withStop = greedy(24);
            withStop.getStop().add(full.substring(full.length() - 1) + "\u0001");
            StringBuilder text = new StringBuilder();
            try (GenerationStream stream = model.stream(PROMPT, withStop)) {
                for (String piece : stream) text.append(piece);
                checkEq(StopReason.MAX_TOKENS, stream.stopReason(), "stop reason");
            }
            checkEq(full, text.toString(), "stream text");
            checkEq(full, model.generate(PROMPT, withStop), "generate text");
        });

        test("early stop", () -> {
            int nPrompt = model.tokenize(PROMPT).length;
            try (Context ctx = model.newContext()) {
                GenerationStream stream = ctx.stream(PROMPT, greedy(100));
                int n = 0;
                for (String piece : stream) {
                    if (++n == 3) break;
                }
                int generated = stream.tokens().length;
                stream.close();
                stream.close();
                check(!stream.hasNext(), "closed stream has no next");
                checkEq(StopReason.NONE, stream.stopReason(), "stop reason");
                check(generated >= 3 && generated < 100, "generated " + generated);
                int past = ctx.nPast();
                check(past >= nPrompt + generated - 1 && past <= nPrompt + generated, "nPast " + past);
            }
            for (int i = 0; i < 20; i++) {
                try (GenerationStream s = model.stream(PROMPT, gen(50, 0.8f))) {
                    for (String piece : s) break;
                }
            }
        });

        test("stop strings", () -> {
            String full = model.generate(PROMPT, greedy(40));
            check(full.contains("."), "full text has a period");
            GenerateOptions period = greedy(40);
            period.getStop().add(".");
            try (GenerationStream s = model.stream(PROMPT, period)) {
                StringBuilder b = new StringBuilder();
                for (String p : s) b.append(p);
                checkEq(full.substring(0, full.indexOf('.')), b.toString(), "text before the stop string");
                checkEq(StopReason.STRING, s.stopReason(), "stop reason");
            }
        });

        test("context: eval, logits, sample", () -> {
            int[] expected = jsonInts(cli("generate", "-m", modelPath, "-p", PROMPT, "-n", "8", "--temp", "0"), "tokens");
            try (Context ctx = model.newContext(ctxOptions(256))) {
                checkEq(256, ctx.nCtx(), "nCtx");
                int[] ids = model.tokenize(PROMPT);
                ctx.eval(ids);
                checkEq(ids.length, ctx.nPast(), "nPast");
                float[] logits = ctx.logits();
                checkEq(512, logits.length, "logits length");
                int[] got = new int[8];
                for (int i = 0; i < 8; i++) {
                    got[i] = ctx.sample();
                    ctx.eval(new int[] {got[i]});
                }
                check(Arrays.equals(expected, got), "sampled " + Arrays.toString(got));
                ctx.reset();
                checkEq(0, ctx.nPast(), "reset");
                ctx.eval(ids);
                SamplerOptions greedySampling = new SamplerOptions();
                greedySampling.setTemperature(0f);
                try (Sampler s = new Sampler(greedySampling)) {
                    int a = s.sample(ctx.logits());
                    checkEq(a, s.sample(ctx, -1), "sample from context");
                    s.accept(new int[] {1, 2});
                }
                checkEq(Attention.LONGHEADS, ctx.options().getAttention(), "attention");
                checkEq(256, ctx.options().getNCtx(), "options n_ctx");
            }
            try (Context ctx = model.newContext(longheads(2048, 32, 256))) {
                checkEq(32, ctx.options().getChunkSize(), "chunk size");
                check(ctx.generate(PROMPT, greedy(8)) != null, "longheads generate");
            }
        });

        test("kv types", () -> {
            checkEq(KvType.F32, new ContextOptions().getKvType(), "default kv type");
            for (KvType kv : new KvType[] {KvType.BF16, KvType.Q8}) {
                ContextOptions o = ctxOptions(512);
                o.setKvType(kv);
                try (Context ctx = model.newContext(o)) {
                    checkEq(kv, ctx.options().getKvType(), "kv type reported");
                    String text = ctx.generate(PROMPT, greedy(8));
                    check(text != null && !text.isEmpty(), kv + " cache generates text");
                }
            }
        });

        test("chunk score", () -> {
            checkEq(ChunkScore.BOUND_MID, new ContextOptions().getChunkScore(), "default chunk score");
            ContextOptions o = longheads(512, 8, 32);
            o.setChunkScore(ChunkScore.MAX_KEY);
            try (Context ctx = model.newContext(o)) {
                checkEq(ChunkScore.MAX_KEY, ctx.options().getChunkScore(), "chunk score reported");
                // 48 tokens past L = 32: the max-key chunk selection runs.
                String text = ctx.generate(PROMPT, greedy(48));
                check(text != null && !text.isEmpty(), "max-key generate returns text");
            }
            String text = model.generate(PROMPT, greedy(48), o);
            check(text != null && !text.isEmpty(), "model.generate with max key");
            try (Context ctx = model.newContext(new ContextOptions())) {
                checkEq(ChunkScore.BOUND_MID, ctx.options().getChunkScore(), "default reported");
            }
            checkEq(ChunkScore.MAX_KEY, ChunkScore.fromName("max"), "alias from the C API");
            checkEq("max_key", ChunkScore.MAX_KEY.canonicalName(), "canonical name");
        });

        test("bound chunk score and local chunks", () -> {
            checkEq(0, new ContextOptions().getLocalChunks(), "default local chunks (library default)");
            ContextOptions o = longheads(512, 8, 32);
            o.setChunkScore(ChunkScore.BOUND);
            o.setLocalChunks(3);
            try (Context ctx = model.newContext(o)) {
                checkEq(ChunkScore.BOUND, ctx.options().getChunkScore(), "bound reported");
                checkEq(3, ctx.options().getLocalChunks(), "local chunks reported");
                // 48 tokens past L = 32: the bound chunk selection runs.
                String text = ctx.generate(PROMPT, greedy(48));
                check(text != null && !text.isEmpty(), "bound generate returns text");
            }
            ContextOptions defaults = new ContextOptions();
            defaults.setAttention(Attention.LONGHEADS);
            try (Context ctx = model.newContext(defaults)) {
                // stories260K defaults: K = 256 / 32 = 8 chunks, so the key-based default score keeps 4.
                checkEq(4, ctx.options().getLocalChunks(), "default resolved by the library");
            }
            o.setLocalChunks(4);  // K = 4: at most 3
            LongHeadsException e = expectError(() -> model.newContext(o));
            checkEq(Status.INVALID_ARGUMENT, e.getStatus(), "local chunks 4 of K = 4 refused");
            check(e.getMessage().contains("local_chunks"), "message names local_chunks");
        });

        test("cancel from another thread", () -> {
            ContextOptions o = ctxOptions(8192);
            o.setAttention(Attention.LONGHEADS);
            try (Context ctx = model.newContext(o)) {
                GenerateOptions many = gen(4000, 0.8f);
                many.setStopAtEog(false);
                StringBuilder text = new StringBuilder();
                StopReason[] reason = new StopReason[1];
                Thread t = new Thread(() -> {
                    try (GenerationStream s = ctx.stream(PROMPT, many)) {
                        for (String p : s) text.append(p);
                        reason[0] = s.stopReason();
                    }
                });
                long start = System.nanoTime();
                t.start();
                Thread.sleep(300);
                ctx.cancel();
                t.join(120_000);
                check(!t.isAlive(), "generation thread ended");
                checkEq(StopReason.CANCELLED, reason[0], "stop reason");
                check(text.length() > 0, "the text generated until the cancel is kept");
                check(System.nanoTime() - start < 20_000_000_000L, "cancelled early");
                ctx.reset();
                check(!ctx.generate(PROMPT, greedy(4)).isEmpty(), "usable after cancel");
            }
        });

        test("chat: format with a template name, errors", () -> {
            {
                java.util.List<ChatMessage> msgs = java.util.List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello"));
                String chatml = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n";
                checkEq(chatml, model.chatFormat(msgs, true, "chatml"), "chatml");
                checkEq("llama3.1", model.chatTemplateFamily("Cutting Knowledge Date <|start_header_id|>"), "family");
                checkEq(Status.INVALID_ARGUMENT, expectError(() -> model.chatFormat(msgs, true, null)).getStatus(), "no template");
                LongHeadsException e = expectError(() -> model.chatFormat(msgs, true, "vicuna"));
                checkEq(Status.UNSUPPORTED, e.getStatus(), "unknown name");
                check(e.getMessage().contains("vicuna"), "message names it: " + e.getMessage());
                e = expectError(() -> model.chatFormat(java.util.List.of(new ChatMessage("tool", "{}")), true, "chatml"));
                check(e.getMessage().contains("'tool'"), "bad role: " + e.getMessage());
            }
        });

        test("chat: turns keep the KV cache", () -> {
            try (Chat chat = model.chat("chatml", "Be brief.", ctxOptions(256))) {
                GenerateOptions greedy = greedy(8);
                String first = chat.send("Hello", greedy);
                checkEq(0, chat.lastReused(), "first turn reuses nothing");
                String prompt = model.chatFormat(java.util.List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hello")), true, "chatml");
                try (Context ctx = new Context(model, ctxOptions(256))) {
                    checkEq(ctx.generate(prompt, greedy), first, "turn 1 = generation from the formatted prompt");
                }
                int nAfterFirst = chat.getContext().nPast();
                int firstEvaluated = chat.lastEvaluated();
                StringBuilder second = new StringBuilder();
                for (String piece : chat.stream("Tell me more", greedy)) {
                    check(!piece.isEmpty(), "non-empty piece");
                    second.append(piece);
                }
                checkEq(nAfterFirst, chat.lastReused(), "turn 2 keeps the cache");
                check(chat.lastEvaluated() > 0 && chat.lastEvaluated() < firstEvaluated + 10, "turn 2 evaluated " + chat.lastEvaluated());
                java.util.List<ChatMessage> m = chat.messages();
                checkEq(5, m.size(), "messages");
                checkEq(ChatMessage.assistant(first), m.get(2), "reply 1 recorded");
                checkEq(ChatMessage.assistant(second.toString()), m.get(4), "reply 2 recorded");
                checkEq(StopReason.MAX_TOKENS, chat.stopReason(), "stop reason");
            }
        });

        test("saved contexts, forks, prefix reuse", () -> {
            int[] ids = model.tokenize(PROMPT + " there was a little girl who liked to play");
            Path file = Files.createTempFile("longheads", ".lhctx");
            try {
                float[] expected;
                try (Context ctx = model.newContext(longheads(512, 8, 32))) {
                    ctx.eval(ids);
                    checkEq(java.util.Arrays.toString(ids), java.util.Arrays.toString(ctx.tokens()), "tokens");
                    expected = ctx.logits();
                    ctx.save(file.toString());
                    try (Context copy = ctx.fork()) {
                        check(java.util.Arrays.equals(expected, copy.logits()), "fork has the same logits");
                    }
                    int reused = ctx.evalReuse(ids);  // faithful score: up to chunk_size - 1 fewer
                    check(reused >= ids.length - 8 && reused <= ids.length - 1, "evalReuse kept " + reused);
                    float[] again = ctx.logits();
                    for (int i = 0; i < again.length; i++) check(Math.abs(again[i] - expected[i]) < 1e-3f, "logits after reuse");
                    ctx.truncate(5);
                    checkEq(5, ctx.nPast(), "truncated");
                }
                checkEq(Attention.LONGHEADS, Context.fileParams(file.toString()).getAttention(), "file params");
                try (Context loaded = Context.load(model, file.toString())) {
                    check(java.util.Arrays.equals(expected, loaded.logits()), "loaded has the same logits");
                }
                ContextOptions full = ctxOptions(512);
                LongHeadsException e = expectError(() -> Context.load(model, file.toString(), full));
                checkEq(Status.INVALID_ARGUMENT, e.getStatus(), "other attention refused");
                Files.write(file, "not a context file".getBytes(StandardCharsets.UTF_8));
                checkEq(Status.BAD_FORMAT, expectError(() -> Context.load(model, file.toString())).getStatus(), "damaged file");
            } finally {
                Files.deleteIfExists(file);
            }
        });

        test("a second generation takes the context over", () -> {
            try (Context ctx = model.newContext(ctxOptions(512))) {
                GenerationStream first = ctx.stream(PROMPT, greedy(20));
                check(first.hasNext(), "first has text");
                first.next();
                check(!ctx.generate(" and", greedy(4)).isEmpty(), "generate on the same context");
                LongHeadsException e = expectError(() -> first.hasNext());
                checkEq(Status.INVALID_ARGUMENT, e.getStatus(), "status");
                check(e.getMessage().contains("lh_generate "), "message names the call (Context.generate is lh_generate): " + e.getMessage());
                first.close();
            }
        });

        test("enum names from the C API", () -> {
            checkEq(Attention.LONGHEADS, Attention.fromName("LongHeads"), "any case");
            checkEq(PrefillMode.PER_TOKEN, PrefillMode.fromName("token"), "alias");
            checkEq("per_token", PrefillMode.PER_TOKEN.canonicalName(), "canonical name");
            checkEq("cancelled", StopReason.CANCELLED.canonicalName(), "stop reason name");
            checkEq(KvType.Q8, KvType.fromName("q8"), "kv type");
            checkEq(Precision.BF16, Precision.fromName("bf16"), "precision");
            checkEq(Status.CONTEXT_FULL, Status.fromName("context-full"), "status");
            LongHeadsException e = expectError(() -> Attention.fromName("ful"));
            check(e.getMessage().contains("full, window, longheads"), "valid names listed: " + e.getMessage());
        });

        test("OMP_WAIT_POLICY is set before libgomp loads", () -> {
            // A child JVM without OMP_WAIT_POLICY; libgomp prints its settings at load.
            String cp = System.getProperty("java.class.path");
            String lib = System.getProperty("java.library.path");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Djava.library.path=" + lib, "-cp", cp, "BindingTest", "--version-only");
            pb.environment().remove("OMP_WAIT_POLICY");
            pb.environment().remove("GOMP_SPINCOUNT");
            pb.environment().put("OMP_DISPLAY_ENV", "TRUE");
            pb.redirectErrorStream(true);
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            }
            checkEq(0, p.waitFor(), "child exit code");
            String text = new String(out.toByteArray(), StandardCharsets.UTF_8);
            check(text.contains("OMP_WAIT_POLICY = 'PASSIVE'"), "libgomp saw PASSIVE: " + text);
        });

        test("errors: missing file", () -> {
            LongHeadsException e = expectError(() -> new Model("/nonexistent/missing.gguf"));
            checkEq(Status.IO, e.getStatus(), "status");
            check(e.getMessage().contains("missing.gguf"), "message names the file: " + e.getMessage());
        });

        test("errors: corrupted file", () -> {
            byte[] data = Files.readAllBytes(Path.of(modelPath));
            Path dir = Files.createTempDirectory("longheads");
            Path truncated = dir.resolve("truncated.gguf");
            Files.write(truncated, Arrays.copyOf(data, 4096));
            LongHeadsException e = expectError(() -> new Model(truncated.toString()));
            check(e.getStatus() == Status.BAD_FORMAT || e.getStatus() == Status.IO, "status " + e.getStatus());
            Path garbage = dir.resolve("garbage.gguf");
            byte[] bad = data.clone();
            bad[0] = 'N';
            Files.write(garbage, bad);
            checkEq(Status.BAD_FORMAT, expectError(() -> new Model(garbage.toString())).getStatus(), "bad magic");
            Files.delete(truncated);
            Files.delete(garbage);
            Files.delete(dir);
        });

        test("errors: bad token id", () -> {
            checkEq(Status.INVALID_ARGUMENT, expectError(() -> model.detokenize(new int[] {1, 100000})).getStatus(), "detok");
            try (Context ctx = model.newContext()) {
                checkEq(Status.INVALID_ARGUMENT, expectError(() -> ctx.eval(new int[] {1, -5})).getStatus(), "eval");
                checkEq(0, ctx.nPast(), "nothing evaluated");
            }
            try (Context ctx = model.newContext(ctxOptions(16))) {
                int[] many = new int[40];
                Arrays.fill(many, 300);
                checkEq(Status.CONTEXT_FULL, expectError(() -> ctx.eval(many)).getStatus(), "context full");
            }
            expectError(() -> model.newContext(longheads(0, 32, 100)));
            ContextOptions zero = ctxOptions(0);
            zero.setNCtx(-1);
            check(expectError(() -> model.newContext(zero)).getMessage().contains("n_ctx -1"), "the library validates");
        });

        test("closed objects", () -> {
            Model m = new Model(modelPath);
            Context ctx = m.newContext();
            m.close();
            m.close();
            check(m.isClosed(), "isClosed");
            check(expectError(() -> m.tokenize("x")).getMessage().contains("closed"), "closed message");
            // The context keeps the model alive.
            System.gc();
            check(!ctx.generate(PROMPT, greedy(4)).isEmpty(), "context alive");
            GenerationStream s = ctx.stream(PROMPT, greedy(4));
            ctx.close();
            ctx.close();
            expectError(() -> ctx.eval(new int[] {1}));
            StringBuilder b = new StringBuilder();
            for (String p : s) b.append(p);  // the stream keeps the context alive
            check(b.length() > 0, "stream after context close");
            s.close();
        });

        test("no RSS growth over 200 create/close cycles", () -> {
            Body cycle = () -> {
                try (Model m = new Model(modelPath); Context c = m.newContext(ctxOptions(128))) {
                    c.eval(m.tokenize("Hello world"));
                    c.logits();
                    try (GenerationStream s = m.stream("Hi", gen(2, 0.8f), ctxOptions(64))) {
                        for (String p : s) { }
                    }
                }
            };
            for (int i = 0; i < 20; i++) cycle.run();
            System.gc();
            long before = rssKb();
            for (int i = 0; i < 200; i++) cycle.run();
            System.gc();
            long growth = rssKb() - before;
            check(growth < 32 * 1024, "RSS grew by " + growth + " kB");
        });

        model.close();
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
