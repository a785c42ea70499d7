// Attention over the KV cache for one context: full, window (sinks + recent) and LongHeads.
// The model hands over queries/keys/values BEFORE RoPE; this module owns rotation, the cache
// and the chunk keys, and follows docs/ATTENTION.md exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "kv/state_region.h"
#include "longheads/longheads.h"

namespace lh {

class TeamWork;

struct AttentionConfig {
    lh_attention mode = LH_ATTENTION_FULL;
    int32_t chunk_size = 32;  // w (longheads)
    int32_t attn_len = 256;   // L (longheads, window)
    int32_t begin_len = 256;  // B (longheads)
    int32_t n_sinks = 4;      // S (window)
    lh_prefill_mode prefill_mode = LH_PREFILL_PER_TOKEN;
    lh_kv_type kv_type = LH_KV_F32;
    lh_chunk_score chunk_score = LH_CHUNK_SCORE_BOUND_MID;  // longheads candidate scoring
    int32_t local_chunks = 2;  // longheads: the most recent chunks always attended (m-n+1 .. m)
    // Model geometry.
    int32_t n_layer = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t head_dim = 0;
    int32_t n_rot = 0;
    float rope_freq_base = 10000.0f;
    float rope_freq_scale = 1.0f;          // 1/factor of linear RoPE scaling
    std::vector<float> rope_freq_factors;  // empty, or n_rot/2 factors (Llama-3.1 rope_freqs, LongRoPE)
    float rope_attn_factor = 1.0f;         // scales every rotated pair (LongRoPE, YaRN)
    int32_t rope_yarn_orig_ctx = 0;        // YaRN's original window (0: no YaRN)
    float rope_yarn_beta_fast = 32.0f;     // YaRN's correction range (llama.cpp's defaults)
    float rope_yarn_beta_slow = 1.0f;
    bool rope_neox = false;                // pairs (i, i + n_rot/2) instead of (2i, 2i+1)
    int32_t no_rope_layer_step = 0;        // n > 0: layers with (layer + 1) % n == 0 use no RoPE (smollm3)
    float kq_scale = 0.0f;                 // attention logit scale; 0: 1/sqrt(head_dim) (granite sets it)
    int32_t n_ctx = 0;        // capacity in tokens
};

class Attention {
public:
    // Allocates the cache for cfg.n_ctx tokens. `arena` (may be null = run serially) is the
    // context's TBB arena; it must outlive this object.
    Attention(const AttentionConfig &cfg, tbb::task_arena *arena);
    ~Attention();

    // Bytes the cache (keys, values; chunk keys and pending queries for the faithful score,
    // chunk bounds for the bound score) needs for n_tokens tokens.
    static uint64_t estimate_bytes(const AttentionConfig &cfg, int64_t n_tokens);
    uint64_t allocated_bytes() const;

    void reset();  // forget all tokens

    // Saved state (kv/state_region.h) of tokens [0, n), which every layer must hold: the KV
    // cache, then the LongHeads chunk state. One list for saving, loading and forking.
    kv::StateRegions state_regions(int32_t n_tokens) const;
    // Cuts every layer back to n_keep tokens (n_keep <= each layer's count), or fewer when
    // LongHeads chunk keys need the pending queries of n_keep's chunk and those are gone
    // (kv::ChunkStore::keepable). Returns the tokens kept, the same for every layer.
    int32_t truncate(int32_t n_keep);
    // Every layer holds n tokens whose bytes were just written through state_regions(n).
    void restore(int32_t n_tokens);

    // One layer's attention for tokens at absolute positions pos0 .. pos0+n-1 (appended to the
    // cache; pos0 must equal the number of tokens already cached for this layer).
    //   q:   n x (n_head    * head_dim), row-major, before RoPE
    //   k,v: n x (n_head_kv * head_dim), before RoPE
    //   out: n x (n_head    * head_dim)
    // `team` (may be null): the caller is thread 0 of a running parallel region whose other
    // threads wait in team->serve() (common/team_work.h); the loops worth sharing then go to them
    // instead of the TBB arena.
    void forward(int32_t layer, int32_t pos0, int32_t n, const float *q, const float *k, const float *v,
                 float *out, TeamWork *team = nullptr);

    // Diagnostics for tests: chunks selected by (layer, query head) for the last token of the
    // last forward() of that layer, in ascending order (empty when full attention was used).
    const std::vector<int32_t> &last_selection(int32_t layer, int32_t head) const;

    // More diagnostics. Tokens cached for `layer`.
    int32_t n_cached(int32_t layer) const;
    // Chunk key c_j of (layer, query head) (longheads mode, faithful score, chunk complete),
    // head_dim floats.
    std::vector<float> chunk_key(int32_t layer, int32_t head, int32_t chunk) const;
    // Bound of chunk `chunk` of (layer, KV head) (longheads mode, bound score, chunk complete):
    // 2 * head_dim floats, the channel-wise max of its cached keys, then the min.
    std::vector<float> chunk_bound(int32_t layer, int32_t kvh, int32_t chunk) const;
    // Per-thread work buffers (one set per arena slot), included in allocated_bytes() but not in
    // estimate_bytes(), which counts what grows with the context.
    uint64_t scratch_bytes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lh
