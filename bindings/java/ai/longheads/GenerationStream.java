package ai.longheads;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The text pieces of a running generation, pulled one token at a time: an {@link Iterable}
 * (once) and its own {@link Iterator}. Pieces are non-empty strings; their concatenation is
 * what {@link Context#generate} returns. Stopping early is just not pulling further: close the
 * stream (try-with-resources) to free the generation, and the context {@link Model#stream}
 * made for it.
 */
public final class GenerationStream implements Iterable<String>, Iterator<String>, AutoCloseable {
    private final Context context;
    private final boolean ownsContext;
    private ai.longheads.internal.Generation generation;
    private String pending;
    private StopReason stopReason = StopReason.NONE;
    private final StringBuilder text = new StringBuilder();
    private int[] tokens = new int[16];
    private int nTokens;

    GenerationStream(Context context, ai.longheads.internal.Generation generation, boolean ownsContext) {
        this.context = context;
        this.generation = generation;
        this.ownsContext = ownsContext;
    }

    @Override
    public Iterator<String> iterator() {
        return this;
    }

    @Override
    public synchronized boolean hasNext() {
        while (pending == null) {
            ai.longheads.internal.Generation g = generation;
            if (g == null) return false;
            if (!g.next()) {
                // The last call may still carry text held back until the end.
                byte[] tail = g.piece();
                stopReason = StopReason.fromCode(g.stopReason());
                release();
                if (tail.length == 0) return false;
                pending = new String(tail, StandardCharsets.UTF_8);
                return true;
            }
            if (nTokens == tokens.length) tokens = Arrays.copyOf(tokens, nTokens * 2);
            tokens[nTokens++] = g.token();
            byte[] piece = g.piece();
            if (piece.length > 0) pending = new String(piece, StandardCharsets.UTF_8);
        }
        return true;
    }

    /** The next non-empty piece of text. */
    @Override
    public synchronized String next() {
        if (!hasNext()) throw new NoSuchElementException("the generation has ended");
        String piece = pending;
        pending = null;
        text.append(piece);
        return piece;
    }

    /** The text returned by {@link #next()} so far. */
    public synchronized String text() {
        return text.toString();
    }

    /** The ids of the tokens generated so far. */
    public synchronized int[] tokens() {
        return Arrays.copyOf(tokens, nTokens);
    }

    /** Why the generation ended; {@link StopReason#NONE} while it runs or if closed early. */
    public synchronized StopReason stopReason() {
        return stopReason;
    }

    /** The context the generation runs in. */
    public Context getContext() {
        return context;
    }

    /** Asks the generation to stop soon; safe from another thread. */
    public void cancel() {
        context.cancel();
    }

    /** Stops and frees the generation. Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        release();
    }

    private void release() {
        ai.longheads.internal.Generation g = generation;
        generation = null;
        if (g != null) {
            g.close();
        }
        if (ownsContext) context.close();
    }
}
