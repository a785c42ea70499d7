// longheads: command-line front end over the C API.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "args.h"
#include "commands.h"
#include "common.h"

namespace {

const char *kUsage =
    "usage: longheads COMMAND [flags]\n"
    "\n"
    "commands:\n"
    "  info        -m MODEL [-c N] [attention flags] [--json]   hyper-parameters, tensors, KV bytes at N tokens\n"
    "  tokenize    -m MODEL -p TEXT [--no-bos] [--json]\n"
    "  logits      -m MODEL (-p TEXT | --tokens-file F.json) [--all] [--json]   logits after the prompt\n"
    "  generate    -m MODEL -p TEXT -n N [sampling flags] [--stop S] [--json]\n"
    "  passkey     -m MODEL --length N --trials K [--seed S] [--depth D] [attention flags] [--json]\n"
    "  perplexity  -m MODEL -f FILE --ctx N [--sequences K] [attention flags] [--json]\n"
    "  bench       -m MODEL --ctx N [--gen G] [--prefill-only] [attention flags] [--json] | bench --membw\n"
    "\n"
    "common flags:\n"
    "  -c, --ctx N            context size in tokens (default: the model's trained context)\n"
    "  -t, --threads N        threads (default: all cores)\n"
    "  -b, --batch-size N     tokens per forward step (default 512)\n"
    "  --precision f32|bf16   weights and products: f32 exact (default), bf16 fast\n"
    "sampling: --temp T (0 = greedy) --top-k K --top-p P --min-p P --repeat-penalty R --repeat-last-n N --seed S\n"
    "attention: --attention full|window|longheads --chunk-size W --attn-len L --begin B --sinks S\n"
    "           --allow-long-attn --prefill token|block --kv-type f32|bf16|q8 --memory-budget BYTES\n"
    "           --chunk-score faithful|max\n";

// oneDNN runs on libgomp, whose idle threads spin for a while after each product and steal the
// cores from the attention's TBB workers (measured 10-100x slower on 2 busy cores). libgomp reads
// its wait policy once, when it loads, so the only way to choose it is the environment at exec
// time: set OMP_WAIT_POLICY=PASSIVE and start again, unless the user chose a policy.
void ensure_passive_openmp(char **argv) {
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT") || std::getenv("LONGHEADS_NO_REEXEC")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    setenv("LONGHEADS_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    // exec failed: carry on with the default policy.
}

}  // namespace

int main(int argc, char **argv) {
    ensure_passive_openmp(argv);
    if (argc >= 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0 ||
                      std::strcmp(argv[1], "help") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::fputs(kUsage, stdout);
            return 0;
        }
    }
    if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("longheads %s\n", lh_version());
        return 0;
    }
    cli::Args args;
    std::string error;
    if (!cli::parse_args(argc, argv, args, error)) {
        std::fprintf(stderr, "longheads: %s\n%s", error.c_str(), argc < 2 ? kUsage : "");
        return 1;
    }
    try {
        if (args.command == "info") return cli::run_info(args);
        if (args.command == "tokenize") return cli::run_tokenize(args);
        if (args.command == "logits") return cli::run_logits(args);
        if (args.command == "generate") return cli::run_generate(args);
        if (args.command == "passkey") return cli::run_passkey(args);
        if (args.command == "perplexity") return cli::run_perplexity(args);
        if (args.command == "bench") return cli::run_bench(args);
        std::fprintf(stderr, "longheads: unknown command '%s' (try --help)\n", args.command.c_str());
        return 1;
    } catch (const cli::Failure &f) {
        std::fprintf(stderr, "longheads %s: %s\n", args.command.c_str(), f.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "longheads %s: %s\n", args.command.c_str(), e.what());
        return 1;
    }
}
