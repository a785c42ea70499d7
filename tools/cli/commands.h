// One function per subcommand; each returns the process exit status.
#pragma once

#include "args.h"

namespace cli {

int run_info(const Args &args);
int run_tokenize(const Args &args);
int run_logits(const Args &args);
int run_generate(const Args &args);
int run_passkey(const Args &args);
int run_perplexity(const Args &args);
int run_bench(const Args &args);

}  // namespace cli
