#include "model/model.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "common/error.h"
#include "common/streamed_buffer.h"
#include "common/threads.h"
#include "gguf/gguf_file.h"
#include "model/tensor_check.h"
#include "numeric/tensor_types.h"
#include "ops/ops.h"
#include "ops/qblocks.h"
#include "ops/qpacked.h"
#include "tokenizer/vocab.h"

// What weights become at load
// ---------------------------
// F32 precision: every matrix is expanded to float32 (exact: the products then match llama.cpp's
// f32 reference). BF16 precision: f16/bf16/f32 matrices become bfloat16 and are multiplied by
// oneDNN's bf16 products; quantized matrices stay quantized, losslessly re-laid out, and are read
// as such: decoding multiplies them with int8 dot products (activations quantized per block of 32
// for q8_0/q4_0/iq4_nl and per 256 for the K-quants and iq4_xs, as llama.cpp does), prefill
// expands one slice at a time to bf16 for oneDNN. q4_0, q8_0, q2_K .. q6_K, iq4_nl and iq4_xs
// take the packed formats of ops/qpacked.h (exactly the file's bytes); q4_1, q5_0 and q5_1 the
// "u8 blocks" of ops/qblocks.h (float factors per 32 elements: 0.75 or 1.25 bytes a weight).
// q2_K, q3_K, iq4_nl and iq4_xs are expanded to bf16 on CPUs without AVX2, where their decode
// kernel loses to the bf16 product (qpacked::keep_packed). LONGHEADS_EXPAND_QUANTIZED=1 expands
// every quantized type to bf16 instead.
//
// Measured on this project's 2-core AVX-512 machine (no AMX), one 2048 x 5632 matrix, ms per
// product, 2 threads, before the u8-block path existed:
//              M=1    M=16   M=128   M=512
//     f32      2.49   7.00   29.8    118
//     bf16     0.65   3.36   15.0     56     (M=1: oneDNN's inner-product GEMV; else matmul)
//     s8       0.49   1.47    7.8     29     (u8 activations x s8 weights, VNNI)
// Expanding that matrix from Q4_K (Q8_0) to bf16 takes 2.55 ms (2.38 ms) on one thread: four
// times the bf16 decoding product, so expanding per decoded token would lose; per prefill batch
// of 512 rows it costs a few percent of the product. Decoding is bound by the bytes it reads, so
// reading 1.25 (8-bit) or 0.75 (4-bit) bytes per weight instead of bf16's 2 is what pays there
// (docs/BENCHMARKS.md has the measured rates), hence the packed formats that read exactly what the
// file holds. oneDNN's own int8 matmul cannot express ggml's per-block scales, hence the own kernels.
//
// Tensors already in the target type (f32 files in F32, bf16 files in BF16) are used in place
// from the memory-mapped file, without a copy. The embedding table is never expanded: lookups
// convert the rows they need straight from the file (a 32000 x 4096 table stays 74 MB in Q4_K
// instead of 524 MB in f32), unless the output is tied to it, in which case it is also expanded once
// as the output matrix.

namespace lh {

namespace {

std::string shape_text(const int64_t *dims, uint32_t n) {
    std::ostringstream os;
    os << "[";
    for (uint32_t i = 0; i < n; ++i) os << (i ? ", " : "") << dims[i];
    os << "]";
    return os.str();
}

}  // namespace

struct Model::Loader {
    Model &m;
    tbb::task_arena arena;
    WeightType target;
    bool keep_quantized;        // BF16 target: supported quantized types stay quantized
    uint64_t bytes_wanted = 0;  // of the allocation being made, for the out-of-memory message
    std::unordered_set<std::string> used;  // tensors the forward pass reads

    Loader(Model &model, int32_t n_threads, WeightType t)
        : m(model), arena(n_threads), target(t), keep_quantized(t == WeightType::BF16 && !expand_requested()) {}

    // LONGHEADS_EXPAND_QUANTIZED=1 restores the older behaviour (every quantized matrix expanded
    // to bf16 at load), for comparisons.
    static bool expand_requested() {
        const char *v = std::getenv("LONGHEADS_EXPAND_QUANTIZED");
        return v != nullptr && v[0] != '\0' && v[0] != '0';
    }

    const GgufTensorInfo &find(const std::string &name) {
        const GgufTensorInfo *info = m.file_->find_tensor(name);
        require(info != nullptr, LH_ERROR_BAD_FORMAT, "missing tensor '" + name + "'");
        used.insert(name);
        return *info;
    }

