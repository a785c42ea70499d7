// POST /v1/completions and /v1/chat/completions: the prompt is checked and evaluated in the
// handler (so its errors still get their HTTP status), reusing whatever prefix a context of the
// pool already holds; the answer is then sent whole, or streamed as server-sent events from the
// content provider. A client that disconnects cancels its prefill or generation.
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "serve_chat.h"
#include "serve_error.h"
#include "serve_request.h"
#include "serve_server.h"

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

std::string dump(const Json &j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string detokenize_ids(const lh_model *model, const std::vector<int32_t> &ids) {
    size_t n = 0;
    lh_status s = lh_detokenize(model, ids.data(), ids.size(), LH_DETOK_REMOVE_SPECIAL, nullptr, 0, &n);
    std::string out(n, '\0');
    if (s == LH_ERROR_BUFFER_TOO_SMALL || s == LH_OK)
        s = lh_detokenize(model, ids.data(), ids.size(), LH_DETOK_REMOVE_SPECIAL, &out[0], n, &n);
    if (s != LH_OK) throw ApiError(400, std::string("bad prompt token ids: ") + lh_last_error(), "invalid_request_error", "prompt");
    out.resize(n);
    return out;
}

const char *finish_reason(lh_stop_reason r) {
    return r == LH_STOP_MAX_TOKENS || r == LH_STOP_CONTEXT_FULL ? "length" : "stop";
}

// One request's work, shared by the handler and (when streaming) the content provider.
struct Job {
    ServeState &st;
    CompletionRequest req;
    std::unique_ptr<Lease> lease;
    uint64_t watch_id = 0;
    lh_generation *gen = nullptr;
    std::string id;
    int64_t created = 0;
    std::vector<int32_t> prompt;
    int32_t reused = 0;
    size_t completion_tokens = 0;
    lh_stop_reason stop = LH_STOP_NONE;
    bool gone = false;  // the client left: nothing more to send
    Clock::time_point t0 = Clock::now(), t_prompt;

    Job(ServeState &s, CompletionRequest r) : st(s), req(std::move(r)) {}
    ~Job() {
        lh_generation_free(gen);
        if (watch_id) st.watcher.unwatch(watch_id);
        if (st.options.verbose && lease) {
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            std::fprintf(stderr, "longheads serve: %s: prompt %zu tokens (%d reused), %zu generated, %s, %.0f ms\n",
                         id.c_str(), prompt.size(), reused, completion_tokens,
                         gone ? "client gone" : finish_reason(stop), ms);
        }
    }

    // The next piece; false at the end (`stop` says why, `gone` if the client left).
    bool next(std::string &piece) {
        const char *p = nullptr;
        size_t len = 0;
        int32_t token = -1, done = 0;
        const lh_status s = lh_generation_next(gen, &p, &len, &token, &done);
        if (s == LH_ERROR_CANCELLED) {
            gone = true;
            return false;
        }
        if (s != LH_OK) throw ApiError(500, std::string("generation failed: ") + lh_last_error(), "server_error");
        piece.assign(p, len);
        if (token >= 0) ++completion_tokens;
        if (done) {
            stop = lh_generation_stop_reason(gen);
            if (stop == LH_STOP_CANCELLED) gone = true;
        }
        return !done;
    }

    Json usage() const {
        return Json{{"prompt_tokens", prompt.size()},
                    {"completion_tokens", completion_tokens},
                    {"total_tokens", prompt.size() + completion_tokens},
                    {"prompt_tokens_details", {{"cached_tokens", reused}}}};
    }

    Json chunk(const std::string &text, const char *finish, bool first) const {
        Json choice{{"index", 0}};
        if (req.chat) {
            Json delta = Json::object();
            if (first) delta["role"] = "assistant";
            if (!text.empty() || first) delta["content"] = text;
            choice["delta"] = delta;
        } else {
            choice["text"] = text;
        }
        choice["logprobs"] = nullptr;
        choice["finish_reason"] = finish ? Json(finish) : Json(nullptr);
        return Json{{"id", id}, {"object", req.chat ? "chat.completion.chunk" : "text_completion"},
                    {"created", created}, {"model", st.options.model_id}, {"choices", Json::array({choice})}};
    }

    Json whole(const std::string &text) const {
        Json choice{{"index", 0}};
        if (req.chat) choice["message"] = Json{{"role", "assistant"}, {"content", text}};
        else choice["text"] = text;
        choice["logprobs"] = nullptr;
        choice["finish_reason"] = finish_reason(stop);
        return Json{{"id", id}, {"object", req.chat ? "chat.completion" : "text_completion"}, {"created", created},
                    {"model", st.options.model_id}, {"choices", Json::array({choice})}, {"usage", usage()}};
    }
};

std::vector<int32_t> prompt_of(const ServeState &st, const CompletionRequest &r) {
    if (r.chat) return chat_prompt_tokens(st, r.messages);
    if (r.has_prompt_ids) {
        for (int32_t id : r.prompt_ids)
            if (id >= st.info.n_vocab)
                throw bad_field("prompt", "holds token id " + std::to_string(id) + "; the vocabulary has " +
                                              std::to_string(st.info.n_vocab) + " tokens");
        return r.prompt_ids;
    }
    return tokenize_prompt(st.model, r.prompt, st.info.add_bos != 0, false);
}

// Checks, waits for a context, evaluates the prompt and starts the generation.
void prepare(Job &job, const httplib::Request &http_req) {
    ServeState &st = job.st;
    job.prompt = prompt_of(st, job.req);
    if (job.prompt.empty()) throw bad_field(job.req.chat ? "messages" : "prompt", "gives no tokens");
    if (job.prompt.size() > static_cast<size_t>(st.context.n_ctx))
        throw ApiError(413, "the prompt has " + std::to_string(job.prompt.size()) + " tokens; the context holds " +
                                std::to_string(st.context.n_ctx),
                       "invalid_request_error", job.req.chat ? "messages" : "prompt", "context_length_exceeded");
    uint64_t bytes = 0;  // validates the attention extensions before any context is touched
    if (lh_context_estimate_kv_bytes(st.model, &job.req.context, 0, &bytes) != LH_OK)
        throw ApiError(400, std::string("bad attention parameters: ") + lh_last_error());

    const int fd = find_connection_fd(http_req.local_addr, http_req.local_port, http_req.remote_addr, http_req.remote_port);
    job.lease = st.pool.acquire(job.req.context, job.prompt, [fd] { return peer_closed(fd); });
    lh_context *ctx = job.lease->context();
    job.watch_id = st.watcher.watch(fd, [ctx] { lh_context_cancel(ctx); });

    const lh_status s = lh_context_eval_reuse(ctx, job.prompt.data(), job.prompt.size(), &job.reused);
    if (s == LH_ERROR_CANCELLED) throw ApiError(499, "the client closed the connection", "server_error");
    if (s != LH_OK) throw ApiError(s == LH_ERROR_INVALID_ARGUMENT ? 400 : 500, std::string("cannot evaluate the prompt: ") + lh_last_error(),
                                   s == LH_ERROR_INVALID_ARGUMENT ? "invalid_request_error" : "server_error");
    job.t_prompt = Clock::now();

    lh_generate_params gp;
    lh_generate_params_init(&gp);
    const int32_t room = st.context.n_ctx - static_cast<int32_t>(job.prompt.size());
    gp.max_tokens = job.req.max_tokens >= 0 ? job.req.max_tokens : job.req.chat ? room : 16;
    if (!job.req.seed_given) job.req.sampling.seed = std::random_device{}();
    gp.sampling = &job.req.sampling;  // read by lh_generation_start only
    std::vector<const char *> stops;
    for (const std::string &x : job.req.stop) stops.push_back(x.c_str());
    gp.stop = stops.data();
    gp.n_stop = stops.size();
    gp.add_bos = 0;
    gp.stop_at_eog = job.req.ignore_eos ? 0 : 1;
    if (lh_generation_start(ctx, "", 0, &gp, &job.gen) != LH_OK)
        throw ApiError(400, std::string("cannot start the generation: ") + lh_last_error());
}

void respond_whole(Job &job, httplib::Response &res) {
    std::string text = job.req.echo ? (job.req.has_prompt_ids ? detokenize_ids(job.st.model, job.prompt) : job.req.prompt) : "";
    std::string piece;
    bool more = true;
    while (more) {
        more = job.next(piece);
        text += piece;
    }
    if (job.gone) throw ApiError(499, "the client closed the connection", "server_error");
    res.set_content(dump(job.whole(text)), "application/json");
}

// Server-sent events: one `data: {chunk}` per piece, the finish reason, usage if asked, [DONE].
void respond_stream(std::shared_ptr<Job> job, httplib::Response &res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [job](size_t, httplib::DataSink &sink) {
        auto send = [&](const Json &j) {
            const std::string event = "data: " + dump(j) + "\n\n";
            if (sink.write(event.data(), event.size())) return true;
            job->gone = true;  // the write failed: the client left
            lh_context_cancel(job->lease->context());
            return false;
        };
        try {
            bool first = true;
            if (job->req.chat || job->req.echo) {
                const std::string echo =
                    job->req.echo ? (job->req.has_prompt_ids ? detokenize_ids(job->st.model, job->prompt) : job->req.prompt) : "";
                if (!send(job->chunk(echo, nullptr, true))) return false;
                first = false;
            }
            std::string piece;
            bool more = true;
            while (more) {
                more = job->next(piece);
                if (!piece.empty() && !send(job->chunk(piece, nullptr, first))) return false;
                if (!piece.empty()) first = false;
            }
            if (job->gone) return false;
            if (!send(job->chunk("", finish_reason(job->stop), false))) return false;
            if (job->req.include_usage) {
                Json u = job->chunk("", nullptr, false);
                u["choices"] = Json::array();
                u["usage"] = job->usage();
                if (!send(u)) return false;
            }
        } catch (const ApiError &e) {  // after the 200 went out: the error travels as an event
            const std::string event = "data: " + error_body(e) + "\n\n";
            sink.write(event.data(), event.size());
        }
        static const char kDone[] = "data: [DONE]\n\n";
        sink.write(kDone, sizeof kDone - 1);
        sink.done();
        return true;
    });
}

}  // namespace

