// Heavy use through the public C API only: one model shared by many contexts on many threads,
// contexts created and freed while others generate, a context entered by two threads at once,
// cancellation from another thread, the memory budget, and a load/generate/free loop whose RSS
// must not grow.
//
//   concurrency_test --model M.gguf [--contexts 8] [--threads-per-context 1] [--tokens 32]
//                    [--rounds 2] [--cycles 200] [--no-rss-check] [--only NAME]
// Prints "N passed, M failed"; exit status 1 on any failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "longheads/longheads.h"

namespace {

std::atomic<int> g_passed{0}, g_failed{0};
std::mutex g_print;

void expect(bool ok, const std::string &what) {
    if (ok) {
        ++g_passed;
        return;
    }
    ++g_failed;
    std::lock_guard<std::mutex> lock(g_print);
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
}

struct Options {
    std::string model;
    int contexts = 8;
    int threads_per_context = 1;
    int tokens = 32;
    int rounds = 2;
    int cycles = 200;
    bool rss_check = true;
    std::string only;
};

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long vm_rss_kb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, 6, "VmRSS:") == 0) return std::atol(line.c_str() + 6);
    return -1;
}

// One generation job: attention mode, sampling and prompt differ between jobs.
struct Job {
    lh_attention attention;
    float temperature;
    uint64_t seed;
    std::string prompt;
};

std::string story(int i) {
    static const char *kParts[] = {
        "Once upon a time, there was a little girl named Lily. ",
        "She loved to play outside in the park with her dog. ",
        "One day, she saw a big red ball under a tree. ",
        "Tom and Sam were best friends who liked to build castles. ",
        "The sun was shining and the birds were singing. ",
        "Mom said they could have cake after dinner. ",
    };
    std::string s;
    // Long enough (~300+ tokens for the longer ones) for LongHeads to select chunks.
    int n = 2 + (i * 5) % 24;
    for (int k = 0; k < n; ++k) s += kParts[(i + k) % 6];
    return s;
}

std::vector<Job> make_jobs(int n) {
    std::vector<Job> jobs;
    for (int i = 0; i < n; ++i) {
        Job j;
        j.attention = static_cast<lh_attention>(i % 3);
        j.temperature = (i % 2 == 0) ? 0.0f : 0.9f;  // greedy and seeded sampling
        j.seed = 1000 + static_cast<uint64_t>(i);
        j.prompt = story(i);
        jobs.push_back(j);
    }
    return jobs;
}

lh_context *make_context(const lh_model *model, const Options &o, lh_attention attention, int32_t n_ctx) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_ctx = n_ctx;
    p.n_threads = o.threads_per_context;
    p.n_batch = 64;
    p.attention = attention;
    if (attention == LH_ATTENTION_LONGHEADS) {
        p.chunk_size = 32;
        p.attn_len = 128;
        p.begin_len = 128;
    } else if (attention == LH_ATTENTION_WINDOW) {
        p.attn_len = 128;
    }
    lh_context *ctx = nullptr;
    lh_status s = lh_context_create(model, &p, &ctx);
    if (s != LH_OK) {
        expect(false, std::string("lh_context_create: ") + lh_status_string(s) + ": " + lh_last_error());
        return nullptr;
    }
    return ctx;
}

// Runs the job on a fresh context; returns the token ids generated (empty + failure on error).
std::vector<int32_t> run_job(const lh_model *model, const Options &o, const Job &job) {
    std::vector<int32_t> out;
    lh_context *ctx = make_context(model, o, job.attention, 1024);
    if (!ctx) return out;
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = o.tokens;
    gp.stop_at_eog = 0;
    lh_sampler_params sampling;
    lh_sampler_params_init(&sampling);
    sampling.temperature = job.temperature;
    sampling.seed = job.seed;
    gp.sampling = &sampling;
    lh_generation *gen = nullptr;
    lh_status s = lh_generation_start(ctx, job.prompt.data(), job.prompt.size(), &gp, &gen);
    if (s != LH_OK) {
        expect(false, std::string("lh_generation_start: ") + lh_status_string(s) + ": " + lh_last_error());
        lh_context_free(ctx);
        return out;
    }
    for (;;) {
        const char *piece = nullptr;
        size_t len = 0;
        int32_t tok = -1, done = 0;
        s = lh_generation_next(gen, &piece, &len, &tok, &done);
        if (s != LH_OK) {
            expect(false, std::string("lh_generation_next: ") + lh_status_string(s) + ": " + lh_last_error());
            break;
        }
        if (done) break;
        out.push_back(tok);
    }
    lh_generation_free(gen);
    lh_context_free(ctx);
    return out;
}

