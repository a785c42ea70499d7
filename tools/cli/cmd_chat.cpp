// chat: an interactive conversation on stdin/stdout with the model's chat template; each reply
// streams as it is generated and the KV cache is kept across turns (lh_chat_*).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "common.h"
#include "enum_names.h"
#include "flags.h"

namespace cli {

namespace {

struct ChatDeleter {
    void operator()(lh_chat *c) const { lh_chat_free(c); }
};
using ChatPtr = std::unique_ptr<lh_chat, ChatDeleter>;

bool is_quit(const std::string &line) { return line == "/exit" || line == "/quit" || line == "/bye"; }

// Streams one reply to stdout; returns its stop reason.
lh_stop_reason stream_reply(lh_chat *chat) {
    for (;;) {
        const char *piece = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        check(lh_chat_next(chat, &piece, &len, &token, &done), "generation failed");
        if (len) {
            std::fwrite(piece, 1, len, stdout);
            std::fflush(stdout);
        }
        if (done) break;
    }
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return lh_chat_stop_reason(chat);
}

void print_turn(lh_chat *chat, const lh_context *ctx, int turn, lh_stop_reason reason) {
    int32_t evaluated = 0, reused = 0, n_past = 0;
    check(lh_chat_last_prompt(chat, &evaluated, &reused), "chat statistics");
    check(lh_context_n_past(ctx, &n_past), "context size");
    std::fprintf(stderr, "longheads chat: turn %d: %d prompt tokens evaluated, %d kept from the cache, %d in the "
                         "context, reply stopped by %s\n",
                 turn, evaluated, reused, n_past, name_of(kStopReasonNames, reason));
}

}  // namespace

void add_chat_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    cmd.add_option("--system", args.system, "a system message opening the conversation")->type_name("TEXT");
    add_chat_template_flags(cmd, args);
    add_int_flag(cmd, "-n,--n-predict", args.n_predict, 0, 1 << 24, "tokens per reply at most");
    add_sampling_flags(cmd, args);
    add_context_flags(cmd, args);
    cmd.add_flag("-v,--verbose", args.verbose, "after each reply, the tokens evaluated and kept on stderr");
    cmd.footer("Type a message and press Enter; the reply streams to stdout. /exit, /quit or end of input (Ctrl-D) "
               "ends the chat. Each turn evaluates only the text it adds to the conversation.");
}

int run_chat(const Args &args) {
    ModelPtr model = load_model(args);
    ContextPtr ctx = make_context(model.get(), args);
    std::string tmpl = chat_template_arg(args);
    lh_chat *raw = nullptr;
    check(lh_chat_create(ctx.get(), tmpl.empty() ? nullptr : tmpl.c_str(), args.system.c_str(), &raw),
          "cannot start the chat");
    ChatPtr chat(raw);

    lh_generate_params gp;
    lh_generate_params_init(&gp);
    gp.max_tokens = args.n_predict;
    lh_sampler_params sampling = args.sampling;
    sampling.seed = resolve_seed(args);
    gp.sampling = &sampling;

    const bool terminal = isatty(STDIN_FILENO) != 0;
    std::string line;
    for (int turn = 1;; ++turn) {
        if (terminal) {
            std::fputs("> ", stdout);
            std::fflush(stdout);
        }
        if (!std::getline(std::cin, line) || is_quit(line)) break;
        if (line.empty()) {
            --turn;
            continue;
        }
        check(lh_chat_send(chat.get(), line.c_str(), &gp), "cannot send the message");
        lh_stop_reason reason = stream_reply(chat.get());
        if (args.verbose) print_turn(chat.get(), ctx.get(), turn, reason);
    }
    return 0;
}

}  // namespace cli
