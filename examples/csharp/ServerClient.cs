// A C# service calling `longheads serve` with HttpClient: the served model, a completion, the
// same completion streamed as server-sent events, and an error.
//
//   build/bin/longheads serve -m models/stories260K.gguf --port 8080 &
//   mcs -r:System.Net.Http -out:/tmp/ServerClient.exe examples/csharp/ServerClient.cs
//   mono /tmp/ServerClient.exe http://127.0.0.1:8080 [API_KEY] ["prompt"]
using System;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;

public static class ServerClient
{
    static string CompletionBody(string prompt, bool stream) =>
        "{\"prompt\": " + Quote(prompt) + ", \"max_tokens\": 24, \"temperature\": 0, \"stream\": " +
        (stream ? "true" : "false") + "}";

    static StringContent Json(string body) => new StringContent(body, Encoding.UTF8, "application/json");

    public static int Main(string[] args) => Run(args).GetAwaiter().GetResult();

    static async Task<int> Run(string[] args)
    {
        string baseUrl = args.Length > 0 ? args[0] : "http://127.0.0.1:8080";
        string key = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("LONGHEADS_API_KEY");
        string prompt = args.Length > 2 ? args[2] : "Once upon a time";
        using (var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) })
        {
            if (!string.IsNullOrEmpty(key))
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

            string models = await http.GetStringAsync("/v1/models");
            Console.WriteLine("model: " + StringField(models, "id"));

            using (var whole = await http.PostAsync("/v1/completions", Json(CompletionBody(prompt, false))))
            {
                string body = await whole.Content.ReadAsStringAsync();
                if (!whole.IsSuccessStatusCode) throw new Exception("completion failed: " + body);
                Console.WriteLine("completion: " + StringField(body, "text"));
            }

            // Server-sent events, read as they arrive: one "data: {...}" line per piece, then [DONE].
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json(CompletionBody(prompt, true)) };
            using (var events = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            using (var reader = new StreamReader(await events.Content.ReadAsStreamAsync(), Encoding.UTF8))
            {
                var streamed = new StringBuilder();
                int pieces = 0;
                bool done = false;
                string line;
                while ((line = await reader.ReadLineAsync()) != null)
                {
                    if (!line.StartsWith("data: ")) continue;
                    string data = line.Substring(6);
                    if (data == "[DONE]") { done = true; break; }
                    streamed.Append(StringField(data, "text"));
                    ++pieces;
                }
                Console.WriteLine("stream: " + streamed + (done ? "" : " (no [DONE])"));
                Console.WriteLine("pieces: " + pieces);
            }

            using (var bad = await http.PostAsync("/v1/completions", Json("{\"prompt\": \"x\", \"n\": 2}")))
                Console.WriteLine("error " + (int)bad.StatusCode + ": " + StringField(await bad.Content.ReadAsStringAsync(), "message"));
        }
        return 0;
    }

    // --- Just enough JSON for these answers (a real service would use its JSON library). ---

    static string Quote(string s)
    {
        var b = new StringBuilder("\"");
        foreach (char ch in s)
        {
            if (ch == '"' || ch == '\\') b.Append('\\').Append(ch);
            else if (ch < 0x20) b.AppendFormat("\\u{0:x4}", (int)ch);
            else b.Append(ch);
        }
        return b.Append('"').ToString();
    }

    // The first string value of `name` in `json`, unescaped; "" when absent or null.
    static string StringField(string json, string name)
    {
        string key = "\"" + name + "\":";
        int at = json.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return "";
        int i = at + key.Length;
        while (i < json.Length && json[i] == ' ') ++i;
        if (i >= json.Length || json[i] != '"') return "";
        var output = new StringBuilder();
        for (++i; i < json.Length; ++i)
        {
            char ch = json[i];
            if (ch == '"') break;
            if (ch != '\\') { output.Append(ch); continue; }
            char e = json[++i];
            switch (e)
            {
                case 'n': output.Append('\n'); break;
                case 't': output.Append('\t'); break;
                case 'r': output.Append('\r'); break;
                case 'b': output.Append('\b'); break;
                case 'f': output.Append('\f'); break;
                case 'u': output.Append((char)Convert.ToInt32(json.Substring(i + 1, 4), 16)); i += 4; break;
                default: output.Append(e); break;
            }
        }
        return output.ToString();
    }
}
