// Sampler: greedy, determinism, top-k / top-p / min-p / temperature semantics, repetition
// penalty, parameter validation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "sampling/sampler.h"

using lh::Sampler;
using lh::SamplerOptions;

namespace {

SamplerOptions plain(float temperature) {
    SamplerOptions o;
    o.temperature = temperature;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.min_p = 0.0f;
    o.repeat_penalty = 1.0f;
    return o;
}

std::vector<float> logits_from_probs(const std::vector<double> &p) {
    std::vector<float> l;
    for (double x : p) l.push_back(static_cast<float>(std::log(x)));
    return l;
}

std::vector<int> histogram(Sampler &s, const std::vector<float> &logits, int draws) {
    std::vector<int> h(logits.size(), 0);
    for (int i = 0; i < draws; ++i) ++h[s.sample(logits.data(), static_cast<int32_t>(logits.size()))];
    return h;
}

std::vector<float> random_logits(std::mt19937 &rng, size_t n, float scale = 3.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> l(n);
    for (auto &x : l) x = d(rng);
    return l;
}

int32_t argmax(const std::vector<float> &l) {
    int32_t best = 0;
    for (size_t i = 1; i < l.size(); ++i)
        if (l[i] > l[best]) best = static_cast<int32_t>(i);
    return best;
}

template <typename F>
std::string invalid_message(F &&f) {
    try {
        f();
    } catch (const lh::Error &e) {
        if (e.status() == LH_ERROR_INVALID_ARGUMENT) return e.what();
        return "wrong status";
    }
    return "";
}

}  // namespace

TEST_CASE("sampler: greedy is argmax, lowest id on ties, logits untouched", "[sampler]") {
    std::mt19937 rng(7);
    for (float t : {0.0f, -1.0f}) {
        Sampler s(plain(t));
        for (int i = 0; i < 50; ++i) {
            std::vector<float> l = random_logits(rng, 1000);
            std::vector<float> copy = l;
            CHECK(s.sample(l.data(), 1000) == argmax(l));
            CHECK(l == copy);
        }
    }
    Sampler s(plain(0.0f));
    std::vector<float> tie = {1.0f, 3.0f, 2.0f, 3.0f};
    CHECK(s.sample(tie.data(), 4) == 1);
    // Greedy does not depend on the other filters.
    SamplerOptions o;
    o.temperature = 0.0f;
    Sampler d(o);
    std::vector<float> l = random_logits(rng, 5000);
    CHECK(d.sample(l.data(), 5000) == argmax(l));
}

TEST_CASE("sampler: same seed same tokens, different seeds differ", "[sampler]") {
    std::mt19937 rng(11);
    std::vector<float> l = random_logits(rng, 500, 1.0f);
    SamplerOptions o;  // defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05
    Sampler a(o), b(o);
    o.seed = 12345;
    Sampler c(o);
    std::vector<int32_t> ta, tb, tc;
    for (int i = 0; i < 100; ++i) {
        ta.push_back(a.sample(l.data(), 500));
        tb.push_back(b.sample(l.data(), 500));
        tc.push_back(c.sample(l.data(), 500));
    }
    CHECK(ta == tb);
    CHECK(ta != tc);
    // reset() restarts the sequence.
    a.reset();
    std::vector<int32_t> again;
    for (int i = 0; i < 100; ++i) again.push_back(a.sample(l.data(), 500));
    CHECK(again == ta);
    CHECK(std::set<int32_t>(ta.begin(), ta.end()).size() > 5);  // it really samples
}

TEST_CASE("sampler: the PRNG is xoshiro256** seeded by splitmix64 (fixed values)", "[sampler]") {
    // Values from an independent implementation: the stream must not depend on the platform.
    SamplerOptions o;
    Sampler s(o);  // seed 0xC0FFEE
    CHECK(s.next_uniform() == 0.07053528140922305);
    CHECK(s.next_uniform() == 0.5609225615546187);
    CHECK(s.next_uniform() == 0.939980429339802);
}

TEST_CASE("sampler: top_k = 1 is greedy", "[sampler]") {
    std::mt19937 rng(3);
    SamplerOptions o = plain(1.5f);
    o.top_k = 1;
    Sampler s(o);
    for (int i = 0; i < 100; ++i) {
        std::vector<float> l = random_logits(rng, 2000, 0.5f);
        CHECK(s.sample(l.data(), 2000) == argmax(l));
    }
}