std::string ids_text(const std::vector<int32_t> &v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 12; ++i) s += (i ? " " : "") + std::to_string(v[i]);
    return s + (v.size() > 12 ? " ..." : "");
}

// 1. N contexts on N threads give exactly the tokens each gives alone.
void test_shared_model(const lh_model *model, const Options &o) {
    std::vector<Job> jobs = make_jobs(o.contexts);
    std::vector<std::vector<int32_t>> alone(jobs.size());
    double t0 = now_s();
    for (size_t i = 0; i < jobs.size(); ++i) {
        alone[i] = run_job(model, o, jobs[i]);
        expect(static_cast<int>(alone[i].size()) == o.tokens, "job " + std::to_string(i) + " generated " +
                                                                  std::to_string(alone[i].size()) + " tokens");
    }
    double t_alone = now_s() - t0;
    for (int round = 0; round < o.rounds; ++round) {
        std::vector<std::vector<int32_t>> together(jobs.size());
        std::vector<std::thread> threads;
        t0 = now_s();
        for (size_t i = 0; i < jobs.size(); ++i)
            threads.emplace_back([&, i] { together[i] = run_job(model, o, jobs[i]); });
        for (auto &t : threads) t.join();
        double t_together = now_s() - t0;
        for (size_t i = 0; i < jobs.size(); ++i) {
            expect(together[i] == alone[i], "round " + std::to_string(round) + " job " + std::to_string(i) +
                                                " (attention " + std::to_string(jobs[i].attention) + ", temp " +
                                                std::to_string(jobs[i].temperature) + "): alone [" +
                                                ids_text(alone[i]) + "] vs concurrent [" + ids_text(together[i]) + "]");
        }
        std::printf("shared model: %zu contexts on %zu threads x %d tokens, round %d: identical to alone "
                    "(alone %.2f s sequential, together %.2f s)\n",
                    jobs.size(), jobs.size(), o.tokens, round, t_alone, t_together);
    }
}

// 2. Contexts created and freed (and briefly used) while others generate.
void test_churn(const lh_model *model, const Options &o) {
    std::vector<Job> jobs = make_jobs(4);
    std::vector<std::vector<int32_t>> alone(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) alone[i] = run_job(model, o, jobs[i]);
    std::atomic<bool> stop{false};
    std::atomic<int> churned{0};
    std::vector<std::thread> churners;
    for (int c = 0; c < 2; ++c) {
        churners.emplace_back([&, c] {
            int32_t toks[8] = {1, 10, 20, 30, 40, 50, 60, 70};
            while (!stop.load()) {
                lh_context *ctx = make_context(model, o, static_cast<lh_attention>(c % 3), 64 + 64 * (churned % 4));
                if (!ctx) return;
                if (churned % 2 == 0) expect(lh_context_eval(ctx, toks, 8, 0) == LH_OK, "churn eval");
                lh_context_free(ctx);
                ++churned;
            }
        });
    }
    std::vector<std::vector<int32_t>> got(jobs.size());
    std::vector<std::thread> workers;
    for (size_t i = 0; i < jobs.size(); ++i)
        workers.emplace_back([&, i] {
            for (int r = 0; r < 2; ++r) {
                std::vector<int32_t> v = run_job(model, o, jobs[i]);
                if (r == 0 || v != alone[i]) got[i] = v;
            }
        });
    for (auto &t : workers) t.join();
    stop = true;
    for (auto &t : churners) t.join();
    for (size_t i = 0; i < jobs.size(); ++i)
        expect(got[i] == alone[i], "churn: job " + std::to_string(i) + " changed while contexts were churned");
    expect(churned.load() > 0, "churn: no context was created");
    std::printf("churn: %d contexts created and freed while 4 threads generated (tokens unchanged)\n", churned.load());
}

