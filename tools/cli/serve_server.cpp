#include "serve_server.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "json.h"
#include "serve_error.h"

namespace cli {

namespace {

lh_model_info info_of(const lh_model *model) {
    lh_model_info info{};
    info.struct_size = sizeof info;
    if (lh_model_get_info(model, &info) != LH_OK) throw std::runtime_error(lh_last_error());
    return info;
}

void send_error(httplib::Response &res, const ApiError &e) {
    res.status = e.status;
    if (e.status == 503) res.set_header("Retry-After", "1");
    res.set_content(error_body(e), "application/json");
}

// Requests for /v1/... need "Authorization: Bearer KEY" when the server has a key.
bool authorized(const ServeState &st, const httplib::Request &req, httplib::Response &res) {
    if (st.options.api_key.empty()) return true;
    const std::string want = "Bearer " + st.options.api_key;
    if (req.get_header_value("Authorization") == want) return true;
    send_error(res, ApiError(401, req.has_header("Authorization") ? "incorrect API key provided"
                                                                    : "no API key provided (Authorization: Bearer KEY)",
                             "authentication_error", "", "invalid_api_key"));
    return false;
}

Json model_object(const ServeState &st) {
    return Json{{"id", st.options.model_id}, {"object", "model"}, {"created", st.created}, {"owned_by", "longheads"},
                {"meta", {{"n_ctx", st.context.n_ctx}, {"n_ctx_train", st.info.n_ctx_train},
                          {"attention", lh_attention_name(st.context.attention)}, {"n_vocab", st.info.n_vocab},
                          {"n_params", st.info.n_params},
                          {"chat_template", st.chat.family.empty() ? Json(nullptr) : Json(st.chat.family)}}}};
}

void add_routes(httplib::Server &http, ServeState &st) {
    http.Get("/health", [&st](const httplib::Request &, httplib::Response &res) {
        const PoolStats p = st.pool.stats();
        res.set_content(Json{{"status", "ok"}, {"contexts", p.contexts}, {"busy", p.busy}, {"waiting", p.waiting},
                             {"served", p.served}}.dump(),
                        "application/json");
    });
    http.Get("/v1/models", [&st](const httplib::Request &req, httplib::Response &res) {
        if (!authorized(st, req, res)) return;
        res.set_content(Json{{"object", "list"}, {"data", Json::array({model_object(st)})}}.dump(), "application/json");
    });
    http.Get(R"(/v1/models/(.+))", [&st](const httplib::Request &req, httplib::Response &res) {
        if (!authorized(st, req, res)) return;
        if (req.matches[1] != st.options.model_id)
            return send_error(res, ApiError(404, "the model '" + std::string(req.matches[1]) + "' does not exist",
                                            "invalid_request_error", "model", "model_not_found"));
        res.set_content(model_object(st).dump(), "application/json");
    });
    for (bool chat : {false, true}) {
        http.Post(chat ? "/v1/chat/completions" : "/v1/completions",
                  [&st, chat](const httplib::Request &req, httplib::Response &res) {
                      if (!authorized(st, req, res)) return;
                      handle_completion(st, req, res, chat);
                  });
    }
}

// Statuses cpp-httplib answers itself (404 unknown route, 413 body too large, 400 bad HTTP)
// get a JSON body too.
void add_error_handlers(httplib::Server &http) {
    http.set_error_handler([](const httplib::Request &req, httplib::Response &res) {
        if (!res.body.empty()) return;
        std::string message = "HTTP error " + std::to_string(res.status);
        if (res.status == 400) message = "malformed HTTP request";
        if (res.status == 404) message = "no route for " + req.method + " " + req.path;
        if (res.status == 413)
            message = req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos
                          ? "form-encoded bodies are limited to 8192 bytes: send the JSON with Content-Type: "
                            "application/json"
                          : "the request body is too large (--max-body)";
        res.set_content(error_body(ApiError(res.status, message, res.status >= 500 ? "server_error" : "invalid_request_error")),
                        "application/json");
    });
    http.set_exception_handler([](const httplib::Request &, httplib::Response &res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception &e) {
            what = e.what();
        } catch (...) {
        }
        send_error(res, ApiError(500, "internal error: " + what, "server_error"));
    });
}

}  // namespace

std::string error_body(const ApiError &e) {
    return Json{{"error", {{"message", e.what()},
                           {"type", e.type},
                           {"param", e.param.empty() ? Json(nullptr) : Json(e.param)},
                           {"code", e.code.empty() ? Json(nullptr) : Json(e.code)}}}}
        .dump(-1, ' ', false, Json::error_handler_t::replace);
}

ServeState::ServeState(const lh_model *m, const lh_context_params &p, const ServeOptions &o)
    : model(m), info(info_of(m)), context(p), chat(chat_setup(m, info, o.chat_template)),
      pool(m, p, static_cast<size_t>(o.parallel), static_cast<size_t>(o.queue)), options(o),
      created(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

Server::Server(const lh_model *model, const lh_context_params &params, const ServeOptions &options)
    : state_(new ServeState(model, params, options)), http_(new httplib::Server) {
    const int threads = options.http_threads > 0 ? options.http_threads : options.parallel + options.queue + 16;
    http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    http_->set_payload_max_length(static_cast<size_t>(options.max_body));
    http_->set_keep_alive_timeout(5);
    http_->set_read_timeout(30);
    http_->set_write_timeout(30);
    if (options.verbose) {
        http_->set_logger([](const httplib::Request &req, const httplib::Response &res) {
            std::fprintf(stderr, "longheads serve: %s %s -> %d\n", req.method.c_str(), req.path.c_str(), res.status);
        });
    }
    add_routes(*http_, *state_);
    add_error_handlers(*http_);
}

Server::~Server() = default;

int Server::bind() {
    const ServeOptions &o = state_->options;
    if (o.port == 0) {
        const int port = http_->bind_to_any_port(o.host);
        if (port < 0) throw std::runtime_error("cannot listen on " + o.host + " (any port)");
        return port;
    }
    if (!http_->bind_to_port(o.host, o.port))
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use?)");
    return o.port;
}

void Server::run() { http_->listen_after_bind(); }

void Server::stop() {
    http_->stop();
    state_->pool.cancel_all();  // requests in flight end now rather than when their answers are done
}

}  // namespace cli
