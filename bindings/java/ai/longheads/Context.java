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
    private volatile NativeContext handle;

    /** A context over {@code model} ({@code options} may be null for defaults). */
    public Context(Model model, ContextOptions options) {
        if (model == null) throw new NullPointerException("model");
        this.model = model;
        this.handle = new NativeContext(model.handle(), options == null ? new ContextOptions() : options);
    }

    private Context(Model model, NativeContext handle) {
        this.model = model;
        this.handle = handle;
    }

    /**
     * A context holding what {@link #save} wrote, for the same model, with the saved options.
     *
     * @throws LongHeadsException {@link Status#IO}, {@link Status#BAD_FORMAT} (damaged file),
     *     {@link Status#INVALID_ARGUMENT} (saved with another model)
     */
    public static Context load(Model model, String path) {
        if (model == null) throw new NullPointerException("model");
        return new Context(model, NativeContext.load(model.handle(), LongHeads.utf8(path, "path")));
    }

    /** As {@link #load(Model, String)} with {@code options} (attention fields must equal the
     * saved ones; nCtx 0 = the saved size). */
    public static Context load(Model model, String path, ContextOptions options) {
        if (model == null) throw new NullPointerException("model");
        if (options == null) return load(model, path);
        return new Context(model, NativeContext.load(model.handle(), LongHeads.utf8(path, "path"), options));
    }

    /** The options a saved context was made with, from its file's header. */
    public static ContextOptions fileParams(String path) {
        return NativeContext.fileParams(LongHeads.utf8(path, "path"));
    }

    /** The tokens the context holds, in order (BOS included). */
    public int[] tokens() {
        return handle().tokens();
    }

    /**
     * Makes the context hold exactly {@code tokens}, evaluating only what differs from what it
     * holds (the longest common prefix is kept); returns the number of tokens kept.
     */
    public int evalReuse(int[] tokens) {
        if (tokens == null) throw new NullPointerException("tokens");
        return handle().evalReuse(tokens);
    }

    /** Keeps the first {@code nKeep} tokens and forgets the rest. */
    public void truncate(int nKeep) {
        handle().truncate(nKeep);
    }

    /** An independent context holding a copy of what this one holds (same options). */
    public Context fork() {
        return new Context(model, handle().fork());
    }

    /** Writes the context to a file that {@link #load} reads back. */
    public void save(String path) {
        handle().save(LongHeads.utf8(path, "path"));
    }

    NativeContext handle() {
        NativeContext h = handle;
        if (h == null) throw LongHeadsException.closed("context");
        return h;
    }

    /** Frees the KV cache (once no running stream uses it). Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        NativeContext h = handle;
        handle = null;
        if (h != null) {
            h.close();  // the native object goes when no call still uses it; the proxy by GC
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
        return handle().params();
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
    public int sample() {
        return handle().sample(null, -1);
    }

    /** Chooses a token with {@code sampler} ({@code null}: greedy) from the logits of token
     * {@code index} of the last eval (-1: its last token). */
    public int sample(Sampler sampler, int index) {
        return handle().sample(sampler == null ? null : sampler.handle(), index);
    }

    /** Chooses a token with {@code sampler} from the last token's logits. */
    public int sample(Sampler sampler) {
        return sample(sampler, -1);
    }

    /**
     * Asks what runs on this context to stop soon; safe from any thread. An eval throws
     * {@link Status#CANCELLED}; a generation ends ({@link StopReason#CANCELLED}) with the text
     * generated until then.
     */
    public void cancel() {
        NativeContext h = handle;
        if (h != null) h.cancel();
    }

    /**
     * Generates a completion of {@code prompt}, appended to what the context holds. A
     * {@link #cancel()} ends it early: the text generated until then is returned.
     */
    public String generate(String prompt, GenerateOptions options) {
        GenerateOptions o = options == null ? new GenerateOptions() : options;
        byte[] p = LongHeads.utf8(prompt, "prompt");
        return LongHeads.text(handle().generate(p, o, o.getSampling(), o.stopArray()));
    }

    /** Streams a completion of {@code prompt}; close the stream to stop early. */
    public GenerationStream stream(String prompt, GenerateOptions options) {
        return startStream(prompt, options, false);
    }

    GenerationStream startStream(String prompt, GenerateOptions options, boolean ownsContext) {
        GenerateOptions o = options == null ? new GenerateOptions() : options;
        byte[] p = LongHeads.utf8(prompt, "prompt");
        return new GenerationStream(this, handle().start(p, o, o.getSampling(), o.stopArray()), ownsContext);
    }

    @Override
    public String toString() {
        return isClosed() ? "Context(closed)" : "Context(nCtx=" + nCtx() + ", nPast=" + nPast() + ")";
    }
}
