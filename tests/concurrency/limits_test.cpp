// Thread counts and the memory budget (issue 14, items 1 and 5), through the public C API. Each
// case runs in a child process (tests/malformed/child_process.h), so one that kills its process
// (libgomp exiting on a failed thread creation) or blows up its memory is a reported failure:
//   threads_ulimit     n_threads = 1024 for the model and a context under an address-space limit
//                      of 8,000,000 KiB (`ulimit -v 8000000`): load, eval and generate work, with
//                      the threads lowered to the machine's;
//   threads_stack      OMP_STACKSIZE=1G and an address-space limit 512 MiB above what the process
//                      uses: a 2-thread context still evaluates (no thread is asked for that
//                      cannot be created);
//   all_logits_32000   16,384 tokens x 32,000 logits with all_logits under a 64 MiB budget:
//                      LH_ERROR_OUT_OF_MEMORY with a message, nothing evaluated; fewer tokens
//                      per call fit;
//   lazy_batch         n_batch = 2^20 with n_ctx = 2^20 and no budget: creating the context takes
//                      no activation memory up front (n_batch lowered to 4096);
//   budget_rss         create / eval / all-logits eval under a 24 MiB budget: the process's peak
//                      RSS above the loaded model stays under the budget + a fixed slack, and
//                      the call that would exceed it is refused.
//
//   limits_test --model stories260K.gguf --vocab-model llama-2-tiny-random.gguf [--only CASE]
//               [--sanitized]   (sanitizer builds: no address-space limits, which ASan cannot run
//                                under, and no RSS bounds, which its shadow memory breaks)
// Prints one line per case and "N passed, M failed"; exit status 1 on any failure.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../malformed/child_process.h"
#include "longheads/longheads.h"

namespace {

bool g_child_ok = true;

void check(bool ok, const std::string &what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    std::fflush(stdout);
    if (!ok) g_child_ok = false;
}

std::string status_text(lh_status s) { return std::string(lh_status_string(s)) + ": " + lh_last_error(); }

long status_kb(const char *field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const size_t n = std::strlen(field);
    while (std::getline(in, line))
        if (line.compare(0, n, field) == 0 && line[n] == ':') return std::atol(line.c_str() + n + 1);
    return -1;
}

// Resets VmHWM (the peak RSS) to the current RSS.
bool reset_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    return static_cast<bool>(f);
}

lh_model *load(const std::string &path, int32_t n_threads) {
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.n_threads = n_threads;
    lh_model *m = nullptr;
    lh_status s = lh_model_load(path.c_str(), &mp, &m);
    check(s == LH_OK, "load " + path + " with n_threads " + std::to_string(n_threads) + ": " + status_text(s));
    return m;
}

lh_context *create(lh_model *m, lh_context_params p, lh_status *status) {
    lh_context *ctx = nullptr;
    *status = lh_context_create(m, &p, &ctx);
    return ctx;
}

std::vector<int32_t> tokens(size_t n, int32_t n_vocab) {
    std::vector<int32_t> t(n);
    for (size_t i = 0; i < n; ++i) t[i] = 3 + static_cast<int32_t>((i * 7919) % static_cast<size_t>(n_vocab - 3));
    return t;
}

int32_t vocab_size(lh_model *m) {
    lh_model_info info;
    info.struct_size = sizeof info;
    lh_model_get_info(m, &info);
    return info.n_vocab;
}

// ---- cases (inside the child) ----

