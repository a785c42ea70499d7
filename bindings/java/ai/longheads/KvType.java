package ai.longheads;

/** Element type of the KV cache ({@code lh_kv_type}). */
public enum KvType {
    F32(0),
    BF16(1),
    /** int8 with one scale per token and head. */
    Q8(2);

    final int code;

    KvType(int code) {
        this.code = code;
    }

    static KvType fromCode(int code) {
        return code == 2 ? Q8 : code == 1 ? BF16 : F32;
    }
}
