// Attention alone, without the model's matmuls: fills the cache of a few layers with random
// queries, keys and values up to a context length, then times single-token decoding steps.
// The weights' share of a decoding step is the same in every attention mode and its speed moves
// with the machine's memory bandwidth from minute to minute, so changes to the attention kernels
// are compared here, where the only memory traffic is the cache's.
//
//   attention_bench --ctx 32768 [--layers 4] [--gen 64] [--attention longheads|full]
//                   [--shape tinyllama|mha] [--kv bf16|f32|q8] [--threads 2] [--repeat 3]
//                   [--chunk-score bound|faithful|max_key] [--attn-len L (default T)]
//                   [--prefill per_token|block] [--local-chunks n (default: the library's rule)]
// Prints one JSON line: the decode time per token and layer (best of --repeat runs of --gen
// tokens), and the prefill time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "attention/attention.h"
#include "runtime/context.h"

namespace {

struct Args {
    int32_t ctx = 8192, layers = 4, gen = 64, threads = 2, repeat = 3, attn_len = 0, local_chunks = 0;
    std::string attention = "longheads", shape = "tinyllama", kv = "bf16", chunk_score = "bound", prefill = "per_token";
};

[[noreturn]] void usage(const char *why) {
    std::fprintf(stderr, "attention_bench: %s\n", why);
    std::exit(2);
}

Args parse(int argc, char **argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        if (i + 1 >= argc) usage(("missing value for " + k).c_str());
        const char *v = argv[++i];
        if (k == "--ctx") a.ctx = std::atoi(v);
        else if (k == "--layers") a.layers = std::atoi(v);
        else if (k == "--gen") a.gen = std::atoi(v);
        else if (k == "--threads") a.threads = std::atoi(v);
        else if (k == "--repeat") a.repeat = std::atoi(v);
        else if (k == "--attention") a.attention = v;
        else if (k == "--shape") a.shape = v;
        else if (k == "--kv") a.kv = v;
        else if (k == "--chunk-score") a.chunk_score = v;
        else if (k == "--attn-len") a.attn_len = std::atoi(v);
        else if (k == "--prefill") a.prefill = v;
        else if (k == "--local-chunks") a.local_chunks = std::atoi(v);
        else usage(("unknown flag " + k).c_str());
    }
    if (a.ctx <= 0 || a.layers <= 0 || a.gen <= 0 || a.threads <= 0 || a.repeat <= 0) usage("values must be > 0");
    return a;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char **argv) {
    const Args a = parse(argc, argv);
    lh::AttentionConfig c;
    // Attention geometry of TinyLlama-1.1B (T = 2048) or of Llama-2-7B's layers (T = 4096), and
    // the engine's default LongHeads settings for them (w = T/16, L = B = T).
    const bool mha = a.shape == "mha";
    if (!mha && a.shape != "tinyllama") usage("--shape must be tinyllama or mha");
    const int32_t T = mha ? 4096 : 2048;
    c.n_head = 32;
    c.n_head_kv = mha ? 32 : 4;
    c.head_dim = c.n_rot = mha ? 128 : 64;
    c.chunk_size = T / 16;
    c.attn_len = c.begin_len = a.attn_len > 0 ? a.attn_len : T;
    if (lh_chunk_score_from_name(a.chunk_score.c_str(), &c.chunk_score) != LH_OK) usage("unknown --chunk-score");
    if (lh_prefill_mode_from_name(a.prefill.c_str(), &c.prefill_mode) != LH_OK) usage("unknown --prefill");
    c.local_chunks = a.local_chunks > 0 ? a.local_chunks : lh::default_local_chunks(c.chunk_score, c.attn_len / c.chunk_size);
    c.n_layer = a.layers;
    c.n_ctx = a.ctx + a.gen * a.repeat;
    if (a.attention == "longheads") c.mode = LH_ATTENTION_LONGHEADS;
    else if (a.attention != "full") usage("--attention must be longheads or full");
    if (a.kv == "bf16") c.kv_type = LH_KV_BF16;
    else if (a.kv == "q8") c.kv_type = LH_KV_Q8;
    else if (a.kv != "f32") usage("--kv must be bf16, f32 or q8");

    tbb::task_arena arena(a.threads);
    lh::Attention attn(c, &arena);
    const int64_t qw = static_cast<int64_t>(c.n_head) * c.head_dim, kw = static_cast<int64_t>(c.n_head_kv) * c.head_dim;
    const int32_t batch = 512;
    std::mt19937 rng(42);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> q(batch * qw), k(batch * kw), v(batch * kw), out(batch * qw);
    auto fill = [&](int32_t n) {
        for (int64_t i = 0; i < n * qw; ++i) q[static_cast<size_t>(i)] = nd(rng);
        for (int64_t i = 0; i < n * kw; ++i) k[static_cast<size_t>(i)] = nd(rng), v[static_cast<size_t>(i)] = nd(rng);
    };

    const auto t0 = std::chrono::steady_clock::now();
    for (int32_t pos = 0; pos < a.ctx; pos += batch) {
        const int32_t n = std::min(batch, a.ctx - pos);
        for (int32_t l = 0; l < a.layers; ++l) {
            fill(n);
            attn.forward(l, pos, n, q.data(), k.data(), v.data(), out.data());
        }
    }
    const double prefill_s = seconds_since(t0);

    double best = 1e30;
    int32_t pos = a.ctx;
    for (int32_t r = 0; r < a.repeat; ++r) {
        fill(1);  // the same inputs every step: only the cache's traffic is timed
        const auto t1 = std::chrono::steady_clock::now();
        for (int32_t g = 0; g < a.gen; ++g, ++pos)
            for (int32_t l = 0; l < a.layers; ++l) attn.forward(l, pos, 1, q.data(), k.data(), v.data(), out.data());
        best = std::min(best, seconds_since(t1));
    }
    const double per_layer_ms = best * 1e3 / (static_cast<double>(a.gen) * a.layers);
    std::printf("{\"ctx\": %d, \"attention\": \"%s\", \"shape\": \"%s\", \"kv\": \"%s\", \"layers\": %d, \"threads\": %d, "
                "\"chunk_score\": \"%s\", \"attn_len\": %d, \"chunk_size\": %d, \"local_chunks\": %d, \"prefill\": \"%s\", "
                "\"kv_bytes\": %llu, \"prefill_s\": %.3f, \"decode_ms_per_layer\": %.4f}\n",
                a.ctx, a.attention.c_str(), a.shape.c_str(), a.kv.c_str(), a.layers, a.threads, a.chunk_score.c_str(),
                c.attn_len, c.chunk_size, c.local_chunks, a.prefill.c_str(), (unsigned long long)lh::Attention::estimate_bytes(c, a.ctx),
                prefill_s, per_layer_ms);
    return 0;
}
