package ai.longheads;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The text pieces of a running generation, pulled one at a time: an {@link Iterable} (once)
 * and its own {@link Iterator}. Pieces are non-empty strings; their concatenation is what
 * {@link Context#generate} returns (the last piece may arrive with the end of the
 * generation). Stopping early is just not pulling further: close the stream
 * (try-with-resources) to free the generation, and the context {@link Model#stream} made for it.
 */
public final class GenerationStream implements Iterable<String>, Iterator<String>, AutoCloseable {
    private final Context context;
    private final boolean ownsContext;
    private final NativeGeneration generation;  // the facade's stream: tokens, text, stop reason
    private String pending;

    GenerationStream(Context context, NativeGeneration generation, boolean ownsContext) {
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
        if (pending != null) return true;
        if (generation.closed()) return false;
        if (!generation.next()) {
            release();
            return false;
        }
        pending = new String(generation.piece(), StandardCharsets.UTF_8);
        return true;
    }

    /** The next non-empty piece of text. */
    @Override
    public synchronized String next() {
        if (!hasNext()) throw new NoSuchElementException("the generation has ended");
        String piece = pending;
        pending = null;
        return piece;
    }

    /** The text generated so far (including a piece {@link #hasNext()} pulled ahead). */
    public synchronized String text() {
        return new String(generation.text(), StandardCharsets.UTF_8);
    }

    /** The ids of the tokens generated so far. */
    public synchronized int[] tokens() {
        return generation.tokens();
    }

    /** Why the generation ended; {@link StopReason#NONE} while it runs or if closed early. */
    public synchronized StopReason stopReason() {
        return generation.stopReason();
    }

    /** The context the generation runs in. */
    public Context getContext() {
        return context;
    }

    /** Asks the generation to stop soon (any thread): it ends with {@link StopReason#CANCELLED}. */
    public void cancel() {
        generation.cancel();
    }

    /** Stops and frees the generation. Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        release();
    }

    private void release() {
        generation.close();
        if (ownsContext) context.close();
    }
}
