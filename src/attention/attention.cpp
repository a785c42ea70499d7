// Construction, memory accounting, validation and dispatch of lh::Attention.
#include "attention/attention.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

#include "attention/attention_impl.h"
#include "common/error.h"

static_assert(lh::attn::kTile == lh::kv::kKeyTile, "kernels and cache agree on the key tile");

namespace lh {

namespace {

bool is_longheads(const AttentionConfig &c) { return c.mode == LH_ATTENTION_LONGHEADS; }

// Candidates a token keeps besides the sink and its local chunks: K - 1 - local_chunks.
int32_t n_best_of(const AttentionConfig &c) { return std::max(c.attn_len / c.chunk_size - 1 - c.local_chunks, 0); }
int32_t n_chunks_attended(const AttentionConfig &c) { return n_best_of(c) + 1 + c.local_chunks; }

// Highest position + 1 any rotation needs (keys, queries) for a context of n tokens.
int32_t rope_positions(const AttentionConfig &c, int64_t n) {
    if (!is_longheads(c)) return static_cast<int32_t>(n);
    const int64_t need = std::max<int64_t>(c.begin_len, static_cast<int64_t>(n_chunks_attended(c)) * c.chunk_size);
    return static_cast<int32_t>(std::min<int64_t>(n, need));
}

void validate(const AttentionConfig &c) {
    auto bad = [](const std::string &m) { fail(LH_ERROR_INVALID_ARGUMENT, "attention config: " + m); };
    if (c.n_layer <= 0 || c.n_head <= 0 || c.n_head_kv <= 0 || c.head_dim <= 0)
        bad("n_layer, n_head, n_head_kv and head_dim must be positive");
    if (c.n_head % c.n_head_kv != 0)
        bad("n_head (" + std::to_string(c.n_head) + ") must be a multiple of n_head_kv (" +
            std::to_string(c.n_head_kv) + ")");
    if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0)
        bad("n_rot (" + std::to_string(c.n_rot) + ") must be even and in 1..head_dim");
    if (c.n_ctx <= 0) bad("n_ctx must be positive");
    if (!(c.rope_freq_base > 0.0f)) bad("rope_freq_base must be positive");
    if (!(c.rope_freq_scale > 0.0f) || !std::isfinite(c.rope_freq_scale)) bad("rope_freq_scale must be positive");
    if (!c.rope_freq_factors.empty() && c.rope_freq_factors.size() != static_cast<size_t>(c.n_rot / 2))
        bad("rope_freq_factors must hold n_rot/2 values");
    for (float f : c.rope_freq_factors)
        if (!(f > 0.0f) || !std::isfinite(f)) bad("rope_freq_factors must be positive");
    if (!(c.rope_attn_factor > 0.0f) || !std::isfinite(c.rope_attn_factor)) bad("rope_attn_factor must be positive");
    if (c.no_rope_layer_step < 0) bad("no_rope_layer_step must be >= 0");
    if (c.kv_type != LH_KV_F32 && c.kv_type != LH_KV_BF16 && c.kv_type != LH_KV_Q8) bad("unknown kv_type");
    if (c.prefill_mode != LH_PREFILL_PER_TOKEN && c.prefill_mode != LH_PREFILL_BLOCK) bad("unknown prefill_mode");
    if (c.chunk_score != LH_CHUNK_SCORE_FAITHFUL && c.chunk_score != LH_CHUNK_SCORE_MAX_KEY &&
        c.chunk_score != LH_CHUNK_SCORE_BOUND && c.chunk_score != LH_CHUNK_SCORE_BOUND_MID)
        bad("unknown chunk_score");
    switch (c.mode) {
    case LH_ATTENTION_FULL: break;
    case LH_ATTENTION_WINDOW:
        if (c.attn_len <= 0) bad("attn_len (L) must be positive");
        if (c.n_sinks < 0 || c.n_sinks >= c.attn_len)
            bad("n_sinks (" + std::to_string(c.n_sinks) + ") must be in 0..L-1 (L = " + std::to_string(c.attn_len) + ")");
        break;
    case LH_ATTENTION_LONGHEADS:
        if (c.chunk_size <= 0 || c.attn_len <= 0) bad("chunk_size (w) and attn_len (L) must be positive");
        if (c.attn_len % c.chunk_size != 0)
            bad("attn_len (" + std::to_string(c.attn_len) + ") must be a multiple of chunk_size (" +
                std::to_string(c.chunk_size) + ")");
        if (c.begin_len < 0) bad("begin_len (B) must be >= 0");
        // The sink and the local chunks fit in K (K < 3 keeps the historical 0, m-1, m).
        if (c.local_chunks < 1 || c.local_chunks > std::max(c.attn_len / c.chunk_size - 1, 2))
            bad("local_chunks (" + std::to_string(c.local_chunks) + ") must be in 1..K-1 (K = L/w = " +
                std::to_string(c.attn_len / c.chunk_size) + ")");
        break;
    default: bad("unknown attention mode");
    }
}

}  // namespace

