package ai.longheads;

/**
 * Options of a {@link Context}; setters return {@code this}. Zeros mean the library's defaults
 * ({@code nCtx(0)}: the model's trained context). With {@link Attention#LONGHEADS} each head
 * attends to {@code attnLen} tokens in chunks of {@code chunkSize}, so contexts longer than
 * the trained window work.
 */
public final class ContextOptions {
    private int nCtx, threads, batch, chunkSize, attnLen, beginLen, sinks, localChunks;
    private Attention attention = Attention.FULL;
    private boolean allowAttnLenOverTrained;
    private PrefillMode prefillMode = PrefillMode.PER_TOKEN;
    private KvType kvType = KvType.F32;
    private long memoryBudgetBytes;
    private ChunkScore chunkScore = ChunkScore.FAITHFUL;

    private static int nonNegative(String name, int value) {
        if (value < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        return value;
    }

    /** Maximum tokens the context holds; 0 = the model's trained context. */
    public ContextOptions nCtx(int nCtx) { this.nCtx = nonNegative("nCtx", nCtx); return this; }
    /** Threads of the forward pass; 0 = number of cores. */
    public ContextOptions threads(int threads) { this.threads = nonNegative("threads", threads); return this; }
    /** Maximum tokens evaluated per forward step; 0 = 512. */
    public ContextOptions batch(int batch) { this.batch = nonNegative("batch", batch); return this; }
    /** The attention mode (default {@link Attention#FULL}). */
    public ContextOptions attention(Attention attention) {
        if (attention == null) throw new NullPointerException("attention");
        this.attention = attention;
        return this;
    }
    /** LongHeads chunk size w; 0 = default from the trained context. */
    public ContextOptions chunkSize(int chunkSize) { this.chunkSize = nonNegative("chunkSize", chunkSize); return this; }
    /** Tokens one head attends to (LongHeads / window L); 0 = default. */
    public ContextOptions attnLen(int attnLen) { this.attnLen = nonNegative("attnLen", attnLen); return this; }
    /** LongHeads B: below it full attention; 0 = default (= L). */
    public ContextOptions beginLen(int beginLen) { this.beginLen = nonNegative("beginLen", beginLen); return this; }
    /** Window mode attention sinks; 0 = default (4). */
    public ContextOptions sinks(int sinks) { this.sinks = nonNegative("sinks", sinks); return this; }
    /** Permits L larger than the trained context (out of distribution). */
    public ContextOptions allowAttnLenOverTrained(boolean allow) { this.allowAttnLenOverTrained = allow; return this; }
    /** LongHeads prefill mode (default {@link PrefillMode#PER_TOKEN}). */
    public ContextOptions prefillMode(PrefillMode mode) {
        if (mode == null) throw new NullPointerException("prefillMode");
        this.prefillMode = mode;
        return this;
    }
    /** How LongHeads scores candidate chunks (default {@link ChunkScore#FAITHFUL}). */
    public ContextOptions chunkScore(ChunkScore score) {
        if (score == null) throw new NullPointerException("chunkScore");
        this.chunkScore = score;
        return this;
    }
    /** LongHeads: the most recent chunks every token attends (1..K-1); 0 = default (2). */
    public ContextOptions localChunks(int localChunks) {
        this.localChunks = nonNegative("localChunks", localChunks);
        return this;
    }
    /** KV cache element type (default {@link KvType#F32}). */
    public ContextOptions kvType(KvType kvType) {
        if (kvType == null) throw new NullPointerException("kvType");
        this.kvType = kvType;
        return this;
    }
    /** Refuse a KV cache larger than this; 0 = no budget. */
    public ContextOptions memoryBudgetBytes(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memoryBudgetBytes must be >= 0");
        this.memoryBudgetBytes = bytes;
        return this;
    }

    public int getNCtx() { return nCtx; }
    public int getThreads() { return threads; }
    public int getBatch() { return batch; }
    public Attention getAttention() { return attention; }
    public int getChunkSize() { return chunkSize; }
    public int getAttnLen() { return attnLen; }
    public int getBeginLen() { return beginLen; }
    public int getSinks() { return sinks; }
    public boolean getAllowAttnLenOverTrained() { return allowAttnLenOverTrained; }
    public PrefillMode getPrefillMode() { return prefillMode; }
    public ChunkScore getChunkScore() { return chunkScore; }
    public int getLocalChunks() { return localChunks; }
    public KvType getKvType() { return kvType; }
    public long getMemoryBudgetBytes() { return memoryBudgetBytes; }

    ai.longheads.internal.ContextParams toNative() {
        ai.longheads.internal.ContextParams p = new ai.longheads.internal.ContextParams();
        p.setNCtx(nCtx);
        p.setNThreads(threads);
        p.setNBatch(batch);
        p.setAttention(attention.code);
        p.setChunkSize(chunkSize);
        p.setAttnLen(attnLen);
        p.setBeginLen(beginLen);
        p.setNSinks(sinks);
        p.setAllowAttnLenOverTrained(allowAttnLenOverTrained);
        p.setPrefillMode(prefillMode.code);
        p.setKvType(kvType.code);
        p.setMemoryBudgetBytes(memoryBudgetBytes);
        p.setChunkScore(chunkScore.code);
        p.setLocalChunks(localChunks);
        return p;
    }

    static ContextOptions fromNative(ai.longheads.internal.ContextParams p) {
        ContextOptions o = new ContextOptions();
        o.nCtx = p.getNCtx();
        o.threads = p.getNThreads();
        o.batch = p.getNBatch();
        o.attention = Attention.fromCode(p.getAttention());
        o.chunkSize = p.getChunkSize();
        o.attnLen = p.getAttnLen();
        o.beginLen = p.getBeginLen();
        o.sinks = p.getNSinks();
        o.allowAttnLenOverTrained = p.getAllowAttnLenOverTrained();
        o.prefillMode = PrefillMode.fromCode(p.getPrefillMode());
        o.kvType = KvType.fromCode(p.getKvType());
        o.memoryBudgetBytes = p.getMemoryBudgetBytes();
        o.chunkScore = ChunkScore.fromCode(p.getChunkScore());
        o.localChunks = p.getLocalChunks();
        return o;
    }

    @Override
    public String toString() {
        return "ContextOptions{nCtx=" + nCtx + ", attention=" + attention + ", chunkSize=" + chunkSize + ", attnLen="
                + attnLen + ", beginLen=" + beginLen + ", threads=" + threads + ", batch=" + batch + "}";
    }
}