// 3. One context entered by two threads at once: one of them gets LH_ERROR_BUSY, nothing breaks.
void test_busy(const lh_model *model, const Options &o) {
    lh_context *ctx = make_context(model, o, LH_ATTENTION_FULL, 512);
    if (!ctx) return;
    std::vector<int32_t> toks(400);
    for (size_t i = 0; i < toks.size(); ++i) toks[i] = 3 + static_cast<int32_t>((i * 7) % 500);
    std::atomic<bool> stop{false};
    std::atomic<int> ok_a{0}, busy_a{0}, other_a{0}, ok_b{0}, busy_b{0}, other_b{0}, bad_message{0};
    std::thread a([&] {
        for (int i = 0; i < 20 && !stop.load(); ++i) {
            lh_status s = lh_context_reset(ctx);
            if (s == LH_ERROR_BUSY) { ++busy_a; continue; }
            s = lh_context_eval(ctx, toks.data(), toks.size(), 0);
            (s == LH_OK ? ok_a : s == LH_ERROR_BUSY ? busy_a : other_a)++;
            if (s != LH_OK && s != LH_ERROR_BUSY) {
                std::lock_guard<std::mutex> lock(g_print);
                std::fprintf(stderr, "busy A: %s: %s\n", lh_status_string(s), lh_last_error());
            }
        }
        stop = true;
    });
    std::thread b([&] {
        int32_t one = 5;
        lh_generate_params gp;
        lh_generate_params_init(&gp);
        gp.max_tokens = 2;
        int i = 0;
        while (!stop.load()) {
            lh_status s;
            switch (i++ % 3) {
                case 0: s = lh_context_eval(ctx, &one, 1, 0); break;
                case 1: s = lh_generate(ctx, "hi", 2, &gp, nullptr, nullptr, nullptr, 0, nullptr); break;
                default: s = lh_context_reset(ctx); break;
            }
            if (s == LH_ERROR_BUSY) {
                ++busy_b;
                if (std::strstr(lh_last_error(), "another thread") == nullptr) ++bad_message;
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            } else if (s == LH_OK || s == LH_ERROR_CONTEXT_FULL) {
                ++ok_b;
            } else {
                ++other_b;
                std::lock_guard<std::mutex> lock(g_print);
                std::fprintf(stderr, "busy B: %s: %s\n", lh_status_string(s), lh_last_error());
            }
        }
    });
    a.join();
    b.join();
    expect(busy_a + busy_b > 0, "busy: no call saw LH_ERROR_BUSY while two threads shared a context");
    expect(other_a == 0 && other_b == 0, "busy: unexpected statuses");
    expect(bad_message == 0, "busy: LH_ERROR_BUSY without the 'another thread' message");
    // The context is still usable afterwards.
    expect(lh_context_reset(ctx) == LH_OK, "busy: reset afterwards");
    expect(lh_context_eval(ctx, toks.data(), 16, 0) == LH_OK, "busy: eval afterwards");
    std::printf("busy: thread A ok %d / busy %d, thread B ok %d / busy %d\n", ok_a.load(), busy_a.load(),
                ok_b.load(), busy_b.load());
    lh_context_free(ctx);
}