std::vector<int32_t> tokenize_prompt(const lh_model *model, const std::string &text, bool add_bos, bool parse_special) {
    size_t n = 0;
    lh_status s = lh_tokenize(model, text.data(), text.size(), add_bos, parse_special, nullptr, 0, &n);
    std::vector<int32_t> ids(n);
    if (s == LH_ERROR_BUFFER_TOO_SMALL || s == LH_OK)
        s = lh_tokenize(model, text.data(), text.size(), add_bos, parse_special, ids.data(), ids.size(), &n);
    if (s != LH_OK) throw ApiError(400, std::string("cannot tokenize the prompt: ") + lh_last_error());
    ids.resize(n);
    return ids;
}

void handle_completion(ServeState &st, const httplib::Request &req, httplib::Response &res, bool chat) {
    try {
        Json body;
        try {
            body = Json::parse(req.body);
        } catch (const Json::parse_error &e) {
            throw ApiError(400, std::string("the request body is not valid JSON: ") + e.what());
        }
        auto job = std::make_shared<Job>(st, parse_completion_request(body, chat, st.options.model_id, st.context));
        job->id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(st.next_id.fetch_add(1));
        job->created =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        prepare(*job, req);
        if (job->req.stream) respond_stream(job, res);
        else respond_whole(*job, res);
    } catch (const ApiError &e) {
        res.status = e.status;
        if (e.status == 503) res.set_header("Retry-After", "1");
        res.set_content(error_body(e), "application/json");
    } catch (const std::bad_alloc &) {
        res.status = 503;
        res.set_content(error_body(ApiError(503, "out of memory", "server_error", "", "out_of_memory")), "application/json");
    } catch (const std::exception &e) {
        res.status = 500;
        res.set_content(error_body(ApiError(500, std::string("internal error: ") + e.what(), "server_error")),
                        "application/json");
    }
}

}  // namespace cli
