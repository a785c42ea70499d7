// Model files that change or are not files (issue 14, items 2 and 3), through the public C API.
// Each case runs in a child process, so a SIGBUS or a hang is a reported failure:
//   truncate  a loaded (memory-mapped) model file is truncated: the next evaluation fails with
//             LH_ERROR_IO naming the change, instead of dying of SIGBUS;
//   rewrite   it is rewritten in place at the same size: LH_ERROR_IO, instead of silently
//             computing with other weights;
//   no_mmap   loaded with use_mmap = 0, the file can be truncated and rewritten: the model keeps
//             giving the tokens it gave before (and the tokens a mapped load gives);
//   fifo      a FIFO as the model path: LH_ERROR_IO "not a regular file" at once, not a
//             blocked open().
//
//   file_changes_test --model M.gguf --dir TMPDIR
// Prints one line per case and "N passed, M failed"; exit status 1 on any failure.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "child_process.h"
#include "longheads/longheads.h"

namespace {

// ---- inside a child: one case, exit status 0 when it behaved ----

bool g_child_ok = true;

void check(bool ok, const std::string &what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    if (!ok) g_child_ok = false;
}

std::string status_text(lh_status s) { return std::string(lh_status_string(s)) + ": " + lh_last_error(); }

void copy_file(const std::string &from, const std::string &to) {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
}

lh_model *load(const std::string &path, int use_mmap) {
    lh_model_params mp;
    lh_model_params_init(&mp);
    mp.n_threads = 1;
    mp.use_mmap = use_mmap;
    lh_model *m = nullptr;
    lh_status s = lh_model_load(path.c_str(), &mp, &m);
    check(s == LH_OK, "load " + path + " (use_mmap " + std::to_string(use_mmap) + "): " + status_text(s));
    return m;
}

// Greedy decoding of n tokens after a fixed prompt, by eval + argmax (a fresh context each time).
// Returns the tokens, or the failing status through *status.
std::vector<int32_t> greedy(lh_model *m, int n, lh_status *status) {
    std::vector<int32_t> out;
    lh_context_params cp;
    lh_context_params_init(&cp);
    cp.n_ctx = 128;
    cp.n_threads = 1;
    lh_context *ctx = nullptr;
    *status = lh_context_create(m, &cp, &ctx);
    if (*status != LH_OK) return out;
    int32_t toks[64];
    size_t n_tok = 0;
    const char *prompt = "Once upon a time";
    *status = lh_tokenize(m, prompt, std::strlen(prompt), 1, 0, toks, 64, &n_tok);
    std::vector<int32_t> next(toks, toks + n_tok);
    for (int i = 0; i < n && *status == LH_OK; ++i) {
        *status = lh_context_eval(ctx, next.data(), next.size(), 0);
        if (*status != LH_OK) break;
        const float *logits = nullptr;
        *status = lh_context_logits(ctx, -1, &logits);
        if (*status != LH_OK) break;
        lh_model_info info;
        info.struct_size = sizeof info;
        lh_model_get_info(m, &info);
        int32_t best = 0;
        for (int32_t t = 1; t < info.n_vocab; ++t)
            if (logits[t] > logits[best]) best = t;
        out.push_back(best);
        next.assign(1, best);
    }
    lh_context_free(ctx);
    return out;
}

// Overwrites the second half of the file with zeros, keeping its size.
void rewrite_in_place(const std::string &path) {
    struct stat st {};
    stat(path.c_str(), &st);
    FILE *f = std::fopen(path.c_str(), "r+b");
    std::fseek(f, st.st_size / 2, SEEK_SET);
    std::vector<char> zeros(static_cast<size_t>(st.st_size - st.st_size / 2), 0);
    std::fwrite(zeros.data(), 1, zeros.size(), f);
    std::fclose(f);
}

int child_truncate_or_rewrite(const std::string &model, const std::string &dir, bool truncate_it) {
    const std::string path = dir + (truncate_it ? "/truncated.gguf" : "/rewritten.gguf");
    copy_file(model, path);
    lh_model *m = load(path, 1);
    if (!m) return 1;
    lh_status s;
    std::vector<int32_t> before = greedy(m, 8, &s);
    check(s == LH_OK && before.size() == 8, "generate before the change: " + status_text(s));
    if (truncate_it) {
        struct stat st {};
        stat(path.c_str(), &st);
        check(truncate(path.c_str(), st.st_size / 2) == 0, "truncate the file to half its size");
    } else {
        rewrite_in_place(path);
    }
    std::vector<int32_t> after = greedy(m, 8, &s);
    const std::string msg = lh_last_error();
    check(s == LH_ERROR_IO, std::string("generate after the change: want LH_ERROR_IO, got ") + status_text(s) +
                                " (" + std::to_string(after.size()) + " tokens" +
                                (after == before ? ", unchanged" : ", different") + ")");
    check(msg.find("changed after it was loaded") != std::string::npos && msg.find(path) != std::string::npos,
          "the message names the file and the change: " + msg);
    lh_model_free(m);
    return g_child_ok ? 0 : 1;
}

int child_no_mmap(const std::string &model, const std::string &dir) {
    lh_model *mapped = load(model, 1);
    const std::string path = dir + "/in_memory.gguf";
    copy_file(model, path);
    lh_model *m = load(path, 0);
    if (!mapped || !m) return 1;
    lh_status s;
    std::vector<int32_t> reference = greedy(mapped, 8, &s);
    check(s == LH_OK && reference.size() == 8, "generate from the mapped model: " + status_text(s));
    std::vector<int32_t> before = greedy(m, 8, &s);
    check(s == LH_OK && before == reference, "use_mmap 0 gives the mapped model's tokens: " + status_text(s));
    rewrite_in_place(path);
    std::vector<int32_t> rewritten = greedy(m, 8, &s);
    check(s == LH_OK && rewritten == before, "after rewriting the file: same tokens: " + status_text(s));
    check(truncate(path.c_str(), 100) == 0, "truncate the file to 100 bytes");
    std::vector<int32_t> truncated = greedy(m, 8, &s);
    check(s == LH_OK && truncated == before, "after truncating the file: same tokens: " + status_text(s));
    lh_model_free(m);
    lh_model_free(mapped);
    return g_child_ok ? 0 : 1;
}

int child_fifo(const std::string &dir) {
    const std::string path = dir + "/model.fifo";
    unlink(path.c_str());
    check(mkfifo(path.c_str(), 0600) == 0, "mkfifo " + path);
    lh_model_params mp;
    lh_model_params_init(&mp);
    lh_model *m = nullptr;
    lh_status s = lh_model_load(path.c_str(), &mp, &m);
    check(s == LH_ERROR_IO && m == nullptr, "load a FIFO: want LH_ERROR_IO, got " + status_text(s));
    check(std::string(lh_last_error()).find("not a regular file") != std::string::npos,
          std::string("the message says why: ") + lh_last_error());
    unlink(path.c_str());
    return g_child_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    std::string model, dir, only, child_case;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") model = argv[i + 1];
        else if (a == "--dir") dir = argv[i + 1];
        else if (a == "--only") only = argv[i + 1];
        else if (a == "--case") child_case = argv[i + 1];
    }
    if (model.empty() || dir.empty()) {
        std::fprintf(stderr, "usage: file_changes_test --model M.gguf --dir TMPDIR [--only CASE]\n");
        return 2;
    }
    if (child_case == "truncate") return child_truncate_or_rewrite(model, dir, true);
    if (child_case == "rewrite") return child_truncate_or_rewrite(model, dir, false);
    if (child_case == "no_mmap") return child_no_mmap(model, dir);
    if (child_case == "fifo") return child_fifo(dir);
    if (!child_case.empty()) {
        std::fprintf(stderr, "unknown case %s\n", child_case.c_str());
        return 2;
    }

    mkdir(dir.c_str(), 0700);  // may exist
    int passed = 0, failed = 0;
    for (const char *name : {"truncate", "rewrite", "no_mmap", "fifo"}) {
        if (!only.empty() && only != name) continue;
        // A FIFO open blocks forever when it blocks at all: 20 s tells.
        const double timeout = std::strcmp(name, "fifo") == 0 ? 20 : 120;
        lh_test::ChildResult r = lh_test::run_child({"--case", name, "--model", model, "--dir", dir}, timeout);
        std::printf("%-9s %s (%.2f s)\n", name, r.ok() ? "passed" : ("FAILED: child " + r.describe()).c_str(),
                    r.seconds);
        if (!r.ok()) std::printf("%s", r.output.c_str());
        (r.ok() ? passed : failed)++;
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
