using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace LongHeads
{
    /// <summary>
    /// The text pieces of a running generation, pulled one token at a time. Enumerate it once
    /// with <c>foreach</c>: pieces are non-empty strings whose concatenation is what
    /// <see cref="Context.Generate"/> returns. Breaking out of the loop disposes the enumerator,
    /// which stops and frees the generation (and the context <see cref="Model.Stream"/> made).
    /// </summary>
    public sealed class GenerationStream : IEnumerable<string>, IDisposable
    {
        readonly bool ownsContext;
        readonly List<int> tokens = new List<int>();
        readonly StringBuilder text = new StringBuilder();
        Native.Generation generation;
        bool enumerated;

        internal GenerationStream(Context context, Native.Generation generation, bool ownsContext)
        {
            Context = context;
            this.generation = generation;
            this.ownsContext = ownsContext;
        }

        /// <summary>The context the generation runs in.</summary>
        public Context Context { get; }

        /// <summary>Why the generation ended; <see cref="LongHeads.StopReason.None"/> while it runs or if disposed early.</summary>
        public StopReason StopReason { get; private set; } = StopReason.None;

        /// <summary>The ids of the tokens generated so far.</summary>
        public IReadOnlyList<int> Tokens => tokens;

        /// <summary>The text produced so far.</summary>
        public string Text => text.ToString();

        /// <summary>The pieces (one enumeration; a second throws InvalidOperationException).</summary>
        public IEnumerator<string> GetEnumerator()
        {
            lock (this)
            {
                if (enumerated) throw new InvalidOperationException("a GenerationStream can be enumerated once");
                enumerated = true;
            }
            return Pieces();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        IEnumerator<string> Pieces()
        {
            try
            {
                while (true)
                {
                    string piece = NextPiece();
                    if (piece == null) yield break;
                    yield return piece;
                }
            }
            finally
            {
                Dispose();
            }
        }

        /// <summary>The next non-empty piece, or null at the end.</summary>
        public string NextPiece()
        {
            lock (this)
            {
                while (true)
                {
                    var g = generation;
                    if (g == null) return null;
                    if (!g.Next())
                    {
                        // The last call may still carry text held back until the end.
                        byte[] tail = g.Piece();
                        StopReason = (StopReason)g.StopReason();
                        Release();
                        if (tail.Length == 0) return null;
                        string last = Encoding.UTF8.GetString(tail);
                        text.Append(last);
                        return last;
                    }
                    tokens.Add(g.Token());
                    byte[] bytes = g.Piece();
                    if (bytes.Length > 0)
                    {
                        string piece = Encoding.UTF8.GetString(bytes);
                        text.Append(piece);
                        return piece;
                    }
                }
            }
        }

        /// <summary>Asks the generation to stop soon; safe from another thread.</summary>
        public void Cancel() => Context.Cancel();

        /// <summary>Stops and frees the generation. Disposing twice is a no-op.</summary>
        public void Dispose()
        {
            lock (this) Release();
        }

        void Release()
        {
            var g = generation;
            generation = null;
            if (g != null)
            {
                g.Close();
            }
            if (ownsContext) Context.Dispose();
        }
    }
}
