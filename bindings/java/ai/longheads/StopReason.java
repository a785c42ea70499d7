package ai.longheads;

/** Why a generation ended ({@code lh_stop_reason}). */
public enum StopReason {
    /** Still running (or closed before the end). */
    NONE(0),
    MAX_TOKENS(1),
    /** An end-of-generation token (EOS). */
    EOG(2),
    /** A stop string appeared (it is not part of the text). */
    STRING(3),
    CONTEXT_FULL(4),
    CANCELLED(5);

    final int code;

    StopReason(int code) {
        this.code = code;
    }

    static StopReason fromCode(int code) {
        for (StopReason r : values()) {
            if (r.code == code) return r;
        }
        return NONE;
    }
}
