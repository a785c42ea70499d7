// Stream a completion, then run a passkey query with LongHeads attention.
//
//   java -Djava.library.path=build/java -cp build/java/longheads.jar:build/java/longheads_examples.jar \
//        Stream models/stories260K.gguf [maxTokens]
//
// A passkey query hides "The pass key is K" inside filler text and asks for it at the end (the
// test of the LongHeads paper). Tiny models such as stories260K cannot answer it.
import ai.longheads.Attention;
import ai.longheads.ContextOptions;
import ai.longheads.GenerateOptions;
import ai.longheads.GenerationStream;
import ai.longheads.LongHeadsException;
import ai.longheads.Model;
import java.util.Random;

public final class Stream {
    static final String INTRO = "There is an important info hidden inside a lot of irrelevant text. Find it and "
            + "memorize them. I will quiz you about the important information there.";
    static final String FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    static final String QUESTION = "What is the pass key? The pass key is";

    static String repeat(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(' ');
            b.append(FILLER);
        }
        return b.toString();
    }

    static String passkeyPrompt(int key, int nFiller, int split) {
        String needle = "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
        return String.join("\n", INTRO, repeat(split), needle, repeat(nFiller - split), QUESTION);
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: Stream MODEL.gguf [maxTokens]");
            System.exit(2);
        }
        int maxTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        try (Model model = new Model(args[0])) {
            System.out.println(model.architecture() + " '" + model.name() + "': " + model.nLayer()
                    + " layers, trained context " + model.nCtxTrain());

            // 1. Streaming: each piece arrives as soon as its token is sampled.
            String prompt = "Once upon a time";
            System.out.print("\n" + prompt);
            GenerateOptions options = new GenerateOptions();
            options.setMaxTokens(maxTokens);
            options.getSampling().setSeed(1234);
            try (GenerationStream stream = model.stream(prompt, options)) {
                for (String piece : stream) {
                    System.out.print(piece);
                    System.out.flush();
                }
                System.out.println("\n[" + stream.tokens().length + " tokens, stopped by " + stream.stopReason() + "]");
            }

            // 2. Passkey retrieval with LongHeads attention; greedy, as many tokens as the answer has.
            Random rng = new Random(1234);
            int key = 1 + rng.nextInt(50000);
            int nFiller = 12;
            String query = passkeyPrompt(key, nFiller, rng.nextInt(nFiller + 1));
            int nPrompt = model.tokenize(query).length;
            int nAnswer = model.tokenize(" " + key, false).length;
            ContextOptions ctx = new ContextOptions();
            ctx.setAttention(Attention.LONGHEADS);
            ctx.setNCtx(Math.max(model.nCtxTrain(), nPrompt + nAnswer + 16));
            GenerateOptions greedy = new GenerateOptions();
            greedy.setMaxTokens(nAnswer);
            greedy.getSampling().setTemperature(0f);
            String answer = model.generate(query, greedy, ctx).trim();
            System.out.println("\npasskey " + key + " in a " + nPrompt + "-token prompt; the model answered '" + answer
                    + "': " + (answer.equals(Integer.toString(key)) ? "correct" : "wrong"));
        } catch (LongHeadsException e) {
            System.err.println("error (" + e.getStatus() + "): " + e.getMessage());
            System.exit(1);
        }
    }
}
