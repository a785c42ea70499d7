package ai.longheads;

/** How a model's weights are held after loading ({@code lh_precision}). */
public enum Precision {
    /** Exact: float32 weights and products. */
    F32(0),
    /** Fast: bfloat16 weights and products, float32 accumulation. */
    BF16(1);

    final int code;

    Precision(int code) {
        this.code = code;
    }

    static Precision fromCode(int code) {
        return code == 1 ? BF16 : F32;
    }
}
