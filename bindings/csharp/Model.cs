using System;
using System.Collections.Generic;

namespace LongHeads
{
    /// <summary>One weight tensor of a model (<see cref="Model.Tensors"/>).</summary>
    public sealed class TensorInfo
    {
        internal TensorInfo(string name, string type, long[] dims)
        {
            Name = name;
            Type = type;
            Dims = dims;
        }

        /// <summary>The GGUF tensor name.</summary>
        public string Name { get; }
        /// <summary>The type name ("f32", "q4_K", ...).</summary>
        public string Type { get; }
        /// <summary>Dimensions, fastest-varying first (GGUF order).</summary>
        public IReadOnlyList<long> Dims { get; }
    }

    /// <summary>
    /// A Llama-family GGUF model loaded into memory. Immutable once loaded: any number of
    /// <see cref="Context"/>s on any threads may share it, and each keeps it alive after
    /// <see cref="Dispose"/> (which only releases this object's reference; disposing twice is
    /// a no-op; any other call on a disposed model throws <see cref="LongHeadsException"/>).
    /// </summary>
    /// <example><code>
    /// using (var model = new Model("models/stories260K.gguf"))
    /// {
    ///     Console.WriteLine(model.Generate("Once upon a time", new GenerateOptions { MaxTokens = 32, Sampling = { Temperature = 0 } }));
    ///     foreach (string piece in model.Stream("Once upon a time")) Console.Write(piece);
    /// }
    /// </code></example>
    public sealed class Model : IDisposable
    {
        NativeModel handle;

        static Model() { NativeEnvironment.Prepare(); }

        /// <summary>Loads a GGUF file.</summary>
        /// <exception cref="LongHeadsException">Status IO (cannot open), BadFormat (malformed) or Unsupported.</exception>
        public Model(string path, ModelOptions options = null)
        {
            Path = path ?? throw new ArgumentNullException(nameof(path));
            handle = new NativeModel(Utf8.Bytes(path, nameof(path)), options ?? new ModelOptions());
        }

        internal NativeModel Handle
        {
            get
            {
                var h = handle;
                if (h == null) throw LongHeadsException.Closed("model");
                return h;
            }
        }

        /// <summary>The path the model was loaded from.</summary>
        public string Path { get; }

        /// <summary>True after <see cref="Dispose"/>.</summary>
        public bool IsDisposed => handle == null;

