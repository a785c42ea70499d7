// `longheads serve`: an OpenAI-compatible HTTP server (cpp-httplib) over one model and a pool of
// contexts. Routes: GET /health, GET /v1/models, GET /v1/models/{id}, POST /v1/completions,
// POST /v1/chat/completions. Errors are JSON in the OpenAI shape (serve_error.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "longheads/longheads.h"
#include "serve_chat.h"
#include "serve_disconnect.h"
#include "serve_pool.h"

namespace httplib {
class Server;
class Request;
class Response;
}  // namespace httplib

namespace cli {

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 8080;                 // 0: any free port (printed when listening)
    int32_t parallel = 1;            // contexts
    int32_t queue = 16;              // requests that may wait for a context; more get 503
    std::string api_key;             // "" = no key required
    std::string model_id;            // the name clients use; default: the file name
    uint64_t max_body = 32u << 20;   // larger request bodies get 413
    int32_t http_threads = 0;        // 0: parallel + queue + 16
    std::string chat_template;       // a family name or a template's text; "" = the model's
    bool verbose = false;            // one line per request on stderr
};

// What the request handlers share.
struct ServeState {
    const lh_model *model;
    lh_model_info info;
    lh_context_params context;  // the pool's parameters (defaults resolved)
    ChatSetup chat;
    ContextPool pool;
    DisconnectWatcher watcher;
    ServeOptions options;
    std::atomic<uint64_t> next_id{1};
    int64_t created;            // for /v1/models
    ServeState(const lh_model *m, const lh_context_params &p, const ServeOptions &o);
};

class Server {
public:
    Server(const lh_model *model, const lh_context_params &params, const ServeOptions &options);
    ~Server();
    // Binds to host:port; returns the port (the chosen one for port 0). Throws on failure.
    int bind();
    void run();   // serves until stop()
    void stop();  // from any thread or a signal handler's helper thread

private:
    std::unique_ptr<ServeState> state_;
    std::unique_ptr<httplib::Server> http_;
};

// Handlers (serve_completion.cpp).
void handle_completion(ServeState &state, const httplib::Request &req, httplib::Response &res, bool chat);
// The ids of a prompt's text; throws ApiError(400) when it cannot be tokenized.
std::vector<int32_t> tokenize_prompt(const lh_model *model, const std::string &text, bool add_bos, bool parse_special);

}  // namespace cli
