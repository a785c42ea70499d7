// Randomized API soak (issue 14, item 9): worker threads call the public C API with random
// parameters in random interleavings — eval, generate, stream, cancel, reset, contexts made and
// freed, tokenize/detokenize, samplers — on a few shared contexts of two shared models, for a
// bounded time. Run under ASan+UBSan in CI.
//
// Rules kept (the header's): a context is freed only when no other thread uses it, its unguarded
// getters (n_past, logits, get_params) are called only while no other thread uses it, and a
// generation belongs to the thread that started it. Guarded calls (eval, reset, generate,
// generation start/next) from several threads at once are allowed: the library answers
// LH_ERROR_BUSY. Cancel comes from any thread at any time.
//
// A finding: a status the header does not document for the call (see kAllowed), LH_ERROR_INTERNAL,
// a broken invariant (logits not finite, text not valid UTF-8, n_past past n_ctx, an out-pointer
// wrong after LH_OK), no call completing for 60 s, or a crash / sanitizer report (the process
// dies).
//
//   soak_test --model M.gguf [--seconds 120] [--seed S] [--threads 4] [--contexts 3]
// The seed (random unless given by --seed or LONGHEADS_SOAK_SEED) is printed first. Prints the
// calls and statuses per function and "N findings"; exit status 1 on any finding.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "longheads/longheads.h"

