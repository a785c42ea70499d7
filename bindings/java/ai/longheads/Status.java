package ai.longheads;

/** The C API's {@code lh_status} values: why a call failed. */
public enum Status {
    OK(0),
    INVALID_ARGUMENT(1),
    IO(2),
    BAD_FORMAT(3),
    UNSUPPORTED(4),
    OUT_OF_MEMORY(5),
    CONTEXT_FULL(6),
    BUFFER_TOO_SMALL(7),
    CANCELLED(8),
    BUSY(9),
    INTERNAL(10),
    NUMERIC(11);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The numeric {@code lh_status}. */
    public int code() {
        return code;
    }

    /** The status with this code ({@link #INTERNAL} for an unknown code). */
    public static Status fromCode(int code) {
        for (Status s : values()) {
            if (s.code == code) return s;
        }
        return INTERNAL;
    }
}
