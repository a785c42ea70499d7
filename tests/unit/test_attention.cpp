// Tests for src/attention: full, window and LongHeads attention against plain, direct references
// written here in double precision. The references do everything the obvious way (gather the
// tokens, rotate every key at its slot position, softmax); the engine uses the query-rotation
// identity (keys cached at their chunk-local offset, the query rotated once per chunk), so
// agreement also proves that identity.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "attention/attention.h"
#include "attention/kernels.h"
#include "attention/rope.h"
#include "kv/chunk_store.h"
#include "kv/kv_cache.h"
#include "common/error.h"
#include "numeric/tensor_types.h"

using lh::Attention;
using lh::AttentionConfig;

namespace {

// ---------------------------------------------------------------------------------------------
// Random inputs: per layer, N tokens of q (N x n_head x d), k and v (N x n_head_kv x d).
// ---------------------------------------------------------------------------------------------

struct Inputs {
    int n = 0;
    std::vector<std::vector<float>> q, k, v;  // [layer]
};

Inputs random_inputs(const AttentionConfig &c, int n, uint32_t seed, float q_scale = 1.5f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    Inputs in;
    in.n = n;
    for (int l = 0; l < c.n_layer; ++l) {
        std::vector<float> q(static_cast<size_t>(n) * c.n_head * c.head_dim);
        std::vector<float> k(static_cast<size_t>(n) * c.n_head_kv * c.head_dim), v(k.size());
        for (auto &x : q) x = q_scale * u(rng);
        for (auto &x : k) x = u(rng);
        for (auto &x : v) x = u(rng);
        in.q.push_back(q);
        in.k.push_back(k);
        in.v.push_back(v);
    }
    return in;
}

using Out = std::vector<std::vector<float>>;  // [layer][N x n_head x d]

// Feeds the inputs to an engine in batches of the given sizes (summing to N), layer by layer
// as the model does, and returns every layer's output.
Out run_engine(Attention &a, const AttentionConfig &c, const Inputs &in, const std::vector<int> &batches) {
    Out out(c.n_layer, std::vector<float>(static_cast<size_t>(in.n) * c.n_head * c.head_dim));
    int pos = 0;
    const size_t qs = static_cast<size_t>(c.n_head) * c.head_dim, ks = static_cast<size_t>(c.n_head_kv) * c.head_dim;
    for (int nb : batches) {
        for (int l = 0; l < c.n_layer; ++l)
            a.forward(l, pos, nb, in.q[l].data() + pos * qs, in.k[l].data() + pos * ks, in.v[l].data() + pos * ks,
                      out[l].data() + pos * qs);
        pos += nb;
    }
    REQUIRE(pos <= in.n);
    return out;
}

Out run_engine(const AttentionConfig &c, const Inputs &in, const std::vector<int> &batches,
               tbb::task_arena *arena = nullptr) {
    Attention a(c, arena);
    return run_engine(a, c, in, batches);
}

std::vector<int> one_batch(int n) { return {n}; }
std::vector<int> token_by_token(int n) { return std::vector<int>(static_cast<size_t>(n), 1); }
std::vector<int> random_batches(int n, uint32_t seed, int max_batch) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> u(1, max_batch);
    std::vector<int> b;
    for (int left = n; left > 0;) {
        const int x = std::min(left, u(rng));
        b.push_back(x);
        left -= x;
    }
    return b;
}

double max_abs_diff(const std::vector<float> &a, const std::vector<double> &b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
    return m;
}
double max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
    return m;
}
double max_abs_diff(const Out &a, const Out &b) {
    double m = 0;
    for (size_t l = 0; l < a.size(); ++l) m = std::max(m, max_abs_diff(a[l], b[l]));
    return m;
}

// ---------------------------------------------------------------------------------------------
// The direct reference (double precision, no tricks).
// ---------------------------------------------------------------------------------------------

using Vec = std::vector<double>;

// Pairs (2i, 2i+1) (llama), or (i, i + n_rot/2) with neox.
Vec rope(const float *x, int d, int n_rot, double base, int pos, bool neox = false) {
    Vec y(x, x + d);
    for (int i = 0; i < n_rot / 2; ++i) {
        const double a = pos * std::pow(base, -2.0 * i / n_rot);
        const int i0 = neox ? i : 2 * i, i1 = neox ? i + n_rot / 2 : 2 * i + 1;
        const double x0 = x[i0], x1 = x[i1];
        y[i0] = x0 * std::cos(a) - x1 * std::sin(a);
        y[i1] = x0 * std::sin(a) + x1 * std::cos(a);
    }
    return y;
}

