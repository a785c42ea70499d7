#include "args.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cli {

namespace {

bool to_int(const char *s, int64_t lo, int64_t hi, int64_t &out) {
    errno = 0;
    char *end = nullptr;
    long long v = std::strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) return false;
    out = v;
    return true;
}

bool to_float(const char *s, double &out) {
    errno = 0;
    char *end = nullptr;
    out = std::strtod(s, &end);
    return !(errno || end == s || *end != '\0');
}

}  // namespace

bool parse_args(int argc, char **argv, Args &a, std::string &error) {
    if (argc < 2) {
        error = "missing command";
        return false;
    }
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string flag = argv[i];
        auto value = [&]() -> const char * {
            if (i + 1 >= argc) return nullptr;
            return argv[++i];
        };
        auto want_int = [&](int32_t &dst, int64_t lo, int64_t hi) {
            const char *v = value();
            int64_t x;
            if (!v || !to_int(v, lo, hi, x)) {
                error = flag + " needs an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
                return false;
            }
            dst = static_cast<int32_t>(x);
            return true;
        };
        auto want_float = [&](float &dst) {
            const char *v = value();
            double x;
            if (!v || !to_float(v, x)) {
                error = flag + " needs a number";
                return false;
            }
            dst = static_cast<float>(x);
            return true;
        };
        auto want_string = [&](std::string &dst) {
            const char *v = value();
            if (!v) {
                error = flag + " needs a value";
                return false;
            }
            dst = v;
            return true;
        };
        bool ok = true;
        if (flag == "-m" || flag == "--model") ok = want_string(a.model);
        else if (flag == "-p" || flag == "--prompt") { ok = want_string(a.prompt); a.prompt_set = true; }
        else if (flag == "-f" || flag == "--file") ok = want_string(a.file);
        else if (flag == "--tokens-file") ok = want_string(a.tokens_file);
        else if (flag == "-n" || flag == "--n-predict") ok = want_int(a.n_predict, 0, 1 << 24);
        else if (flag == "-c" || flag == "--ctx" || flag == "--ctx-size") ok = want_int(a.n_ctx, 0, 1 << 24);
        else if (flag == "-t" || flag == "--threads") ok = want_int(a.n_threads, 0, 1024);
        else if (flag == "-b" || flag == "--batch-size") ok = want_int(a.n_batch, 0, 1 << 20);
        else if (flag == "--sequences") ok = want_int(a.n_sequences, 1, 1 << 20);
        else if (flag == "--temp") ok = want_float(a.temperature);
        else if (flag == "--top-k") ok = want_int(a.top_k, -1, 1 << 30);
        else if (flag == "--top-p") ok = want_float(a.top_p);
        else if (flag == "--min-p") ok = want_float(a.min_p);
        else if (flag == "--repeat-penalty") ok = want_float(a.repeat_penalty);
        else if (flag == "--repeat-last-n") ok = want_int(a.repeat_last_n, 0, 1 << 24);
        else if (flag == "--seed" || flag == "-s") {
            const char *v = value();
            int64_t x;
            ok = v && to_int(v, 0, INT64_MAX, x);
            if (ok) a.seed = static_cast<uint64_t>(x);
            else error = "--seed needs a non-negative integer";
        } else if (flag == "--stop") {
            std::string s;
            ok = want_string(s);
            if (ok) a.stop.push_back(s);
        } else if (flag == "--json") a.json = true;
        else if (flag == "--no-bos") a.no_bos = true;
        else if (flag == "--all") a.all_logits = true;
        else if (flag == "--ignore-eos") a.ignore_eos = true;
        else if (flag == "--no-progress") a.progress = false;
        else if (flag == "--precision") ok = want_string(a.precision);
        else if (flag == "--attention") ok = want_string(a.attention);
        else if (flag == "--chunk-size") ok = want_int(a.chunk_size, 0, 1 << 20);
        else if (flag == "--attn-len") ok = want_int(a.attn_len, 0, 1 << 24);
        else if (flag == "--begin") ok = want_int(a.begin_len, 0, 1 << 24);
        else if (flag == "--sinks") ok = want_int(a.n_sinks, 0, 1 << 24);
        else if (flag == "--allow-long-attn") a.allow_long_attn = true;
        else if (flag == "--prefill") ok = want_string(a.prefill);
        else if (flag == "--kv-type") ok = want_string(a.kv_type);
        else if (flag == "--chunk-score") ok = want_string(a.chunk_score);
        else if (flag == "--memory-budget") {
            const char *v = value();
            int64_t x;
            ok = v && to_int(v, 0, INT64_MAX, x);
            if (ok) a.memory_budget = static_cast<uint64_t>(x);
            else error = "--memory-budget needs a byte count";
        } else if (flag == "--length") ok = want_int(a.length, 1, 1 << 24);
        else if (flag == "--trials") ok = want_int(a.trials, 1, 100000);
        else if (flag == "--depth") {
            float d;
            ok = want_float(d);
            if (ok && (d < 0 || d > 1)) { ok = false; error = "--depth must be between 0 and 1"; }
            a.depth = d;
        } else if (flag == "--gen") ok = want_int(a.n_gen, 0, 1 << 20);
        else if (flag == "--prefill-only") a.prefill_only = true;
        else if (flag == "--membw") a.membw = true;
        else {
            error = "unknown flag '" + flag + "'";
            return false;
        }
        if (!ok) {
            if (error.empty()) error = "bad value for " + flag;
            return false;
        }
    }
    return true;
}

