// Tests of the C# binding: a test program run under mono that prints "N passed, M failed" and
// exits non-zero on a failure. Run by CTest (label csharp) with LONGHEADS_MODEL and
// LONGHEADS_CLI (the C CLI, whose --json output gives the C API's expected values).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using LongHeads;

public static class BindingTests
{
    static readonly int[] HelloIds = { 1, 346, 306, 414, 263, 304, 341 };  // llama.cpp's ids of "Hello world"
    const string Prompt = "Once upon a time";
    static string modelPath;
    static int passed, failed;

    static void Test(string name, Action body)
    {
        try
        {
            body();
            passed++;
            Console.WriteLine("PASS " + name);
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL " + name + ": " + e);
        }
    }

    static void Check(bool ok, string what)
    {
        if (!ok) throw new Exception("check failed: " + what);
    }

    static void CheckEq<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new Exception($"{what}: expected <{expected}> got <{actual}>");
    }

    static LongHeadsException ExpectError(Action body)
    {
        try
        {
            body();
        }
        catch (LongHeadsException e)
        {
            Check(!string.IsNullOrEmpty(e.Message), "exception has a message");
            return e;
        }
        throw new Exception("expected a LongHeadsException");
    }

    static string Cli(params string[] args)
    {
        string exe = Environment.GetEnvironmentVariable("LONGHEADS_CLI") ?? throw new Exception("LONGHEADS_CLI is not set");
        var info = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.Arguments = string.Join(" ", args.Concat(new[] { "--json" }).Select(Quote));
        using (var p = Process.Start(info))
        {
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            CheckEq(0, p.ExitCode, "CLI exit code");
            return output;
        }
    }

    static string Quote(string a) => "\"" + a.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    static int[] JsonInts(string json, string key)
    {
        var m = Regex.Match(json, "\"" + key + "\"\\s*:\\s*\\[([^\\]]*)\\]");
        Check(m.Success, "key " + key);
        string body = m.Groups[1].Value.Trim();
        return body.Length == 0 ? new int[0] : body.Split(',').Select(s => int.Parse(s.Trim())).ToArray();
    }

    static string JsonString(string json, string key)
    {
        var m = Regex.Match(json, "\"" + key + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
        Check(m.Success, "key " + key);
        return Regex.Unescape(m.Groups[1].Value);
    }

    static long RssKb()
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(new string(line.Where(char.IsDigit).ToArray()));
        return 0;
    }

    static string Join(IEnumerable<string> pieces)
    {
        var b = new StringBuilder();
        foreach (string p in pieces)
        {
            Check(p.Length > 0, "non-empty piece");
            b.Append(p);
        }
        return b.ToString();
    }

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--version-only")  // the OMP_WAIT_POLICY child
        {
            Console.WriteLine(Library.Version());
            return 0;
        }
        modelPath = Environment.GetEnvironmentVariable("LONGHEADS_MODEL") ?? "models/stories260K.gguf";
        var model = new Model(modelPath);

        Test("version and cpu level are the C API's", () =>
        {
            CheckEq(3, Library.Version().Split('.').Length, "Version");
            CheckEq(JsonString(Cli("info", "-m", modelPath), "cpu_level"), Library.CpuLevel(), "CpuLevel()");
        });

        Test("model info", () =>
        {
            CheckEq("llama", model.Architecture, "Architecture");
            CheckEq(512, model.NVocab, "NVocab");
            CheckEq(512, model.NCtxTrain, "NCtxTrain");
            CheckEq(5, model.Info.NLayer, "NLayer");
            CheckEq(4, model.NHeadKv, "NHeadKv");
            CheckEq(1, model.Bos, "Bos");
            CheckEq(2, model.Eos, "Eos");
            CheckEq("512", model.Metadata("llama.context_length"), "Metadata");
            Check(model.Tensors().Count > 0, "Tensors");
        });

        Test("tokenize / detokenize round trip", () =>
        {
            Check(HelloIds.SequenceEqual(model.Tokenize("Hello world")), "Hello world ids");
            Check(HelloIds.Skip(1).SequenceEqual(model.Tokenize("Hello world", addBos: false)), "no BOS");
            CheckEq(" Hello world", model.Detokenize(HelloIds), "Detokenize");
            CheckEq("<s> Hello world", model.Detokenize(HelloIds, renderSpecial: true), "render special");
            string unicode = "unicode: café naïve 日本語 🦙";
            CheckEq(unicode, model.Detokenize(model.Tokenize(unicode, addBos: false)), "unicode round trip");
            foreach (string text in new[] { "Hello world", Prompt + ", there was a little girl named Lily.", unicode })
                Check(JsonInts(Cli("tokenize", "-m", modelPath, "-p", text), "tokens").SequenceEqual(model.Tokenize(text)),
                      "C API ids of '" + text + "'");
            Check(Encoding.UTF8.GetBytes(" He").SequenceEqual(model.TokenPiece(346)), "TokenPiece");
            Check(model.IsEog(2) && !model.IsEog(346), "IsEog");
        });

        Test("greedy generation equals the C API", () =>
        {
            string json = Cli("generate", "-m", modelPath, "-p", Prompt, "-n", "16", "--temp", "0");
            var greedy = new GenerateOptions { MaxTokens = 16, Sampling = { Temperature = 0 } };
            using (var stream = model.Stream(Prompt, greedy))
            {
                string text = Join(stream);
                Check(JsonInts(json, "tokens").SequenceEqual(stream.Tokens), "tokens " + string.Join(",", stream.Tokens));
                CheckEq(JsonString(json, "text"), text, "stream text");
                CheckEq(StopReason.MaxTokens, stream.StopReason, "StopReason");
            }
            CheckEq(JsonString(json, "text"), model.Generate(Prompt, greedy), "Generate text");
        });

        Test("streaming equals non-streaming", () =>
        {
            var all = new[]
            {
                new GenerateOptions { MaxTokens = 40, Sampling = { Temperature = 0 } },
                new GenerateOptions { MaxTokens = 40, Sampling = { Temperature = 0.9f, Seed = 42, TopK = 20 } },
                new GenerateOptions { MaxTokens = 40, Sampling = { Temperature = 1.2f, Seed = 7 } },
            };
            foreach (var o in all)
            {
                string streamed;
                using (var stream = model.Stream(Prompt, o))
                {
                    streamed = Join(stream);
                    CheckEq(streamed, stream.Text, "stream.Text");
                }
                CheckEq(model.Generate(Prompt, o), streamed, "same text");
            }
        });

        Test("stop string whose prefix ends the text", () =>
        {
            // The text's last character starts the stop string: the library holds it back
            // until the end and returns it with done; the stream must not lose it.
            string full = model.Generate(Prompt, new GenerateOptions { MaxTokens = 24, Sampling = { Temperature = 0 } });
            var withStop = new GenerateOptions { MaxTokens = 24, Sampling = { Temperature = 0 }, Stop = { full.Substring(full.Length - 1) + "\u0001" } };
            using (var s = model.Stream(Prompt, withStop))
            {
                CheckEq(full, Join(s), "stream text");
                CheckEq(StopReason.MaxTokens, s.StopReason, "StopReason");
            }
            CheckEq(full, model.Generate(Prompt, withStop), "Generate text");
        });

        Test("early stop", () =>
        {
            int nPrompt = model.Tokenize(Prompt).Length;
            using (var ctx = model.CreateContext())
            {
                var stream = ctx.Stream(Prompt, new GenerateOptions { MaxTokens = 100, Sampling = { Temperature = 0 } });
                int n = 0;
                foreach (string piece in stream)
                    if (++n == 3) break;  // disposes the enumerator: the generation stops and is freed
                int generated = stream.Tokens.Count;
                stream.Dispose();
                CheckEq(StopReason.None, stream.StopReason, "StopReason");
                CheckEq(null, stream.NextPiece(), "no more pieces");
                Check(generated >= 3 && generated < 100, "generated " + generated);
                int past = ctx.NPast;
                Check(past >= nPrompt + generated - 1 && past <= nPrompt + generated, "NPast " + past);
            }
            for (int i = 0; i < 20; i++)
                foreach (string piece in model.Stream(Prompt, new GenerateOptions { MaxTokens = 50 }))
                    break;
        });

        Test("stop strings", () =>
        {
            string full = model.Generate(Prompt, new GenerateOptions { MaxTokens = 40, Sampling = { Temperature = 0 } });
            Check(full.Contains("."), "full text has a period");
            using (var s = model.Stream(Prompt, new GenerateOptions { MaxTokens = 40, Sampling = { Temperature = 0 }, Stop = { "." } }))
            {
                CheckEq(full.Substring(0, full.IndexOf('.')), Join(s), "text before the stop string");
                CheckEq(StopReason.String, s.StopReason, "StopReason");
            }
        });

        Test("context: eval, logits, sample", () =>
        {
            int[] expected = JsonInts(Cli("generate", "-m", modelPath, "-p", Prompt, "-n", "8", "--temp", "0"), "tokens");
            using (var ctx = model.CreateContext(new ContextOptions { NCtx = 256 }))
            {
                CheckEq(256, ctx.NCtx, "NCtx");
                int[] ids = model.Tokenize(Prompt);
                ctx.Eval(ids);
                CheckEq(ids.Length, ctx.NPast, "NPast");
                CheckEq(512, ctx.Logits().Length, "logits length");
                var got = new int[8];
                for (int i = 0; i < 8; i++)
                {
                    got[i] = ctx.Sample();
                    ctx.Eval(new[] { got[i] });
                }
                Check(expected.SequenceEqual(got), "sampled " + string.Join(",", got));
                ctx.Reset();
                CheckEq(0, ctx.NPast, "Reset");
                ctx.Eval(ids);
                using (var s = new Sampler(new SamplerOptions { Temperature = 0 }))
                {
                    CheckEq(s.Sample(ctx.Logits()), s.Sample(ctx), "sample from context");
                    s.Accept(new[] { 1, 2 });
                }
                CheckEq(Attention.LongHeads, ctx.Options.Attention, "Attention");
            }
            using (var ctx = model.CreateContext(new ContextOptions { Attention = Attention.LongHeads, NCtx = 2048, ChunkSize = 32, AttnLen = 256 }))
            {
                CheckEq(32, ctx.Options.ChunkSize, "ChunkSize");
                Check(ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 8, Sampling = { Temperature = 0 } }) != null, "longheads generate");
            }
        });

        Test("kv types", () =>
        {
            CheckEq(KvType.F32, new ContextOptions().KvType, "default KvType");
            foreach (var kv in new[] { KvType.Bf16, KvType.Q8 })
                using (var ctx = model.CreateContext(new ContextOptions { NCtx = 512, KvType = kv }))
                {
                    CheckEq(kv, ctx.Options.KvType, "KvType reported");
                    Check(!string.IsNullOrEmpty(ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 8, Sampling = { Temperature = 0 } })), kv + " cache generates text");
                }
            var bad = ExpectError(() => model.CreateContext(new ContextOptions { KvType = (KvType)9 }));
            CheckEq(Status.InvalidArgument, bad.Status, "bad KvType status");
        });

        Test("chunk score", () =>
        {
            CheckEq(ChunkScore.BoundMid, new ContextOptions().ChunkScore, "default ChunkScore");
            var o = new ContextOptions { Attention = Attention.LongHeads, NCtx = 512, ChunkSize = 8, AttnLen = 32, ChunkScore = ChunkScore.MaxKey };
            using (var ctx = model.CreateContext(o))
            {
                CheckEq(ChunkScore.MaxKey, ctx.Options.ChunkScore, "ChunkScore reported");
                // 48 tokens past L = 32: the max-key chunk selection runs.
                string text = ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 48, Sampling = { Temperature = 0 } });
                Check(!string.IsNullOrEmpty(text), "max-key generate returns text");
            }
            Check(!string.IsNullOrEmpty(model.Generate(Prompt, new GenerateOptions { MaxTokens = 48, Sampling = { Temperature = 0 } }, o)), "Model.Generate with MaxKey");
            using (var ctx = model.CreateContext(new ContextOptions()))
                CheckEq(ChunkScore.BoundMid, ctx.Options.ChunkScore, "default reported");
            var e = ExpectError(() => model.CreateContext(new ContextOptions { ChunkScore = (ChunkScore)7 }));
            CheckEq(Status.InvalidArgument, e.Status, "invalid ChunkScore status");
        });

        Test("bound chunk score and local chunks", () =>
        {
            CheckEq(0, new ContextOptions().LocalChunks, "default LocalChunks (library default)");
            var o = new ContextOptions { Attention = Attention.LongHeads, NCtx = 512, ChunkSize = 8, AttnLen = 32, ChunkScore = ChunkScore.Bound, LocalChunks = 3 };
            using (var ctx = model.CreateContext(o))
            {
                CheckEq(ChunkScore.Bound, ctx.Options.ChunkScore, "Bound reported");
                CheckEq(3, ctx.Options.LocalChunks, "LocalChunks reported");
                // 48 tokens past L = 32: the bound chunk selection runs.
                Check(!string.IsNullOrEmpty(ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 48, Sampling = { Temperature = 0 } })), "bound generate returns text");
            }
            using (var ctx = model.CreateContext(new ContextOptions { Attention = Attention.LongHeads }))
                CheckEq(4, ctx.Options.LocalChunks, "default resolved by the library (K = 8, key-based score)");
            o.LocalChunks = 4;  // K = 4: at most 3
            var e = ExpectError(() => model.CreateContext(o));
            CheckEq(Status.InvalidArgument, e.Status, "LocalChunks 4 of K = 4 refused");
            Check(e.Message.Contains("local_chunks"), "message names local_chunks");
        });

        Test("cancel from another thread", () =>
        {
            using (var ctx = model.CreateContext(new ContextOptions { Attention = Attention.LongHeads, NCtx = 8192 }))
            {
                string text = null;
                StopReason reason = StopReason.None;
                var t = new System.Threading.Thread(() =>
                {
                    using (var s = ctx.Stream(Prompt, new GenerateOptions { MaxTokens = 4000, StopAtEog = false, Sampling = { Seed = 1 } }))
                    {
                        text = Join(s);
                        reason = s.StopReason;
                    }
                });
                var watch = Stopwatch.StartNew();
                t.Start();
                System.Threading.Thread.Sleep(300);
                ctx.Cancel();
                Check(t.Join(120000), "generation thread ended");
                CheckEq(StopReason.Cancelled, reason, "StopReason");
                Check(!string.IsNullOrEmpty(text), "the text generated until the cancel is kept");
                Check(watch.Elapsed.TotalSeconds < 20, "cancelled early");
                ctx.Reset();
                Check(ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 4, Sampling = { Temperature = 0 } }).Length > 0, "usable after cancel");
            }
        });

        Test("saved contexts, forks, prefix reuse", () =>
        {
            int[] ids = model.Tokenize(Prompt + " there was a little girl who liked to play");
            string file = System.IO.Path.GetTempFileName();
            try
            {
                float[] expected;
                var lh = new ContextOptions { Attention = Attention.LongHeads, NCtx = 512, ChunkSize = 8, AttnLen = 32 };
                using (var ctx = model.CreateContext(lh))
                {
                    ctx.Eval(ids);
                    CheckEq(string.Join(",", ids), string.Join(",", ctx.Tokens()), "Tokens");
                    expected = ctx.Logits();
                    ctx.Save(file);
                    using (var copy = ctx.Fork())
                        CheckEq(string.Join(",", expected), string.Join(",", copy.Logits()), "fork has the same logits");
                    int reused = ctx.EvalReuse(ids);  // faithful score: up to ChunkSize - 1 fewer
                    Check(reused >= ids.Length - 8 && reused <= ids.Length - 1, "EvalReuse kept " + reused);
                    float[] again = ctx.Logits();
                    for (int i = 0; i < again.Length; i++) Check(Math.Abs(again[i] - expected[i]) < 1e-3f, "logits after reuse");
                    ctx.Truncate(5);
                    CheckEq(5, ctx.NPast, "truncated");
                }
                CheckEq(Attention.LongHeads, Context.FileParams(file).Attention, "FileParams");
                using (var loaded = Context.Load(model, file))
                    CheckEq(string.Join(",", expected), string.Join(",", loaded.Logits()), "loaded has the same logits");
                var e = ExpectError(() => Context.Load(model, file, new ContextOptions { NCtx = 512 }));
                CheckEq(Status.InvalidArgument, e.Status, "other attention refused");
                System.IO.File.WriteAllText(file, "not a context file");
                CheckEq(Status.BadFormat, ExpectError(() => Context.Load(model, file)).Status, "damaged file");
            }
            finally
            {
                System.IO.File.Delete(file);
            }
        });

        Test("a second generation takes the context over", () =>
        {
            using (var ctx = model.CreateContext(new ContextOptions { NCtx = 512 }))
            using (var first = ctx.Stream(Prompt, new GenerateOptions { MaxTokens = 20, Sampling = { Temperature = 0 } }))
            {
                Check(first.NextPiece() != null, "first has text");
                Check(ctx.Generate(" and", new GenerateOptions { MaxTokens = 4, Sampling = { Temperature = 0 } }).Length > 0, "generate on the same context");
                var e = ExpectError(() => first.NextPiece());
                CheckEq(Status.InvalidArgument, e.Status, "Status");
                Check(e.Message.Contains("lh_generate "), "message names the call (Context.Generate is lh_generate): " + e.Message);
            }
        });

        Test("enum names from the C API", () =>
        {
            CheckEq(Attention.LongHeads, Library.ParseAttention("LongHeads"), "any case");
            CheckEq(PrefillMode.PerToken, Library.ParsePrefillMode("token"), "alias");
            CheckEq("per_token", PrefillMode.PerToken.Name(), "canonical name");
            CheckEq("cancelled", StopReason.Cancelled.Name(), "stop reason name");
            CheckEq(ChunkScore.MaxKey, Library.ParseChunkScore("max"), "chunk score alias");
            CheckEq(Status.ContextFull, Library.ParseStatus("context-full"), "status");
            var e = ExpectError(() => Library.ParseAttention("ful"));
            Check(e.Message.Contains("full, window, longheads"), "valid names listed: " + e.Message);
            Check(Library.Version().Split('.').Length == 3, "Library.Version()");
        });

        Test("OMP_WAIT_POLICY is set before libgomp loads", () =>
        {
            // A child process without OMP_WAIT_POLICY; libgomp prints its settings at load.
            string exe = System.Reflection.Assembly.GetExecutingAssembly().Location;
            var info = new ProcessStartInfo("mono", Quote(exe) + " --version-only")
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            info.EnvironmentVariables.Remove("OMP_WAIT_POLICY");
            info.EnvironmentVariables.Remove("GOMP_SPINCOUNT");
            info.EnvironmentVariables["OMP_DISPLAY_ENV"] = "TRUE";
            using (var p = Process.Start(info))
            {
                string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                CheckEq(0, p.ExitCode, "child exit code");
                Check(output.Contains("OMP_WAIT_POLICY = 'PASSIVE'"), "libgomp saw PASSIVE: " + output);
            }
        });

        Test("chat: format with a template name, errors", () =>
        {
            using (var chatModel = new Model(modelPath))
            {
                var msgs = new[] { ChatMessage.System("Be brief."), ChatMessage.User("Hello") };
                string chatml = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n";
                CheckEq(chatml, chatModel.ChatFormat(msgs, true, "chatml"), "chatml");
                CheckEq("gemma", chatModel.ChatTemplateFamily("<start_of_turn>"), "family");
                CheckEq(Status.InvalidArgument, ExpectError(() => chatModel.ChatFormat(msgs)).Status, "no template");
                var e = ExpectError(() => chatModel.ChatFormat(msgs, true, "vicuna"));
                CheckEq(Status.Unsupported, e.Status, "unknown name");
                Check(e.Message.Contains("vicuna"), "message names it: " + e.Message);
                e = ExpectError(() => chatModel.ChatFormat(new[] { new ChatMessage("tool", "{}") }, true, "chatml"));
                Check(e.Message.Contains("'tool'"), "bad role: " + e.Message);
            }
        });

        Test("chat: turns keep the KV cache", () =>
        {
            using (var chatModel = new Model(modelPath))
            using (var chat = chatModel.Chat("chatml", "Be brief.", new ContextOptions { NCtx = 256 }))
            {
                var greedy = new GenerateOptions { MaxTokens = 8, Sampling = { Temperature = 0 } };
                string first = chat.Send("Hello", greedy);
                CheckEq(0, chat.LastReused, "first turn reuses nothing");
                string prompt = chatModel.ChatFormat(new[] { ChatMessage.System("Be brief."), ChatMessage.User("Hello") }, true, "chatml");
                using (var ctx = new Context(model, new ContextOptions { NCtx = 256 }))
                    CheckEq(ctx.Generate(prompt, greedy), first, "turn 1 = generation from the formatted prompt");
                int nAfterFirst = chat.Context.NPast;
                int firstEvaluated = chat.LastEvaluated;
                var second = new StringBuilder();
                foreach (string piece in chat.Stream("Tell me more", greedy))
                {
                    Check(piece.Length > 0, "non-empty piece");
                    second.Append(piece);
                }
                CheckEq(nAfterFirst, chat.LastReused, "turn 2 keeps the cache");
                Check(chat.LastEvaluated > 0 && chat.LastEvaluated < firstEvaluated + 10, "turn 2 evaluated " + chat.LastEvaluated);
                var m = chat.Messages;
                CheckEq(5, m.Count, "messages");
                CheckEq(first, m[2].Content, "reply 1 recorded");
                CheckEq(second.ToString(), m[4].Content, "reply 2 recorded");
                CheckEq("assistant", m[4].Role, "role");
                CheckEq(StopReason.MaxTokens, chat.StopReason, "stop reason");
            }
        });

        Test("errors: missing file", () =>
        {
            var e = ExpectError(() => new Model("/nonexistent/missing.gguf"));
            CheckEq(Status.Io, e.Status, "Status");
            Check(e.Message.Contains("missing.gguf"), "message names the file: " + e.Message);
        });

        Test("errors: corrupted file", () =>
        {
            byte[] data = File.ReadAllBytes(modelPath);
            string dir = Path.Combine(Path.GetTempPath(), "longheads-cs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string truncated = Path.Combine(dir, "truncated.gguf");
                File.WriteAllBytes(truncated, data.Take(4096).ToArray());
                var e = ExpectError(() => new Model(truncated));
                Check(e.Status == Status.BadFormat || e.Status == Status.Io, "status " + e.Status);
                string garbage = Path.Combine(dir, "garbage.gguf");
                byte[] bad = (byte[])data.Clone();
                bad[0] = (byte)'N';
                File.WriteAllBytes(garbage, bad);
                CheckEq(Status.BadFormat, ExpectError(() => new Model(garbage)).Status, "bad magic");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        });

        Test("errors: bad token id", () =>
        {
            CheckEq(Status.InvalidArgument, ExpectError(() => model.Detokenize(new[] { 1, 100000 })).Status, "detok");
            using (var ctx = model.CreateContext())
            {
                CheckEq(Status.InvalidArgument, ExpectError(() => ctx.Eval(new[] { 1, -5 })).Status, "eval");
                CheckEq(0, ctx.NPast, "nothing evaluated");
            }
            using (var ctx = model.CreateContext(new ContextOptions { NCtx = 16 }))
                CheckEq(Status.ContextFull, ExpectError(() => ctx.Eval(Enumerable.Repeat(300, 40).ToArray())).Status, "full");
            ExpectError(() => model.CreateContext(new ContextOptions { Attention = Attention.LongHeads, ChunkSize = 32, AttnLen = 100 }));
            Check(ExpectError(() => model.CreateContext(new ContextOptions { NCtx = -1 })).Message.Contains("n_ctx -1"), "the library validates");
        });

        Test("disposed objects", () =>
        {
            var m = new Model(modelPath);
            var ctx = m.CreateContext();
            m.Dispose();
            m.Dispose();
            Check(m.IsDisposed, "IsDisposed");
            Check(ExpectError(() => m.Tokenize("x")).Message.Contains("closed"), "closed message");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Check(ctx.Generate(Prompt, new GenerateOptions { MaxTokens = 4, Sampling = { Temperature = 0 } }).Length > 0, "context alive");
            var s = ctx.Stream(Prompt, new GenerateOptions { MaxTokens = 4, Sampling = { Temperature = 0 } });
            ctx.Dispose();
            ctx.Dispose();
            ExpectError(() => ctx.Eval(new[] { 1 }));
            Check(Join(s).Length > 0, "the stream keeps the context alive");
        });

        Test("no RSS growth over 200 create/close cycles", () =>
        {
            Action cycle = () =>
            {
                using (var m = new Model(modelPath))
                using (var c = m.CreateContext(new ContextOptions { NCtx = 128 }))
                {
                    c.Eval(m.Tokenize("Hello world"));
                    c.Logits();
                    foreach (string p in m.Stream("Hi", new GenerateOptions { MaxTokens = 2 }, new ContextOptions { NCtx = 64 })) { }
                }
            };
            for (int i = 0; i < 20; i++) cycle();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = RssKb();
            for (int i = 0; i < 200; i++) cycle();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long growth = RssKb() - before;
            Check(growth < 32 * 1024, "RSS grew by " + growth + " kB");
        });

        model.Dispose();
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