uint64_t Attention::estimate_bytes(const AttentionConfig &cfg, int64_t n_tokens) {
    validate(cfg);
    require(n_tokens >= 0, LH_ERROR_INVALID_ARGUMENT, "attention: negative token count");
    uint64_t bytes = kv::KvCache::bytes_for(cfg.kv_type, cfg.n_layer, cfg.n_head_kv, cfg.head_dim, n_tokens);
    if (uses_chunk_keys(cfg))
        bytes += kv::ChunkStore::bytes_for(cfg.n_layer, cfg.n_head, cfg.head_dim, cfg.chunk_size, n_tokens);
    if (uses_bounds(cfg))
        bytes += kv::ChunkBounds::bytes_for(cfg.kv_type, cfg.n_layer, cfg.n_head_kv, cfg.head_dim, cfg.chunk_size,
                                            n_tokens);
    bytes += attn::RopeTable::bytes_for(cfg.n_rot, rope_positions(cfg, n_tokens));
    return bytes;
}

Attention::Attention(const AttentionConfig &cfg, tbb::task_arena *arena) : impl_(new Impl) {
    validate(cfg);
    Impl &I = *impl_;
    I.cfg = cfg;
    I.arena = arena;
    I.d = cfg.head_dim;
    I.group = cfg.n_head / cfg.n_head_kv;
    I.scale = cfg.kq_scale > 0.0f ? cfg.kq_scale : 1.0f / std::sqrt(static_cast<float>(cfg.head_dim));
    const bool lh_mode = is_longheads(cfg);
    const int32_t w = lh_mode ? cfg.chunk_size : 1;
    I.n_best = lh_mode ? n_best_of(cfg) : 0;
    I.max_segments = cfg.mode == LH_ATTENTION_WINDOW ? 2 : 1;
    if (lh_mode)
        I.max_segments = std::max((std::min(cfg.begin_len, cfg.n_ctx) + w - 1) / w + 1, n_chunks_attended(cfg));
    I.max_chunks = lh_mode ? cfg.n_ctx / w + 1 : 1;
    I.max_selected = lh_mode ? n_chunks_attended(cfg) : 1;
    I.n_slots = arena ? std::max(arena->max_concurrency(), 1) : 1;
    I.layout_scratch();
    try {
        I.kv.init(cfg.kv_type, cfg.n_layer, cfg.n_head_kv, cfg.head_dim, cfg.n_ctx);
        if (uses_chunk_keys(cfg)) I.chunks.init(cfg.n_layer, cfg.n_head, cfg.head_dim, cfg.chunk_size, cfg.n_ctx);
        if (uses_bounds(cfg))
            I.bounds.init(cfg.kv_type, cfg.n_layer, cfg.n_head_kv, cfg.head_dim, cfg.chunk_size, cfg.n_ctx);
        I.rope.init(cfg.n_rot, cfg.rope_freq_base, rope_positions(cfg, cfg.n_ctx), cfg.rope_freq_scale,
                    cfg.rope_freq_factors, cfg.rope_attn_factor, cfg.rope_yarn_orig_ctx, cfg.rope_yarn_beta_fast,
                    cfg.rope_yarn_beta_slow);
        if (lh_mode) I.rope.ensure(I.rope.max_pos());
        I.scratch_mem = kv::aligned_alloc_bytes(I.scratch_bytes);
        I.n_cached.assign(static_cast<size_t>(cfg.n_layer), 0);
        I.last_sel.resize(static_cast<size_t>(cfg.n_layer) * cfg.n_head);
        for (auto &s : I.last_sel) s.reserve(static_cast<size_t>(I.max_selected));
        I.key_tmp.resize(static_cast<size_t>(I.d));
    } catch (const std::bad_alloc &) {
        fail(LH_ERROR_OUT_OF_MEMORY, "attention cache for " + std::to_string(cfg.n_ctx) + " tokens needs " +
                                         std::to_string(estimate_bytes(cfg, cfg.n_ctx) + I.scratch_bytes) +
                                         " bytes");
    }
}

