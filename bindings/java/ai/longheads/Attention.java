package ai.longheads;

/** How a context attends to its past ({@code lh_attention}). */
public enum Attention {
    /** Ordinary causal attention at true positions. */
    FULL(0),
    /** Attention sinks plus recent tokens, positions re-assigned (StreamingLLM). */
    WINDOW(1),
    /** Per-head chunk selection (LongHeads): contexts longer than the trained window. */
    LONGHEADS(2);

    final int code;

    Attention(int code) {
        this.code = code;
    }

    static Attention fromCode(int code) {
        for (Attention a : values()) {
            if (a.code == code) return a;
        }
        throw new IllegalArgumentException("unknown attention " + code);
    }
}