double dotd(const Vec &a, const Vec &b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

void softmax(Vec &p) {
    const double mx = *std::max_element(p.begin(), p.end());
    double sum = 0;
    for (auto &x : p) sum += (x = std::exp(x - mx));
    for (auto &x : p) x /= sum;
}

struct Ref {
    const AttentionConfig &c;
    const Inputs &in;
    int layer;
    int d() const { return c.head_dim; }
    const float *q(int t, int h) const { return in.q[layer].data() + (static_cast<size_t>(t) * c.n_head + h) * d(); }
    const float *k(int t, int h) const {
        return in.k[layer].data() + (static_cast<size_t>(t) * c.n_head_kv + h / (c.n_head / c.n_head_kv)) * d();
    }
    const float *v(int t, int h) const {
        return in.v[layer].data() + (static_cast<size_t>(t) * c.n_head_kv + h / (c.n_head / c.n_head_kv)) * d();
    }
    Vec rq(int t, int h, int pos) const { return rope(q(t, h), d(), c.n_rot, c.rope_freq_base, pos, c.rope_neox); }
    Vec rk(int t, int h, int pos) const { return rope(k(t, h), d(), c.n_rot, c.rope_freq_base, pos, c.rope_neox); }

    // Attention of query (token t, head h) rotated at qpos over tokens idx[i] rotated at pos[i].
    Vec attend(int t, int h, int qpos, const std::vector<int> &idx, const std::vector<int> &pos) const {
        const Vec qr = rq(t, h, qpos);
        Vec p(idx.size());
        for (size_t i = 0; i < idx.size(); ++i) p[i] = dotd(qr, rk(idx[i], h, pos[i])) / std::sqrt(double(d()));
        softmax(p);
        Vec o(d(), 0.0);
        for (size_t i = 0; i < idx.size(); ++i)
            for (int x = 0; x < d(); ++x) o[x] += p[i] * v(idx[i], h)[x];
        return o;
    }
    Vec full(int t, int h) const {
        std::vector<int> idx(t + 1);
        std::iota(idx.begin(), idx.end(), 0);
        return attend(t, h, t, idx, idx);
    }
    Vec window(int t, int h) const {
        const int L = c.attn_len, S = c.n_sinks;
        if (t < L) return full(t, h);
        std::vector<int> idx, pos;
        for (int j = 0; j < S; ++j) idx.push_back(j);
        for (int j = t - (L - S) + 1; j <= t; ++j) idx.push_back(j);
        for (size_t p = 0; p < idx.size(); ++p) pos.push_back(static_cast<int>(p));
        return attend(t, h, L - 1, idx, pos);
    }
    // Chunk key c_j of head h, exactly as docs/ATTENTION.md states it. The pooling logit reads
    // the key channels in HF order (channel x of HF = channel hf(x) here) unless told otherwise.
    int hf(int x) const { return x < d() / 2 ? 2 * x : 2 * (x - d() / 2) + 1; }
    Vec chunk_key(int j, int h, bool hf_order) const {
        const int w = c.chunk_size;
        const double sc = 1.0 / std::sqrt(double(d()));
        std::vector<Vec> qt, kt;
        for (int i = 0; i < w; ++i) {
            qt.push_back(rq(j * w + i, h, i));
            kt.push_back(rk(j * w + i, h, i));
        }
        Vec s(d(), 0.0);
        for (int i = 0; i < w; ++i) {
            Vec p(w);
            for (int l = 0; l < w; ++l) p[l] = dotd(qt[i], kt[l]) * sc;
            softmax(p);
            for (int l = 0; l < w; ++l)
                for (int x = 0; x < d(); ++x) s[x] += p[l] * v(j * w + l, h)[x] / w;
        }
        Vec p(w);
        for (int i = 0; i < w; ++i) {
            double logit = 0;
            for (int x = 0; x < d(); ++x) logit += s[x] * kt[i][hf_order ? hf(x) : x];
            p[i] = logit * sc;
        }
        softmax(p);
        Vec ck(d(), 0.0);
        for (int i = 0; i < w; ++i)
            for (int x = 0; x < d(); ++x) ck[x] += p[i] * kt[i][x];
        return ck;
    }
    Vec chunk_key(int j, int h) const { return chunk_key(j, h, !c.rope_neox); }
    // Under LH_CHUNK_SCORE_MAX_KEY a candidate's score is its best key: max_i R(w-1)q . R(i)k_{jw+i}.
    double max_key_score(const Vec &qv, int j, int h) const {
        const int w = c.chunk_size;
        std::vector<float> qf(qv.begin(), qv.end());
        const Vec qr = rope(qf.data(), d(), c.n_rot, c.rope_freq_base, w - 1, c.rope_neox);
        double best = -1e300;
        for (int i = 0; i < w; ++i) best = std::max(best, dotd(qr, rk(j * w + i, h, i)));
        return best;
    }
    // The channel-wise max, then min, of chunk j's keys rotated at their local offsets.
    Vec bound(int j, int h) const {
        const int w = c.chunk_size;
        Vec b(2 * d(), 0.0);
        for (int x = 0; x < d(); ++x) {
            b[x] = -1e300;
            b[d() + x] = 1e300;
        }
        for (int i = 0; i < w; ++i) {
            const Vec k = rk(j * w + i, h, i);
            for (int x = 0; x < d(); ++x) {
                b[x] = std::max(b[x], k[x]);
                b[d() + x] = std::min(b[d() + x], k[x]);
            }
        }
        return b;
    }
    // Under LH_CHUNK_SCORE_BOUND: sum_x max(q~_x min_x, q~_x max_x), q~ = R(w-1)q.
    double bound_score(const Vec &qv, int j, int h) const {
        std::vector<float> qf(qv.begin(), qv.end());
        const Vec qr = rope(qf.data(), d(), c.n_rot, c.rope_freq_base, c.chunk_size - 1, c.rope_neox);
        const Vec b = bound(j, h);
        double sum = 0;
        for (int x = 0; x < d(); ++x) sum += std::max(qr[x] * b[x], qr[x] * b[d() + x]);
        return sum;
    }
    // Under LH_CHUNK_SCORE_BOUND_MID: sum_x q~_x c_x + |q~_x| r_x / 2, c and r the box's centre and
    // half-range.
    double bound_mid_score(const Vec &qv, int j, int h) const {
        std::vector<float> qf(qv.begin(), qv.end());
        const Vec qr = rope(qf.data(), d(), c.n_rot, c.rope_freq_base, c.chunk_size - 1, c.rope_neox);
        const Vec b = bound(j, h);
        double sum = 0;
        for (int x = 0; x < d(); ++x) {
            const double centre = (b[x] + b[d() + x]) / 2, half_range = (b[x] - b[d() + x]) / 2;
            sum += qr[x] * centre + std::fabs(qr[x]) * half_range / 2;
        }
        return sum;
    }
    double score(const Vec &qv, int j, int h, const std::vector<Vec> &ck) const {
        switch (c.chunk_score) {
            case LH_CHUNK_SCORE_MAX_KEY: return max_key_score(qv, j, h);
            case LH_CHUNK_SCORE_BOUND: return bound_score(qv, j, h);
            case LH_CHUNK_SCORE_BOUND_MID: return bound_mid_score(qv, j, h);
            default: return dotd(qv, ck[j]);
        }
    }
    // Selection for a query vector (before RoPE) of a token in chunk m: the sink, the local
    // chunks m-local+1 .. m and the K-1-local best of 1 .. m-local. `margin` receives the score
    // gap at the cut (to skip numerically ambiguous cases).
    std::vector<int> select(const Vec &qv, int m, int h, const std::vector<Vec> &ck, double *margin) const {
        const int K = c.attn_len / c.chunk_size, local = c.local_chunks;
        std::vector<std::pair<double, int>> cand;
        for (int j = 1; j <= m - local; ++j) cand.push_back({-score(qv, j, h, ck), j});
        std::sort(cand.begin(), cand.end());  // best first; ties: lower index
        const int take = std::min<int>(std::max(K - 1 - local, 0), static_cast<int>(cand.size()));
        *margin = take > 0 && take < static_cast<int>(cand.size()) ? cand[take].first - cand[take - 1].first : 1e9;
        std::vector<int> sel = {0};
        for (int i = 0; i < take; ++i) sel.push_back(cand[i].second);
        for (int j = std::max(m - local + 1, 1); j <= m; ++j) sel.push_back(j);
        std::sort(sel.begin(), sel.end());
        sel.erase(std::unique(sel.begin(), sel.end()), sel.end());
        return sel;
    }
    // Attention of token t over the selected chunks, keys rotated at their slots.
    Vec over_chunks(int t, int h, const std::vector<int> &sel) const {
        const int w = c.chunk_size;
        std::vector<int> idx, pos;
        for (int j : sel)
            for (int x = j * w; x < (j + 1) * w && x <= t; ++x) idx.push_back(x);
        for (size_t p = 0; p < idx.size(); ++p) pos.push_back(static_cast<int>(p));
        return attend(t, h, static_cast<int>(idx.size()) - 1, idx, pos);
    }
};

struct RefResult {
    std::vector<double> out;  // N x n_head x d
    int ambiguous = 0, selective = 0;
};

// block_sizes: nullptr = per-token LongHeads; otherwise the batch sizes for block-shared mode.
RefResult ref_longheads(const AttentionConfig &c, const Inputs &in, int layer, const std::vector<int> *blocks = nullptr) {
    Ref r{c, in, layer};
    const int w = c.chunk_size, d = c.head_dim;
    RefResult res;
    res.out.assign(static_cast<size_t>(in.n) * c.n_head * d, 0.0);
    std::vector<int> batch_of(in.n);
    if (blocks) {
        int pos = 0;
        for (size_t b = 0; b < blocks->size(); ++b)
            for (int i = 0; i < (*blocks)[b]; ++i) batch_of[pos++] = static_cast<int>(b);
    }
    for (int h = 0; h < c.n_head; ++h) {
        std::vector<Vec> ck;
        if (c.chunk_score == LH_CHUNK_SCORE_FAITHFUL)
            for (int j = 0; j < in.n / w; ++j) ck.push_back(r.chunk_key(j, h));
        for (int t = 0; t < in.n; ++t) {
            Vec o;
            if (t < c.begin_len) {
                o = r.full(t, h);
            } else {
                const int m = t / w;
                Vec qv(r.q(t, h), r.q(t, h) + d);
                if (blocks) {  // mean of the queries t' >= B of chunk m in t's batch
                    std::fill(qv.begin(), qv.end(), 0.0);
                    int cnt = 0;
                    for (int u = std::max(m * w, c.begin_len); u < std::min((m + 1) * w, in.n); ++u)
                        if (batch_of[u] == batch_of[t]) {
                            for (int x = 0; x < d; ++x) qv[x] += r.q(u, h)[x];
                            ++cnt;
                        }
                    for (auto &x : qv) x /= cnt;
                }
                double margin;
                const auto sel = r.select(qv, m, h, ck, &margin);
                ++res.selective;
                if (margin < 1e-4) ++res.ambiguous;
                o = r.over_chunks(t, h, sel);
            }
            std::copy(o.begin(), o.end(), res.out.begin() + (static_cast<size_t>(t) * c.n_head + h) * d);
        }
    }
    return res;
}

std::vector<double> ref_mode(const AttentionConfig &c, const Inputs &in, int layer) {
    Ref r{c, in, layer};
    std::vector<double> out(static_cast<size_t>(in.n) * c.n_head * c.head_dim);
    for (int t = 0; t < in.n; ++t)
        for (int h = 0; h < c.n_head; ++h) {
            const Vec o = c.mode == LH_ATTENTION_WINDOW ? r.window(t, h) : r.full(t, h);
            std::copy(o.begin(), o.end(), out.begin() + (static_cast<size_t>(t) * c.n_head + h) * c.head_dim);
        }
    return out;
}

AttentionConfig make_config(lh_attention mode, int n_head, int n_head_kv, int d, int n_ctx) {
    AttentionConfig c;
    c.mode = mode;
    c.n_layer = 2;
    c.n_head = n_head;
    c.n_head_kv = n_head_kv;
    c.head_dim = d;
    c.n_rot = d;
    c.rope_freq_base = 10000.0f;
    c.n_ctx = n_ctx;
    c.chunk_score = LH_CHUNK_SCORE_FAITHFUL;  // the paper's rule unless a test says otherwise
    return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("RoPE table matches the formula and the rotation identity holds", "[attention]") {
    const int d = 16, n_rot = 12;
    lh::attn::RopeTable t;
    t.init(n_rot, 10000.0f, 4096);
    t.ensure(4096);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> q(d), k(d), y(d), qa(d), kb(d), qab(d);
    for (auto &x : q) x = u(rng);
    for (auto &x : k) x = u(rng);
    for (int pos : {0, 1, 7, 100, 1000, 4095}) {
        lh::attn::rope_apply(t.at(pos), n_rot, d, q.data(), y.data(), false);
        const Vec r = rope(q.data(), d, n_rot, 10000.0, pos);
        for (int i = 0; i < d; ++i) CHECK(y[i] == Approx(r[i]).margin(1e-6));
    }
    // R(a)q . R(b)k == R(a-b)q . k: what lets the cache keep keys at chunk-local offsets. It holds
    // for both pairings and any per-pair frequencies (scaling, Llama-3.1 factors).
    lh::attn::RopeTable scaled;
    std::vector<float> factors(n_rot / 2);
    for (int i = 0; i < n_rot / 2; ++i) factors[i] = 1.0f + 0.5f * i;
    scaled.init(n_rot, 500000.0f, 4096, 0.25f, factors);
    scaled.ensure(4096);
    for (const lh::attn::RopeTable *table : {&t, &scaled}) {
        for (bool neox : {false, true}) {
            for (auto ab : {std::pair<int, int>{5, 2}, {300, 17}, {4000, 3999}, {63, 0}}) {
                lh::attn::rope_apply(table->at(ab.first), n_rot, d, q.data(), qa.data(), neox);
                lh::attn::rope_apply(table->at(ab.second), n_rot, d, k.data(), kb.data(), neox);
                lh::attn::rope_apply(table->at(ab.first - ab.second), n_rot, d, q.data(), qab.data(), neox);
                double lhs = 0, rhs = 0;
                for (int i = 0; i < d; ++i) {
                    lhs += double(qa[i]) * kb[i];
                    rhs += double(qab[i]) * k[i];
                }
                CHECK(lhs == Approx(rhs).margin(1e-5));
            }
        }
    }
}

TEST_CASE("RoPE: NEOX pairs (i, i + n_rot/2), linear scale and frequency factors as ggml_rope_ext", "[attention]") {
    const int d = 16, n_rot = 12, half = n_rot / 2;
    const double base = 1000000.0, scale = 0.125;
    std::vector<float> factors(half);
    for (int i = 0; i < half; ++i) factors[i] = i < 2 ? 1.0f : 4.0f + i;
    lh::attn::RopeTable t;
    t.init(n_rot, static_cast<float>(base), 2048, static_cast<float>(scale), factors);
    t.ensure(2048);
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> x(d), y(d);
    for (auto &v : x) v = u(rng);
    for (int pos : {0, 3, 77, 2047}) {
        lh::attn::rope_apply(t.at(pos), n_rot, d, x.data(), y.data(), true);
        for (int i = 0; i < half; ++i) {
            const double theta = pos * scale * std::pow(base, -2.0 * i / n_rot) / factors[i];
            const double c = std::cos(theta), s = std::sin(theta);
            CHECK(y[i] == Approx(x[i] * c - x[i + half] * s).margin(1e-5));
            CHECK(y[i + half] == Approx(x[i] * s + x[i + half] * c).margin(1e-5));
        }
        for (int j = n_rot; j < d; ++j) CHECK(y[j] == x[j]);
    }
}

TEST_CASE("full mode equals direct causal attention", "[attention]") {
    for (int d : {8, 16, 32}) {
        for (int ratio : {1, 2, 4}) {
            AttentionConfig c = make_config(LH_ATTENTION_FULL, 4, 4 / ratio, d, 80);
            if (d == 32) c.n_rot = 16;  // partial rotation: dims past n_rot untouched
            const Inputs in = random_inputs(c, 70, 100 + d + ratio);
            const Out got = run_engine(c, in, random_batches(70, 7, 20));
            for (int l = 0; l < c.n_layer; ++l) {
                INFO("d=" << d << " ratio=" << ratio << " layer=" << l);
                CHECK(max_abs_diff(got[l], ref_mode(c, in, l)) < 1e-5);
            }
        }
    }
}

TEST_CASE("longheads equals the direct per-token LongHeads", "[attention]") {
    struct P {
        int w, L, B, ratio, d, n;
    };
    const P cases[] = {
        {4, 16, 16, 1, 8, 80},    // K = 4
        {4, 16, 8, 2, 16, 80},    // B < L
        {8, 32, 32, 4, 16, 160},  // K = 4, n = 5L
        {4, 24, 24, 2, 8, 120},   // K = 6
        {8, 24, 40, 1, 16, 100},  // B > L
        {4, 8, 8, 2, 16, 48},     // K = 2 < 3: chunks 0, m-1, m only
        {2, 12, 0, 4, 8, 60},     // B = 0: selection from the first token
    };
    int total_ambiguous = 0, total_selective = 0;
    for (const P &p : cases) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 4 / p.ratio, p.d, p.n + 3);
        c.chunk_size = p.w;
        c.attn_len = p.L;
        c.begin_len = p.B;
        const Inputs in = random_inputs(c, p.n, 1001 + p.w * 31 + p.L + p.B);
        Attention a(c, nullptr);
        const Out got = run_engine(a, c, in, random_batches(p.n, 3, 13));
        for (int l = 0; l < c.n_layer; ++l) {
            INFO("w=" << p.w << " L=" << p.L << " B=" << p.B << " ratio=" << p.ratio << " d=" << p.d << " layer=" << l);
            const RefResult ref = ref_longheads(c, in, l);
            total_ambiguous += ref.ambiguous;
            total_selective += ref.selective;
            CHECK(max_abs_diff(got[l], ref.out) < 1e-4);
            // Chunk keys themselves.
            Ref r{c, in, l};
            double ck_err = 0;
            for (int h = 0; h < c.n_head; ++h)
                for (int j = 0; j < p.n / p.w; ++j) {
                    const auto e = a.chunk_key(l, h, j);
                    const Vec x = r.chunk_key(j, h);
                    for (int i = 0; i < p.d; ++i) ck_err = std::max(ck_err, std::abs(e[i] - x[i]));
                }
            CHECK(ck_err < 1e-5);
        }
    }
    CHECK(total_selective > 0);
    CHECK(total_ambiguous == 0);  // fixed seeds: no near-ties at the cut
}