Attention::~Attention() = default;

uint64_t Attention::allocated_bytes() const {
    return estimate_bytes(impl_->cfg, impl_->cfg.n_ctx) + impl_->scratch_bytes;
}

uint64_t Attention::scratch_bytes() const { return impl_->scratch_bytes; }

int32_t Attention::n_cached(int32_t layer) const {
    require(layer >= 0 && layer < impl_->cfg.n_layer, LH_ERROR_INVALID_ARGUMENT, "attention: layer out of range");
    return impl_->n_cached[static_cast<size_t>(layer)];
}

void Attention::reset() {
    std::fill(impl_->n_cached.begin(), impl_->n_cached.end(), 0);
    for (auto &s : impl_->last_sel) s.clear();
}

const std::vector<int32_t> &Attention::last_selection(int32_t layer, int32_t head) const {
    require(layer >= 0 && layer < impl_->cfg.n_layer && head >= 0 && head < impl_->cfg.n_head,
            LH_ERROR_INVALID_ARGUMENT, "attention: layer/head out of range");
    return impl_->last_sel[static_cast<size_t>(layer) * impl_->cfg.n_head + head];
}

std::vector<float> Attention::chunk_key(int32_t layer, int32_t head, int32_t chunk) const {
    const Impl &I = *impl_;
    require(uses_chunk_keys(I.cfg), LH_ERROR_INVALID_ARGUMENT,
            "attention: chunk keys exist in longheads mode with the faithful chunk score only");
    require(layer >= 0 && layer < I.cfg.n_layer && head >= 0 && head < I.cfg.n_head, LH_ERROR_INVALID_ARGUMENT,
            "attention: layer/head out of range");
    require(chunk >= 0 && chunk < I.n_cached[static_cast<size_t>(layer)] / I.cfg.chunk_size,
            LH_ERROR_INVALID_ARGUMENT, "attention: chunk " + std::to_string(chunk) + " is not complete");
    std::vector<float> c(static_cast<size_t>(I.d));
    for (int32_t i = 0; i < I.d; ++i) c[static_cast<size_t>(i)] = I.chunks.chunk_key_at(layer, head, chunk, i);
    return c;
}

