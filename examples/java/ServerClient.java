// A Java service calling `longheads serve` with nothing but java.net.http: the served model, a
// completion, the same completion streamed as server-sent events, and an error.
//
//   build/bin/longheads serve -m models/stories260K.gguf --port 8080 &
//   javac -d /tmp/ex examples/java/ServerClient.java
//   java -cp /tmp/ex ServerClient http://127.0.0.1:8080 [API_KEY] ["prompt"]
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;

public class ServerClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String apiKey;

    ServerClient(String base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5));
        if (apiKey != null && !apiKey.isEmpty()) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    private HttpRequest post(String path, String json) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    static String completionBody(String prompt, boolean stream) {
        return "{\"prompt\": " + quote(prompt) + ", \"max_tokens\": 24, \"temperature\": 0, \"stream\": " + stream + "}";
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String base = args.length > 0 ? args[0] : "http://127.0.0.1:8080";
        String key = args.length > 1 ? args[1] : System.getenv("LONGHEADS_API_KEY");
        String prompt = args.length > 2 ? args[2] : "Once upon a time";
        ServerClient c = new ServerClient(base, key);

        HttpResponse<String> models = c.http.send(c.request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("model: " + stringField(models.body(), "id"));

        HttpResponse<String> whole = c.http.send(c.post("/v1/completions", completionBody(prompt, false)),
                HttpResponse.BodyHandlers.ofString());
        if (whole.statusCode() != 200) throw new IOException("completion failed: " + whole.body());
        System.out.println("completion: " + stringField(whole.body(), "text"));

        // Server-sent events: one "data: {...}" line per piece, "data: [DONE]" at the end.
        HttpResponse<Stream<String>> events = c.http.send(c.post("/v1/completions", completionBody(prompt, true)),
                HttpResponse.BodyHandlers.ofLines());
        StringBuilder streamed = new StringBuilder();
        int pieces = 0;
        boolean done = false;
        for (String line : (Iterable<String>) events.body()::iterator) {
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                break;
            }
            streamed.append(stringField(data, "text"));
            ++pieces;
        }
        System.out.println("stream: " + streamed + (done ? "" : " (no [DONE])"));
        System.out.println("pieces: " + pieces);

        HttpResponse<String> bad = c.http.send(c.post("/v1/completions", "{\"prompt\": \"x\", \"n\": 2}"),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("error " + bad.statusCode() + ": " + stringField(bad.body(), "message"));
    }

    // --- Just enough JSON for these answers (a real service would use its JSON library). ---

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }

    // The first string value of `name` in `json`, unescaped; "" when absent or null.
    static String stringField(String json, String name) {
        String key = "\"" + name + "\":";
        int at = json.indexOf(key);
        if (at < 0) return "";
        int i = at + key.length();
        while (i < json.length() && json.charAt(i) == ' ') ++i;
        if (i >= json.length() || json.charAt(i) != '"') return "";
        StringBuilder out = new StringBuilder();
        for (++i; i < json.length(); ++i) {
            char ch = json.charAt(i);
            if (ch == '"') break;
            if (ch != '\\') {
                out.append(ch);
                continue;
            }
            char e = json.charAt(++i);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'u': out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16)); i += 4; break;
                default: out.append(e);
            }
        }
        return out.toString();
    }
}
