using System;
using System.Collections.Generic;

namespace LongHeads
{
    /// <summary>
    /// A KV cache plus an attention configuration over one <see cref="Model"/>, which it keeps
    /// alive. One thread at a time (a second thread gets Status Busy); <see cref="Cancel"/> may
    /// come from any thread. Disposing twice is a no-op; any other call on a disposed context
    /// throws <see cref="LongHeadsException"/>.
    /// </summary>
    public sealed class Context : IDisposable
    {
        NativeContext handle;

        static Context() { NativeEnvironment.Prepare(); }

        /// <summary>A context over <paramref name="model"/> (<paramref name="options"/> null: defaults).</summary>
        public Context(Model model, ContextOptions options = null)
        {
            Model = model ?? throw new ArgumentNullException(nameof(model));
            handle = new NativeContext(model.Handle, options ?? new ContextOptions());
        }

        Context(Model model, NativeContext handle)
        {
            Model = model;
            this.handle = handle;
        }

        /// <summary>A context holding what <see cref="Save"/> wrote, for the same model: with the
        /// saved options (<paramref name="options"/> null) or with <paramref name="options"/>
        /// (attention fields equal to the saved ones; NCtx 0 = the saved size).</summary>
        /// <exception cref="LongHeadsException">Status Io, BadFormat (damaged file), InvalidArgument (another model).</exception>
        public static Context Load(Model model, string path, ContextOptions options = null)
        {
            if (model == null) throw new ArgumentNullException(nameof(model));
            byte[] p = Utf8.Bytes(path, nameof(path));
            return new Context(model, options == null ? NativeContext.Load(model.Handle, p) : NativeContext.Load(model.Handle, p, options));
        }

        /// <summary>The options a saved context was made with, from its file's header.</summary>
        public static ContextOptions FileParams(string path) => NativeContext.FileParams(Utf8.Bytes(path, nameof(path)));

        /// <summary>The tokens the context holds, in order (BOS included).</summary>
        public int[] Tokens() => Handle.Tokens();

        /// <summary>Makes the context hold exactly <paramref name="tokens"/>, evaluating only what
        /// differs from what it holds (the longest common prefix is kept); returns the tokens kept.</summary>
        public int EvalReuse(int[] tokens) => Handle.EvalReuse(tokens ?? throw new ArgumentNullException(nameof(tokens)));

        /// <summary>Keeps the first <paramref name="nKeep"/> tokens and forgets the rest.</summary>
        public void Truncate(int nKeep) => Handle.Truncate(nKeep);

        /// <summary>An independent context holding a copy of what this one holds (same options).</summary>
        public Context Fork() => new Context(Model, Handle.Fork());

        /// <summary>Writes the context to a file that <see cref="Load"/> reads back.</summary>
        public void Save(string path) => Handle.Save(Utf8.Bytes(path, nameof(path)));

        internal NativeContext Handle
        {
            get
            {
                var h = handle;
                if (h == null) throw LongHeadsException.Closed("context");
                return h;
            }
        }

        /// <summary>The model this context runs.</summary>
        public Model Model { get; }

        /// <summary>True after <see cref="Dispose"/>.</summary>
        public bool IsDisposed => handle == null;

        /// <summary>Frees the KV cache (once no running stream uses it). Disposing twice is a no-op.</summary>
        public void Dispose()
        {
            NativeContext h;
            lock (this)
            {
                h = handle;
                handle = null;
            }
            if (h != null)
            {
                h.Close();  // the native object goes when no call still uses it; the proxy by GC
            }
        }

        /// <summary>The effective options (defaults resolved).</summary>
        public ContextOptions Options => Handle.Params();

        /// <summary>Maximum tokens the context holds.</summary>
        public int NCtx => Handle.NCtx();
        /// <summary>Tokens currently in the context.</summary>
        public int NPast => Handle.NPast();
        /// <summary>Logits per token.</summary>
        public int NVocab => Handle.NVocab();

        /// <summary>Forgets all tokens (the KV cache stays allocated).</summary>
        public void Reset() => Handle.Reset();

