#include "serve_request.h"

#include <cmath>
#include <limits>

#include "serve_error.h"

namespace cli {

namespace {

// The field, or nullptr when it is absent or null (OpenAI clients send null for "unset").
const Json *field(const Json &body, const char *name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

bool get_bool(const Json &body, const char *name, bool fallback) {
    const Json *v = field(body, name);
    if (!v) return fallback;
    if (!v->is_boolean()) throw bad_field(name, "must be true or false");
    return v->get<bool>();
}

double get_number(const Json &body, const char *name, double fallback, double lo, double hi) {
    const Json *v = field(body, name);
    if (!v) return fallback;
    if (!v->is_number()) throw bad_field(name, "must be a number");
    const double x = v->get<double>();
    if (!(x >= lo && x <= hi))
        throw bad_field(name, "must be between " + Json(lo).dump() + " and " + Json(hi).dump());
    return x;
}

int64_t get_int(const Json &body, const char *name, int64_t fallback, int64_t lo, int64_t hi) {
    const Json *v = field(body, name);
    if (!v) return fallback;
    if (!v->is_number_integer()) throw bad_field(name, "must be an integer");
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi))
        throw bad_field(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    const int64_t x = v->get<int64_t>();
    if (x < lo || x > hi) throw bad_field(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return x;
}

// An enum extension by the library's names ("longheads", "max_key", ...).
template <typename E>
void get_enum(const Json &body, const char *name, E &target, lh_status (*from_name)(const char *, E *)) {
    const Json *v = field(body, name);
    if (!v) return;
    if (!v->is_string()) throw bad_field(name, "must be a string");
    E parsed;
    if (from_name(v->get<std::string>().c_str(), &parsed) != LH_OK) throw bad_field(name, lh_last_error());
    target = parsed;
}

// Fields that would change the answer and are not implemented: refused, not ignored.
void refuse_unsupported(const Json &body, bool chat) {
    if (get_int(body, "n", 1, 1, 128) != 1) throw bad_field("n", "must be 1: one choice per request");
    if (get_int(body, "best_of", 1, 1, 128) != 1) throw bad_field("best_of", "must be 1");
    for (const char *p : {"presence_penalty", "frequency_penalty"})
        if (get_number(body, p, 0, -2, 2) != 0)
            throw bad_field(p, "is not supported (the extension 'repeat_penalty' is)");
    if (const Json *v = field(body, "logprobs"))
        if (!(v->is_boolean() && !v->get<bool>()) && !(v->is_number_integer() && v->get<int64_t>() == 0))
            throw bad_field("logprobs", "is not supported");
    if (const Json *v = field(body, "logit_bias"))
        if (!v->is_object() || !v->empty()) throw bad_field("logit_bias", "is not supported");
    if (const Json *v = field(body, "suffix"))
        if (!v->is_string() || !v->get<std::string>().empty()) throw bad_field("suffix", "is not supported");
    if (chat)
        for (const char *p : {"tools", "functions"})
            if (const Json *v = field(body, p))
                if (!v->is_array() || !v->empty()) throw bad_field(p, "are not supported");
}

void read_prompt(const Json &body, CompletionRequest &r) {
    const Json *p = field(body, "prompt");
    if (!p) throw bad_field("prompt", "is required");
    if (p->is_string()) {
        r.prompt = p->get<std::string>();
        return;
    }
    if (!p->is_array()) throw bad_field("prompt", "must be a string, an array of one string or an array of token ids");
    if (p->size() == 1 && (*p)[0].is_string()) {
        r.prompt = (*p)[0].get<std::string>();
        return;
    }
    if (p->empty()) throw bad_field("prompt", "must not be an empty array");
    r.has_prompt_ids = true;
    for (const Json &x : *p) {
        if (x.is_string()) throw bad_field("prompt", "holds several prompts: one prompt per request");
        if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > std::numeric_limits<int32_t>::max())
            throw bad_field("prompt", "must be a string or an array of token ids (non-negative integers)");
        r.prompt_ids.push_back(static_cast<int32_t>(x.get<int64_t>()));
    }
}

void read_messages(const Json &body, CompletionRequest &r) {
    const Json *m = field(body, "messages");
    if (!m) throw bad_field("messages", "is required");
    if (!m->is_array() || m->empty()) throw bad_field("messages", "must be a non-empty array");
    for (size_t i = 0; i < m->size(); ++i) {
        const Json &msg = (*m)[i];
        const std::string where = "messages[" + std::to_string(i) + "]";
        if (!msg.is_object()) throw bad_field(where, "must be an object");
        const Json *role = field(msg, "role");
        if (!role || !role->is_string()) throw bad_field(where + ".role", "must be a string");
        ChatMessage out{role->get<std::string>(), ""};
        if (out.role != "system" && out.role != "user" && out.role != "assistant" && out.role != "developer")
            throw bad_field(where + ".role", "must be system, developer, user or assistant");
        const Json *content = field(msg, "content");
        if (content && content->is_string()) {
            out.content = content->get<std::string>();
        } else if (content && content->is_array()) {  // parts: only text
            for (const Json &part : *content) {
                const Json *type = part.is_object() ? field(part, "type") : nullptr;
                const Json *text = part.is_object() ? field(part, "text") : nullptr;
                if (!type || !type->is_string() || type->get<std::string>() != "text" || !text || !text->is_string())
                    throw bad_field(where + ".content", "parts must be {\"type\": \"text\", \"text\": ...}");
                out.content += text->get<std::string>();
            }
        } else if (content || out.role != "assistant") {
            throw bad_field(where + ".content", "must be a string or an array of text parts");
        }
        r.messages.push_back(std::move(out));
    }
}

void read_stop(const Json &body, CompletionRequest &r) {
    const Json *s = field(body, "stop");
    if (!s) return;
    if (s->is_string()) {
        r.stop.push_back(s->get<std::string>());
    } else if (s->is_array() && s->size() <= 16) {
        for (const Json &x : *s) {
            if (!x.is_string()) throw bad_field("stop", "must be a string or an array of strings");
            r.stop.push_back(x.get<std::string>());
        }
    } else {
        throw bad_field("stop", "must be a string or an array of at most 16 strings");
    }
    for (const std::string &x : r.stop)
        if (x.empty()) throw bad_field("stop", "must not hold an empty string");
}

void read_sampling(const Json &body, CompletionRequest &r) {
    lh_sampler_params &s = r.sampling;
    lh_sampler_params_init(&s);
    s.temperature = static_cast<float>(get_number(body, "temperature", s.temperature, 0, 2));
    s.top_p = static_cast<float>(get_number(body, "top_p", s.top_p, 0, 1));
    s.top_k = static_cast<int32_t>(get_int(body, "top_k", s.top_k, 0, 1 << 20));
    s.min_p = static_cast<float>(get_number(body, "min_p", s.min_p, 0, 1));
    s.repeat_penalty = static_cast<float>(get_number(body, "repeat_penalty", s.repeat_penalty, 1e-3, 100));
    s.repeat_last_n = static_cast<int32_t>(get_int(body, "repeat_last_n", s.repeat_last_n, 0, 1 << 20));
    if (const Json *seed = field(body, "seed")) {
        if (!seed->is_number_integer()) throw bad_field("seed", "must be an integer");
        s.seed = seed->is_number_unsigned() ? seed->get<uint64_t>() : static_cast<uint64_t>(seed->get<int64_t>());
        r.seed_given = true;
    }
}

// The attention options as request extensions, over the server's context parameters.
void read_attention(const Json &body, CompletionRequest &r) {
    lh_context_params &c = r.context;
    get_enum(body, "attention", c.attention, lh_attention_from_name);
    get_enum(body, "prefill_mode", c.prefill_mode, lh_prefill_mode_from_name);
    get_enum(body, "kv_type", c.kv_type, lh_kv_type_from_name);
    get_enum(body, "chunk_score", c.chunk_score, lh_chunk_score_from_name);
    c.chunk_size = static_cast<int32_t>(get_int(body, "chunk_size", c.chunk_size, 0, 1 << 24));
    c.attn_len = static_cast<int32_t>(get_int(body, "attn_len", c.attn_len, 0, 1 << 24));
    c.begin_len = static_cast<int32_t>(get_int(body, "begin_len", c.begin_len, 0, 1 << 24));
    c.n_sinks = static_cast<int32_t>(get_int(body, "n_sinks", c.n_sinks, 0, 1 << 24));
    c.local_chunks = static_cast<int32_t>(get_int(body, "local_chunks", c.local_chunks, 0, 1 << 24));
    c.allow_attn_len_over_trained =
        get_bool(body, "allow_attn_len_over_trained", c.allow_attn_len_over_trained != 0) ? 1 : 0;
}

}  // namespace

CompletionRequest parse_completion_request(const Json &body, bool chat, const std::string &model_id,
                                           const lh_context_params &server_context) {
    if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object");
    CompletionRequest r;
    r.chat = chat;
    r.context = server_context;
    if (const Json *m = field(body, "model")) {
        if (!m->is_string()) throw bad_field("model", "must be a string");
        if (m->get<std::string>() != model_id)
            throw ApiError(404, "the model '" + m->get<std::string>() + "' does not exist; this server has '" + model_id + "'",
                           "invalid_request_error", "model", "model_not_found");
    }
    refuse_unsupported(body, chat);
    if (chat) read_messages(body, r);
    else read_prompt(body, r);
    r.stream = get_bool(body, "stream", false);
    if (const Json *so = field(body, "stream_options")) {
        if (!so->is_object()) throw bad_field("stream_options", "must be an object");
        r.include_usage = get_bool(*so, "include_usage", false);
    }
    if (!chat) r.echo = get_bool(body, "echo", false);
    const char *max_name = chat && field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    r.max_tokens = static_cast<int32_t>(get_int(body, max_name, -1, 0, 1 << 24));
    read_stop(body, r);
    read_sampling(body, r);
    r.ignore_eos = get_bool(body, "ignore_eos", false);
    read_attention(body, r);
    return r;
}

}  // namespace cli
