using System;
using System.Collections.Generic;

namespace LongHeads
{
    /// <summary>Options of <see cref="Model"/>.</summary>
    public sealed class ModelOptions
    {
        /// <summary>Weight precision (default <see cref="LongHeads.Precision.F32"/>).</summary>
        public Precision Precision { get; set; } = Precision.F32;

        /// <summary>Threads used while converting weights at load; 0 = all cores.</summary>
        public int Threads { get; set; }

        internal Native.ModelParams ToNative()
        {
            if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), "must be >= 0");
            var p = new Native.ModelParams();
            p.Precision = (int)Precision;
            p.NThreads = Threads;
            return p;
        }
    }

    /// <summary>
    /// Options of a <see cref="Context"/>. Zeros mean the library's defaults (<c>NCtx = 0</c>:
    /// the model's trained context). With <see cref="LongHeads.Attention.LongHeads"/> each head
    /// attends to <see cref="AttnLen"/> tokens in chunks of <see cref="ChunkSize"/>, so contexts
    /// longer than the trained window work.
    /// </summary>
    public sealed class ContextOptions
    {
        /// <summary>Maximum tokens the context holds; 0 = the model's trained context.</summary>
        public int NCtx { get; set; }
        /// <summary>Threads of the forward pass; 0 = number of cores.</summary>
        public int Threads { get; set; }
        /// <summary>Maximum tokens per forward step; 0 = 512.</summary>
        public int Batch { get; set; }
        /// <summary>The attention mode (default <see cref="LongHeads.Attention.Full"/>).</summary>
        public Attention Attention { get; set; } = Attention.Full;
        /// <summary>LongHeads chunk size w; 0 = default from the trained context.</summary>
        public int ChunkSize { get; set; }
        /// <summary>Tokens one head attends to (LongHeads / window L); 0 = default.</summary>
        public int AttnLen { get; set; }
        /// <summary>LongHeads B: below it full attention; 0 = default (= L).</summary>
        public int BeginLen { get; set; }
        /// <summary>Window mode attention sinks; 0 = default (4).</summary>
        public int Sinks { get; set; }
        /// <summary>Permits L larger than the trained context (out of distribution).</summary>
        public bool AllowAttnLenOverTrained { get; set; }
        /// <summary>LongHeads prefill mode (default <see cref="LongHeads.PrefillMode.PerToken"/>).</summary>
        public PrefillMode PrefillMode { get; set; } = PrefillMode.PerToken;
        /// <summary>How LongHeads scores candidate chunks (default <see cref="LongHeads.ChunkScore.Faithful"/>).</summary>
        public ChunkScore ChunkScore { get; set; } = ChunkScore.Faithful;
        /// <summary>LongHeads: the most recent chunks every token attends (1..K-1); 0 = default (2).</summary>
        public int LocalChunks { get; set; }
        /// <summary>KV cache element type.</summary>
        public KvType KvType { get; set; } = KvType.F32;
        /// <summary>Refuse a KV cache larger than this; 0 = no budget.</summary>
        public long MemoryBudgetBytes { get; set; }

        internal Native.ContextParams ToNative()
        {
            Check(nameof(NCtx), NCtx);
            Check(nameof(Threads), Threads);
            Check(nameof(Batch), Batch);
            Check(nameof(ChunkSize), ChunkSize);
            Check(nameof(AttnLen), AttnLen);
            Check(nameof(BeginLen), BeginLen);
            Check(nameof(Sinks), Sinks);
            Check(nameof(LocalChunks), LocalChunks);
            if (MemoryBudgetBytes < 0) throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), "must be >= 0");
            var p = new Native.ContextParams();
            p.NCtx = NCtx;
            p.NThreads = Threads;
            p.NBatch = Batch;
            p.Attention = (int)Attention;
            p.ChunkSize = ChunkSize;
            p.AttnLen = AttnLen;
            p.BeginLen = BeginLen;
            p.NSinks = Sinks;
            p.AllowAttnLenOverTrained = AllowAttnLenOverTrained;
            p.PrefillMode = (int)PrefillMode;
            p.KvType = (int)KvType;
            p.MemoryBudgetBytes = MemoryBudgetBytes;
            p.ChunkScore = (int)ChunkScore;
            p.LocalChunks = LocalChunks;
            return p;
        }

        internal static ContextOptions FromNative(Native.ContextParams p)
        {
            return new ContextOptions
            {
                NCtx = p.NCtx, Threads = p.NThreads, Batch = p.NBatch, Attention = (Attention)p.Attention,
                ChunkSize = p.ChunkSize, AttnLen = p.AttnLen, BeginLen = p.BeginLen, Sinks = p.NSinks,
                AllowAttnLenOverTrained = p.AllowAttnLenOverTrained, PrefillMode = (PrefillMode)p.PrefillMode,
                KvType = (KvType)p.KvType, MemoryBudgetBytes = p.MemoryBudgetBytes,
                ChunkScore = (ChunkScore)p.ChunkScore, LocalChunks = p.LocalChunks,
            };
        }

        static void Check(string name, int value)
        {
            if (value < 0) throw new ArgumentOutOfRangeException(name, "must be >= 0");
        }
    }

    /// <summary>
    /// How tokens are chosen. Defaults as the C API's: Temperature 0.8 (0 or less = greedy),
    /// TopK 40, TopP 0.95, MinP 0.05, RepeatPenalty 1, RepeatLastN 64, Seed 0xC0FFEE.
    /// </summary>
    public class SamplerOptions
    {
        /// <summary>Temperature; 0 or less is greedy (argmax).</summary>
        public float Temperature { get; set; } = 0.8f;
        /// <summary>Keep the k most likely tokens; 0 or less = off.</summary>
        public int TopK { get; set; } = 40;
        /// <summary>Nucleus sampling; 1 = off.</summary>
        public float TopP { get; set; } = 0.95f;
        /// <summary>Drop tokens below MinP times the best one's probability; 0 = off.</summary>
        public float MinP { get; set; } = 0.05f;
        /// <summary>Repetition penalty; 1 = off.</summary>
        public float RepeatPenalty { get; set; } = 1.0f;
        /// <summary>Tokens the penalty looks back at.</summary>
        public int RepeatLastN { get; set; } = 64;
        /// <summary>Random seed; the same seed gives the same choices.</summary>
        public ulong Seed { get; set; } = 0xC0FFEE;

        internal void Fill(Native.SamplerParams p)
        {
            if (float.IsNaN(Temperature)) throw new ArgumentException("must not be NaN", nameof(Temperature));
            if (!(TopP >= 0f && TopP <= 1f)) throw new ArgumentOutOfRangeException(nameof(TopP), "must be in [0, 1]");
            if (!(MinP >= 0f && MinP <= 1f)) throw new ArgumentOutOfRangeException(nameof(MinP), "must be in [0, 1]");
            if (!(RepeatPenalty > 0f)) throw new ArgumentOutOfRangeException(nameof(RepeatPenalty), "must be > 0");
            if (RepeatLastN < 0) throw new ArgumentOutOfRangeException(nameof(RepeatLastN), "must be >= 0");
            p.Temperature = Temperature;
            p.TopK = TopK;
            p.TopP = TopP;
            p.MinP = MinP;
            p.RepeatPenalty = RepeatPenalty;
            p.RepeatLastN = RepeatLastN;
            p.Seed = unchecked((long)Seed);
        }
    }

    /// <summary>
    /// Options of a generation: the <see cref="SamplerOptions"/> plus MaxTokens (128), Stop
    /// strings, AddBos (true) and StopAtEog (true).
    /// </summary>
    public sealed class GenerateOptions : SamplerOptions
    {
        /// <summary>Maximum tokens to generate (generation also stops when the context is full).</summary>
        public int MaxTokens { get; set; } = 128;
        /// <summary>Stop strings: the text ends before the first one that appears.</summary>
        public IList<string> Stop { get; set; } = new List<string>();
        /// <summary>Put BOS first when the vocabulary wants it and the context is empty.</summary>
        public bool AddBos { get; set; } = true;
        /// <summary>Stop at an end-of-generation token.</summary>
        public bool StopAtEog { get; set; } = true;

        internal Native.GenerateParams ToNative()
        {
            if (MaxTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxTokens), "must be >= 0");
            var p = new Native.GenerateParams();
            p.MaxTokens = MaxTokens;
            var s = p.Sampling;
            Fill(s);
            p.Sampling = s;
            if (Stop != null)
            {
                foreach (string str in Stop)
                {
                    if (string.IsNullOrEmpty(str)) throw new ArgumentException("a stop string is null or empty", nameof(Stop));
                    p.AddStop(Utf8.Bytes(str, nameof(Stop)));
                }
            }
            p.AddBos = AddBos;
            p.StopAtEog = StopAtEog;
            return p;
        }
    }
}