        /// <summary>Releases this model (freed once no context uses it). Disposing twice is a no-op.</summary>
        public void Dispose()
        {
            NativeModel h;
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

        /// <summary>Hyper-parameters and sizes (the C API's lh_model_info).</summary>
        public ModelInfo Info => Handle.Info();

        /// <summary>general.name, or "".</summary>
        public string Name => Utf8.Text(Handle.Name());

        public string Architecture => Utf8.Text(Handle.Architecture());
        public int NVocab => Handle.NVocab();
        public int NCtxTrain => Info.NCtxTrain;
        public int NEmbd => Info.NEmbd;
        public int NLayer => Info.NLayer;
        public int NHead => Info.NHead;
        public int NHeadKv => Info.NHeadKv;
        /// <summary>The BOS token id, or -1.</summary>
        public int Bos => Info.BosToken;
        /// <summary>The EOS token id, or -1.</summary>
        public int Eos => Info.EosToken;

        /// <summary>A GGUF metadata value rendered as text; Status InvalidArgument if absent.</summary>
        public string Metadata(string key) => Utf8.Text(Handle.Meta(Utf8.Bytes(key, nameof(key))));

        /// <summary>The weight tensors.</summary>
        public IReadOnlyList<TensorInfo> Tensors()
        {
            var h = Handle;
            int n = h.TensorCount();
            var list = new List<TensorInfo>(n);
            for (int i = 0; i < n; i++)
                list.Add(new TensorInfo(Utf8.Text(h.TensorName(i)), Utf8.Text(h.TensorType(i)), h.TensorDims(i)));
            return list;
        }

        /// <summary>The prompt text of <paramref name="messages"/> formatted with a chat template.
        /// <paramref name="template"/> null: the model's own tokenizer.chat_template; else a family
        /// name ("chatml", "llama3.1", ...) or a Jinja template's text.</summary>
        /// <exception cref="LongHeadsException">Status Unsupported for an unrecognised template,
        /// InvalidArgument for bad roles or no template.</exception>
        public string ChatFormat(IEnumerable<ChatMessage> messages, bool addAssistant = true, string template = null)
        {
            if (messages == null) throw new ArgumentNullException(nameof(messages));
            using (var native = new NativeChatMessages())
            {
                foreach (ChatMessage m in messages)
                {
                    if (m == null) throw new ArgumentNullException(nameof(messages), "a message is null");
                    native.Add(Utf8.Bytes(m.Role, "role"), Utf8.Bytes(m.Content, "content"));
                }
                return Utf8.Text(Handle.ChatFormat(native, addAssistant, TemplateBytes(template)));
            }
        }

        /// <summary>The template family ("llama3.1", "chatml", ...) of <paramref name="template"/>
        /// (null: the model's own).</summary>
        public string ChatTemplateFamily(string template = null) => Utf8.Text(Handle.ChatTemplateFamily(TemplateBytes(template)));

        /// <summary>A <see cref="LongHeads.Chat"/> in a context of its own, freed with the chat.</summary>
        public Chat Chat(string template = null, string system = null, ContextOptions options = null)
        {
            var ctx = new Context(this, options);
            try
            {
                return new Chat(ctx, template, system, true);
            }
            catch
            {
                ctx.Dispose();
                throw;
            }
        }

        internal static byte[] TemplateBytes(string template) => template == null ? new byte[0] : Utf8.Bytes(template, nameof(template));

        /// <summary>Token ids of <paramref name="text"/>; <paramref name="addBos"/> puts BOS first,
        /// <paramref name="parseSpecial"/> turns texts such as "&lt;s&gt;" into their ids.</summary>
        public int[] Tokenize(string text, bool addBos = true, bool parseSpecial = false)
        {
            return Handle.Tokenize(Utf8.Bytes(text, nameof(text)), addBos, parseSpecial);
        }

        /// <summary>The text of token ids. <paramref name="renderSpecial"/> renders control tokens
        /// as their text; <paramref name="removeSpecial"/> drops a leading BOS / trailing EOS.</summary>
        /// <exception cref="LongHeadsException">Status InvalidArgument for an out-of-range id.</exception>
        public string Detokenize(int[] tokens, bool renderSpecial = false, bool removeSpecial = false)
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            int flags = (renderSpecial ? 1 : 0) | (removeSpecial ? 2 : 0);
            return Utf8.Text(Handle.Detokenize(tokens, flags));
        }

        /// <summary>The raw bytes of one token's piece (a byte-fallback token is one byte).</summary>
        public byte[] TokenPiece(int token) => Handle.TokenPiece(token);

        /// <summary>True if <paramref name="token"/> ends generation (EOS or another end-of-generation token).</summary>
        public bool IsEog(int token) => Handle.TokenIsEog(token);

        /// <summary>Bytes the KV cache of a context with these options would take at <paramref name="nTokens"/>.</summary>
        public long EstimateKvBytes(ContextOptions options, long nTokens)
        {
            return Handle.EstimateKvBytes(options ?? new ContextOptions(), nTokens);
        }

        /// <summary>A new context over this model.</summary>
        public Context CreateContext(ContextOptions options = null) => new Context(this, options);

        /// <summary>Generates a completion of <paramref name="prompt"/> in a fresh context.</summary>
        public string Generate(string prompt, GenerateOptions options = null, ContextOptions context = null)
        {
            using (var ctx = new Context(this, context))
                return ctx.Generate(prompt, options);
        }

        /// <summary>Streams a completion of <paramref name="prompt"/> in a fresh context, which the
        /// stream owns. Breaking out of <c>foreach</c> stops and frees the generation.</summary>
        public GenerationStream Stream(string prompt, GenerateOptions options = null, ContextOptions context = null)
        {
            var ctx = new Context(this, context);
            try
            {
                return ctx.StartStream(prompt, options, true);
            }
            catch
            {
                ctx.Dispose();
                throw;
            }
        }

        public override string ToString() => IsDisposed ? $"Model({Path}, disposed)" : $"Model({Path}, {Info})";
    }
}