        /// <summary>Appends tokens and runs the model over them; <paramref name="allLogits"/> keeps
        /// the logits of every token of this call.</summary>
        /// <exception cref="LongHeadsException">InvalidArgument (out-of-range id), ContextFull,
        /// Cancelled; nothing is evaluated then.</exception>
        public void Eval(int[] tokens, bool allLogits = false)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            Handle.Eval(tokens, allLogits);
        }

        /// <summary>Logits of token <paramref name="index"/> of the last eval (-1: its last token).</summary>
        public float[] Logits(int index = -1) => Handle.Logits(index);

        /// <summary>Chooses a token from the logits of token <paramref name="index"/> of the last
        /// eval with <paramref name="sampler"/> (null: greedy).</summary>
        public int Sample(Sampler sampler = null, int index = -1) => Handle.Sample(sampler?.Handle, index);

        /// <summary>Asks what runs on this context to stop soon; any thread. An eval throws Status
        /// Cancelled; a generation ends (StopReason Cancelled) with the text generated until then.</summary>
        public void Cancel() => handle?.Cancel();

        /// <summary>Generates a completion of <paramref name="prompt"/>, appended to what the context holds.</summary>
        public string Generate(string prompt, GenerateOptions options = null)
        {
            byte[] p = Utf8.Bytes(prompt, nameof(prompt));
            var o = options ?? new GenerateOptions();
            return Utf8.Text(Handle.Generate(p, o, o.Sampling ?? new SamplerOptions(), StopArray(o)));
        }

        /// <summary>Streams a completion of <paramref name="prompt"/>; breaking out of <c>foreach</c> stops it.</summary>
        public GenerationStream Stream(string prompt, GenerateOptions options = null) => StartStream(prompt, options, false);

        internal GenerationStream StartStream(string prompt, GenerateOptions options, bool ownsContext)
        {
            byte[] p = Utf8.Bytes(prompt, nameof(prompt));
            var o = options ?? new GenerateOptions();
            var g = Handle.Start(p, o, o.Sampling ?? new SamplerOptions(), StopArray(o));
            return new GenerationStream(this, g, ownsContext);
        }

        internal static string[] StopArray(GenerateOptions o)
        {
            var list = new List<string>();
            if (o.Stop != null) list.AddRange(o.Stop);
            return list.ToArray();
        }
    }

    /// <summary>Chooses tokens from logits (temperature, top-k, top-p, min-p, repetition penalty).</summary>
    public sealed class Sampler : IDisposable
    {
        NativeSampler handle;

        static Sampler() { NativeEnvironment.Prepare(); }

        /// <summary>A sampler with these options (null: defaults).</summary>
        public Sampler(SamplerOptions options = null)
        {
            handle = new NativeSampler(options ?? new SamplerOptions());
        }

        internal NativeSampler Handle
        {
            get
            {
                var h = handle;
                if (h == null) throw LongHeadsException.Closed("sampler");
                return h;
            }
        }

        /// <summary>Chooses a token from <paramref name="logits"/> and remembers it for the penalty.</summary>
        public int Sample(float[] logits)
        {
            if (logits == null) throw new ArgumentNullException(nameof(logits));
            return Handle.Sample(logits);
        }

        /// <summary>Chooses a token from a context's logits of token <paramref name="index"/> of its last eval.</summary>
        public int Sample(Context context, int index = -1)
        {
            if (context == null) throw new ArgumentNullException(nameof(context));
            return context.Sample(this, index);
        }

        /// <summary>Tells the sampler about tokens it did not choose (e.g. the prompt).</summary>
        public void Accept(int[] tokens)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            Handle.Accept(tokens);
        }

        /// <summary>True after <see cref="Dispose"/>.</summary>
        public bool IsDisposed => handle == null;

        /// <summary>Frees the sampler. Disposing twice is a no-op.</summary>
        public void Dispose()
        {
            NativeSampler h;
            lock (this)
            {
                h = handle;
                handle = null;
            }
            if (h != null)
            {
                h.Close();  // the native object goes when no call still uses it; the proxy by GC
            }
        }
    }
}
