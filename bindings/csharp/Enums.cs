namespace LongHeads
{
    /// <summary>The C API's <c>lh_status</c> values: why a call failed.</summary>
    public enum Status
    {
        Ok = 0,
        InvalidArgument = 1,
        IO = 2,
        BadFormat = 3,
        Unsupported = 4,
        OutOfMemory = 5,
        ContextFull = 6,
        BufferTooSmall = 7,
        Cancelled = 8,
        Busy = 9,
        Internal = 10,
        Numeric = 11,
    }

    /// <summary>How a context attends to its past (<c>lh_attention</c>).</summary>
    public enum Attention
    {
        /// <summary>Ordinary causal attention at true positions.</summary>
        Full = 0,
        /// <summary>Attention sinks plus recent tokens (StreamingLLM).</summary>
        Window = 1,
        /// <summary>Per-head chunk selection (LongHeads): contexts longer than the trained window.</summary>
        LongHeads = 2,
    }

    /// <summary>How a model's weights are held after loading (<c>lh_precision</c>).</summary>
    public enum Precision
    {
        F32 = 0,
        BF16 = 1,
    }

    /// <summary>How LongHeads evaluates a long prompt (<c>lh_prefill_mode</c>).</summary>
    public enum PrefillMode
    {
        /// <summary>Faithful: each token selects its own chunks.</summary>
        PerToken = 0,
        /// <summary>All queries of a chunk share one selection (faster).</summary>
        Block = 1,
    }

    /// <summary>How a LongHeads query head scores candidate chunks (<c>lh_chunk_score</c>).</summary>
    public enum ChunkScore
    {
        /// <summary>The paper's rule: q (before RoPE) . c_j (the default).</summary>
        Faithful = 0,
        /// <summary>Max over the chunk's tokens of R(w-1)q . k~_i; O(w) per chunk.</summary>
        MaxKey = 1,
        /// <summary>Channel-wise key bounds of the chunk (Quest); O(1) per chunk.</summary>
        Bound = 2,
    }

    /// <summary>Element type of the KV cache (<c>lh_kv_type</c>).</summary>
    public enum KvType
    {
        F32 = 0,
        BF16 = 1,
        /// <summary>int8 with one scale per token and head.</summary>
        Q8 = 2,
    }

    /// <summary>Why a generation ended (<c>lh_stop_reason</c>).</summary>
    public enum StopReason
    {
        /// <summary>Still running, or closed before the end.</summary>
        None = 0,
        MaxTokens = 1,
        /// <summary>An end-of-generation token (EOS).</summary>
        EndOfGeneration = 2,
        /// <summary>A stop string appeared (it is not part of the text).</summary>
        StopString = 3,
        ContextFull = 4,
        /// <summary>Context.Cancel(), or a callback asked to stop.</summary>
        Cancelled = 5,
    }
}
