package ai.longheads;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A multi-turn conversation on a {@link Context}, formatted with a chat template: {@link #send}
 * adds a user message and returns the reply, {@link #stream} returns its pieces as they are
 * generated. The KV cache is kept between turns: each turn evaluates only the text it adds
 * ({@link #lastEvaluated()}, {@link #lastReused()}). One thread at a time.
 */
public final class Chat implements AutoCloseable {
    private final Context context;
    private final boolean ownsContext;
    private volatile NativeChat handle;

    /**
     * @param template null for the model's own tokenizer.chat_template, else a family name
     *     ("chatml", "llama3.1", ...) or a Jinja template's text
     * @param system null or "" for no system message
     */
    public Chat(Context context, String template, String system) {
        this(context, template, system, false);
    }

    Chat(Context context, String template, String system, boolean ownsContext) {
        if (context == null) throw new NullPointerException("context");
        this.context = context;
        this.ownsContext = ownsContext;
        this.handle = new NativeChat(context.handle(), template == null ? new byte[0]
                : LongHeads.utf8(template, "template"), system == null ? new byte[0] : LongHeads.utf8(system, "system"));
    }

    private NativeChat handle() {
        NativeChat h = handle;
        if (h == null) throw LongHeadsException.closed("chat");
        return h;
    }

    /** Sends a user message and returns the whole reply. */
    public String send(String text, GenerateOptions options) {
        StringBuilder reply = new StringBuilder();
        for (String piece : stream(text, options)) reply.append(piece);
        return reply.toString();
    }

    /** Sends a user message; the reply's non-empty pieces come as they are generated. */
    public synchronized Iterable<String> stream(String text, GenerateOptions options) {
        NativeChat h = handle();
        GenerateOptions o = options == null ? new GenerateOptions() : options;
        h.send(LongHeads.utf8(text, "text"), o, o.getSampling(), o.stopArray());
        return () -> new Iterator<String>() {
            private String pending;
            private boolean ended;

            // The facade's one stream loop: non-empty pieces, the final flush included.
            @Override
            public boolean hasNext() {
                synchronized (Chat.this) {
                    if (pending == null && !ended) {
                        NativeChat c = handle();
                        if (c.next()) pending = new String(c.piece(), StandardCharsets.UTF_8);
                        else ended = true;
                    }
                    return pending != null;
                }
            }

            @Override
            public String next() {
                if (!hasNext()) throw new NoSuchElementException("the reply has ended");
                String p = pending;
                pending = null;
                return p;
            }
        };
    }

    /** The conversation so far (the system message first, if any). */
    public synchronized List<ChatMessage> messages() {
        NativeChat h = handle();
        int n = h.nMessages();
        List<ChatMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(new ChatMessage(LongHeads.text(h.messageRole(i)), LongHeads.text(h.messageContent(i))));
        return out;
    }

    /** Tokens the last send evaluated. */
    public int lastEvaluated() { return handle().lastEvaluated(); }

    /** Tokens the last send kept from the KV cache (0 when it started over). */
    public int lastReused() { return handle().lastReused(); }

    /** Why the last reply ended. */
    public StopReason stopReason() { return handle().stopReason(); }

    public Context getContext() { return context; }

    /** Asks the running reply to stop soon; safe from another thread. */
    public void cancel() { context.cancel(); }

    /** Frees the conversation (and the context {@link Model#chat} made for it). Idempotent. */
    @Override
    public synchronized void close() {
        NativeChat h = handle;
        handle = null;
        if (h != null) h.close();
        if (ownsContext) context.close();
    }

    public boolean isClosed() { return handle == null; }
}