TEST_CASE("longheads equals full while the context is shorter than B", "[attention]") {
    for (int ratio : {1, 4}) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 4 / ratio, 16, 64);
        c.chunk_size = 8;
        c.attn_len = 32;
        c.begin_len = 64;
        const Inputs in = random_inputs(c, 64, 55 + ratio);
        const Out lh_out = run_engine(c, in, random_batches(64, 9, 17));
        AttentionConfig f = c;
        f.mode = LH_ATTENTION_FULL;
        const Out full_out = run_engine(f, in, one_batch(64));
        CHECK(max_abs_diff(lh_out, full_out) < 1e-5);
    }
}

TEST_CASE("decoding token by token equals prefill and random batch splits", "[attention]") {
    struct Variant {
        lh_attention mode;
        lh_chunk_score score;
    };
    const Variant variants[] = {{LH_ATTENTION_FULL, LH_CHUNK_SCORE_FAITHFUL},
                                {LH_ATTENTION_WINDOW, LH_CHUNK_SCORE_FAITHFUL},
                                {LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_FAITHFUL},
                                {LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_MAX_KEY},
                                {LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_BOUND},
                                {LH_ATTENTION_LONGHEADS, LH_CHUNK_SCORE_BOUND_MID}};
    for (const Variant &var : variants) {
        for (lh_kv_type kt : {LH_KV_F32, LH_KV_BF16, LH_KV_Q8}) {
            AttentionConfig c = make_config(var.mode, 8, 2, 16, 200);
            c.chunk_size = 8;
            c.attn_len = 40;
            c.begin_len = 40;
            c.n_sinks = 4;
            c.kv_type = kt;
            c.chunk_score = var.score;
            const int n = 200;
            const Inputs in = random_inputs(c, n, 77);
            tbb::task_arena arena(2);
            const Out pre = run_engine(c, in, one_batch(n), &arena);
            const Out dec = run_engine(c, in, token_by_token(n), &arena);
            const Out mix = run_engine(c, in, random_batches(n, 21, 37), &arena);
            const Out serial = run_engine(c, in, random_batches(n, 22, 50), nullptr);
            INFO("mode=" << var.mode << " kv=" << kt << " chunk_score=" << var.score);
            CHECK(max_abs_diff(pre, dec) < 1e-5);
            CHECK(max_abs_diff(pre, mix) < 1e-5);
            CHECK(max_abs_diff(pre, serial) < 1e-5);
        }
    }
}

