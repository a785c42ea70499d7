// bench: prefill and decode speed at a given depth, KV bytes, peak RSS; --membw: read bandwidth.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <thread>

#include "commands.h"
#include "common.h"
#include "json_out.h"

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t peak_rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

int thread_count(const Args &args) {
    if (args.n_threads > 0) return args.n_threads;
    unsigned n = std::thread::hardware_concurrency();
    return n ? static_cast<int>(n) : 1;
}

// STREAM-like read bandwidth: every thread sums its slice of a 1 GiB buffer of doubles.
int run_membw(const Args &args) {
    const size_t n = (size_t(1) << 30) / sizeof(double);
    std::vector<double> data(n, 1.0);
    int threads = thread_count(args);
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        std::vector<double> partial(static_cast<size_t>(threads));
        auto t0 = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                size_t begin = n * static_cast<size_t>(t) / threads, end = n * static_cast<size_t>(t + 1) / threads;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (size_t i = begin; i + 4 <= end; i += 4) {
                    s0 += data[i];
                    s1 += data[i + 1];
                    s2 += data[i + 2];
                    s3 += data[i + 3];
                }
                partial[static_cast<size_t>(t)] = s0 + s1 + s2 + s3;
            });
        }
        for (auto &th : pool) th.join();
        double s = seconds_since(t0);
        if (std::accumulate(partial.begin(), partial.end(), 0.0) != static_cast<double>(n)) throw Failure("membw sum is wrong");
        best = std::max(best, static_cast<double>(n * sizeof(double)) / s);
    }
    if (args.json) std::printf("{\"membw_bytes_per_s\": %s, \"threads\": %d}\n", json_number(best).c_str(), threads);
    else std::printf("read bandwidth %.2f GB/s with %d threads\n", best / 1e9, threads);
    return 0;
}

}  // namespace

int run_bench(const Args &args) {
    if (args.membw) return run_membw(args);
    if (args.n_ctx <= 0) throw Failure("bench needs --ctx N (tokens to prefill)");
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    int gen = args.prefill_only ? 0 : args.n_gen;
    Args cargs = args;
    cargs.n_ctx = args.n_ctx + gen + 1;
    ContextPtr ctx = make_context(model.get(), cargs);

    // Deterministic pseudo-random prompt (content does not change the cost).
    std::vector<int32_t> ids(static_cast<size_t>(args.n_ctx));
    uint64_t state = args.seed;
    for (auto &id : ids) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        id = static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(info.n_vocab));
    }
    if (info.bos_token >= 0) ids[0] = info.bos_token;

    auto t0 = Clock::now();
    const size_t slice = 4096;
    for (size_t done = 0; done < ids.size(); done += slice)
        check(lh_context_eval(ctx.get(), ids.data() + done, std::min(slice, ids.size() - done), 0), "prefill failed");
    double prefill_s = seconds_since(t0);

    double decode_s = 0;
    if (gen > 0) {
        auto t1 = Clock::now();
        for (int i = 0; i < gen; ++i) {
            const float *logits = nullptr;
            check(lh_context_logits(ctx.get(), -1, &logits), "cannot read logits");
            int32_t t = static_cast<int32_t>(std::max_element(logits, logits + info.n_vocab) - logits);
            check(lh_context_eval(ctx.get(), &t, 1, 0), "decode failed");
        }
        decode_s = seconds_since(t1);
    }
    lh_context_params cp;
    std::string error;
    if (!make_context_params(cargs, cp, error)) throw Failure(error);
    uint64_t kv_bytes = 0;
    check(lh_context_estimate_kv_bytes(model.get(), &cp, args.n_ctx + gen, &kv_bytes), "cannot estimate the KV cache");
    double prefill_tok_s = args.n_ctx / prefill_s;
    double decode_tok_s = gen > 0 ? gen / decode_s : 0;
    if (args.json) {
        std::printf("{\"ctx\": %d, \"gen\": %d, \"attention\": %s, \"precision\": %s, \"prefill_s\": %s, "
                    "\"prefill_tok_s\": %s, \"decode_tok_s\": %s, \"kv_bytes\": %llu, \"weight_bytes\": %llu, "
                    "\"peak_rss_bytes\": %llu, \"threads\": %d}\n",
                    args.n_ctx, gen, json_string(args.attention).c_str(), json_string(args.precision).c_str(),
                    json_number(prefill_s).c_str(), json_number(prefill_tok_s).c_str(), json_number(decode_tok_s).c_str(),
                    (unsigned long long)kv_bytes, (unsigned long long)info.weight_bytes,
                    (unsigned long long)peak_rss_bytes(), thread_count(args));
    } else {
        std::printf("prefill %d tokens: %.3f s (%.1f tok/s)\n", args.n_ctx, prefill_s, prefill_tok_s);
        if (gen > 0) std::printf("decode %d tokens at depth %d: %.1f tok/s\n", gen, args.n_ctx, decode_tok_s);
        std::printf("KV cache %llu bytes, peak RSS %llu bytes, %d threads\n", (unsigned long long)kv_bytes,
                    (unsigned long long)peak_rss_bytes(), thread_count(args));
    }
    return 0;
}

}  // namespace cli