// 4. lh_context_cancel from another thread stops a long evaluation and a long generation.
void test_cancel(const lh_model *model, const Options &o) {
    // An evaluation long enough to be caught mid-way on any machine: double the input until an
    // uncancelled run takes >= 0.3 s, then cancel a quarter of the way through.
    const int32_t n_ctx = 1 << 16;
    lh_context *ctx = make_context(model, o, LH_ATTENTION_FULL, n_ctx);
    if (!ctx) return;
    std::vector<int32_t> toks(static_cast<size_t>(n_ctx));
    for (int32_t i = 0; i < n_ctx; ++i) toks[static_cast<size_t>(i)] = 3 + (i * 13) % 500;
    int32_t n = 1024;
    double t_full = 0;
    for (;;) {
        expect(lh_context_reset(ctx) == LH_OK, "cancel: reset");
        double t0 = now_s();
        expect(lh_context_eval(ctx, toks.data(), static_cast<size_t>(n), 0) == LH_OK,
               std::string("cancel: uncancelled eval: ") + lh_last_error());
        t_full = now_s() - t0;
        if (t_full >= 0.3 || n >= n_ctx) break;
        n *= 2;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        expect(lh_context_reset(ctx) == LH_OK, "cancel: reset");
        std::atomic<double> cancelled_at{0.0};
        const auto delay = std::chrono::microseconds(static_cast<int64_t>(t_full * 1e6 / 4));
        std::thread canceller([&] {
            std::this_thread::sleep_for(delay);
            cancelled_at = now_s();
            lh_context_cancel(ctx);
        });
        double t0 = now_s();
        lh_status s = lh_context_eval(ctx, toks.data(), static_cast<size_t>(n), 0);
        double t1 = now_s();
        const std::string msg = lh_last_error();
        canceller.join();
        int32_t n_past = -1;
        lh_context_n_past(ctx, &n_past);
        expect(s == LH_ERROR_CANCELLED, std::string("cancel eval: got ") + lh_status_string(s) + " after " +
                                            std::to_string(t1 - t0) + " s (uncancelled: " + std::to_string(t_full) + " s)");
        if (s == LH_ERROR_CANCELLED) {
            expect(msg.find("cancel") != std::string::npos, "cancel message: " + msg);
            expect(n_past >= 0 && n_past < n && n_past % 64 == 0, "cancel: n_past " + std::to_string(n_past));
            std::printf("cancel: eval of %d tokens (%.0f ms uncancelled) stopped %.1f ms after lh_context_cancel "
                        "(n_past %d)\n", n, t_full * 1000, (t1 - cancelled_at.load()) * 1000, n_past);
            expect(t1 - cancelled_at.load() < std::max(2.0, t_full / 2), "cancel: took too long to stop");
        }
    }
    // The context works after a cancel.
    expect(lh_context_reset(ctx) == LH_OK, "cancel: reset after");
    expect(lh_context_eval(ctx, toks.data(), 32, 0) == LH_OK, "cancel: eval after");

    // A generation cancelled mid-way.
    expect(lh_context_reset(ctx) == LH_OK, "cancel: reset before generate");
    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = 100000;
    gp.stop_at_eog = 0;
    std::atomic<int> pieces{0};
    std::atomic<bool> returned{false};
    std::thread canceller([&] {
        while (pieces.load() < 3 && !returned.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        lh_context_cancel(ctx);
    });
    auto cb = [](const char *, size_t, int32_t, void *user) -> int32_t {
        ++*static_cast<std::atomic<int> *>(user);
        return 0;
    };
    lh_status s = lh_generate(ctx, "Once upon a time", 16, &gp, cb, &pieces, nullptr, 0, nullptr);
    const std::string msg = lh_last_error();
    returned = true;
    canceller.join();
    expect(s == LH_ERROR_CANCELLED, std::string("cancel generate: got ") + lh_status_string(s) + ": " + msg);
    std::printf("cancel: generation stopped after %d pieces\n", pieces.load());
    lh_context_free(ctx);
}

// 5. A context whose KV cache exceeds the budget is refused up front, naming the bytes.
void test_budget(const lh_model *model, const Options &o) {
    lh_context_params p;
    lh_context_params_init(&p);
    p.n_threads = o.threads_per_context;
    p.n_ctx = 1 << 20;
    p.memory_budget_bytes = 64ull << 20;
    uint64_t need = 0;
    expect(lh_context_estimate_kv_bytes(model, &p, p.n_ctx, &need) == LH_OK, "budget: estimate");
    lh_context *ctx = nullptr;
    double t0 = now_s();
    lh_status s = lh_context_create(model, &p, &ctx);
    double dt = now_s() - t0;
    expect(s == LH_ERROR_OUT_OF_MEMORY && ctx == nullptr, std::string("budget: got ") + lh_status_string(s));
    std::string msg = lh_last_error();
    expect(msg.find(std::to_string(need)) != std::string::npos,
           "budget: message lacks the KV bytes " + std::to_string(need) + ": " + msg);
    expect(msg.find(std::to_string(p.memory_budget_bytes)) != std::string::npos, "budget: message lacks the budget");
    expect(dt < 0.5, "budget: refusal took " + std::to_string(dt) + " s (should be up front)");
    std::printf("budget: n_ctx %d refused in %.1f ms: %s\n", p.n_ctx, dt * 1000, msg.c_str());
    // Within budget: accepted.
    p.n_ctx = 1024;
    ctx = nullptr;
    expect(lh_context_create(model, &p, &ctx) == LH_OK, std::string("budget: small context: ") + lh_last_error());
    lh_context_free(ctx);
}

// 6. load / generate / free cycles: no RSS growth.
void test_rss(const Options &o) {
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.n_threads = 1;
    const int warmup = std::min(20, o.cycles / 4);
    long rss_warm = 0, rss_peak = 0;
    double t0 = now_s();
    for (int i = 0; i < o.cycles; ++i) {
        lh_model *model = nullptr;
        if (lh_model_load(o.model.c_str(), &mp, &model) != LH_OK) {
            expect(false, std::string("rss: load: ") + lh_last_error());
            return;
        }
        lh_context *ctx = make_context(model, o, static_cast<lh_attention>(i % 3), 256);
        lh_generate_params gp;
        lh_generate_params_init(&gp);
        gp.max_tokens = 8;
        lh_sampler_params sampling;
        lh_sampler_params_init(&sampling);
        sampling.seed = static_cast<uint64_t>(i);
        gp.sampling = &sampling;
        char buf[256];
        lh_status s = lh_generate(ctx, "Once upon a time", 16, &gp, nullptr, nullptr, buf, sizeof buf, nullptr);
        if (s != LH_OK) expect(false, std::string("rss: generate: ") + lh_last_error());
        lh_context_free(ctx);
        lh_model_free(model);
        long rss = vm_rss_kb();
        if (i + 1 == warmup) rss_warm = rss;
        if (i + 1 > warmup) rss_peak = std::max(rss_peak, rss);
    }
    long rss_end = vm_rss_kb();
    double dt = now_s() - t0;
    long growth = rss_end - rss_warm;
    std::printf("rss: %d load/generate/free cycles in %.1f s: VmRSS %ld kB after %d warm-up cycles, %ld kB at the "
                "end (growth %ld kB, peak %ld kB)\n",
                o.cycles, dt, rss_warm, warmup, rss_end, growth, rss_peak);
    if (o.rss_check) {
        // Slack: allocator noise, not a per-cycle leak (a 16 kB/cycle leak over 200 cycles = 3.2 MB).
        const long slack_kb = 2048;
        expect(growth <= slack_kb, "rss: grew by " + std::to_string(growth) + " kB over " +
                                       std::to_string(o.cycles - warmup) + " cycles (slack " +
                                       std::to_string(slack_kb) + " kB)");
    }
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--model") o.model = next();
        else if (a == "--contexts") o.contexts = std::atoi(next().c_str());
        else if (a == "--threads-per-context") o.threads_per_context = std::atoi(next().c_str());
        else if (a == "--tokens") o.tokens = std::atoi(next().c_str());
        else if (a == "--rounds") o.rounds = std::atoi(next().c_str());
        else if (a == "--cycles") o.cycles = std::atoi(next().c_str());
        else if (a == "--no-rss-check") o.rss_check = false;
        else if (a == "--only") o.only = next();
        else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    if (o.model.empty()) {
        std::fprintf(stderr, "usage: concurrency_test --model M.gguf [...]\n");
        return 2;
    }
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.n_threads = 1;
    lh_model *model = nullptr;
    if (lh_model_load(o.model.c_str(), &mp, &model) != LH_OK) {
        std::fprintf(stderr, "cannot load %s: %s\n", o.model.c_str(), lh_last_error());
        return 1;
    }
    auto want = [&](const char *name) { return o.only.empty() || o.only == name; };
    if (want("shared")) test_shared_model(model, o);
    if (want("churn")) test_churn(model, o);
    if (want("busy")) test_busy(model, o);
    if (want("cancel")) test_cancel(model, o);
    if (want("budget")) test_budget(model, o);
    lh_model_free(model);
    if (want("rss") && o.cycles > 0) test_rss(o);
    std::printf("%d passed, %d failed\n", g_passed.load(), g_failed.load());
    return g_failed.load() ? 1 : 0;
}