TEST_CASE("window mode equals the direct sinks + recent attention", "[attention]") {
    for (int S : {0, 1, 4}) {
        for (int ratio : {1, 2}) {
            AttentionConfig c = make_config(LH_ATTENTION_WINDOW, 4, 4 / ratio, 16, 120);
            c.attn_len = 24;
            c.n_sinks = S;
            const Inputs in = random_inputs(c, 100, 300 + S + ratio);
            const Out got = run_engine(c, in, random_batches(100, 5, 30));
            for (int l = 0; l < c.n_layer; ++l) {
                INFO("S=" << S << " ratio=" << ratio << " layer=" << l);
                CHECK(max_abs_diff(got[l], ref_mode(c, in, l)) < 1e-5);
            }
        }
    }
}

TEST_CASE("a chunk whose key is aligned with the query is selected, per head", "[attention]") {
    // Only dims 0,1 rotate, so a chunk whose keys all equal u (zero in dims 0,1) has c_j = u.
    AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 2, 1, 8, 64);
    c.n_layer = 1;
    c.n_rot = 2;
    c.chunk_size = 4;
    c.attn_len = 16;  // K = 4: one chunk besides 0, m-1, m
    c.begin_len = 16;
    const int n = 48, target = 5, d = 8;
    Inputs in = random_inputs(c, n, 9);
    for (auto &x : in.k[0]) x *= 0.1f;
    const float u[d] = {0, 0, 1, 1, 1, 1, 1, 1};
    for (int t = target * 4; t < target * 4 + 4; ++t)
        for (int x = 0; x < d; ++x) in.k[0][static_cast<size_t>(t) * d + x] = u[x];
    for (int x = 0; x < d; ++x) {
        in.q[0][(static_cast<size_t>(n - 1) * 2 + 0) * d + x] = -u[x];  // head 0 looks away from it
        in.q[0][(static_cast<size_t>(n - 1) * 2 + 1) * d + x] = u[x];   // head 1 looks at it
    }
    Attention a(c, nullptr);
    run_engine(a, c, in, {n - 1, 1});
    const std::vector<int32_t> want = {0, target, 10, 11};
    CHECK(a.last_selection(0, 1) == want);
    const auto &h0 = a.last_selection(0, 0);
    CHECK(h0.size() == 4);
    CHECK(std::find(h0.begin(), h0.end(), target) == h0.end());
    const auto ck = a.chunk_key(0, 1, target);
    for (int x = 0; x < d; ++x) CHECK(ck[x] == Approx(u[x]).margin(1e-6));
}

