package ai.longheads;

/**
 * A KV cache plus an attention configuration over one {@link Model}, which it keeps alive.
 * One thread at a time (a second thread gets {@link Status#BUSY}); {@link #cancel()} may come
 * from any thread. Closing twice is a no-op; any other call on a closed context throws
 * {@link LongHeadsException}.
 */
public final class Context implements AutoCloseable {
    static {
        LongHeads.ensureLoaded();
    }

    private final Model model;
    private volatile ai.longheads.internal.Context handle;
    private Sampler greedy;

    /** A context over {@code model} ({@code options} may be null for defaults). */
    public Context(Model model, ContextOptions options) {
        if (model == null) throw new NullPointerException("model");
        this.model = model;
        this.handle = new ai.longheads.internal.Context(model.handle(),
                (options == null ? new ContextOptions() : options).toNative());
    }

    ai.longheads.internal.Context handle() {
        ai.longheads.internal.Context h = handle;
        if (h == null) throw LongHeadsException.closed("context");
        return h;
    }

    /** Frees the KV cache (once no running stream uses it). Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        ai.longheads.internal.Context h = handle;
        handle = null;
        if (h != null) {
            h.close();  // the native object goes when no call still uses it; the proxy by GC
        }
        if (greedy != null) {
            greedy.close();
            greedy = null;
        }
    }

    /** True after {@link #close()}. */
    public boolean isClosed() {
        return handle == null;
    }

    /** The model this context runs. */
    public Model getModel() {
        return model;
    }

    /** The effective options (defaults resolved). */
    public ContextOptions options() {
        return ContextOptions.fromNative(handle().params());
    }

    /** Maximum tokens the context holds. */
    public int nCtx() { return handle().nCtx(); }
    /** Tokens currently in the context. */
    public int nPast() { return handle().nPast(); }
    /** Logits per token. */
    public int nVocab() { return handle().nVocab(); }

    /** Forgets all tokens (the KV cache stays allocated). */
    public void reset() {
        handle().reset();
    }

    /** Appends tokens and runs the model over them; then {@link #logits()} gives the last token's logits. */
    public void eval(int[] tokens) {
        eval(tokens, false);
    }

    /**
     * Appends tokens and runs the model over them.
     *
     * @param allLogits keep the logits of every token of this call (see {@link #logits(int)})
     * @throws LongHeadsException {@link Status#INVALID_ARGUMENT} (out-of-range id),
     *     {@link Status#CONTEXT_FULL}, {@link Status#CANCELLED}; nothing is evaluated then
     */
    public void eval(int[] tokens, boolean allLogits) {
        if (tokens == null) throw new NullPointerException("tokens");
        handle().eval(tokens, allLogits);
    }

    /** Logits of the last token of the last eval (a new array of nVocab floats). */
    public float[] logits() {
        return logits(-1);
    }

    /** Logits of token {@code index} of the last eval (-1 = its last token). */
    public float[] logits(int index) {
        return handle().logits(index);
    }

    /** The greedy choice (argmax) from the last token's logits. */
    public synchronized int sample() {
        if (greedy == null) greedy = new Sampler(new SamplerOptions().temperature(0f));
        return greedy.sample(this, -1);
    }

    /** Chooses a token with {@code sampler} from the last token's logits. */
    public int sample(Sampler sampler) {
        return sampler.sample(this, -1);
    }

    /** Asks a running eval/generation to stop soon (it throws {@link Status#CANCELLED}). Any thread. */
    public void cancel() {
        ai.longheads.internal.Context h = handle;
        if (h != null) h.cancel();
    }

    /** Generates a completion of {@code prompt}, appended to what the context holds. */
    public String generate(String prompt, GenerateOptions options) {
        byte[] p = LongHeads.utf8(prompt, "prompt");
        return LongHeads.text(handle().generate(p, (options == null ? new GenerateOptions() : options).toNative()));
    }

    /** Streams a completion of {@code prompt}; close the stream to stop early. */
    public GenerationStream stream(String prompt, GenerateOptions options) {
        return startStream(prompt, options, false);
    }

    GenerationStream startStream(String prompt, GenerateOptions options, boolean ownsContext) {
        byte[] p = LongHeads.utf8(prompt, "prompt");
        ai.longheads.internal.Generation g =
                handle().start(p, (options == null ? new GenerateOptions() : options).toNative());
        return new GenerationStream(this, g, ownsContext);
    }

    @Override
    public String toString() {
        return isClosed() ? "Context(closed)" : "Context(nCtx=" + nCtx() + ", nPast=" + nPast() + ")";
    }
}
