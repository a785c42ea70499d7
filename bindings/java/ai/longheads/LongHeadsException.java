package ai.longheads;

import java.nio.charset.StandardCharsets;

/**
 * A call into the longheads library failed: {@link #getStatus()} says how (for example
 * {@link Status#IO} for a missing file, {@link Status#BAD_FORMAT} for a corrupted one,
 * {@link Status#INVALID_ARGUMENT} for an out-of-range token id or a closed object) and the
 * message says what, as the library explained it ({@code lh_last_error()}).
 */
public class LongHeadsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;

    /** An exception with this status and message. */
    public LongHeadsException(Status status, String message) {
        super(message);
        this.status = status == null ? Status.INTERNAL : status;
    }

    /** Called by the JNI layer: the status code and the UTF-8 bytes of the message. */
    LongHeadsException(int status, byte[] utf8Message) {
        this(statusOf(status), new String(utf8Message, StandardCharsets.UTF_8));
    }

    /** How the call failed. */
    private static Status statusOf(int code) {
        try {
            return Status.swigToEnum(code);
        } catch (IllegalArgumentException e) {
            return Status.INTERNAL;
        }
    }

    public Status getStatus() {
        return status;
    }

    static LongHeadsException closed(String what) {
        return new LongHeadsException(Status.INVALID_ARGUMENT, what + " is closed");
    }

    static LongHeadsException invalid(String message) {
        return new LongHeadsException(Status.INVALID_ARGUMENT, message);
    }
}
