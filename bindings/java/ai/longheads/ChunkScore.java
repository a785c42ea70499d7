package ai.longheads;

/** How a LongHeads query head scores candidate chunks ({@code lh_chunk_score}). */
public enum ChunkScore {
    /** The paper's rule: q (before RoPE) . c_j (the default). */
    FAITHFUL(0),
    /** Opt-in: max over the chunk's tokens of R(w-1)q . k~_i; O(w) per chunk. */
    MAX_KEY(1);

    final int code;

    ChunkScore(int code) {
        this.code = code;
    }

    static ChunkScore fromCode(int code) {
        return code == 1 ? MAX_KEY : FAITHFUL;
    }
}