TEST_CASE("last_selection is empty under full attention and in full/window modes", "[attention]") {
    AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 2, 2, 8, 64);
    c.chunk_size = 4;
    c.attn_len = 16;
    c.begin_len = 20;
    const Inputs in = random_inputs(c, 30, 4);
    Attention a(c, nullptr);
    run_engine(a, c, in, {19});
    CHECK(a.last_selection(1, 1).empty());
    const size_t qs = 2 * 8, ks = 2 * 8;
    std::vector<float> out(11 * qs);
    for (int l = 0; l < 2; ++l) a.forward(l, 19, 11, in.q[l].data() + 19 * qs, in.k[l].data() + 19 * ks,
                                          in.v[l].data() + 19 * ks, out.data());
    CHECK(a.last_selection(1, 1).size() == 4);  // t = 29, m = 7: {0, best, 6, 7}
    CHECK(a.last_selection(1, 1).back() == 7);
    CHECK(a.n_cached(1) == 30);
    a.reset();
    CHECK(a.last_selection(1, 1).empty());
    CHECK(a.n_cached(0) == 0);
    // After reset the same inputs give the same outputs.
    const Out again = run_engine(a, c, in, {30});
    const Out fresh = run_engine(c, in, {30});
    CHECK(max_abs_diff(again, fresh) == 0.0);
}

TEST_CASE("block-shared prefill shares the selection of the mean query", "[attention]") {
    AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 2, 16, 130);
    c.chunk_size = 8;
    c.attn_len = 32;
    c.begin_len = 36;  // not chunk aligned: the chunk holding B mixes full and shared tokens
    c.prefill_mode = LH_PREFILL_BLOCK;
    const int n = 128;
    const Inputs in = random_inputs(c, n, 812);
    for (const auto &batches : {one_batch(n), random_batches(n, 2, 30), std::vector<int>{64, 64}}) {
        const Out got = run_engine(c, in, batches);
        for (int l = 0; l < c.n_layer; ++l) {
            const RefResult ref = ref_longheads(c, in, l, &batches);
            CHECK(ref.ambiguous == 0);
            CHECK(max_abs_diff(got[l], ref.out) < 1e-4);
        }
    }
    // One token per call: identical to the faithful per-token mode.
    AttentionConfig f = c;
    f.prefill_mode = LH_PREFILL_PER_TOKEN;
    CHECK(max_abs_diff(run_engine(c, in, token_by_token(n)), run_engine(f, in, one_batch(n))) < 1e-5);
}

TEST_CASE("bf16 and int8 caches stay close to f32", "[attention]") {
    for (lh_kv_type kt : {LH_KV_BF16, LH_KV_Q8}) {
        for (lh_attention mode : {LH_ATTENTION_FULL, LH_ATTENTION_WINDOW, LH_ATTENTION_LONGHEADS}) {
            // head_dim 16: the AVX-512 value kernels; 12: the plain loops.
            for (int d : {16, 12}) {
                AttentionConfig c = make_config(mode, 4, 2, d, 100);
                c.chunk_size = 8;
                c.attn_len = 32;
                c.begin_len = 32;
                const Inputs in = random_inputs(c, 100, 12);
                const Out f32 = run_engine(c, in, random_batches(100, 1, 20));
                c.kv_type = kt;
                const Out low = run_engine(c, in, random_batches(100, 1, 20));
                double sum = 0, cnt = 0, mx = 0;
                for (size_t l = 0; l < f32.size(); ++l)
                    for (size_t i = 0; i < f32[l].size(); ++i) {
                        const double e = std::abs(double(f32[l][i]) - low[l][i]);
                        sum += e;
                        cnt += 1;
                        mx = std::max(mx, e);
                    }
                INFO("kv=" << kt << " mode=" << mode << " d=" << d << " max=" << mx << " mean=" << sum / cnt);
                // int8 rounds to 1/254 of each row's max (bf16: 1/512 of each value).
                CHECK(sum / cnt < (kt == LH_KV_Q8 ? 1e-2 : 5e-3));
                if (mode != LH_ATTENTION_LONGHEADS) CHECK(mx < (kt == LH_KV_Q8 ? 6e-2 : 3e-2));  // longheads may flip a near-tied chunk
                CHECK(mx > 0.0);  // the low-precision cache is really in use
            }
        }
    }
}

TEST_CASE("an int8 cache stores each key and value within half a step of its row's scale", "[kv]") {
    lh::kv::KvCache c;
    const int d = 20;
    c.init(LH_KV_Q8, 2, 3, d, 40);
    CHECK(c.bytes() == 2ull * 2 * 3 * 48 * (d + 4));  // 40 tokens rounded to 3 tiles of 16
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
    std::vector<std::vector<float>> keys;
    for (int pos = 0; pos < 40; ++pos) {
        std::vector<float> k(d), v(d);
        for (auto &x : k) x = dist(rng);
        for (auto &x : v) x = dist(rng);
        c.put(1, 2, pos, k.data(), v.data());
        keys.push_back(k);
        float amax = 0;
        for (float x : v) amax = std::max(amax, std::fabs(x));
        const int8_t *row = c.values<int8_t>(1, 2) + pos * (d + 4);
        float vs;
        std::memcpy(&vs, row + d, sizeof vs);
        CHECK(vs == Approx(amax / 127.0f));
        for (int i = 0; i < d; ++i) CHECK(std::fabs(vs * row[i] - v[size_t(i)]) <= vs * 0.5f + 1e-6f);
    }
    for (int pos = 0; pos < 40; ++pos) {
        float amax = 0;
        for (float x : keys[size_t(pos)]) amax = std::max(amax, std::fabs(x));
        for (int i = 0; i < d; ++i)
            CHECK(std::fabs(c.key_at(1, 2, pos, i) - keys[size_t(pos)][size_t(i)]) <= amax / 254.0f + 1e-6f);
    }
}