    // llama.cpp builds every tensor of a file into its graph (it refuses a file with tensors it
    // does not know), so a tensor this library did not read would be one llama.cpp uses, e.g. an
    // attn_output or feed-forward bias: refused rather than silently left out of the results.
    void refuse_unused_tensors() const {
        for (const GgufTensorInfo &t : m.file_->tensors())
            require(used.count(t.name) != 0, LH_ERROR_UNSUPPORTED,
                    "tensor '" + t.name + "' is not part of this library's '" + m.hparams_.architecture +
                        "' forward pass (running without it would give wrong results)");
    }

    // Checks type and shape (GGUF order: fastest-varying first; trailing 1s are ignored).
    void check(const GgufTensorInfo &t, std::vector<int64_t> expected) {
        const TensorTypeTraits *traits = tensor_type_traits(t.type);
        require(traits != nullptr && traits->can_dequantize, LH_ERROR_UNSUPPORTED,
                "tensor '" + t.name + "' has type " + tensor_type_name(t.type) + ", which this library cannot read");
        uint32_t n = t.n_dims;
        while (n > expected.size() && t.dims[n - 1] == 1) --n;
        bool ok = n == expected.size();
        for (uint32_t i = 0; ok && i < n; ++i) ok = t.dims[i] == expected[i];
        require(ok, LH_ERROR_BAD_FORMAT,
                "tensor '" + t.name + "' has shape " + shape_text(t.dims, t.n_dims) + ", expected " +
                    shape_text(expected.data(), static_cast<uint32_t>(expected.size())));
        require(t.dims[0] % traits->block_elems == 0, LH_ERROR_BAD_FORMAT,
                "tensor '" + t.name + "' has rows of " + std::to_string(t.dims[0]) + " elements, not a multiple of " +
                    traits->name + "'s block of " + std::to_string(traits->block_elems));
        m.n_params_ += t.n_elements;
    }

    void *allocate(uint64_t bytes) {
        bytes_wanted = bytes;
        m.buffers_.emplace_back(allocate_streamed(bytes), std::free);
        m.weight_bytes_ += bytes;
        return m.buffers_.back().get();
    }

    const float *vector(const std::string &name, int64_t n) {
        const GgufTensorInfo &t = find(name);
        check(t, {n});
        const uint8_t *src = m.file_->tensor_data(t);
        if (t.type == static_cast<uint32_t>(TensorType::F32)) {
            m.weight_bytes_ += t.n_bytes;
            return reinterpret_cast<const float *>(src);
        }
        float *dst = static_cast<float *>(allocate(static_cast<uint64_t>(n) * sizeof(float)));
        dequantize_row(static_cast<TensorType>(t.type), src, dst, n);
        return dst;
    }

