package ai.longheads;

import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-family GGUF model loaded into memory. Immutable once loaded: any number of
 * {@link Context}s on any threads may share it, and each keeps it alive after
 * {@link #close()} (which only releases this object's reference; calling it twice is a
 * no-op; any other call on a closed model throws {@link LongHeadsException}).
 *
 * <pre>{@code
 * try (Model model = new Model("models/stories260K.gguf")) {
 *     GenerateOptions options = new GenerateOptions();
 *     options.setMaxTokens(32);
 *     options.getSampling().setTemperature(0f);
 *     System.out.println(model.generate("Once upon a time", options));
 *     try (GenerationStream stream = model.stream("Once upon a time")) {
 *         for (String piece : stream) System.out.print(piece);
 *     }
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    static {
        LongHeads.ensureLoaded();
    }

    private volatile NativeModel handle;
    private final String path;

    /** Loads a GGUF file with default options. */
    public Model(String path) {
        this(path, new ModelOptions());
    }

    /**
     * Loads a GGUF file.
     *
     * @throws LongHeadsException with {@link Status#IO} (cannot open), {@link Status#BAD_FORMAT}
     *     (malformed) or {@link Status#UNSUPPORTED}
     */
    public Model(String path, ModelOptions options) {
        this.path = path;
        byte[] p = LongHeads.utf8(path, "path");
        this.handle = new NativeModel(p, options == null ? new ModelOptions() : options);
    }

    NativeModel handle() {
        NativeModel h = handle;
        if (h == null) throw LongHeadsException.closed("model");
        return h;
    }

    /** Releases this model (freed once no context uses it). Calling it twice is a no-op. */
    @Override
    public synchronized void close() {
        NativeModel h = handle;
        handle = null;
        if (h != null) {
            h.close();  // the native object goes when no call still uses it; the proxy by GC
        }
    }

    /** True after {@link #close()}. */
    public boolean isClosed() {
        return handle == null;
    }

    /** The path the model was loaded from. */
    public String path() {
        return path;
    }

    /** Hyper-parameters and sizes (the C API's lh_model_info: getNVocab(), getNCtxTrain(), ...). */
    public ModelInfo info() {
        return handle().info();
    }

    /** general.name, or "". */
    public String name() { return LongHeads.text(handle().name()); }

    public String architecture() { return LongHeads.text(handle().architecture()); }
    public int nVocab() { return handle().nVocab(); }
    public int nCtxTrain() { return handle().info().getNCtxTrain(); }
    public int nEmbd() { return handle().info().getNEmbd(); }
    public int nLayer() { return handle().info().getNLayer(); }
    public int nHead() { return handle().info().getNHead(); }
    public int nHeadKv() { return handle().info().getNHeadKv(); }
    /** The BOS token id, or -1. */
    public int bos() { return handle().info().getBosToken(); }
    /** The EOS token id, or -1. */
    public int eos() { return handle().info().getEosToken(); }

    /** A GGUF metadata value rendered as text; throws {@link Status#INVALID_ARGUMENT} if absent. */
    public String metadata(String key) {
        return LongHeads.text(handle().meta(LongHeads.utf8(key, "key")));
    }

    /** The weight tensors. */
    public List<TensorInfo> tensors() {
        NativeModel h = handle();
        int n = h.tensorCount();
        List<TensorInfo> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new TensorInfo(LongHeads.text(h.tensorName(i)), LongHeads.text(h.tensorType(i)), h.tensorDims(i)));
        }
        return out;
    }

    /** Token ids of {@code text}, with BOS first when the vocabulary has one. */
    public int[] tokenize(String text) {
        return tokenize(text, true, false);
    }

    /** Token ids of {@code text}; {@code addBos} puts BOS first. */
    public int[] tokenize(String text, boolean addBos) {
        return tokenize(text, addBos, false);
    }

    /** Token ids of {@code text}; {@code parseSpecial} turns texts such as "<s>" into their ids. */
    public int[] tokenize(String text, boolean addBos, boolean parseSpecial) {
        return handle().tokenize(LongHeads.utf8(text, "text"), addBos, parseSpecial);
    }

    /** The text of token ids (control tokens render as nothing). */
    public String detokenize(int[] tokens) {
        return detokenize(tokens, false, false);
    }

    /**
     * The text of token ids.
     *
     * @param renderSpecial render control tokens as their text ("<s>")
     * @param removeSpecial drop a leading BOS / trailing EOS
     * @throws LongHeadsException {@link Status#INVALID_ARGUMENT} for an out-of-range id
     */
    public String detokenize(int[] tokens, boolean renderSpecial, boolean removeSpecial) {
        if (tokens == null) throw new NullPointerException("tokens");
        int flags = (renderSpecial ? 1 : 0) | (removeSpecial ? 2 : 0);
        return LongHeads.text(handle().detokenize(tokens, flags));
    }

    /** The raw bytes of one token's piece (a byte-fallback token is one byte). */
    public byte[] tokenPiece(int token) {
        return handle().tokenPiece(token);
    }

    /** True if {@code token} ends generation (EOS or another end-of-generation token). */
    public boolean isEog(int token) {
        return handle().tokenIsEog(token);
    }

    /**
     * The prompt text of {@code messages} formatted with a chat template.
     *
     * @param template null for the model's own tokenizer.chat_template, else a family name
     *     ("chatml", "llama3.1", ...) or a Jinja template's text
     * @param addAssistant append the assistant's prefix so the model replies
     * @throws LongHeadsException {@link Status#UNSUPPORTED} for an unrecognised template,
     *     {@link Status#INVALID_ARGUMENT} for bad roles or no template
     */
    public String chatFormat(List<ChatMessage> messages, boolean addAssistant, String template) {
        if (messages == null) throw new NullPointerException("messages");
        NativeChatMessages native_ = new NativeChatMessages();
        try {
            for (ChatMessage m : messages) {
                if (m == null) throw new NullPointerException("message");
                native_.add(LongHeads.utf8(m.role(), "role"), LongHeads.utf8(m.content(), "content"));
            }
            return LongHeads.text(handle().chatFormat(native_, addAssistant, templateBytes(template)));
        } finally {
            native_.delete();
        }
    }

    /** The template family ("llama3.1", "chatml", ...) of {@code template} (null: the model's own). */
    public String chatTemplateFamily(String template) {
        return LongHeads.text(handle().chatTemplateFamily(templateBytes(template)));
    }

    /** A {@link Chat} in a context of its own ({@code options} may be null), freed with the chat. */
    public Chat chat(String template, String system, ContextOptions options) {
        Context ctx = new Context(this, options);
        try {
            return new Chat(ctx, template, system, true);
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    private static byte[] templateBytes(String template) {
        return template == null ? new byte[0] : LongHeads.utf8(template, "template");
    }

    /** Bytes the KV cache of a context with these options would take at {@code nTokens}. */
    public long estimateKvBytes(ContextOptions options, long nTokens) {
        return handle().estimateKvBytes(options == null ? new ContextOptions() : options, nTokens);
    }

    /** A new context with default options. */
    public Context newContext() {
        return new Context(this, new ContextOptions());
    }

    /** A new context. */
    public Context newContext(ContextOptions options) {
        return new Context(this, options);
    }

    /** Generates a completion of {@code prompt} in a fresh default context. */
    public String generate(String prompt, GenerateOptions options) {
        return generate(prompt, options, null);
    }

    /** Generates a completion of {@code prompt} in a fresh context made with {@code context}. */
    public String generate(String prompt, GenerateOptions options, ContextOptions context) {
        try (Context ctx = new Context(this, context)) {
            return ctx.generate(prompt, options);
        }
    }

    /** Streams a completion of {@code prompt} (default options) in a fresh context. */
    public GenerationStream stream(String prompt) {
        return stream(prompt, null, null);
    }

    /** Streams a completion of {@code prompt} in a fresh default context. */
    public GenerationStream stream(String prompt, GenerateOptions options) {
        return stream(prompt, options, null);
    }

    /**
     * Streams a completion of {@code prompt} in a fresh context, which the returned stream
     * owns and closes. Close the stream (try-with-resources) to stop early.
     */
    public GenerationStream stream(String prompt, GenerateOptions options, ContextOptions context) {
        Context ctx = new Context(this, context);
        try {
            return ctx.startStream(prompt, options, true);
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return isClosed() ? "Model(" + path + ", closed)" : "Model(" + path + ", " + info() + ")";
    }
}