namespace {

constexpr int kStatuses = LH_ERROR_NUMERIC + 1;

// ---- what the header documents per call ----
// Besides these, every call documents LH_ERROR_INVALID_ARGUMENT (NULL or out-of-range
// arguments) and LH_ERROR_OUT_OF_MEMORY (conventions at the top of the header); calls on a
// context document LH_ERROR_BUSY.
const std::map<std::string, std::vector<lh_status>> kAllowed = {
    {"lh_context_create", {LH_OK}},
    {"lh_context_get_params", {LH_OK}},
    {"lh_context_estimate_kv_bytes", {LH_OK}},
    {"lh_context_reset", {LH_OK, LH_ERROR_BUSY}},
    {"lh_context_n_past", {LH_OK}},
    {"lh_context_eval", {LH_OK, LH_ERROR_CONTEXT_FULL, LH_ERROR_CANCELLED, LH_ERROR_BUSY, LH_ERROR_NUMERIC, LH_ERROR_IO}},
    {"lh_context_logits", {LH_OK}},
    {"lh_context_copy_logits", {LH_OK, LH_ERROR_BUFFER_TOO_SMALL}},
    {"lh_generation_start", {LH_OK, LH_ERROR_CONTEXT_FULL, LH_ERROR_CANCELLED, LH_ERROR_BUSY, LH_ERROR_NUMERIC, LH_ERROR_IO}},
    {"lh_generation_next", {LH_OK, LH_ERROR_CONTEXT_FULL, LH_ERROR_CANCELLED, LH_ERROR_BUSY, LH_ERROR_NUMERIC, LH_ERROR_IO}},
    {"lh_generate",
     {LH_OK, LH_ERROR_CONTEXT_FULL, LH_ERROR_CANCELLED, LH_ERROR_BUSY, LH_ERROR_BUFFER_TOO_SMALL, LH_ERROR_NUMERIC, LH_ERROR_IO}},
    {"lh_tokenize", {LH_OK, LH_ERROR_BUFFER_TOO_SMALL}},
    {"lh_detokenize", {LH_OK, LH_ERROR_BUFFER_TOO_SMALL}},
    {"lh_token_piece", {LH_OK, LH_ERROR_BUFFER_TOO_SMALL}},
    {"lh_sampler_create", {LH_OK}},
    {"lh_sampler_sample", {LH_OK}},
    {"lh_sampler_accept", {LH_OK}},
    {"lh_model_get_info", {LH_OK}},
    {"lh_model_meta_get", {LH_OK, LH_ERROR_BUFFER_TOO_SMALL}},
};

bool allowed(const std::string &call, lh_status s) {
    if (s == LH_ERROR_INVALID_ARGUMENT || s == LH_ERROR_OUT_OF_MEMORY) return true;
    const auto &v = kAllowed.at(call);
    return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- counts and findings ----
struct Stats {
    std::mutex mu;
    std::map<std::string, std::vector<uint64_t>> calls;  // call -> count per status
    std::vector<std::string> findings;
};
Stats g_stats;
std::atomic<uint64_t> g_progress{0};

void finding(const std::string &what) {
    std::lock_guard<std::mutex> lock(g_stats.mu);
    if (g_stats.findings.size() < 50) std::fprintf(stderr, "FINDING: %s\n", what.c_str());
    g_stats.findings.push_back(what);
}

// Per-thread counts, merged at the end (no lock per call).
struct Counter {
    std::map<std::string, std::vector<uint64_t>> calls;
    lh_status note(const std::string &call, lh_status s) {
        auto &v = calls[call];
        if (v.empty()) v.assign(kStatuses + 1, 0);
        v[s >= 0 && s < kStatuses ? s : kStatuses]++;
        g_progress.fetch_add(1, std::memory_order_relaxed);
        if (!allowed(call, s) || s == LH_ERROR_INTERNAL)
            finding(call + " returned " + std::to_string(s) + " (" + lh_status_string(s) + "): " + lh_last_error());
        return s;
    }
    void merge() {
        std::lock_guard<std::mutex> lock(g_stats.mu);
        for (auto &kv : calls) {
            auto &v = g_stats.calls[kv.first];
            if (v.empty()) v.assign(kStatuses + 1, 0);
            for (size_t i = 0; i < v.size(); ++i) v[i] += kv.second[i];
        }
    }
};

bool valid_utf8(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

// ---- random inputs ----
using Rng = std::mt19937_64;

int32_t uniform(Rng &rng, int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(rng); }
bool chance(Rng &rng, double p) { return std::bernoulli_distribution(p)(rng); }

const char *const kTexts[] = {
    "Once upon a time, there was a little girl named Lily.",
    "She loved to play outside in the park with her dog. ",
    "The sun was shining and the birds were singing.",
    "<s> </s> <unk> control tokens as text",
    "héllo wörld — ünïcödé, 日本語, emoji 😀🚀",
    "",
    " ",
    "\n\n\t",
};

std::string random_text(Rng &rng) {
    std::string s;
    const int parts = uniform(rng, 0, 6);
    for (int i = 0; i < parts; ++i) {
        if (chance(rng, 0.15)) {
            for (int k = uniform(rng, 1, 8); k > 0; --k) s.push_back(static_cast<char>(uniform(rng, 0, 255)));
        } else {
            s += kTexts[uniform(rng, 0, static_cast<int32_t>(sizeof kTexts / sizeof *kTexts) - 1)];
        }
    }
    return s;
}

std::vector<int32_t> random_tokens(Rng &rng, int32_t n_vocab, size_t n) {
    std::vector<int32_t> t(n);
    for (auto &x : t) x = chance(rng, 0.002) ? uniform(rng, -5, n_vocab + 5) : uniform(rng, 0, n_vocab - 1);
    return t;
}

lh_context_params random_context_params(Rng &rng) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_ctx = chance(rng, 0.1) ? uniform(rng, -2, 4) : uniform(rng, 16, 1200);
    p.n_threads = uniform(rng, 0, 2);
    p.n_batch = chance(rng, 0.05) ? -1 : uniform(rng, 0, 300);
    // Compared as an int: an out-of-range value may be stored (C callers can) but not read back
    // through the enum type in C++.
    const int attention = uniform(rng, 0, chance(rng, 0.02) ? 5 : 2);
    p.attention = static_cast<lh_attention>(attention);
    if (attention == LH_ATTENTION_LONGHEADS || chance(rng, 0.1)) {
        p.chunk_size = 1 << uniform(rng, 2, 6);
        p.attn_len = p.chunk_size * uniform(rng, chance(rng, 0.05) ? 1 : 3, 12);
        p.begin_len = chance(rng, 0.5) ? 0 : p.chunk_size * uniform(rng, 0, 8) + (chance(rng, 0.2) ? 3 : 0);
    } else if (attention == LH_ATTENTION_WINDOW) {
        p.attn_len = uniform(rng, 8, 400);
        p.n_sinks = uniform(rng, 0, 6);
    }
    p.allow_attn_len_over_trained = chance(rng, 0.2);
    p.prefill_mode = static_cast<lh_prefill_mode>(uniform(rng, 0, 1));
    p.kv_type = static_cast<lh_kv_type>(uniform(rng, 0, 2));
    p.chunk_score = static_cast<lh_chunk_score>(uniform(rng, 0, LH_CHUNK_SCORE_BOUND));
    if (chance(rng, 0.2)) p.memory_budget_bytes = static_cast<uint64_t>(uniform(rng, 1, 64)) << 18;
    return p;
}

void random_sampling(Rng &rng, lh_sampler_params &s) {
    lh_sampler_params_init(&s);
    s.temperature = chance(rng, 0.3) ? 0.0f : std::uniform_real_distribution<float>(0.05f, 2.0f)(rng);
    s.top_k = uniform(rng, -1, 60);
    s.top_p = chance(rng, 0.05) ? 1.5f : std::uniform_real_distribution<float>(0.0f, 1.0f)(rng);
    s.min_p = std::uniform_real_distribution<float>(0.0f, 0.3f)(rng);
    s.repeat_penalty = chance(rng, 0.05) ? 0.0f : std::uniform_real_distribution<float>(0.8f, 1.5f)(rng);
    s.repeat_last_n = uniform(rng, 0, 64);
    s.seed = rng();
}

const char *const kStops[] = {".", "the", "\n", "Lily", "xyz", "e"};

// g.sampling points to `sampling` (or is NULL: the defaults).
void random_generate_params(Rng &rng, lh_generate_params &g, lh_sampler_params &sampling) {
    lh_generate_params_init(&g);
    g.max_tokens = uniform(rng, chance(rng, 0.05) ? -1 : 0, 24);
    random_sampling(rng, sampling);
    g.sampling = chance(rng, 0.1) ? nullptr : &sampling;
    g.n_stop = static_cast<size_t>(uniform(rng, 0, 3));
    g.stop = g.n_stop ? kStops + uniform(rng, 0, 3) : nullptr;
    g.add_bos = uniform(rng, 0, 1);
    g.stop_at_eog = uniform(rng, 0, 1);
}

// ---- the shared contexts ----
struct Slot {
    std::shared_mutex mu;  // shared: guarded calls; exclusive: free/create and unguarded getters
    lh_context *ctx = nullptr;
    lh_model *model = nullptr;
    int32_t n_vocab = 0;
    int32_t n_ctx = 0;
};

struct World {
    std::vector<lh_model *> models;
    std::vector<int32_t> n_vocab;
    std::vector<Slot> slots;
    std::chrono::steady_clock::time_point deadline;
    explicit World(size_t n) : slots(n) {}
};

class Worker {
public:
    Worker(World &w, uint64_t seed) : w_(w), rng_(seed) {}

    void run() {
        while (std::chrono::steady_clock::now() < w_.deadline) step();
        if (sampler_) lh_sampler_free(sampler_);
        c_.merge();
    }

private:
    World &w_;
    Rng rng_;
    Counter c_;
    lh_sampler *sampler_ = nullptr;

    Slot &slot() { return w_.slots[static_cast<size_t>(uniform(rng_, 0, static_cast<int32_t>(w_.slots.size()) - 1))]; }

    void step() {
        const int op = uniform(rng_, 0, 99);
        if (op < 6) recreate(slot());
        else if (op < 30) eval(slot());
        else if (op < 36) reset(slot());
        else if (op < 46) getters(slot());
        else if (op < 60) generate(slot());
        else if (op < 74) stream(slot());
        else if (op < 80) lh_context_cancel_any(slot());
        else if (op < 88) tokens();
        else if (op < 95) sampling();
        else model_queries();
    }

    void recreate(Slot &s) {
        std::unique_lock<std::shared_mutex> lock(s.mu);
        lh_context_free(s.ctx);
        s.ctx = nullptr;
        const size_t m = static_cast<size_t>(uniform(rng_, 0, static_cast<int32_t>(w_.models.size()) - 1));
        lh_context_params p = random_context_params(rng_);
        lh_context *ctx = nullptr;
        if (c_.note("lh_context_create", lh_context_create(w_.models[m], &p, &ctx)) == LH_OK) {
            if (!ctx) finding("lh_context_create: LH_OK without a context");
            s.ctx = ctx;
            s.model = w_.models[m];
            s.n_vocab = w_.n_vocab[m];
            lh_context_params got;
            got.struct_size = sizeof got;
            c_.note("lh_context_get_params", lh_context_get_params(ctx, &got));
            s.n_ctx = got.n_ctx;
        }
        uint64_t bytes = 0;
        c_.note("lh_context_estimate_kv_bytes",
                lh_context_estimate_kv_bytes(w_.models[m], &p, uniform(rng_, -1, 1 << 20), &bytes));
    }

    void eval(Slot &s) {
        std::shared_lock<std::shared_mutex> lock(s.mu);
        if (!s.ctx) return;
        const size_t n = chance(rng_, 0.03) ? 0 : static_cast<size_t>(uniform(rng_, 1, chance(rng_, 0.2) ? 600 : 40));
        std::vector<int32_t> t = random_tokens(rng_, s.n_vocab, n);
        c_.note("lh_context_eval", lh_context_eval(s.ctx, t.data(), n, chance(rng_, 0.2)));
    }

    void reset(Slot &s) {
        std::shared_lock<std::shared_mutex> lock(s.mu);
        if (s.ctx) c_.note("lh_context_reset", lh_context_reset(s.ctx));
    }

    // Unguarded getters: only while no other thread uses the context.
    void getters(Slot &s) {
        std::unique_lock<std::shared_mutex> lock(s.mu);
        if (!s.ctx) return;
        int32_t n_past = -1;
        if (c_.note("lh_context_n_past", lh_context_n_past(s.ctx, &n_past)) == LH_OK && (n_past < 0 || n_past > s.n_ctx))
            finding("lh_context_n_past: " + std::to_string(n_past) + " outside 0.." + std::to_string(s.n_ctx));
        const int32_t index = chance(rng_, 0.7) ? -1 : uniform(rng_, -3, 40);
        const float *logits = nullptr;
        if (c_.note("lh_context_logits", lh_context_logits(s.ctx, index, &logits)) == LH_OK) {
            for (int32_t i = 0; i < s.n_vocab; ++i) {
                if (!std::isfinite(logits[i])) {
                    finding("lh_context_logits: logit " + std::to_string(i) + " is not finite");
                    break;
                }
            }
        }
        std::vector<float> copy(static_cast<size_t>(s.n_vocab));
        const size_t cap = chance(rng_, 0.1) ? copy.size() - 1 : copy.size();
        c_.note("lh_context_copy_logits", lh_context_copy_logits(s.ctx, index, copy.data(), cap));
    }

    static int32_t maybe_stop(const char *piece, size_t len, int32_t, void *user) {
        if (!valid_utf8(piece, len)) finding("lh_generate: a piece is not valid UTF-8");
        Rng &rng = *static_cast<Rng *>(user);
        return chance(rng, 0.05) ? 1 : 0;
    }

    void generate(Slot &s) {
        std::shared_lock<std::shared_mutex> lock(s.mu);
        if (!s.ctx) return;
        lh_generate_params g;
        lh_sampler_params sampling;
        random_generate_params(rng_, g, sampling);
        const std::string prompt = random_text(rng_);
        std::vector<char> buf(static_cast<size_t>(uniform(rng_, 0, 400)));
        size_t len = 0;
        Rng cb_rng(rng_());
        const lh_status st = c_.note("lh_generate", lh_generate(s.ctx, prompt.data(), prompt.size(), &g,
                                                                 chance(rng_, 0.5) ? maybe_stop : nullptr, &cb_rng,
                                                                 buf.empty() ? nullptr : buf.data(), buf.size(), &len));
        // Without a buffer only the length is reported.
        if (st == LH_OK && !buf.empty() && !valid_utf8(buf.data(), std::min(len, buf.size())))
            finding("lh_generate: the text is not valid UTF-8");
    }

    void stream(Slot &s) {
        std::shared_lock<std::shared_mutex> lock(s.mu);
        if (!s.ctx) return;
        lh_generate_params g;
        lh_sampler_params sampling;
        random_generate_params(rng_, g, sampling);
        const std::string prompt = random_text(rng_);
        lh_generation *gen = nullptr;
        if (c_.note("lh_generation_start", lh_generation_start(s.ctx, prompt.data(), prompt.size(), &g, &gen)) != LH_OK)
            return;
        const int limit = uniform(rng_, 0, 40);  // may be freed before it ends
        for (int i = 0; i < limit; ++i) {
            const char *piece = nullptr;
            size_t len = 0;
            int32_t token = -2, done = 0;
            const lh_status st = c_.note("lh_generation_next", lh_generation_next(gen, &piece, &len, &token, &done));
            if (st != LH_OK) break;
            if (len && !valid_utf8(piece, len)) finding("lh_generation_next: a piece is not valid UTF-8");
            if (done) {
                if (token != -1) finding("lh_generation_next: done with token " + std::to_string(token));
                if (lh_generation_stop_reason(gen) == LH_STOP_NONE) finding("lh_generation_next: done, stop reason none");
                break;
            }
            if (token < 0 || token >= s.n_vocab) finding("lh_generation_next: token " + std::to_string(token));
        }
        lh_generation_free(gen);
    }

    void lh_context_cancel_any(Slot &s) {
        std::shared_lock<std::shared_mutex> lock(s.mu);
        if (s.ctx) lh_context_cancel(s.ctx);
    }

    void tokens() {
        const size_t m = static_cast<size_t>(uniform(rng_, 0, static_cast<int32_t>(w_.models.size()) - 1));
        lh_model *model = w_.models[m];
        const int32_t V = w_.n_vocab[m];
        const std::string text = random_text(rng_);
        std::vector<int32_t> ids(static_cast<size_t>(uniform(rng_, 0, 64)));
        size_t n = 0;
        const lh_status st = c_.note("lh_tokenize", lh_tokenize(model, text.data(), text.size(), uniform(rng_, 0, 1),
                                                                 uniform(rng_, 0, 1), ids.data(), ids.size(), &n));
        if (st == LH_OK) {
            for (size_t i = 0; i < n; ++i)
                if (ids[i] < 0 || ids[i] >= V) finding("lh_tokenize: id " + std::to_string(ids[i]) + " out of range");
        }
        std::vector<int32_t> t = random_tokens(rng_, V, static_cast<size_t>(uniform(rng_, 0, 30)));
        std::vector<char> buf(static_cast<size_t>(uniform(rng_, 0, 200)));
        size_t len = 0;
        c_.note("lh_detokenize", lh_detokenize(model, t.data(), t.size(), uniform(rng_, -1, 4),
                                               buf.empty() ? nullptr : buf.data(), buf.size(), &len));
        c_.note("lh_token_piece", lh_token_piece(model, uniform(rng_, -2, V + 2), buf.empty() ? nullptr : buf.data(),
                                                 buf.size(), &len));
        lh_token_is_eog(model, uniform(rng_, -2, V + 2));
    }

    void sampling() {
        if (!sampler_ || chance(rng_, 0.1)) {
            lh_sampler_free(sampler_);
            sampler_ = nullptr;
            lh_sampler_params p;
            random_sampling(rng_, p);
            if (chance(rng_, 0.05)) p.temperature = NAN;
            if (c_.note("lh_sampler_create", lh_sampler_create(&p, &sampler_)) != LH_OK) return;
        }
        const int32_t V = uniform(rng_, chance(rng_, 0.02) ? 0 : 1, 600);
        std::vector<float> logits(static_cast<size_t>(std::max(V, 1)));
        std::normal_distribution<float> nd(0.0f, 3.0f);
        for (float &x : logits) x = nd(rng_);
        if (chance(rng_, 0.05)) logits[0] = chance(rng_, 0.5) ? NAN : INFINITY;
        int32_t token = -1;
        if (c_.note("lh_sampler_sample", lh_sampler_sample(sampler_, logits.data(), V, &token)) == LH_OK &&
            (token < 0 || token >= V))
            finding("lh_sampler_sample: token " + std::to_string(token) + " of " + std::to_string(V));
        std::vector<int32_t> t = random_tokens(rng_, 600, static_cast<size_t>(uniform(rng_, 0, 20)));
        c_.note("lh_sampler_accept", lh_sampler_accept(sampler_, t.data(), t.size()));
    }

    void model_queries() {
        lh_model *model = w_.models[static_cast<size_t>(uniform(rng_, 0, static_cast<int32_t>(w_.models.size()) - 1))];
        lh_model_info info;
        info.struct_size = sizeof info;
        c_.note("lh_model_get_info", lh_model_get_info(model, &info));
        const char *keys[] = {"general.name", "general.architecture", "tokenizer.ggml.tokens", "no.such.key"};
        char buf[64];
        size_t len = 0;
        c_.note("lh_model_meta_get", lh_model_meta_get(model, keys[uniform(rng_, 0, 3)], buf,
                                                       static_cast<size_t>(uniform(rng_, 0, 64)), &len));
    }
};

void print_counts(uint64_t seed, double seconds) {
    uint64_t total = 0;
    std::vector<uint64_t> by_status(kStatuses + 1, 0);
    std::printf("%-30s %10s", "call", "calls");
    for (int s = 0; s < kStatuses; ++s) std::printf(" %s", lh_status_name(static_cast<lh_status>(s)));
    std::printf("\n");
    for (const auto &kv : g_stats.calls) {
        uint64_t n = 0;
        for (uint64_t c : kv.second) n += c;
        total += n;
        std::printf("%-30s %10llu", kv.first.c_str(), static_cast<unsigned long long>(n));
        for (int s = 0; s <= kStatuses; ++s) {
            by_status[static_cast<size_t>(s)] += kv.second[static_cast<size_t>(s)];
            if (kv.second[static_cast<size_t>(s)])
                std::printf(" %s=%llu", s < kStatuses ? lh_status_name(static_cast<lh_status>(s)) : "other",
                            static_cast<unsigned long long>(kv.second[static_cast<size_t>(s)]));
        }
        std::printf("\n");
    }
    std::printf("soak: seed %llu, %.0f s, %llu calls; statuses:", static_cast<unsigned long long>(seed), seconds,
                static_cast<unsigned long long>(total));
    for (int s = 0; s <= kStatuses; ++s)
        if (by_status[static_cast<size_t>(s)])
            std::printf(" %s=%llu", s < kStatuses ? lh_status_name(static_cast<lh_status>(s)) : "other",
                        static_cast<unsigned long long>(by_status[static_cast<size_t>(s)]));
    std::printf("\n");
}

}  // namespace

int main(int argc, char **argv) {
    std::string model_path;
    double seconds = 120;
    int threads = 4, contexts = 3;
    uint64_t seed = 0;
    bool have_seed = false;
    if (const char *e = std::getenv("LONGHEADS_SOAK_SEED")) {
        seed = std::strtoull(e, nullptr, 10);
        have_seed = true;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") model_path = argv[i + 1];
        else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
        else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10), have_seed = true;
        else if (a == "--threads") threads = std::atoi(argv[i + 1]);
        else if (a == "--contexts") contexts = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    if (model_path.empty() || threads < 1 || contexts < 1) {
        std::fprintf(stderr, "usage: soak_test --model M.gguf [--seconds S] [--seed N] [--threads T] [--contexts C]\n");
        return 2;
    }
    if (!have_seed) seed = std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32);
    std::printf("soak seed %llu (rerun with --seed %llu or LONGHEADS_SOAK_SEED), %.0f s, %d threads, %d contexts\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), seconds, threads, contexts);
    std::fflush(stdout);

    World w(static_cast<size_t>(contexts));
    for (lh_precision precision : {LH_PRECISION_F32, LH_PRECISION_BF16}) {
        lh_model_params mp;
        lh_model_params_init(&mp);
        mp.n_threads = 1;
        mp.precision = precision;
        lh_model *m = nullptr;
        if (lh_model_load(model_path.c_str(), &mp, &m) != LH_OK) {
            std::fprintf(stderr, "cannot load %s: %s\n", model_path.c_str(), lh_last_error());
            return 1;
        }
        lh_model_info info;
        info.struct_size = sizeof info;
        lh_model_get_info(m, &info);
        w.models.push_back(m);
        w.n_vocab.push_back(info.n_vocab);
    }
    const auto t0 = std::chrono::steady_clock::now();
    w.deadline = t0 + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([&w, seed, t] { Worker(w, seed + 0x9E3779B97F4A7C15ull * (t + 1)).run(); });

    // Watchdog: some call must complete every 60 s.
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        uint64_t last = g_progress.load();
        auto last_change = std::chrono::steady_clock::now();
        while (!done.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const uint64_t now = g_progress.load();
            if (now != last) {
                last = now;
                last_change = std::chrono::steady_clock::now();
            } else if (std::chrono::steady_clock::now() - last_change > std::chrono::seconds(60)) {
                std::fprintf(stderr, "FINDING: no call completed for 60 s (seed %llu): hung\n",
                             static_cast<unsigned long long>(seed));
                std::fflush(stderr);
                std::_Exit(1);
            }
        }
    });
    for (auto &t : pool) t.join();
    done = true;
    watchdog.join();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    for (Slot &s : w.slots) lh_context_free(s.ctx);
    for (lh_model *m : w.models) lh_model_free(m);
    print_counts(seed, took);
    std::printf("%zu findings\n", g_stats.findings.size());
    return g_stats.findings.empty() ? 0 : 1;
}
