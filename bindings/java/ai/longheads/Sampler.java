package ai.longheads;

/** Chooses tokens from logits (temperature, top-k, top-p, min-p, repetition penalty). */
public final class Sampler implements AutoCloseable {
    static {
        LongHeads.ensureLoaded();
    }

    private volatile NativeSampler handle;

    /** A sampler with these options ({@code null}: defaults). */
    public Sampler(SamplerOptions options) {
        handle = new NativeSampler(options == null ? new SamplerOptions() : options);
    }

    NativeSampler handle() {
        NativeSampler h = handle;
        if (h == null) throw LongHeadsException.closed("sampler");
        return h;
    }

    /** Chooses a token from {@code logits} (nVocab values) and remembers it for the penalty. */
    public int sample(float[] logits) {
        if (logits == null) throw new NullPointerException("logits");
        return handle().sample(logits);
    }

    /** Chooses a token from a context's logits of token {@code index} of its last eval (-1 = last). */
    public int sample(Context context, int index) {
        return context.sample(this, index);
    }

    /** Tells the sampler about tokens it did not choose (e.g. the prompt). */
    public void accept(int[] tokens) {
        if (tokens == null) throw new NullPointerException("tokens");
        handle().accept(tokens);
    }

    /** Frees the sampler. Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        NativeSampler h = handle;
        handle = null;
        if (h != null) {
            h.close();  // the native object goes when no call still uses it; the proxy by GC
        }
    }

    public boolean isClosed() {
        return handle == null;
    }
}
