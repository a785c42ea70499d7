package ai.longheads;

/** How a LongHeads query head scores candidate chunks ({@code lh_chunk_score}). */
public enum ChunkScore {
    /** The paper's rule: q (before RoPE) . c_j (the default). */
    FAITHFUL(0),
    /** Max over the chunk's tokens of R(w-1)q . k~_i; O(w) per chunk. */
    MAX_KEY(1),
    /** Channel-wise key bounds of the chunk (Quest); O(1) per chunk. */
    BOUND(2);

    final int code;

    ChunkScore(int code) {
        this.code = code;
    }

    static ChunkScore fromCode(int code) {
        return code == 2 ? BOUND : code == 1 ? MAX_KEY : FAITHFUL;
    }
}
