using System;
using System.Collections.Generic;
using System.Text;

namespace LongHeads
{
    /// <summary>One message of a conversation: a role ("system", "user" or "assistant") and its text.</summary>
    public sealed class ChatMessage
    {
        public ChatMessage(string role, string content)
        {
            Role = role ?? throw new ArgumentNullException(nameof(role));
            Content = content ?? throw new ArgumentNullException(nameof(content));
        }

        public static ChatMessage System(string content) => new ChatMessage("system", content);
        public static ChatMessage User(string content) => new ChatMessage("user", content);
        public static ChatMessage Assistant(string content) => new ChatMessage("assistant", content);

        public string Role { get; }
        public string Content { get; }

        public override string ToString() => Role + ": " + Content;
    }

    /// <summary>
    /// A multi-turn conversation on a <see cref="Context"/>, formatted with a chat template:
    /// <see cref="Send"/> adds a user message and returns the reply, <see cref="Stream"/> yields
    /// its pieces as they are generated. The KV cache is kept between turns: each turn evaluates
    /// only the text it adds (<see cref="LastEvaluated"/>, <see cref="LastReused"/>).
    /// </summary>
    public sealed class Chat : IDisposable
    {
        NativeChat handle;
        readonly bool ownsContext;

        /// <summary>A conversation on <paramref name="context"/> (which it does not dispose).</summary>
        /// <param name="context">The context the conversation runs in.</param>
        /// <param name="template">null: the model's own tokenizer.chat_template; else a family
        /// name ("chatml", "llama3.1", ...) or a Jinja template's text.</param>
        /// <param name="system">null or "": no system message.</param>
        public Chat(Context context, string template = null, string system = null) : this(context, template, system, false) { }

        internal Chat(Context context, string template, string system, bool ownsContext)
        {
            Context = context ?? throw new ArgumentNullException(nameof(context));
            this.ownsContext = ownsContext;
            handle = new NativeChat(context.Handle, Model.TemplateBytes(template),
                                     system == null ? new byte[0] : Utf8.Bytes(system, nameof(system)));
        }

        NativeChat Handle
        {
            get
            {
                var h = handle;
                if (h == null) throw LongHeadsException.Closed("chat");
                return h;
            }
        }

        /// <summary>The context the conversation runs in.</summary>
        public Context Context { get; }

        /// <summary>Sends a user message and returns the whole reply.</summary>
        public string Send(string text, GenerateOptions options = null)
        {
            var reply = new StringBuilder();
            foreach (string piece in Stream(text, options)) reply.Append(piece);
            return reply.ToString();
        }

        /// <summary>Sends a user message (now) and returns the reply's non-empty pieces, pulled as
        /// they are enumerated.</summary>
        public IEnumerable<string> Stream(string text, GenerateOptions options = null)
        {
            var o = options ?? new GenerateOptions();
            lock (this) Handle.Send(Utf8.Bytes(text, nameof(text)), o, o.Sampling ?? new SamplerOptions(), LongHeads.Context.StopArray(o));
            return Pieces();
        }

        // The facade's one stream loop: non-empty pieces, the final flush included.
        IEnumerable<string> Pieces()
        {
            while (true)
            {
                byte[] piece;
                lock (this)
                {
                    if (!Handle.Next()) yield break;
                    piece = Handle.Piece();
                }
                yield return Encoding.UTF8.GetString(piece);
            }
        }

        /// <summary>The conversation so far (the system message first, if any).</summary>
        public IReadOnlyList<ChatMessage> Messages
        {
            get
            {
                lock (this)
                {
                    var h = Handle;
                    int n = h.NMessages();
                    var list = new List<ChatMessage>(n);
                    for (int i = 0; i < n; i++)
                        list.Add(new ChatMessage(Utf8.Text(h.MessageRole(i)), Utf8.Text(h.MessageContent(i))));
                    return list;
                }
            }
        }

        /// <summary>Tokens the last send evaluated.</summary>
        public int LastEvaluated => Handle.LastEvaluated();
        /// <summary>Tokens the last send kept from the KV cache (0 when it started over).</summary>
        public int LastReused => Handle.LastReused();
        /// <summary>Why the last reply ended.</summary>
        public StopReason StopReason => Handle.StopReason();

        /// <summary>Asks the running reply to stop soon; safe from another thread.</summary>
        public void Cancel() => Context.Cancel();

        public bool IsDisposed => handle == null;

        /// <summary>Frees the conversation (and the context <see cref="Model.Chat"/> made for it).</summary>
        public void Dispose()
        {
            NativeChat h;
            lock (this)
            {
                h = handle;
                handle = null;
            }
            h?.Close();
            if (ownsContext) Context.Dispose();
        }
    }
}
