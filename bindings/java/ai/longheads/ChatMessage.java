package ai.longheads;

/** One message of a conversation: a role ("system", "user" or "assistant") and its text. */
public final class ChatMessage {
    private final String role;
    private final String content;

    public ChatMessage(String role, String content) {
        if (role == null) throw new NullPointerException("role");
        if (content == null) throw new NullPointerException("content");
        this.role = role;
        this.content = content;
    }

    public static ChatMessage system(String content) { return new ChatMessage("system", content); }
    public static ChatMessage user(String content) { return new ChatMessage("user", content); }
    public static ChatMessage assistant(String content) { return new ChatMessage("assistant", content); }

    public String role() { return role; }
    public String content() { return content; }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatMessage && ((ChatMessage) o).role.equals(role) && ((ChatMessage) o).content.equals(content);
    }

    @Override
    public int hashCode() { return role.hashCode() * 31 + content.hashCode(); }

    @Override
    public String toString() { return role + ": " + content; }
}
