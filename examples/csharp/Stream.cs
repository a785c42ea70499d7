// Stream a completion, then run a passkey query with LongHeads attention.
//
//   mono build/csharp/Stream.exe models/stories260K.gguf [maxTokens]
//
// A passkey query hides "The pass key is K" inside filler text and asks for it at the end (the
// test of the LongHeads paper). Tiny models such as stories260K cannot answer it.
using System;
using System.Linq;
using LongHeads;

public static class StreamExample
{
    const string Intro = "There is an important info hidden inside a lot of irrelevant text. Find it and " +
                         "memorize them. I will quiz you about the important information there.";
    const string Filler = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    const string Question = "What is the pass key? The pass key is";

    static string PasskeyPrompt(int key, int nFiller, int split)
    {
        string needle = $"The pass key is {key}. Remember it. {key} is the pass key.";
        return string.Join("\n", Intro, string.Join(" ", Enumerable.Repeat(Filler, split)), needle,
                           string.Join(" ", Enumerable.Repeat(Filler, nFiller - split)), Question);
    }

    public static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: Stream.exe MODEL.gguf [maxTokens]");
            return 2;
        }
        int maxTokens = args.Length > 1 ? int.Parse(args[1]) : 64;
        try
        {
            using (var model = new Model(args[0]))
            {
                Console.WriteLine($"{model.Architecture} '{model.Name}': {model.NLayer} layers, trained context {model.NCtxTrain}");

                // 1. Streaming: each piece arrives as soon as its token is sampled.
                const string prompt = "Once upon a time";
                Console.Write("\n" + prompt);
                using (var stream = model.Stream(prompt, new GenerateOptions { MaxTokens = maxTokens, Sampling = { Seed = 1234 } }))
                {
                    foreach (string piece in stream) Console.Write(piece);
                    Console.WriteLine($"\n[{stream.Tokens.Count} tokens, stopped by {stream.StopReason}]");
                }

                // 2. Passkey retrieval with LongHeads attention; greedy, as many tokens as the answer has.
                var rng = new Random(1234);
                int key = rng.Next(1, 50001);
                const int nFiller = 12;
                string query = PasskeyPrompt(key, nFiller, rng.Next(0, nFiller + 1));
                int nPrompt = model.Tokenize(query).Length;
                int nAnswer = model.Tokenize(" " + key, addBos: false).Length;
                var ctx = new ContextOptions
                {
                    Attention = Attention.LongHeads,
                    NCtx = Math.Max(model.NCtxTrain, nPrompt + nAnswer + 16),
                };
                string answer = model.Generate(query, new GenerateOptions { MaxTokens = nAnswer, Sampling = { Temperature = 0 } }, ctx).Trim();
                Console.WriteLine($"\npasskey {key} in a {nPrompt}-token prompt; the model answered '{answer}': " +
                                  (answer == key.ToString() ? "correct" : "wrong"));
            }
            return 0;
        }
        catch (LongHeadsException e)
        {
            Console.Error.WriteLine($"error ({e.Status}): {e.Message}");
            return 1;
        }
    }
}
