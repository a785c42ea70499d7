// bench: prefill and decode speed at a given depth, KV bytes, peak RSS; --membw: read bandwidth.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <thread>

#include "commands.h"
#include "common.h"
#include "enum_names.h"
#include "flags.h"
#include "json.h"

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
    if (args.json) print_json(Json{{"membw_bytes_per_s", best}, {"threads", threads}});
    else std::printf("read bandwidth %.2f GB/s with %d threads\n", best / 1e9, threads);
    return 0;
}

// Deterministic pseudo-random prompt (content does not change the cost), BOS first.
std::vector<int32_t> bench_prompt(const lh_model_info &info, size_t n) {
    std::vector<int32_t> ids(n);
    uint64_t state = 0xC0FFEE;
    for (auto &id : ids) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        id = static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(info.n_vocab));
    }
    if (info.bos_token >= 0 && n > 0) ids[0] = info.bos_token;
    return ids;
}

// CPU seconds of every thread of this process so far: on a machine shared with other jobs the
// CPU time of a phase changes less with their load than its wall time does.
double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Seconds for `gen` greedy single-token steps after the prefill.
double decode_seconds(lh_context *ctx, int32_t n_vocab, int gen) {
    auto t0 = Clock::now();
    for (int i = 0; i < gen; ++i) {
        const float *logits = nullptr;
        check(lh_context_logits(ctx, -1, &logits), "cannot read logits");
        int32_t t = static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);
        check(lh_context_eval(ctx, &t, 1, 0), "decode failed");
    }
    return seconds_since(t0);
}

}  // namespace

void add_bench_flags(CLI::App &cmd, Args &args) {
    cmd.add_option("-m,--model", args.model_path, "GGUF model file")->type_name("FILE");
    add_enum_flag(cmd, "--precision", args.model.precision, kPrecisionNames,
                  "weights and products: f32 exact, bf16 fast (quantized weights stay quantized)");
    add_int_flag(cmd, "-t,--threads", args.n_threads, 0, 1024, "threads (0 = all cores)");
    add_int_flag(cmd, "--gen", args.n_gen, 0, 1 << 20, "tokens to decode after the prefill", "G");
    cmd.add_flag("--prefill-only", args.prefill_only, "measure the prefill only (--gen 0)");
    cmd.add_flag("--membw", args.membw, "measure this machine's read bandwidth instead (no model)");
    add_context_flags(cmd, args);
    add_output_flags(cmd, args);
    cmd.footer("Prefills --ctx tokens (required) of a fixed pseudo-random prompt, then decodes --gen tokens "
               "greedily; reports tokens/s, the decode's CPU seconds (all threads), KV bytes and peak RSS.");
}

int run_bench(const Args &args) {
    if (args.membw) return run_membw(args);
    const int32_t n_prefill = args.context.n_ctx;
    if (n_prefill <= 0) throw Failure("bench needs --ctx N (tokens to prefill)");
    ModelPtr model = load_model(args);
    lh_model_info info = model_info(model.get());
    const int gen = args.prefill_only ? 0 : args.n_gen;
    ContextPtr ctx = make_context(model.get(), args, n_prefill + gen + 1);
    std::vector<int32_t> ids = bench_prompt(info, static_cast<size_t>(n_prefill));

    auto t0 = Clock::now();
    const size_t slice = 4096;
    for (size_t done = 0; done < ids.size(); done += slice)
        check(lh_context_eval(ctx.get(), ids.data() + done, std::min(slice, ids.size() - done), 0), "prefill failed");
    const double prefill_s = seconds_since(t0);
    const double cpu0 = process_cpu_seconds();
    const double decode_s = gen > 0 ? decode_seconds(ctx.get(), info.n_vocab, gen) : 0.0;
    const double decode_cpu_s = process_cpu_seconds() - cpu0;

    lh_context_params cp = effective_params(ctx.get());
    uint64_t kv_bytes = 0;
    check(lh_context_estimate_kv_bytes(model.get(), &cp, n_prefill + gen, &kv_bytes), "cannot estimate the KV cache");
    const double prefill_tok_s = n_prefill / prefill_s;
    const double decode_tok_s = gen > 0 ? gen / decode_s : 0;
    if (args.json) {
        print_json(Json{{"ctx", n_prefill}, {"gen", gen}, {"attention", name_of(kAttentionNames, cp.attention)},
                        {"precision", name_of(kPrecisionNames, args.model.precision)}, {"prefill_s", prefill_s},
                        {"prefill_tok_s", prefill_tok_s}, {"decode_tok_s", decode_tok_s},
                        {"decode_cpu_s", decode_cpu_s}, {"kv_bytes", kv_bytes},
                        {"weight_bytes", info.weight_bytes}, {"peak_rss_bytes", peak_rss_bytes()},
                        {"threads", thread_count(args)}});
    } else {
        std::printf("prefill %d tokens: %.3f s (%.1f tok/s)\n", n_prefill, prefill_s, prefill_tok_s);
        if (gen > 0) std::printf("decode %d tokens at depth %d: %.1f tok/s\n", gen, n_prefill, decode_tok_s);
        std::printf("KV cache %llu bytes, peak RSS %llu bytes, %d threads\n", (unsigned long long)kv_bytes,
                    (unsigned long long)peak_rss_bytes(), thread_count(args));
    }
    return 0;
}

}  // namespace cli