TEST_CASE("a task arena gives the same results as serial execution", "[attention]") {
    for (lh_prefill_mode pm : {LH_PREFILL_PER_TOKEN, LH_PREFILL_BLOCK}) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 8, 2, 32, 300);
        c.chunk_size = 16;
        c.attn_len = 64;
        c.begin_len = 64;
        c.prefill_mode = pm;
        const Inputs in = random_inputs(c, 300, 31);
        tbb::task_arena arena(2);
        const auto batches = random_batches(300, 8, 90);
        CHECK(max_abs_diff(run_engine(c, in, batches, &arena), run_engine(c, in, batches, nullptr)) == 0.0);
    }
}

TEST_CASE("memory accounting", "[attention][kv]") {
    for (lh_attention mode : {LH_ATTENTION_FULL, LH_ATTENTION_WINDOW, LH_ATTENTION_LONGHEADS}) {
        for (lh_kv_type kt : {LH_KV_F32, LH_KV_BF16, LH_KV_Q8}) {
            AttentionConfig c = make_config(mode, 8, 2, 16, 512);
            c.chunk_size = 16;
            c.attn_len = 64;
            c.begin_len = 64;
            c.kv_type = kt;
            Attention a(c, nullptr);
            CHECK(a.allocated_bytes() == Attention::estimate_bytes(c, c.n_ctx) + a.scratch_bytes());
            const uint64_t e1 = Attention::estimate_bytes(c, 1024), e2 = Attention::estimate_bytes(c, 2048),
                           e4 = Attention::estimate_bytes(c, 4096);
            CHECK(e2 > e1);
            // Linear growth (the longheads RoPE table stops growing at max(B, L)).
            CHECK(e4 - e2 == 2 * (e2 - e1));
            const uint64_t row = kt == LH_KV_Q8 ? c.head_dim + 4 : c.head_dim * (kt == LH_KV_BF16 ? 2 : 4);
            CHECK(e2 - e1 >= 1024ull * 2 * c.n_layer * c.n_head_kv * row);
        }
    }
}

TEST_CASE("memory accounting of the chunk scores: bounds take 2/w of the key cache", "[attention][kv]") {
    for (lh_kv_type kt : {LH_KV_F32, LH_KV_BF16, LH_KV_Q8}) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 8, 2, 16, 2048);
        c.chunk_size = 16;
        c.attn_len = 64;
        c.begin_len = 64;
        c.kv_type = kt;
        const int64_t n = 1024;  // 64 chunks: whole tiles of 16 chunks
        auto bytes = [&](lh_chunk_score cs) {
            AttentionConfig x = c;
            x.chunk_score = cs;
            Attention a(x, nullptr);
            CHECK(a.allocated_bytes() == Attention::estimate_bytes(x, x.n_ctx) + a.scratch_bytes());
            return Attention::estimate_bytes(x, n);
        };
        const uint64_t max_key = bytes(LH_CHUNK_SCORE_MAX_KEY), bound = bytes(LH_CHUNK_SCORE_BOUND),
                       faithful = bytes(LH_CHUNK_SCORE_FAITHFUL);
        const uint64_t key_bytes = lh::kv::KvCache::bytes_for(kt, c.n_layer, c.n_head_kv, c.head_dim, n) / 2;
        INFO("kv=" << kt);
        // max keeps nothing besides the cache; bound one [max | min] row per chunk and KV head.
        CHECK(bound - max_key == 2ull * c.n_head_kv * 64 * lh::kv::KvCache::row_bytes(kt, 2 * c.head_dim));
        if (kt != LH_KV_Q8) CHECK(bound - max_key == key_bytes * 2 / c.chunk_size);
        CHECK(faithful - max_key == lh::kv::ChunkStore::bytes_for(c.n_layer, c.n_head, c.head_dim, c.chunk_size, n));
    }
}