std::vector<float> Attention::chunk_bound(int32_t layer, int32_t kvh, int32_t chunk) const {
    const Impl &I = *impl_;
    require(uses_bounds(I.cfg), LH_ERROR_INVALID_ARGUMENT,
            "attention: chunk bounds exist in longheads mode with the bound chunk score only");
    require(layer >= 0 && layer < I.cfg.n_layer && kvh >= 0 && kvh < I.cfg.n_head_kv, LH_ERROR_INVALID_ARGUMENT,
            "attention: layer/KV head out of range");
    require(chunk >= 0 && chunk < I.n_cached[static_cast<size_t>(layer)] / I.cfg.chunk_size,
            LH_ERROR_INVALID_ARGUMENT, "attention: chunk " + std::to_string(chunk) + " is not complete");
    std::vector<float> b(static_cast<size_t>(2 * I.d));
    for (int32_t i = 0; i < 2 * I.d; ++i) b[static_cast<size_t>(i)] = I.bounds.at(layer, kvh, chunk, i);
    return b;
}

namespace {
uint64_t up16(uint64_t x) { return (x + 15) / 16 * 16; }  // keep every part 64-byte aligned
}  // namespace

// Carves one slot's buffers; with base == nullptr only counts the floats.
uint64_t Attention::Impl::carve(float *base, AttnScratch *s) const {
    const Impl &I = *this;
    const bool lh_mode = is_longheads(I.cfg);
    const uint64_t w = lh_mode ? static_cast<uint64_t>(I.cfg.chunk_size) : 1, dd = static_cast<uint64_t>(I.d);
    const uint64_t G = static_cast<uint64_t>(I.group);
    uint64_t at = 0;
    auto take = [&](uint64_t n) {
        float *p = base ? base + at : nullptr;
        at += up16(n);
        return p;
    };
    AttnScratch x{};
    x.att.scores = take(2 * attn::kTile + G * attn::kBlock);
    x.att.m = take(G);
    x.att.l = take(G);
    x.att.o = take(G * dd);
    x.qrot = take(static_cast<uint64_t>(I.max_segments) * G * dd);
    x.qtmp = take(dd);
    if (uses_chunk_keys(I.cfg)) {
        x.chunk_q = take(w * dd);
        x.chunk_tmp = take(static_cast<uint64_t>(attn::chunk_key_scratch(static_cast<int32_t>(w), I.d)));
        x.chunk_out = take(dd);
    }
    if (lh_mode) {
        const uint64_t rows = w * G;  // (token, query head) rows of one chunk and KV head
        x.blk.scores = x.sub.scores = take(2 * attn::kTile + rows * attn::kBlock);
        x.blk.m = take(rows);
        x.blk.l = take(rows);
        x.blk.o = take(rows * dd);
        x.sub.m = take(rows);
        x.sub.l = take(rows);
        x.sub.o = take(rows * dd);
        x.qblk = take(rows * dd);
        x.sels = reinterpret_cast<int32_t *>(take(rows * static_cast<uint64_t>(I.max_selected)));
        x.n_sel = reinterpret_cast<int32_t *>(take(rows));
        x.ptr = reinterpret_cast<int32_t *>(take(rows));
        x.rows = reinterpret_cast<int32_t *>(take(rows));
    }
    if (lh_mode && I.cfg.chunk_score != LH_CHUNK_SCORE_FAITHFUL) {
        const int32_t R = attn::kMaxKeyRows;
        if (I.cfg.chunk_score == LH_CHUNK_SCORE_MAX_KEY) {
            x.key_scores = take(static_cast<uint64_t>(attn::max_key_tmp_floats(static_cast<int32_t>(w), R)) + attn::kTile);
            if (x.key_scores) x.key_scores += attn::kTile;
        } else {
            x.bound_row = take(4 * dd);
        }
        x.qkey = take(R * 2 * dd);
        x.cand_rows = take(static_cast<uint64_t>(R) * static_cast<uint64_t>(I.max_chunks) + attn::kTile);
        if (x.cand_rows) x.cand_rows += attn::kTile;
    }
    x.cand_scores = take(static_cast<uint64_t>(I.max_chunks) + 2 * attn::kTile);
    if (x.cand_scores) x.cand_scores += attn::kTile;
    static_assert(sizeof(attn::ScoredChunk) == 2 * sizeof(float), "ScoredChunk layout");
    x.cand = reinterpret_cast<attn::ScoredChunk *>(take(static_cast<uint64_t>(I.max_chunks) * 2));
    x.sel = reinterpret_cast<int32_t *>(take(static_cast<uint64_t>(I.max_selected)));
    x.segs = reinterpret_cast<attn::Segment *>(take(static_cast<uint64_t>(I.max_segments) * sizeof(attn::Segment) / 4));
    if (s) *s = x;
    return at;
}