    // A [rows][cols] matrix (GGUF dims [cols, rows]) in the target type.
    WeightMatrix matrix(const GgufTensorInfo &t, int64_t cols, int64_t rows, bool counted) {
        used.insert(t.name);
        if (!counted) check(t, {cols, rows});
        WeightMatrix w;
        w.rows = rows;
        w.cols = cols;
        w.type = target;
        const uint8_t *src = m.file_->tensor_data(t);
        const TensorType type = static_cast<TensorType>(t.type);
        if ((type == TensorType::F32 && target == WeightType::F32) ||
            (type == TensorType::BF16 && target == WeightType::BF16)) {
            w.data = src;  // already what we need: use it from the mapped file
            m.weight_bytes_ += w.bytes();
            return w;
        }
        const size_t row_bytes = tensor_row_bytes(type, cols);
        qpacked::Format format;
        if (keep_quantized && qpacked::format_for(type, cols, &format) && qpacked::keep_packed(format))
            return packed(t, src, row_bytes, format, w);
        if (keep_quantized && qblocks::supports(type)) {
            w.type = WeightType::U8_BLOCKS;
            w.block_bits = qblocks::bits_for(type);
            uint8_t *u = static_cast<uint8_t *>(allocate(w.bytes()));
            const int64_t nb = cols / qblocks::kBlock, row_u = qblocks::row_bytes_for(cols, w.block_bits);
            float *scale = reinterpret_cast<float *>(u + rows * row_u);
            float *offset = scale + rows * nb;
            w.data = u;
            w.block_scale = scale;
            w.block_offset = offset;
            const int bits = w.block_bits;
            arena.execute([&] {
                tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 16), [&](const tbb::blocked_range<int64_t> &r) {
                    std::vector<uint8_t> tmp(static_cast<size_t>(cols));
                    for (int64_t i = r.begin(); i < r.end(); ++i) {
                        qblocks::convert_row(type, src + static_cast<size_t>(i) * row_bytes, cols, tmp.data(),
                                             scale + i * nb, offset + i * nb);
                        qblocks::pack_row(tmp.data(), cols, bits, u + i * row_u);
                    }
                });
            });
            if (&t != m.token_embd_) m.file_->release_pages(t);
            return w;
        }
        void *dst = allocate(w.bytes());
        w.data = dst;
        const WeightType tgt = target;
        arena.execute([&] {
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 16), [&](const tbb::blocked_range<int64_t> &r) {
                std::vector<float> tmp(tgt == WeightType::BF16 ? static_cast<size_t>(cols) : 0);
                for (int64_t i = r.begin(); i < r.end(); ++i) {
                    const uint8_t *row = src + static_cast<size_t>(i) * row_bytes;
                    if (tgt == WeightType::F32) {
                        dequantize_row(type, row, static_cast<float *>(dst) + i * cols, cols);
                    } else {
                        dequantize_row(type, row, tmp.data(), cols);
                        ops::to_bf16(tmp.data(), static_cast<uint16_t *>(dst) + i * cols, cols);
                    }
                }
            });
        });
        // The converted copy is what we use from now on; drop the file's pages from RSS
        // (except the embedding table, whose rows are converted again on every lookup).
        if (&t != m.token_embd_) m.file_->release_pages(t);
        return w;
    }

    // A quantized matrix re-laid out in its packed format (ops/qpacked.h): the file's bytes.
    WeightMatrix packed(const GgufTensorInfo &t, const uint8_t *src, size_t row_bytes, qpacked::Format format,
                        WeightMatrix w) {
        w.type = WeightType::PACKED;
        w.packed_format = format;
        const int64_t stride = qpacked::row_stride(format, w.cols);
        uint8_t *rows = static_cast<uint8_t *>(allocate(w.bytes()));
        w.data = rows;
        const int64_t cols = w.cols;
        arena.execute([&] {
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, w.rows, 16), [&](const tbb::blocked_range<int64_t> &r) {
                for (int64_t i = r.begin(); i < r.end(); ++i)
                    qpacked::pack_matrix_row(format, src + static_cast<size_t>(i) * row_bytes, cols, rows + i * stride);
            });
        });
        if (&t != m.token_embd_) m.file_->release_pages(t);
        return w;
    }

    WeightMatrix matrix(const std::string &name, int64_t cols, int64_t rows) {
        return matrix(find(name), cols, rows, false);
    }

    // Rows [first, first + n) of a converted matrix, as a matrix of its own (no copy).
    static WeightMatrix rows_of(const WeightMatrix &w, int64_t first, int64_t n) {
        WeightMatrix v = w;
        v.rows = n;
        const auto *base = static_cast<const uint8_t *>(w.data);
        switch (w.type) {
            case WeightType::F32: v.data = base + first * w.cols * 4; break;
            case WeightType::BF16: v.data = base + first * w.cols * 2; break;
            case WeightType::PACKED:
                v.data = base + first * qpacked::row_stride(w.packed_format, w.cols);
                break;
            case WeightType::U8_BLOCKS: {
                const int64_t nb = w.cols / qblocks::kBlock;
                v.data = base + first * qblocks::row_bytes_for(w.cols, w.block_bits);
                v.block_scale = w.block_scale + first * nb;
                v.block_offset = w.block_offset + first * nb;
                break;
            }
        }
        return v;
    }

    // Q, K, V: three matrices (llama, qwen2, qwen3), or one fused attn_qkv (phi3) cut into row
    // views; optional biases (qwen2's attn_q/k/v.bias, or a fused attn_qkv.bias); qwen3's per-head
    // norm weights.
    void attention(const std::string &p, LayerWeights &l) {
        const HParams &hp = m.hparams_;
        const int64_t d = hp.n_embd, q = hp.q_dim(), kv = hp.kv_dim();
        if (m.file_->find_tensor(p + "attn_qkv.weight")) {
            const WeightMatrix qkv = matrix(p + "attn_qkv.weight", d, q + 2 * kv);
            l.wq = rows_of(qkv, 0, q);
            l.wk = rows_of(qkv, q, kv);
            l.wv = rows_of(qkv, q + kv, kv);
            if (m.file_->find_tensor(p + "attn_qkv.bias")) {
                const float *b = vector(p + "attn_qkv.bias", q + 2 * kv);
                l.bq = b, l.bk = b + q, l.bv = b + q + kv;
            }
            return;
        }
        l.wq = matrix(p + "attn_q.weight", d, q);
        l.wk = matrix(p + "attn_k.weight", d, kv);
        l.wv = matrix(p + "attn_v.weight", d, kv);
        if (m.file_->find_tensor(p + "attn_q.bias")) l.bq = vector(p + "attn_q.bias", q);
        if (m.file_->find_tensor(p + "attn_k.bias")) l.bk = vector(p + "attn_k.bias", kv);
        if (m.file_->find_tensor(p + "attn_v.bias")) l.bv = vector(p + "attn_v.bias", kv);
        // qwen3 normalises every query and key head (llama.cpp requires both tensors for it).
        if (hp.architecture == "qwen3") {
            l.q_norm = vector(p + "attn_q_norm.weight", hp.head_dim);
            l.k_norm = vector(p + "attn_k_norm.weight", hp.head_dim);
        }
    }

    // Gate and up: two matrices, or (phi3) one ffn_up of 2 * n_ff rows, gate first as ggml_swiglu
    // splits it.
    void feed_forward(const std::string &p, LayerWeights &l) {
        const HParams &hp = m.hparams_;
        require(m.file_->find_tensor(p + "ffn_gate_inp.weight") == nullptr, LH_ERROR_UNSUPPORTED,
                "mixture-of-experts layers (tensor '" + p + "ffn_gate_inp.weight', e.g. Mixtral) are not supported");
        if (m.file_->find_tensor(p + "ffn_gate.weight")) {
            l.w_gate = matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff);
            l.w_up = matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff);
            return;
        }
        const WeightMatrix up = matrix(p + "ffn_up.weight", hp.n_embd, 2 * static_cast<int64_t>(hp.n_ff));
        l.w_gate = rows_of(up, 0, hp.n_ff);
        l.w_up = rows_of(up, hp.n_ff, hp.n_ff);
    }

    // RoPE frequency divisors, n_rot/2 values each: Llama-3.1's rope_freqs, and (phi3) LongRoPE's
    // long and short sets (each optional, as in llama.cpp; HParams::rope_factors_for picks per
    // context). In another architecture's file they are unread tensors, refused as such.
    void rope_factors() {
        HParams &hp = m.hparams_;
        factors("rope_freqs.weight", hp.rope_freq_factors);
        if (hp.architecture != "phi3") return;  // llama.cpp reads LongRoPE's factors for phi3 only
        factors("rope_factors_long.weight", hp.rope_factors_long);
        factors("rope_factors_short.weight", hp.rope_factors_short);
    }

    void factors(const std::string &name, std::vector<float> &out) {
        if (!m.file_->find_tensor(name)) return;
        const int64_t n = m.hparams_.n_rot / 2;
        const float *f = vector(name, n);
        out.assign(f, f + n);
        for (float v : out)
            require(std::isfinite(v) && v > 0.0f, LH_ERROR_BAD_FORMAT,
                    "tensor '" + name + "' holds " + std::to_string(v) + ", factors must be > 0");
    }
};

Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::string &path, const ModelOptions &opts) {
    return from_file(GgufFile::open(path, opts.use_mmap), opts);
}

