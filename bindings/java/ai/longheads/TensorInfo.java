package ai.longheads;

import java.util.Arrays;

/** One weight tensor of a model ({@link Model#tensors()}). */
public final class TensorInfo {
    private final String name, type;
    private final long[] dims;

    TensorInfo(String name, String type, long[] dims) {
        this.name = name;
        this.type = type;
        this.dims = dims;
    }

    /** The GGUF tensor name ("blk.0.attn_q.weight"). */
    public String name() { return name; }
    /** The type name ("f32", "q4_K", ...). */
    public String type() { return type; }
    /** Dimensions, fastest-varying first (GGUF order); a copy. */
    public long[] dims() { return dims.clone(); }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