bool make_model_params(const Args &a, lh_model_params &p, std::string &error) {
    lh_model_params_init(&p);
    if (a.precision == "f32") p.precision = LH_PRECISION_F32;
    else if (a.precision == "bf16") p.precision = LH_PRECISION_BF16;
    else {
        error = "--precision must be f32 or bf16";
        return false;
    }
    p.n_threads = a.n_threads;
    return true;
}

bool make_context_params(const Args &a, lh_context_params &p, std::string &error) {
    lh_context_params_init(&p);
    p.n_ctx = a.n_ctx;
    p.n_threads = a.n_threads;
    p.n_batch = a.n_batch;
    if (a.attention == "full") p.attention = LH_ATTENTION_FULL;
    else if (a.attention == "window") p.attention = LH_ATTENTION_WINDOW;
    else if (a.attention == "longheads") p.attention = LH_ATTENTION_LONGHEADS;
    else {
        error = "--attention must be full, window or longheads";
        return false;
    }
    if (a.prefill == "token") p.prefill_mode = LH_PREFILL_PER_TOKEN;
    else if (a.prefill == "block") p.prefill_mode = LH_PREFILL_BLOCK;
    else {
        error = "--prefill must be token or block";
        return false;
    }
    if (a.kv_type == "f32") p.kv_type = LH_KV_F32;
    else if (a.kv_type == "bf16") p.kv_type = LH_KV_BF16;
    else if (a.kv_type == "q8") p.kv_type = LH_KV_Q8;
    else {
        error = "--kv-type must be f32 or bf16";
        return false;
    }
    if (a.chunk_score == "faithful") p.chunk_score = LH_CHUNK_SCORE_FAITHFUL;
    else if (a.chunk_score == "max") p.chunk_score = LH_CHUNK_SCORE_MAX_KEY;
    else {
        error = "--chunk-score must be faithful or max";
        return false;
    }
    p.chunk_size = a.chunk_size;
    p.attn_len = a.attn_len;
    p.begin_len = a.begin_len;
    p.n_sinks = a.n_sinks;
    p.allow_attn_len_over_trained = a.allow_long_attn ? 1 : 0;
    p.memory_budget_bytes = a.memory_budget;
    return true;
}

void make_sampler_params(const Args &a, lh_sampler_params &p) {
    lh_sampler_params_init(&p);
    p.temperature = a.temperature;
    p.top_k = a.top_k;
    p.top_p = a.top_p;
    p.min_p = a.min_p;
    p.repeat_penalty = a.repeat_penalty;
    p.repeat_last_n = a.repeat_last_n;
    p.seed = a.seed;
}

}  // namespace cli
