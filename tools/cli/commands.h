// The subcommands. Each cmd_*.cpp defines two functions: add_<name>_flags (the flags it takes,
// bound to Args) and run_<name> (returns the exit status; throws Failure with a one-line
// reason). A new subcommand is a new cmd_<name>.cpp, its two declarations here and one row in
// commands.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <vector>

#include "args.h"

namespace cli {

struct Command {
    const char *name;
    const char *summary;  // one line for `longheads --help`
    void (*add_flags)(CLI::App &cmd, Args &args);
    int (*run)(const Args &args);
};

// Every subcommand, in the order `longheads --help` lists them.
const std::vector<Command> &commands();

void add_info_flags(CLI::App &cmd, Args &args);
int run_info(const Args &args);
void add_tokenize_flags(CLI::App &cmd, Args &args);
int run_tokenize(const Args &args);
void add_logits_flags(CLI::App &cmd, Args &args);
int run_logits(const Args &args);
void add_generate_flags(CLI::App &cmd, Args &args);
int run_generate(const Args &args);
void add_chat_flags(CLI::App &cmd, Args &args);
int run_chat(const Args &args);
void add_passkey_flags(CLI::App &cmd, Args &args);
int run_passkey(const Args &args);
void add_perplexity_flags(CLI::App &cmd, Args &args);
int run_perplexity(const Args &args);
void add_bench_flags(CLI::App &cmd, Args &args);
int run_bench(const Args &args);
void add_serve_flags(CLI::App &cmd, Args &args);
int run_serve(const Args &args);

}  // namespace cli
