package ai.longheads;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Options of a generation; setters return {@code this}. Defaults: maxTokens 128, the
 * {@link SamplerOptions} defaults (temperature 0.8, ...), no stop strings, BOS added when the
 * context is empty, stop at end-of-generation tokens.
 */
public final class GenerateOptions {
    private int maxTokens = 128;
    private final SamplerOptions sampling = new SamplerOptions();
    private final List<String> stop = new ArrayList<>();
    private boolean addBos = true;
    private boolean stopAtEog = true;

    /** Maximum tokens to generate (generation also stops when the context is full). */
    public GenerateOptions maxTokens(int n) {
        if (n < 0) throw new IllegalArgumentException("maxTokens must be >= 0");
        maxTokens = n;
        return this;
    }
    /** Temperature; 0 or less is greedy. */
    public GenerateOptions temperature(float t) { sampling.temperature(t); return this; }
    public GenerateOptions topK(int k) { sampling.topK(k); return this; }
    public GenerateOptions topP(float p) { sampling.topP(p); return this; }
    public GenerateOptions minP(float p) { sampling.minP(p); return this; }
    public GenerateOptions repeatPenalty(float p) { sampling.repeatPenalty(p); return this; }
    public GenerateOptions repeatLastN(int n) { sampling.repeatLastN(n); return this; }
    public GenerateOptions seed(long seed) { sampling.seed(seed); return this; }
    /** Adds stop strings: the text ends before the first one that appears. */
    public GenerateOptions stop(String... strings) {
        for (String s : strings) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("a stop string is null or empty");
            stop.add(s);
        }
        return this;
    }
    /** Put BOS first when the vocabulary wants it and the context is empty (default true). */
    public GenerateOptions addBos(boolean addBos) { this.addBos = addBos; return this; }
    /** Stop at an end-of-generation token (default true). */
    public GenerateOptions stopAtEog(boolean stopAtEog) { this.stopAtEog = stopAtEog; return this; }

    public int getMaxTokens() { return maxTokens; }
    public SamplerOptions getSampling() { return sampling; }
    public List<String> getStop() { return Collections.unmodifiableList(stop); }
    public boolean getAddBos() { return addBos; }
    public boolean getStopAtEog() { return stopAtEog; }

    ai.longheads.internal.GenerateParams toNative() {
        ai.longheads.internal.GenerateParams p = new ai.longheads.internal.GenerateParams();
        p.setMaxTokens(maxTokens);
        ai.longheads.internal.SamplerParams s = p.getSampling();
        sampling.fill(s);
        p.setSampling(s);
        for (String str : stop) p.addStop(LongHeads.utf8(str, "stop string"));
        p.setAddBos(addBos);
        p.setStopAtEog(stopAtEog);
        return p;
    }
}
