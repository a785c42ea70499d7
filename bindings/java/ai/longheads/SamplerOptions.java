package ai.longheads;

/**
 * How tokens are chosen; setters return {@code this}. Defaults as the C API's: temperature
 * 0.8 (0 or less = greedy), topK 40, topP 0.95, minP 0.05, repeatPenalty 1.0, repeatLastN 64,
 * seed 0xC0FFEE.
 */
public final class SamplerOptions {
    float temperature = 0.8f;
    int topK = 40;
    float topP = 0.95f;
    float minP = 0.05f;
    float repeatPenalty = 1.0f;
    int repeatLastN = 64;
    long seed = 0xC0FFEEL;

    static float finite(String name, float v) {
        if (Float.isNaN(v)) throw new IllegalArgumentException(name + " must not be NaN");
        return v;
    }

    static float unit(String name, float v) {
        if (!(v >= 0f && v <= 1f)) throw new IllegalArgumentException(name + " must be in [0, 1], got " + v);
        return v;
    }

    /** Temperature; 0 or less is greedy (argmax). */
    public SamplerOptions temperature(float t) { temperature = finite("temperature", t); return this; }
    /** Keep the k most likely tokens; 0 or less = off. */
    public SamplerOptions topK(int k) { topK = k; return this; }
    /** Nucleus sampling; 1 = off. */
    public SamplerOptions topP(float p) { topP = unit("topP", p); return this; }
    /** Drop tokens below minP times the best one's probability; 0 = off. */
    public SamplerOptions minP(float p) { minP = unit("minP", p); return this; }
    /** Repetition penalty; 1 = off. */
    public SamplerOptions repeatPenalty(float p) {
        if (!(p > 0f)) throw new IllegalArgumentException("repeatPenalty must be > 0, got " + p);
        repeatPenalty = p;
        return this;
    }
    /** Tokens the penalty looks back at. */
    public SamplerOptions repeatLastN(int n) {
        if (n < 0) throw new IllegalArgumentException("repeatLastN must be >= 0");
        repeatLastN = n;
        return this;
    }
    /** Random seed (all 64 bits are used); the same seed gives the same choices. */
    public SamplerOptions seed(long seed) { this.seed = seed; return this; }

    public float getTemperature() { return temperature; }
    public int getTopK() { return topK; }
    public float getTopP() { return topP; }
    public float getMinP() { return minP; }
    public float getRepeatPenalty() { return repeatPenalty; }
    public int getRepeatLastN() { return repeatLastN; }
    public long getSeed() { return seed; }

    void fill(ai.longheads.internal.SamplerParams p) {
        p.setTemperature(temperature);
        p.setTopK(topK);
        p.setTopP(topP);
        p.setMinP(minP);
        p.setRepeatPenalty(repeatPenalty);
        p.setRepeatLastN(repeatLastN);
        p.setSeed(seed);
    }
}