TEST_CASE("invalid calls and configurations are rejected", "[attention]") {
    AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 2, 8, 32);
    c.chunk_size = 4;
    c.attn_len = 16;
    c.begin_len = 16;
    Attention a(c, nullptr);
    std::vector<float> q(40 * 4 * 8), kv(40 * 2 * 8), out(q.size());
    auto status_of = [&](auto &&f) {
        try {
            f();
        } catch (const lh::Error &e) {
            return e.status();
        }
        return LH_OK;
    };
    CHECK(status_of([&] { a.forward(2, 0, 1, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.forward(-1, 0, 1, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.forward(0, 1, 1, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.forward(0, 0, 33, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_CONTEXT_FULL);
    CHECK(status_of([&] { a.forward(0, 0, -1, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.forward(0, 0, 1, nullptr, kv.data(), kv.data(), out.data()); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.forward(0, 0, 32, q.data(), kv.data(), kv.data(), out.data()); }) == LH_OK);
    CHECK(status_of([&] { a.forward(0, 32, 1, q.data(), kv.data(), kv.data(), out.data()); }) == LH_ERROR_CONTEXT_FULL);
    CHECK(status_of([&] { a.last_selection(0, 4); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(status_of([&] { a.chunk_key(0, 0, 8); }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(a.n_cached(0) == 32);
    CHECK(a.n_cached(1) == 0);

    auto bad_config = [&](auto &&edit) {
        AttentionConfig b = c;
        edit(b);
        return status_of([&] { Attention x(b, nullptr); });
    };
    CHECK(bad_config([](AttentionConfig &b) { b.attn_len = 18; }) == LH_ERROR_INVALID_ARGUMENT);  // L % w
    CHECK(bad_config([](AttentionConfig &b) { b.chunk_size = 0; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.n_head_kv = 3; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.n_rot = 7; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.n_rot = 10; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.n_ctx = 0; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.begin_len = -1; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.local_chunks = 0; }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) { b.local_chunks = 4; }) == LH_ERROR_INVALID_ARGUMENT);  // K = 4
    CHECK(bad_config([](AttentionConfig &b) { b.local_chunks = 3; }) == LH_OK);
    // An lh_chunk_score outside 0..3 cannot be stored in the enum without undefined behaviour
    // (UBSan), so unknown scores are checked where they arrive as integers: the C API
    // (tests/api, the bindings' tests).
    CHECK(bad_config([](AttentionConfig &b) {
              b.mode = LH_ATTENTION_WINDOW;
              b.n_sinks = 16;
          }) == LH_ERROR_INVALID_ARGUMENT);
    CHECK(bad_config([](AttentionConfig &b) {
              b.mode = LH_ATTENTION_FULL;
              b.chunk_size = 0;  // irrelevant to full mode
          }) == LH_OK);
    CHECK(status_of([&] {
              AttentionConfig b = c;
              b.chunk_size = 0;
              Attention::estimate_bytes(b, 100);
          }) == LH_ERROR_INVALID_ARGUMENT);
#if !defined(__SANITIZE_ADDRESS__)  // ASan aborts on impossible allocations by default
    // A cache that cannot be allocated is reported, not crashed on.
    CHECK(bad_config([](AttentionConfig &b) {
              b.n_layer = 1000;
              b.n_head = b.n_head_kv = 64;
              b.head_dim = b.n_rot = 128;
              b.n_ctx = 1 << 30;
          }) == LH_ERROR_OUT_OF_MEMORY);
#endif
}

TEST_CASE("model-sized heads (d = 64 with 8 query heads per KV head, d = 128)", "[attention]") {
    struct P {
        int n_head, n_head_kv, d;
    };
    for (const P &p : {P{8, 1, 64}, P{2, 2, 128}, P{6, 2, 48}}) {
        for (lh_attention mode : {LH_ATTENTION_FULL, LH_ATTENTION_LONGHEADS}) {
            AttentionConfig c = make_config(mode, p.n_head, p.n_head_kv, p.d, 200);
            c.n_layer = 1;
            c.chunk_size = 16;
            c.attn_len = 64;
            c.begin_len = 48;
            const Inputs in = random_inputs(c, 200, 4700 + p.d);
            tbb::task_arena arena(2);
            const Out got = run_engine(c, in, random_batches(200, 6, 70), &arena);
            INFO("n_head=" << p.n_head << " n_head_kv=" << p.n_head_kv << " d=" << p.d << " mode=" << mode);
            if (mode == LH_ATTENTION_FULL) {
                CHECK(max_abs_diff(got[0], ref_mode(c, in, 0)) < 1e-5);
            } else {
                const RefResult ref = ref_longheads(c, in, 0);
                CHECK(ref.ambiguous == 0);
                CHECK(max_abs_diff(got[0], ref.out) < 1e-4);
            }
        }
    }
}

TEST_CASE("best-key chunk score equals the direct rule, the heads of a KV group selecting together", "[attention]") {
    struct P {
        int n_head, n_head_kv, d;
    };
    // 8 and 12 rows per chunk pass: whole and partial batches of kMaxKeyRows query rows.
    for (const P &p : {P{8, 1, 32}, P{12, 1, 16}, P{4, 2, 16}}) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, p.n_head, p.n_head_kv, p.d, 180);
        c.n_layer = 1;
        c.chunk_size = 8;
        c.attn_len = 48;
        c.begin_len = 16;
        c.chunk_score = LH_CHUNK_SCORE_MAX_KEY;
        const Inputs in = random_inputs(c, 180, 5400 + p.n_head * 7 + p.d);
        const RefResult ref = ref_longheads(c, in, 0);
        CHECK(ref.selective > 0);
        CHECK(ref.ambiguous == 0);
        tbb::task_arena arena(2);
        for (const auto &batches : {random_batches(180, 8, 40), token_by_token(180)}) {
            INFO("n_head=" << p.n_head << " n_head_kv=" << p.n_head_kv << " d=" << p.d << " batches=" << batches.size());
            const Out got = run_engine(c, in, batches, &arena);
            CHECK(max_abs_diff(got[0], ref.out) < 1e-4);
        }
    }
}

TEST_CASE("scores against a bf16 key cache stay within bf16 rounding of the exact products", "[attention]") {
    // With AVX512-BF16 the kernel rounds the queries to bf16 too and adds pairs of products;
    // every path must stay within |q|.|k| * 2^-8 of the double-precision products of the same
    // bf16 keys (query rounding is at most 2^-9 relative, f32 sums far below that).
    std::mt19937 rng(77);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int d : {16, 48, 64, 128}) {
        for (int G : {1, 3, 8, 11}) {
            const int n = 70, a = 5, b = 67;  // a range that starts and ends inside tiles
            std::vector<uint16_t> tiles(static_cast<size_t>((n + 15) / 16 * 16) * d, 0);
            std::vector<float> kf(static_cast<size_t>(n) * d), q(static_cast<size_t>(G) * d);
            for (int t = 0; t < n; ++t)
                for (int x = 0; x < d; ++x) {
                    const uint16_t v = lh::float_to_bf16(nd(rng));
                    tiles[static_cast<size_t>(lh::attn::tile_offset<uint16_t>(t, x, d))] = v;
                    kf[static_cast<size_t>(t) * d + x] = lh::bf16_to_float(v);
                }
            for (auto &x : q) x = nd(rng);
            const int64_t stride = 80;
            std::vector<float> buf(16 + static_cast<size_t>(G) * stride + 16, -1.0f);
            float *s = buf.data() + 16;
            lh::attn::tile_scores(tiles.data(), d, a, b, q.data(), G, s, stride);
            double worst = 0;
            for (int g = 0; g < G; ++g)
                for (int t = a; t < b; ++t) {
                    double exact = 0, mag = 0;
                    for (int x = 0; x < d; ++x) {
                        exact += double(q[static_cast<size_t>(g) * d + x]) * kf[static_cast<size_t>(t) * d + x];
                        mag += std::abs(double(q[static_cast<size_t>(g) * d + x]) * kf[static_cast<size_t>(t) * d + x]);
                    }
                    worst = std::max(worst, std::abs(s[g * stride + (t - a)] - exact) / (mag * std::ldexp(1.0, -8)));
                }
            INFO("d=" << d << " G=" << G);
            CHECK(worst <= 1.0);
            // Nothing written outside [a, b) of each row.
            bool untouched = true;
            for (int i = 0; i < 16; ++i) untouched = untouched && buf[static_cast<size_t>(i)] == -1.0f;
            for (int g = 0; g < G; ++g)
                for (int64_t t = b - a; t < stride; ++t) untouched = untouched && s[g * stride + t] == -1.0f;
            CHECK(untouched);
        }
    }
}

TEST_CASE("bound chunk score equals the direct rule, the heads of a KV group sharing the bounds", "[attention]") {
    struct P {
        int n_head, n_head_kv, d;
    };
    // 8 and 12 rows per pass (whole and partial batches of kMaxKeyRows), and d = 12: rows of
    // 2d = 24 values, off the 16-wide kernels.
    for (const P &p : {P{8, 1, 32}, P{12, 1, 16}, P{4, 2, 16}, P{4, 4, 12}}) {
        for (lh_prefill_mode pm : {LH_PREFILL_PER_TOKEN, LH_PREFILL_BLOCK}) {
            AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, p.n_head, p.n_head_kv, p.d, 180);
            c.n_layer = 1;
            c.chunk_size = 8;
            c.attn_len = 48;
            c.begin_len = 16;
            c.chunk_score = LH_CHUNK_SCORE_BOUND;
            c.prefill_mode = pm;
            const Inputs in = random_inputs(c, 180, 6109 + p.n_head * 7 + p.d);
            tbb::task_arena arena(2);
            for (const auto &batches : {random_batches(180, 8, 40), token_by_token(180)}) {
                INFO("n_head=" << p.n_head << " n_head_kv=" << p.n_head_kv << " d=" << p.d << " prefill=" << pm
                               << " batches=" << batches.size());
                const RefResult ref = ref_longheads(c, in, 0, pm == LH_PREFILL_BLOCK ? &batches : nullptr);
                CHECK(ref.selective > 0);
                CHECK(ref.ambiguous == 0);
                Attention a(c, &arena);
                const Out got = run_engine(a, c, in, batches);
                CHECK(max_abs_diff(got[0], ref.out) < 1e-4);
                // The stored bounds: max then min of each chunk's keys at their local offsets.
                Ref r{c, in, 0};
                double err = 0;
                for (int g = 0; g < c.n_head_kv; ++g)
                    for (int j = 0; j < 180 / c.chunk_size; ++j) {
                        const auto got_b = a.chunk_bound(0, g, j);
                        const Vec want = r.bound(j, g * (c.n_head / c.n_head_kv));
                        for (int i = 0; i < 2 * p.d; ++i) err = std::max(err, std::abs(got_b[i] - want[i]));
                    }
                CHECK(err < 1e-5);
            }
        }
    }
}

TEST_CASE("bounds in a bf16 or int8 cache bound the cached keys in the cache's own precision", "[attention][kv]") {
    for (lh_kv_type kt : {LH_KV_BF16, LH_KV_Q8}) {
        AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 2, 16, 128);
        c.n_layer = 1;
        c.chunk_size = 8;
        c.attn_len = 32;
        c.begin_len = 32;
        c.chunk_score = LH_CHUNK_SCORE_BOUND;
        c.kv_type = kt;
        const Inputs in = random_inputs(c, 128, 61);
        Attention a(c, nullptr);
        run_engine(a, c, in, random_batches(128, 3, 30));
        // Re-read the keys as the engine cached them (rotated at t mod w, in the cache's type).
        lh::kv::KvCache kv;
        kv.init(kt, 1, 2, 16, 128);
        lh::attn::RopeTable rope;
        rope.init(16, 10000.0f, 8);
        rope.ensure(8);
        std::vector<float> k(16);
        for (int t = 0; t < 128; ++t)
            for (int g = 0; g < 2; ++g) {
                lh::attn::rope_apply(rope.at(t % 8), 16, 16, in.k[0].data() + (t * 2 + g) * 16, k.data(), false);
                kv.put(0, g, t, k.data(), k.data());
            }
        double worst = 0;
        for (int g = 0; g < 2; ++g)
            for (int j = 0; j < 16; ++j) {
                const auto b = a.chunk_bound(0, g, j);
                float amax = 0;  // the row's int8 step is max|bound| / 127
                for (float x : b) amax = std::max(amax, std::fabs(x));
                for (int x = 0; x < 16; ++x) {
                    float hi = -1e30f, lo = 1e30f;
                    for (int t = j * 8; t < j * 8 + 8; ++t) {
                        hi = std::max(hi, kv.key_at(0, g, t, x));
                        lo = std::min(lo, kv.key_at(0, g, t, x));
                    }
                    if (kt == LH_KV_BF16) {  // min/max of bf16 values are bf16 values: exact
                        CHECK(b[x] == hi);
                        CHECK(b[16 + x] == lo);
                    } else {
                        worst = std::max(worst, std::max(std::fabs(b[x] - hi), std::fabs(b[16 + x] - lo)) / (amax / 127.0));
                    }
                }
            }
        if (kt == LH_KV_Q8) CHECK(worst <= 0.5 + 1e-4);  // rounded to the nearest step of the row's scale
    }
}

TEST_CASE("local_chunks keeps the most recent chunks and selects the rest", "[attention]") {
    for (lh_chunk_score cs :
         {LH_CHUNK_SCORE_FAITHFUL, LH_CHUNK_SCORE_MAX_KEY, LH_CHUNK_SCORE_BOUND, LH_CHUNK_SCORE_BOUND_MID}) {
        for (int local : {1, 3, 6}) {  // K = 7: 6 leaves only the sink to choose besides
            AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 2, 16, 170);
            c.n_layer = 1;
            c.chunk_size = 8;
            c.attn_len = 56;
            c.begin_len = 24;
            c.chunk_score = cs;
            c.local_chunks = local;
            // Seeds whose selections have no near-tie at the cut (checked below).
            const uint32_t seed = cs == LH_CHUNK_SCORE_BOUND_MID ? 7100u + local : 7000u + local * 3 + cs;
            const Inputs in = random_inputs(c, 170, seed);
            INFO("chunk_score=" << cs << " local_chunks=" << local);
            const RefResult ref = ref_longheads(c, in, 0);
            CHECK(ref.ambiguous == 0);
            Attention a(c, nullptr);
            const Out got = run_engine(a, c, in, random_batches(170, 4, 33));
            CHECK(max_abs_diff(got[0], ref.out) < 1e-4);
            const int m = 169 / 8;
            for (int h = 0; h < 4; ++h) {
                const auto &sel = a.last_selection(0, h);
                CHECK(static_cast<int>(sel.size()) == 7);  // K chunks: the sink, `local` recent, the best
                CHECK(sel.front() == 0);
                for (int j = m - local + 1; j <= m; ++j) CHECK(std::count(sel.begin(), sel.end(), j) == 1);
            }
        }
    }
}

TEST_CASE("the faithful pooling logit reads the key channels in HF order", "[attention]") {
    // llama GGUFs store Q/K rows permuted from the HF order (HF channels i, i + d/2 -> 2i, 2i+1);
    // the authors' s . k~ ran on HF-ordered keys. The two orders pick different chunks here. A
    // NEOX-rope model (qwen2, phi3) is stored in HF order already: no permutation there.
    AttentionConfig c = make_config(LH_ATTENTION_LONGHEADS, 4, 2, 16, 160);
    c.n_layer = 1;
    c.chunk_size = 8;
    c.attn_len = 32;
    c.begin_len = 16;
    const Inputs in = random_inputs(c, 160, 808);
    Ref r{c, in, 0};
    int differ = 0, total = 0;
    for (int h = 0; h < 4; ++h) {
        std::vector<Vec> hf, gguf;
        for (int j = 0; j < 20; ++j) {
            hf.push_back(r.chunk_key(j, h, true));
            gguf.push_back(r.chunk_key(j, h, false));
        }
        for (int t = 16; t < 160; ++t) {
            const Vec qv(r.q(t, h), r.q(t, h) + 16);
            double margin;
            differ += r.select(qv, t / 8, h, hf, &margin) != r.select(qv, t / 8, h, gguf, &margin);
            ++total;
        }
    }
    INFO(differ << " of " << total << " selections differ between the two orders");
    CHECK(differ > total / 10);
    for (bool neox : {false, true}) {  // the reference rotates NEOX pairs and skips the permutation then
        c.rope_neox = neox;
        const RefResult ref = ref_longheads(c, in, 0);
        CHECK(ref.ambiguous == 0);
        const Out got = run_engine(c, in, random_batches(160, 5, 40));
        CHECK(max_abs_diff(got[0], ref.out) < 1e-4);
    }
}