void Model::check_file_unchanged() const { file_->check_unchanged(); }

lh_precision Model::auto_precision(const GgufFile &file) {
    // The embedding table is read row by row from the file in either precision: it counts only
    // when it is also the output matrix.
    const bool tied_output = file.find_tensor("output.weight") == nullptr;
    for (const GgufTensorInfo &t : file.tensors()) {
        if (t.n_dims < 2 || t.type == static_cast<uint32_t>(TensorType::F32)) continue;
        if (t.name == "token_embd.weight" && !tied_output) continue;
        return LH_PRECISION_BF16;
    }
    return LH_PRECISION_F32;
}

std::unique_ptr<Model> Model::from_file(std::unique_ptr<GgufFile> file, ModelOptions opts) {
    require(opts.precision == LH_PRECISION_F32 || opts.precision == LH_PRECISION_BF16 ||
                opts.precision == LH_PRECISION_AUTO,
            LH_ERROR_INVALID_ARGUMENT,
            "precision " + std::to_string(static_cast<int>(opts.precision)) + " is not a valid lh_precision");
    if (opts.precision == LH_PRECISION_AUTO) opts.precision = auto_precision(*file);
    require(opts.n_threads >= 0 && opts.n_threads <= 1024, LH_ERROR_INVALID_ARGUMENT,
            "n_threads " + std::to_string(opts.n_threads) + " is outside 0..1024");
    std::unique_ptr<Model> m(new Model());
    m->file_ = std::move(file);
    m->precision_ = opts.precision;
    if (opts.vocab_only) {
        m->vocab_only_ = true;
        m->vocab_.reset(new Vocab(Vocab::from_gguf(*m->file_)));
        m->hparams_.architecture = m->file_->get_string("general.architecture", "");
        m->hparams_.n_vocab = m->vocab_->size();
        return m;
    }
    m->hparams_ = HParams::from_gguf(*m->file_);
    m->vocab_.reset(new Vocab(Vocab::from_gguf(*m->file_)));
    const HParams &hp = m->hparams_;
    if (m->vocab_->size() != hp.n_vocab) {
        fail(LH_ERROR_BAD_FORMAT, "the vocabulary has " + std::to_string(m->vocab_->size()) +
                                      " tokens but the model expects " + std::to_string(hp.n_vocab));
    }

    const int32_t n_threads = usable_threads(opts.n_threads);  // never more than the machine can run
    Loader ld(*m, n_threads, opts.precision == LH_PRECISION_BF16 ? WeightType::BF16 : WeightType::F32);
    if (opts.check_tensors) check_tensors_finite(*m->file_, ld.arena);
    try {
        const GgufTensorInfo &embd = ld.find("token_embd.weight");
        ld.check(embd, {hp.n_embd, hp.n_vocab});
        m->token_embd_ = &embd;
        m->token_embd_row_bytes_ = tensor_row_bytes(static_cast<TensorType>(embd.type), hp.n_embd);
        m->weight_bytes_ += embd.n_bytes;

        m->layers_.resize(static_cast<size_t>(hp.n_layer));
        for (int32_t i = 0; i < hp.n_layer; ++i) {
            const std::string p = "blk." + std::to_string(i) + ".";
            LayerWeights &l = m->layers_[static_cast<size_t>(i)];
            l.attn_norm = ld.vector(p + "attn_norm.weight", hp.n_embd);
            ld.attention(p, l);
            l.wo = ld.matrix(p + "attn_output.weight", hp.q_dim(), hp.n_embd);
            l.ffn_norm = ld.vector(p + "ffn_norm.weight", hp.n_embd);
            ld.feed_forward(p, l);
            l.w_down = ld.matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd);
        }
        ld.rope_factors();
        m->output_norm_ = ld.vector("output_norm.weight", hp.n_embd);
        if (const GgufTensorInfo *out = m->file_->find_tensor("output.weight")) {
            m->output_ = ld.matrix(*out, hp.n_embd, hp.n_vocab, false);
        } else {
            m->output_tied_ = true;
            m->output_ = ld.matrix(embd, hp.n_embd, hp.n_vocab, true);
        }
        ld.refuse_unused_tensors();
    } catch (const std::bad_alloc &) {
        fail(LH_ERROR_OUT_OF_MEMORY, "out of memory while converting weights: an allocation of " +
                                         std::to_string(ld.bytes_wanted) + " bytes failed (" +
                                         std::to_string(m->weight_bytes_) + " bytes held so far)");
    }
    return m;
}

void Model::embed(const int32_t *tokens, int64_t n, float *out) const {
    const int64_t d = hparams_.n_embd;
    const uint8_t *base = file_->tensor_data(*token_embd_);
    const TensorType type = static_cast<TensorType>(token_embd_->type);
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t *row = base + static_cast<size_t>(tokens[i]) * token_embd_row_bytes_;
        dequantize_row(type, row, out + i * d, d);
        if (hparams_.embedding_scale != 0.0f) ops::scale(out + i * d, hparams_.embedding_scale, d);
    }
}

void Model::scale_logits(float *logits, int64_t rows) const {
    if (hparams_.logit_scale == 1.0f) return;
    ops::scale(logits, 1.0f / hparams_.logit_scale, rows * hparams_.n_vocab);
}

}  // namespace lh