TEST_CASE("sampler: top-k draws only from the k best", "[sampler]") {
    std::mt19937 rng(5);
    std::vector<float> l = random_logits(rng, 1000, 0.2f);  // nearly flat: many tokens plausible
    std::vector<int32_t> order(1000);
    for (int i = 0; i < 1000; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    const std::set<int32_t> best(order.begin(), order.begin() + 5);
    SamplerOptions o = plain(2.0f);
    o.top_k = 5;
    Sampler s(o);
    std::vector<int> h = histogram(s, l, 5000);
    for (int i = 0; i < 1000; ++i) {
        if (best.count(i))
            CHECK(h[i] > 0);
        else
            CHECK(h[i] == 0);
    }
    // top_k larger than the vocabulary: no filtering.
    o.top_k = 5000;
    Sampler all(o);
    std::vector<int> h2 = histogram(all, l, 5000);
    int distinct = 0;
    for (int c : h2) distinct += c > 0;
    CHECK(distinct > 500);
}

TEST_CASE("sampler: top-p keeps the smallest nucleus, with the right frequencies", "[sampler]") {
    const std::vector<float> l = logits_from_probs({0.5, 0.3, 0.1, 0.05, 0.05});
    SamplerOptions o = plain(1.0f);
    o.top_p = 0.75f;  // 0.5 < 0.75 <= 0.8: nucleus {0, 1}
    Sampler s(o);
    const int n = 20000;
    std::vector<int> h = histogram(s, l, n);
    CHECK(h[2] == 0);
    CHECK(h[3] == 0);
    CHECK(h[4] == 0);
    CHECK(h[0] / double(n) == Approx(0.625).margin(0.02));
    CHECK(h[1] / double(n) == Approx(0.375).margin(0.02));
    // top_p below the best token's probability: only it.
    o.top_p = 0.3f;
    Sampler one(o);
    std::vector<int> h1 = histogram(one, l, 1000);
    CHECK(h1[0] == 1000);
    // top_p = 1: everything, at the softmax frequencies.
    o.top_p = 1.0f;
    Sampler all(o);
    std::vector<int> ha = histogram(all, l, n);
    CHECK(ha[0] / double(n) == Approx(0.5).margin(0.02));
    CHECK(ha[2] / double(n) == Approx(0.1).margin(0.015));
    CHECK(ha[4] / double(n) == Approx(0.05).margin(0.01));
}

TEST_CASE("sampler: top-p on a large vocabulary sorts only what it needs", "[sampler]") {
    // A peaked distribution over 128K tokens: the nucleus is the few high tokens.
    std::mt19937 rng(9);
    std::vector<float> l = random_logits(rng, 128000, 1.0f);
    for (int i = 0; i < 10; ++i) l[1000 * i + 17] = 30.0f - i * 0.1f;
    SamplerOptions o = plain(1.0f);
    o.top_p = 0.9f;
    Sampler s(o);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<int> h = histogram(s, l, 50);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("50 draws in " << secs << " s");
    for (size_t i = 0; i < h.size(); ++i)
        if (h[i] > 0) CHECK(i % 1000 == 17);
    CHECK(secs < 10.0);
}

TEST_CASE("sampler: min-p drops tokens below min_p times the best probability", "[sampler]") {
    const std::vector<float> l = logits_from_probs({0.5, 0.3, 0.1, 0.05, 0.05});
    SamplerOptions o = plain(1.0f);
    o.min_p = 0.15f;  // threshold 0.075: keeps {0, 1, 2}
    Sampler s(o);
    const int n = 20000;
    std::vector<int> h = histogram(s, l, n);
    CHECK(h[3] == 0);
    CHECK(h[4] == 0);
    CHECK(h[2] > 0);
    CHECK(h[0] / double(n) == Approx(0.5 / 0.9).margin(0.02));
    CHECK(h[2] / double(n) == Approx(0.1 / 0.9).margin(0.015));
    o.min_p = 1.0f;  // only the best
    Sampler best(o);
    CHECK(histogram(best, l, 500)[0] == 500);
}

TEST_CASE("sampler: temperature reshapes the distribution", "[sampler]") {
    const std::vector<float> l = logits_from_probs({0.8, 0.2});
    const int n = 20000;
    Sampler t1(plain(1.0f));
    CHECK(histogram(t1, l, n)[0] / double(n) == Approx(0.8).margin(0.015));
    Sampler t2(plain(2.0f));  // p ~ sqrt: 0.894 / (0.894 + 0.447) = 2/3
    CHECK(histogram(t2, l, n)[0] / double(n) == Approx(2.0 / 3.0).margin(0.015));
    Sampler tsmall(plain(0.01f));
    CHECK(histogram(tsmall, l, 1000)[0] == 1000);
}

TEST_CASE("sampler: repetition penalty", "[sampler]") {
    SamplerOptions o = plain(0.0f);
    o.repeat_penalty = 1.5f;
    o.repeat_last_n = 4;
    {
        Sampler s(o);
        std::vector<float> l = {2.0f, 1.9f, 0.5f};
        CHECK(s.sample(l.data(), 3) == 0);  // nothing recorded yet: plain argmax
    }
    {
        Sampler s(o);
        std::vector<float> l = {2.0f, 1.9f, 0.5f};
        s.accept(0);  // 2.0 / 1.5 = 1.33 < 1.9
        CHECK(s.sample(l.data(), 3) == 1);
        // Now 0 and 1 are both penalized: 1.33 vs 1.27.
        CHECK(s.sample(l.data(), 3) == 0);
    }
    {
        Sampler s(o);
        std::vector<float> l = {-1.0f, -1.2f};
        s.accept(0);  // negative logits are multiplied: -1.5 < -1.2
        CHECK(s.sample(l.data(), 2) == 1);
    }
    {
        // Only the last repeat_last_n tokens count; each distinct token is penalized once.
        Sampler s(o);
        std::vector<float> l = {2.0f, 1.9f, 0.0f, 0.0f, 0.0f, 0.0f};
        s.accept(0);
        s.accept(0);
        s.accept(0);
        CHECK(s.sample(l.data(), 6) == 1);  // 2.0 / 1.5, not / 1.5^3 (1.9 > 1.33 either way)
        for (int t : {3, 4, 5, 3}) s.accept(t);  // pushes 0 and 1 out of the window of 4
        CHECK(s.sample(l.data(), 6) == 0);
        // Ids outside the vocabulary passed to accept are ignored.
        s.accept(-5);
        s.accept(1000);
        CHECK(s.sample(l.data(), 6) == 1);  // 0 was just sampled -> penalized
    }
    {
        SamplerOptions off = o;
        off.repeat_last_n = 0;
        Sampler s(off);
        std::vector<float> l = {2.0f, 1.9f};
        s.accept(0);
        CHECK(s.sample(l.data(), 2) == 0);
    }
}

TEST_CASE("sampler: non-finite logits", "[sampler]") {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    SamplerOptions o;
    Sampler s(o);
    std::vector<float> l = {-inf, -inf, -inf};
    CHECK(s.sample(l.data(), 3) == 0);
    l = {nan, nan, 1.0f};
    CHECK(s.sample(l.data(), 3) == 2);
    l = {0.0f, inf, 5.0f};
    for (int i = 0; i < 20; ++i) CHECK(s.sample(l.data(), 3) == 1);
    Sampler g(plain(0.0f));
    l = {nan, -inf, -3.0f};
    CHECK(g.sample(l.data(), 3) == 2);
}

TEST_CASE("sampler: invalid options and arguments throw INVALID_ARGUMENT naming the field", "[sampler]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    auto make = [](SamplerOptions o) { return [o] { Sampler s(o); }; };
    SamplerOptions o;
    o.temperature = nan;
    CHECK(invalid_message(make(o)).find("temperature") != std::string::npos);
    for (float p : {0.0f, -0.1f, 1.01f, nan}) {
        SamplerOptions b;
        b.top_p = p;
        CHECK(invalid_message(make(b)).find("top_p") != std::string::npos);
    }
    for (float p : {-0.01f, 1.01f, nan}) {
        SamplerOptions b;
        b.min_p = p;
        CHECK(invalid_message(make(b)).find("min_p") != std::string::npos);
    }
    for (float p : {0.0f, -1.0f, nan, std::numeric_limits<float>::infinity()}) {
        SamplerOptions b;
        b.repeat_penalty = p;
        CHECK(invalid_message(make(b)).find("repeat_penalty") != std::string::npos);
    }
    SamplerOptions r;
    r.repeat_last_n = -1;
    CHECK(invalid_message(make(r)).find("repeat_last_n") != std::string::npos);
    // Valid edge values.
    SamplerOptions ok;
    ok.temperature = -1.0f;
    ok.top_p = 1.0f;
    ok.min_p = 0.0f;
    ok.top_k = -3;
    ok.repeat_last_n = 0;
    CHECK_NOTHROW(Sampler(ok));
    ok.min_p = 1.0f;
    CHECK_NOTHROW(Sampler(ok));
    CHECK(Sampler(ok).options().min_p == 1.0f);

    Sampler s(SamplerOptions{});
    std::vector<float> l = {1.0f};
    CHECK(invalid_message([&] { s.sample(nullptr, 1); }) != "");
    CHECK(invalid_message([&] { s.sample(l.data(), 0); }) != "");
    CHECK(s.sample(l.data(), 1) == 0);
}
