// Saved contexts from the command line (generate --save-context / --load-context): read a long
// document once, save it, and ask it questions later without reading it again.
#pragma once

#include <CLI/CLI.hpp>

#include "args.h"
#include "common.h"

namespace cli {

void add_context_file_flags(CLI::App &cmd, Args &args);  // --save-context --load-context

// The context of a command: --load-context FILE if given (the file's parameters; -c, -b, -t and
// any attention flag given override them, and attention flags must agree with the file),
// otherwise a new one from the flags.
ContextPtr make_or_load_context(const lh_model *model, const Args &args);

// --save-context FILE: saves the context (after the prompt was evaluated).
void save_context_if_asked(lh_context *context, const Args &args);

}  // namespace cli