void Attention::Impl::layout_scratch() {
    slot_floats = carve(nullptr, nullptr);
    scratch_bytes = slot_floats * sizeof(float) * static_cast<uint64_t>(n_slots);
}

AttnScratch Attention::Impl::scratch(int32_t slot) const {
    AttnScratch s;
    carve(reinterpret_cast<float *>(scratch_mem.get()) + slot_floats * static_cast<uint64_t>(slot), &s);
    return s;
}

void Attention::Impl::set_last_selection(int32_t layer, int32_t head, const int32_t *sel, int32_t n_sel) {
    auto &v = last_sel[static_cast<size_t>(layer) * cfg.n_head + head];
    v.assign(sel, sel + n_sel);  // capacity reserved up front: no allocation
}

void Attention::Impl::store_keys_values(const AttnBatch &b, const float *k, const float *v) {
    const int32_t nkv = cfg.n_head_kv;
    const bool local = is_longheads(cfg);
    const int32_t n_rot = rot_dims(b.layer);
    for (int32_t i = 0; i < b.n; ++i) {
        const int32_t t = b.pos0 + i;
        const float *cs = rope.at(local ? t % cfg.chunk_size : t);
        for (int32_t g = 0; g < nkv; ++g) {
            const int64_t off = (static_cast<int64_t>(i) * nkv + g) * d;
            attn::rope_apply(cs, n_rot, d, k + off, key_tmp.data(), cfg.rope_neox);
            kv.put(b.layer, g, t, key_tmp.data(), v + off);
        }
    }
}

void Attention::forward(int32_t layer, int32_t pos0, int32_t n, const float *q, const float *k, const float *v,
                        float *out, TeamWork *team) {
    Impl &I = *impl_;
    require(layer >= 0 && layer < I.cfg.n_layer, LH_ERROR_INVALID_ARGUMENT,
            "attention: layer " + std::to_string(layer) + " out of range 0.." + std::to_string(I.cfg.n_layer - 1));
    require(n >= 0, LH_ERROR_INVALID_ARGUMENT, "attention: negative token count");
    const int32_t cached = I.n_cached[static_cast<size_t>(layer)];
    require(pos0 == cached, LH_ERROR_INVALID_ARGUMENT,
            "attention: pos0 " + std::to_string(pos0) + " != cached tokens " + std::to_string(cached) +
                " of layer " + std::to_string(layer));
    require(static_cast<int64_t>(pos0) + n <= I.cfg.n_ctx, LH_ERROR_CONTEXT_FULL,
            "attention: " + std::to_string(static_cast<int64_t>(pos0) + n) + " tokens exceed the context of " +
                std::to_string(I.cfg.n_ctx));
    if (n == 0) return;
    require(q && k && v && out, LH_ERROR_INVALID_ARGUMENT, "attention: null tensor");
    if (!is_longheads(I.cfg)) I.rope.ensure(pos0 + n);
    const AttnBatch b{layer, pos0, n, q, out, team};
    I.store_keys_values(b, k, v);
    switch (I.cfg.mode) {
    case LH_ATTENTION_WINDOW: I.window_forward(b); break;
    case LH_ATTENTION_LONGHEADS: I.longheads_forward(b); break;
    default: I.full_forward(b); break;
    }
    I.n_cached[static_cast<size_t>(layer)] = pos0 + n;
}

}  // namespace lh