int case_threads_ulimit(const std::string &model) {
    const int32_t hw = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
    lh_model *m = load(model, 1024);
    if (!m) return 1;
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 1024;
    p.n_ctx = 512;
    lh_status s;
    lh_context *ctx = create(m, p, &s);
    check(s == LH_OK, "context with n_threads 1024: " + status_text(s));
    if (!ctx) return 1;
    lh_context_params got;
    got.struct_size = sizeof got;
    lh_context_get_params(ctx, &got);
    check(got.n_threads >= 1 && got.n_threads <= hw,
          "n_threads used: " + std::to_string(got.n_threads) + " (hardware threads " + std::to_string(hw) + ")");
    std::vector<int32_t> t = tokens(300, vocab_size(m));
    s = lh_context_eval(ctx, t.data(), t.size(), 0);
    check(s == LH_OK, "eval 300 tokens: " + status_text(s));
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = 8;
    char buf[256];
    s = lh_generate(ctx, "Once upon a time", 16, &gp, nullptr, nullptr, buf, sizeof buf, nullptr);
    check(s == LH_OK, "generate 8 tokens: " + status_text(s));
    lh_context_free(ctx);
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

int case_threads_stack(const std::string &model, bool sanitized) {
    lh_model *m = load(model, 1);
    if (!m) return 1;
    if (!sanitized) {
        const uint64_t used = static_cast<uint64_t>(status_kb("VmSize")) * 1024;
        struct rlimit rl = {used + (512ull << 20), used + (512ull << 20)};
        check(setrlimit(RLIMIT_AS, &rl) == 0, "address-space limit 512 MiB above the " + std::to_string(used >> 20) +
                                                   " MiB in use");
    }
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 2;
    p.n_ctx = 512;
    lh_status s;
    lh_context *ctx = create(m, p, &s);
    check(s == LH_OK, "context with n_threads 2: " + status_text(s));
    if (!ctx) return 1;
    lh_context_params got;
    got.struct_size = sizeof got;
    lh_context_get_params(ctx, &got);
    std::printf("     n_threads used: %d\n", got.n_threads);
    std::vector<int32_t> t = tokens(300, vocab_size(m));
    s = lh_context_eval(ctx, t.data(), t.size(), 0);
    check(s == LH_OK, "eval 300 tokens: " + status_text(s));
    lh_context_free(ctx);
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

int case_all_logits(const std::string &vocab_model) {
    lh_model *m = load(vocab_model, 1);
    if (!m) return 1;
    const int32_t V = vocab_size(m);
    check(V == 32000, "the model has 32000 logits per token (" + std::to_string(V) + ")");
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 1;
    p.n_ctx = 16384;
    p.memory_budget_bytes = 64ull << 20;
    lh_status s;
    lh_context *ctx = create(m, p, &s);
    check(s == LH_OK, "context of 16384 tokens under 64 MiB: " + status_text(s));
    if (!ctx) return 1;
    std::vector<int32_t> t = tokens(16384, V);
    const long rss0 = status_kb("VmRSS");
    s = lh_context_eval(ctx, t.data(), t.size(), 1);
    const std::string msg = lh_last_error();
    const long grew_kb = status_kb("VmHWM") - rss0;
    check(s == LH_ERROR_OUT_OF_MEMORY, "eval of 16384 tokens with all logits: want LH_ERROR_OUT_OF_MEMORY, got " +
                                           status_text(s) + " (peak RSS grew " + std::to_string(grew_kb / 1024) +
                                           " MiB)");
    check(msg.find("2097152000") != std::string::npos && msg.find("67108864") != std::string::npos,
          "the message gives the logits' bytes and the budget: " + msg);
    int32_t n_past = -1;
    lh_context_n_past(ctx, &n_past);
    check(n_past == 0, "nothing was evaluated (n_past " + std::to_string(n_past) + ")");
    s = lh_context_eval(ctx, t.data(), 256, 1);
    check(s == LH_OK, "256 tokens with all logits fit: " + status_text(s));
    lh_context_free(ctx);
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

int case_lazy_batch(const std::string &model, bool sanitized) {
    lh_model *m = load(model, 1);
    if (!m) return 1;
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 1;
    p.n_ctx = 1 << 20;
    p.n_batch = 1 << 20;
    const long rss0 = status_kb("VmRSS");
    lh_status s;
    lh_context *ctx = create(m, p, &s);
    const long grew_kb = status_kb("VmRSS") - rss0;
    check(s == LH_OK, "context with n_ctx = n_batch = 2^20: " + status_text(s));
    if (!ctx) return 1;
    lh_context_params got;
    got.struct_size = sizeof got;
    lh_context_get_params(ctx, &got);
    check(got.n_batch == 4096, "n_batch used: " + std::to_string(got.n_batch));
    check(sanitized || grew_kb < 64 * 1024, "RSS grew " + std::to_string(grew_kb / 1024) + " MiB at creation (limit 64 MiB)");
    std::vector<int32_t> t = tokens(64, vocab_size(m));
    s = lh_context_eval(ctx, t.data(), t.size(), 0);
    check(s == LH_OK, "eval 64 tokens: " + status_text(s));
    lh_context_free(ctx);
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

int case_budget_rss(const std::string &model, bool sanitized) {
    constexpr uint64_t kBudget = 24ull << 20;
    constexpr long kSlackKb = 8 * 1024;  // threads' stacks, oneDNN and TBB state, allocator slack
    lh_model *m = load(model, 2);
    if (!m) return 1;
    const int32_t V = vocab_size(m);
    std::vector<int32_t> t = tokens(8192, V);
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = 2;
    p.n_ctx = 8192;
    p.memory_budget_bytes = kBudget;
    for (lh_attention attention : {LH_ATTENTION_FULL, LH_ATTENTION_LONGHEADS}) {
        p.attention = attention;
        p.chunk_size = attention == LH_ATTENTION_LONGHEADS ? 32 : 0;
        p.attn_len = attention == LH_ATTENTION_LONGHEADS ? 256 : 0;
        check(reset_peak_rss(), "reset the peak RSS (/proc/self/clear_refs)");
        const long base = status_kb("VmHWM");
        lh_status s;
        lh_context *ctx = create(m, p, &s);
        const std::string mode = attention == LH_ATTENTION_FULL ? "full: " : "longheads: ";
        check(s == LH_OK, mode + "context of 8192 tokens under 24 MiB: " + status_text(s));
        if (!ctx) return 1;
        s = lh_context_eval(ctx, t.data(), 4000, 0);  // fills half the KV cache
        check(s == LH_OK, mode + "eval 4000 tokens: " + status_text(s));
        s = lh_context_eval(ctx, t.data(), 2000, 1);
        check(s == LH_OK, mode + "then 2000 tokens with all logits (" + std::to_string(2000ll * V * 4) +
                              " bytes): " + status_text(s));
        lh_context_reset(ctx);
        s = lh_context_eval(ctx, t.data(), 8192, 1);
        check(s == LH_ERROR_OUT_OF_MEMORY, mode + "8192 tokens with all logits (" + std::to_string(8192ll * V * 4) +
                                               " bytes) are refused: " + status_text(s));
        const long peak = status_kb("VmHWM") - base;
        check(sanitized || peak <= static_cast<long>(kBudget / 1024) + kSlackKb,
              mode + "peak RSS above the loaded model: " + std::to_string(peak / 1024) + " MiB (budget 24 MiB + " +
                  std::to_string(kSlackKb / 1024) + " MiB slack)");
        lh_context_free(ctx);
    }
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    std::string model, vocab_model, only, child_case;
    bool sanitized = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--model") model = next();
        else if (a == "--vocab-model") vocab_model = next();
        else if (a == "--only") only = next();
        else if (a == "--case") child_case = next();
        else if (a == "--sanitized") sanitized = true;
    }
    if (model.empty() || vocab_model.empty()) {
        std::fprintf(stderr, "usage: limits_test --model M.gguf --vocab-model V.gguf [--only CASE] [--sanitized]\n");
        return 2;
    }
    if (child_case == "threads_ulimit") return case_threads_ulimit(model);
    if (child_case == "threads_stack") return case_threads_stack(model, sanitized);
    if (child_case == "all_logits_32000") return case_all_logits(vocab_model);
    if (child_case == "lazy_batch") return case_lazy_batch(model, sanitized);
    if (child_case == "budget_rss") return case_budget_rss(model, sanitized);
    if (!child_case.empty()) {
        std::fprintf(stderr, "unknown case %s\n", child_case.c_str());
        return 2;
    }
    if (access(vocab_model.c_str(), R_OK) != 0) {
        std::fprintf(stderr, "FAILED: %s is missing (the 32000-token model of ../shared/models)\n", vocab_model.c_str());
        return 1;
    }

    int passed = 0, failed = 0;
    const uint64_t ulimit_v = sanitized ? 0 : 8000000ull * 1024;  // ulimit -v 8000000 (KiB)
    for (const char *name : {"threads_ulimit", "threads_stack", "all_logits_32000", "lazy_batch", "budget_rss"}) {
        if (!only.empty() && only != name) continue;
        std::vector<std::string> args = {"--case", name, "--model", model, "--vocab-model", vocab_model};
        if (sanitized) args.push_back("--sanitized");
        std::vector<std::string> env;
        if (std::strcmp(name, "threads_stack") == 0) env.push_back("OMP_STACKSIZE=1G");
        const uint64_t limit = std::strcmp(name, "threads_ulimit") == 0 ? ulimit_v : 0;
        lh_test::ChildResult r = lh_test::run_child(args, 300, limit, env);
        std::printf("%-17s %s (%.2f s)\n", name, r.ok() ? "passed" : ("FAILED: child " + r.describe()).c_str(),
                    r.seconds);
        if (!r.ok() || !only.empty()) std::printf("%s", r.output.c_str());
        (r.ok() ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
