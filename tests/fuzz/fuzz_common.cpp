#include "fuzz_common.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "numeric/tensor_types.h"
#include "model/model.h"
#include "runtime/context.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/vocab.h"

#ifndef LH_SOURCE_DIR
#define LH_SOURCE_DIR "."
#endif
#ifndef LH_SHARED_DIR
#define LH_SHARED_DIR ""
#endif

namespace lh_fuzz {

void invariant(bool ok, const char *what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

std::string repo_model_path() {
    if (const char *env = std::getenv("LH_FUZZ_MODEL")) return env;
    return std::string(LH_SOURCE_DIR) + "/models/stories260K.gguf";
}

std::string shared_llama2_path() {
    std::string p = std::string(LH_SHARED_DIR) + "/models/llama-2-tiny-random.gguf";
    struct stat st {};
    return stat(p.c_str(), &st) == 0 ? p : std::string();
}

void exercise_file(const lh::GgufFile &file) {
    volatile uint64_t sink = 0;
    for (const auto &kv : file.metadata()) sink = sink + lh::GgufFile::render(kv.second).size();
    // Typed getters on the keys the loader reads; a type mismatch is a refusal.
    static const char *kKeys[] = {"general.architecture", "llama.context_length", "llama.embedding_length",
                                  "llama.rope.freq_base", "tokenizer.ggml.add_bos_token", "general.alignment"};
    for (const char *k : kKeys) {
        try { sink = sink + file.get_string(k, "").size(); } catch (const lh::Error &) {}
        try { sink = sink + static_cast<uint64_t>(file.get_int(k, 0)); } catch (const lh::Error &) {}
        try { sink = sink + static_cast<uint64_t>(file.get_float(k, 0.0) != 0.0); } catch (const lh::Error &) {}
        try { sink = sink + file.get_bool(k, false); } catch (const lh::Error &) {}
    }
    std::vector<float> row;
    for (const lh::GgufTensorInfo &t : file.tensors()) {
        invariant(file.find_tensor(t.name) == &t, "find_tensor returns the tensor");
        sink = sink + std::strlen(lh::tensor_type_name(t.type));
        if (t.n_bytes == 0) continue;
        const uint8_t *p = file.tensor_data(t);
        invariant(file.data_offset() + t.offset + t.n_bytes <= file.file_size(), "tensor inside the file");
        sink = sink + p[0] + p[t.n_bytes - 1];
        const lh::TensorTypeTraits *tr = lh::tensor_type_traits(t.type);
        if (tr && tr->can_dequantize && t.dims[0] <= 4096) {
            row.resize(static_cast<size_t>(t.dims[0]));
            invariant(lh::tensor_row_bytes(static_cast<lh::TensorType>(t.type), t.dims[0]) <= t.n_bytes,
                      "a row fits in the tensor");
            lh::dequantize_row(static_cast<lh::TensorType>(t.type), p, row.data(), t.dims[0]);
        }
    }
}

namespace {

void exercise_vocab(const lh::Vocab &vocab) {
    static const char *kTexts[] = {"Once upon a time", " <s>hello</s> world\n\n", "\xF0\x9F\xA6\x99 caf\xC3\xA9",
                                   "\xff\xfe\x80 bad utf8 \xc3", ""};
    for (const char *text : kTexts) {
        for (int flags = 0; flags < 4; ++flags) {
            std::vector<int32_t> ids = vocab.tokenize(text, flags & 1, flags & 2);
            for (int32_t id : ids) invariant(id >= 0 && id < vocab.size(), "tokenize gives ids in range");
            std::string text_out = vocab.detokenize(ids.data(), ids.size(), flags);
            lh::StreamDecoder dec(true, false);
            std::string streamed;
            for (int32_t id : ids) streamed += dec.push(vocab, id);
            streamed += dec.flush();
            invariant(streamed == vocab.detokenize(ids.data(), ids.size(), lh::DETOK_DEFAULT),
                      "stream decoder equals detokenize");
        }
    }
    for (int32_t id : {0, 1, 2, vocab.size() - 1}) {
        if (id < 0 || id >= vocab.size()) continue;
        (void)vocab.piece(id, true);
        (void)vocab.is_eog(id);
    }
}

}  // namespace

void exercise_model(std::unique_ptr<lh::GgufFile> file, bool bf16) {
    lh::ModelOptions mo;
    mo.n_threads = 1;
    mo.precision = bf16 ? LH_PRECISION_BF16 : LH_PRECISION_F32;
    std::unique_ptr<lh::Model> model = lh::Model::from_file(std::move(file), mo);
    const lh::HParams &hp = model->hparams();
    invariant(hp.n_vocab == model->vocab().size(), "vocabulary size matches the hyper-parameters");
    exercise_vocab(model->vocab());
    int32_t ids[3] = {0, hp.n_vocab - 1, hp.n_vocab / 2};
    std::vector<float> emb(static_cast<size_t>(3 * hp.n_embd));
    model->embed(ids, 3, emb.data());
    // Evaluate only small models: the point is shapes and indexing, not speed.
    const uint64_t work = static_cast<uint64_t>(hp.n_layer) * (static_cast<uint64_t>(hp.n_embd) * hp.n_ff +
                                                               static_cast<uint64_t>(hp.q_dim()) * hp.n_embd) +
                          static_cast<uint64_t>(hp.n_vocab) * hp.n_embd;
    if (work > (1u << 22)) return;
    lh::ContextOptions co;
    co.n_ctx = 8;
    co.n_threads = 1;
    co.n_batch = 4;
    co.attention = static_cast<lh_attention>(hp.n_layer % 3);
    co.chunk_size = 1;
    co.attn_len = 4;
    co.n_sinks = 1;
    co.allow_attn_len_over_trained = true;
    try {
        lh::Context ctx(*model, co);
        ctx.eval(ids, 3, true);
        for (int32_t i = 0; i < 3; ++i) {
            const float *l = ctx.logits(i);
            volatile float s = l[0] + l[hp.n_vocab - 1];
            (void)s;
        }
    } catch (const lh::Error &e) {
        // These options suit any model that loaded (attn_len > T is allowed above), and the ids
        // are in range: a refusal here is a finding, except running out of memory and weights
        // that are NaN or infinite (a mutated file's bytes may be; eval reports LH_ERROR_NUMERIC).
        if (e.status() == LH_ERROR_OUT_OF_MEMORY || e.status() == LH_ERROR_NUMERIC) return;
        std::fprintf(stderr, "context/eval refused a loaded model: %s\n", e.what());
        invariant(false, "a loaded model evaluates");
    }
}

namespace {
std::vector<std::unique_ptr<lh::Vocab>> g_vocabs;
}  // namespace

void load_vocabs() {
    for (const std::string &path : {repo_model_path(), shared_llama2_path()}) {
        if (path.empty()) continue;
        auto file = lh::GgufFile::open(path);
        g_vocabs.emplace_back(new lh::Vocab(lh::Vocab::from_gguf(*file)));
    }
}

const lh::Vocab &vocab_for(uint8_t flags) { return *g_vocabs[(flags >> 2 & 1) % g_vocabs.size()]; }

}  // namespace lh_fuzz
