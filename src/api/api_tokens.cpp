// C entry points: tokenization and detokenization.
#include "api/api_internal.h"
#include "tokenizer/vocab.h"

using namespace lh;
using namespace lh::api;

namespace {

void check_ids(const Vocab &vocab, const int32_t *tokens, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= vocab.size())
            fail(LH_ERROR_INVALID_ARGUMENT, "token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                                                " is out of range (vocabulary of " + std::to_string(vocab.size()) + ")");
    }
}

}  // namespace

extern "C" {

LH_API lh_status lh_tokenize(const lh_model *model, const char *text, size_t text_len, int32_t add_bos,
                             int32_t parse_special, int32_t *tokens, size_t capacity, size_t *out_n) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(text != nullptr || text_len == 0, "text is NULL");
        require_arg(out_n != nullptr, "out_n is NULL");
        require_arg(tokens != nullptr || capacity == 0, "tokens is NULL but capacity is not 0");
        std::vector<int32_t> ids =
            model->model->vocab().tokenize(std::string_view(text ? text : "", text_len), add_bos != 0, parse_special != 0);
        *out_n = ids.size();
        if (ids.size() > capacity)
            fail(LH_ERROR_BUFFER_TOO_SMALL, "token buffer of " + std::to_string(capacity) + " is too small: " +
                                                std::to_string(ids.size()) + " needed");
        std::copy(ids.begin(), ids.end(), tokens);
    });
}

LH_API lh_status lh_detokenize(const lh_model *model, const int32_t *tokens, size_t n_tokens, int32_t flags,
                               char *buf, size_t capacity, size_t *out_len) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(tokens != nullptr || n_tokens == 0, "tokens is NULL");
        require_arg(out_len != nullptr, "out_len is NULL");
        require_arg(flags >= 0 && flags <= 3, "flags must be a combination of LH_DETOK_* values");
        const Vocab &vocab = model->model->vocab();
        check_ids(vocab, tokens, n_tokens);
        copy_out(vocab.detokenize(tokens, n_tokens, flags), buf, capacity, out_len, false);
    });
}

LH_API lh_status lh_token_piece(const lh_model *model, int32_t token, char *buf, size_t capacity, size_t *out_len) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_len != nullptr, "out_len is NULL");
        const Vocab &vocab = model->model->vocab();
        check_ids(vocab, &token, 1);
        copy_out(vocab.piece(token, true), buf, capacity, out_len, false);
    });
}

LH_API int32_t lh_token_is_eog(const lh_model *model, int32_t token) {
    if (!model) return 0;
    return model->model->vocab().is_eog(token) ? 1 : 0;
}

}  // extern "C"
