using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace LongHeads
{
    /// <summary>
    /// The text pieces of a running generation, pulled one at a time. Enumerate it once with
    /// <c>foreach</c>: pieces are non-empty strings whose concatenation is what
    /// <see cref="Context.Generate"/> returns (the last piece may arrive with the end of the
    /// generation). Breaking out of the loop disposes the enumerator, which stops and frees the
    /// generation (and the context <see cref="Model.Stream"/> made).
    /// </summary>
    public sealed class GenerationStream : IEnumerable<string>, IDisposable
    {
        readonly bool ownsContext;
        readonly NativeGeneration generation;  // the facade's stream: tokens, text, stop reason
        bool enumerated;

        internal GenerationStream(Context context, NativeGeneration generation, bool ownsContext)
        {
            Context = context;
            this.generation = generation;
            this.ownsContext = ownsContext;
        }

        /// <summary>The context the generation runs in.</summary>
        public Context Context { get; }

        /// <summary>Why the generation ended; <see cref="LongHeads.StopReason.None"/> while it runs or if disposed early.</summary>
        public StopReason StopReason
        {
            get { lock (this) return generation.StopReason(); }
        }

        /// <summary>The ids of the tokens generated so far.</summary>
        public IReadOnlyList<int> Tokens
        {
            get { lock (this) return generation.Tokens(); }
        }

        /// <summary>The text produced so far.</summary>
        public string Text
        {
            get { lock (this) return Encoding.UTF8.GetString(generation.Text()); }
        }

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
                if (generation.Closed()) return null;
                if (!generation.Next())
                {
                    Release();
                    return null;
                }
                return Encoding.UTF8.GetString(generation.Piece());
            }
        }

        /// <summary>Asks the generation to stop soon (any thread): it ends with <see cref="LongHeads.StopReason.Cancelled"/>.</summary>
        public void Cancel() => generation.Cancel();

        /// <summary>Stops and frees the generation. Disposing twice is a no-op.</summary>
        public void Dispose()
        {
            lock (this) Release();
        }

        void Release()
        {
            generation.Close();
            if (ownsContext) Context.Dispose();
        }
    }
}
