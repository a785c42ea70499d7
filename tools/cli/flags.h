// Groups of flags a subcommand picks from (llama.cpp's names where they overlap). Each writes
// into Args; a subcommand's own flags are added next to its run function (cmd_*.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include "args.h"
#include "enum_names.h"

namespace cli {

// The most tokens any token-count flag accepts (the library's n_ctx limit).
inline constexpr int32_t kMaxTokens = 1 << 24;

void add_model_flags(CLI::App &cmd, Args &args);     // -m --precision -t
void add_prompt_flags(CLI::App &cmd, Args &args);    // -p -f --no-bos
void add_context_flags(CLI::App &cmd, Args &args);   // -c -b, the attention flags, --memory-budget
void add_sampling_flags(CLI::App &cmd, Args &args);  // --temp --top-k --top-p --min-p --repeat-*
void add_seed_flag(CLI::App &cmd, Args &args, const std::string &what);  // -s/--seed
void add_output_flags(CLI::App &cmd, Args &args);    // --json --no-progress
void add_chat_template_flags(CLI::App &cmd, Args &args);  // --chat-template --chat-template-file

// An integer flag refused outside [lo, hi].
CLI::Option *add_int_flag(CLI::App &cmd, const std::string &flag, int32_t &target, int32_t lo, int32_t hi,
                          const std::string &help, const std::string &value_name = "N");

// A flag whose value is one of `names`; any other value is refused with the list.
template <typename E>
CLI::Option *add_enum_flag(CLI::App &cmd, const std::string &flag, E &target, EnumNames<E> names,
                           const std::string &help) {
    std::string choices;
    for (const std::string &n : all_names(names)) choices += (choices.empty() ? "" : "|") + n;
    CLI::Validator one_of(
        [names](std::string &value) -> std::string {
            E parsed;
            if (names.from_name(value.c_str(), &parsed) == LH_OK) return "";
            return "'" + value + "' is not one of " + joined_names(names);
        },
        "", "");
    auto set = [&target, names](const std::string &value) { names.from_name(value.c_str(), &target); };
    return cmd.add_option_function<std::string>(flag, set, help + " (default " + name_of(names, target) + ")")
        ->check(one_of)
        ->type_name(choices);
}

}  // namespace cli
