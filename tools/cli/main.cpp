// longheads: command-line front end over the C API. Parsing with CLI11: one subcommand per
// entry of commands(), each with its own flags and --help.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "common.h"

namespace {

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

std::string command_list() {
    std::string out;
    for (const cli::Command &c : cli::commands()) out += (out.empty() ? "" : ", ") + std::string(c.name);
    return out;
}

// The whole command line, one subcommand per entry of commands().
void build(CLI::App &app, cli::Args &args) {
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // last one wins, as in llama.cpp
    app.set_version_flag("--version", std::string("longheads ") + lh_version());
    app.get_formatter()->column_width(36);
    app.allow_extras();  // an unknown command is reported by check_leftovers
    app.footer("Run 'longheads COMMAND --help' for the flags of a command.");
    for (const cli::Command &c : cli::commands()) {
        CLI::App *sub = app.add_subcommand(c.name, c.summary);
        sub->allow_extras();  // unknown flags are reported by check_leftovers, in one line
        c.add_flags(*sub, args);
    }
}

// One line on stderr, exit status 1.
int usage_error(const std::string &where, const std::string &message) {
    std::fprintf(stderr, "%s: %s\n", where.c_str(), message.c_str());
    return 1;
}

// The chosen subcommand, or nullptr after reporting what is wrong with the command line.
const cli::Command *chosen_command(const CLI::App &app) {
    for (const cli::Command &c : cli::commands()) {
        const CLI::App *sub = app.get_subcommand(c.name);
        if (!sub->parsed()) continue;
        std::vector<std::string> left = sub->remaining();
        if (left.empty()) return &c;
        const std::string where = std::string("longheads ") + c.name;
        if (left[0].size() > 1 && left[0][0] == '-')
            usage_error(where, "unknown flag '" + left[0] + "' (see 'longheads " + c.name + " --help')");
        else
            usage_error(where, "unexpected argument '" + left[0] + "'");
        return nullptr;
    }
    std::vector<std::string> left = app.remaining();
    if (left.empty()) usage_error("longheads", "missing command: one of " + command_list() + " (see 'longheads --help')");
    else usage_error("longheads", "unknown command '" + left[0] + "': one of " + command_list());
    return nullptr;
}

int run(const cli::Command &command, const cli::Args &args) {
    const std::string where = std::string("longheads ") + command.name;
    try {
        return command.run(args);
    } catch (const std::exception &e) {
        return usage_error(where, e.what());
    }
}

}  // namespace

int main(int argc, char **argv) {
    ensure_passive_openmp(argv);
    cli::Args args;
    CLI::App app("longheads: Llama-family GGUF models on the CPU, with LongHeads attention for contexts far beyond "
                 "the trained window.",
                 "longheads");
    build(app, args);
    // `longheads help [COMMAND]` is `longheads [COMMAND] --help`.
    std::vector<std::string> words(argv + 1, argv + argc);
    if (!words.empty() && words[0] == "help") {
        words.erase(words.begin());
        words.push_back("--help");
    }
    std::reverse(words.begin(), words.end());  // CLI11 takes the arguments in reverse order
    try {
        app.parse(words);
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: on stdout
        std::string where = "longheads";
        for (const CLI::App *sub : app.get_subcommands()) where += " " + sub->get_name();
        return usage_error(where, e.what());
    }
    const cli::Command *command = chosen_command(app);
    if (!command) return 1;
    args.command = command->name;
    return run(*command, args);
}
