package ai.longheads;

/** How LongHeads evaluates a long prompt ({@code lh_prefill_mode}). */
public enum PrefillMode {
    /** Faithful: each token selects its own chunks. */
    PER_TOKEN(0),
    /** All queries of a chunk share one selection (faster). */
    BLOCK(1);

    final int code;

    PrefillMode(int code) {
        this.code = code;
    }

    static PrefillMode fromCode(int code) {
        return code == 1 ? BLOCK : PER_TOKEN;
    }
}
