package ai.longheads;

/** Hyper-parameters and sizes of a loaded model ({@link Model#info()}); immutable. */
public final class ModelInfo {
    private final String architecture, name;
    private final ai.longheads.internal.ModelInfo i;

    ModelInfo(String architecture, String name, ai.longheads.internal.ModelInfo info) {
        this.architecture = architecture;
        this.name = name;
        this.i = info;
    }

    /** general.architecture ("llama"). */
    public String architecture() { return architecture; }
    /** general.name, or "". */
    public String name() { return name; }
    public int nVocab() { return i.getNVocab(); }
    /** The trained context window T. */
    public int nCtxTrain() { return i.getNCtxTrain(); }
    public int nEmbd() { return i.getNEmbd(); }
    public int nLayer() { return i.getNLayer(); }
    public int nHead() { return i.getNHead(); }
    public int nHeadKv() { return i.getNHeadKv(); }
    public int nFf() { return i.getNFf(); }
    public int nRot() { return i.getNRot(); }
    public int headDim() { return i.getHeadDim(); }
    public float ropeFreqBase() { return i.getRopeFreqBase(); }
    public float rmsNormEps() { return i.getRmsNormEps(); }
    /** The BOS token id, or -1. */
    public int bos() { return i.getBosToken(); }
    /** The EOS token id, or -1. */
    public int eos() { return i.getEosToken(); }
    /** True if the vocabulary asks for BOS at the start. */
    public boolean addBos() { return i.getAddBos(); }
    public long nParams() { return i.getNParams(); }
    public long fileBytes() { return i.getFileBytes(); }
    /** Bytes of weights as held in memory after loading. */
    public long weightBytes() { return i.getWeightBytes(); }
    public Precision precision() { return Precision.fromCode(i.getPrecision()); }

    @Override
    public String toString() {
        return "ModelInfo{" + architecture + " '" + name + "', nVocab=" + nVocab() + ", nCtxTrain=" + nCtxTrain()
                + ", nEmbd=" + nEmbd() + ", nLayer=" + nLayer() + ", nHead=" + nHead() + ", nHeadKv=" + nHeadKv() + "}";
    }
}
