package ai.longheads;

/** Options of {@link Model#Model(String, ModelOptions)}; setters return {@code this}. */
public final class ModelOptions {
    private Precision precision = Precision.F32;
    private int threads = 0;

    /** Weight precision (default {@link Precision#F32}). */
    public ModelOptions precision(Precision precision) {
        if (precision == null) throw new NullPointerException("precision");
        this.precision = precision;
        return this;
    }

    /** Threads used while converting weights at load; 0 = all cores. */
    public ModelOptions threads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0");
        this.threads = threads;
        return this;
    }

    public Precision getPrecision() {
        return precision;
    }

    public int getThreads() {
        return threads;
    }

    ai.longheads.internal.ModelParams toNative() {
        ai.longheads.internal.ModelParams p = new ai.longheads.internal.ModelParams();
        p.setPrecision(precision.code);
        p.setNThreads(threads);
        return p;
    }
}
