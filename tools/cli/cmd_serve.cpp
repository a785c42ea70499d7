// serve: the OpenAI-compatible HTTP server (serve_server.h) from the command line.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "commands.h"
#include "common.h"
#include "flags.h"
#include "serve_server.h"

namespace cli {

namespace {

ServeOptions g_serve;  // bound to the flags (Args holds the library parameters)

std::string file_stem(const std::string &path) {
    const size_t slash = path.find_last_of('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const size_t dot = name.rfind(".gguf");
    return dot == std::string::npos ? name : name.substr(0, dot);
}

}  // namespace

void add_serve_flags(CLI::App &cmd, Args &args) {
    add_model_flags(cmd, args);
    add_context_flags(cmd, args);
    cmd.add_option("--host", g_serve.host, "address to listen on")->capture_default_str();
    cmd.add_option("--port", g_serve.port, "port to listen on (0: any free port, printed)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    add_int_flag(cmd, "--parallel,--np", g_serve.parallel, 1, 256, "contexts: requests served at once (default 1)");
    add_int_flag(cmd, "--queue", g_serve.queue, 0, 1 << 16,
                 "requests that may wait for a free context; more get 503 (default 16)");
    cmd.add_option("--api-key", g_serve.api_key, "require 'Authorization: Bearer KEY' on /v1/ routes")->type_name("KEY");
    cmd.add_option("--alias", g_serve.model_id, "the model's name for clients (default: the file name)")->type_name("NAME");
    cmd.add_option("--max-body", g_serve.max_body, "larger request bodies get 413")->type_name("BYTES")->capture_default_str();
    add_chat_template_flags(cmd, args);
    cmd.add_flag("-v,--verbose", g_serve.verbose, "one line per request on stderr");
    cmd.footer("-t sets the threads of each context (default: the cores divided among --parallel contexts). "
               "Requests may carry the attention options as extra fields (attention, chunk_size, attn_len, "
               "begin_len, n_sinks, local_chunks, prefill_mode, kv_type, chunk_score) and top_k, min_p, repeat_penalty, "
               "ignore_eos. /v1/chat/completions formats the messages with the chat template. Stop with Ctrl-C or "
               "SIGTERM.");
}

int run_serve(const Args &args) {
    // SIGINT/SIGTERM go to one thread that stops the server: blocked here, before any thread
    // (OpenMP, TBB, HTTP) exists, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that leaves mid-write is a failed write, not a signal

    ServeOptions options = g_serve;
    if (options.model_id.empty()) options.model_id = file_stem(args.model_path);
    options.chat_template = chat_template_arg(args);
    ModelPtr model = load_model(args);
    lh_context_params params = context_params(args);
    if (params.n_threads == 0)
        params.n_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / options.parallel);
    {
        ContextPtr probe = make_context(model.get(), args);  // validates, resolves the defaults
        const int32_t threads = params.n_threads;
        params = effective_params(probe.get());
        params.n_threads = threads;
    }

    Server server(model.get(), params, options);
    const int port = server.bind();
    std::fprintf(stderr, "longheads serve: listening on http://%s:%d (model %s, %d context%s of %d tokens, attention %s)\n",
                 options.host.c_str(), port, options.model_id.c_str(), options.parallel, options.parallel == 1 ? "" : "s",
                 params.n_ctx, lh_attention_name(params.attention));
    std::fflush(stderr);
    std::thread stopper([&server, stop_signals] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        server.stop();
    });
    server.run();
    pthread_kill(stopper.native_handle(), SIGTERM);  // if run() ended on its own
    stopper.join();
    std::fprintf(stderr, "longheads serve: stopped\n");
    return 0;
}

}  // namespace cli
