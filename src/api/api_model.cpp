// C entry points: model loading, information, tensors and metadata.
#include <algorithm>
#include <thread>

#include "api/api_internal.h"
#include "common/enum_names.h"
#include "gguf/gguf_file.h"
#include "numeric/tensor_types.h"
#include "tokenizer/vocab.h"

using namespace lh;
using namespace lh::api;

namespace {

void copy_text(char *dst, size_t cap, const std::string &src) {
    size_t n = std::min(src.size(), cap - 1);
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

}  // namespace

extern "C" {

LH_API void lh_model_params_init_sized(lh_model_params *params, size_t size) {
    lh_model_params p{};
    p.struct_size = sizeof p;
    p.precision = LH_PRECISION_AUTO;
    p.n_threads = 0;
    p.use_mmap = 1;
    p.check_tensors = 0;
    init_struct(params, p, size);
}

LH_API lh_status lh_model_load(const char *path, const lh_model_params *params, lh_model **out_model) {
    return guarded([&] {
        require_arg(path != nullptr, "path is NULL");
        require_arg(out_model != nullptr, "out_model is NULL");
        lh_model_params defaults;
        lh_model_params_init(&defaults);
        lh_model_params p = read_params(params, defaults, "lh_model_params");
        require_arg(p.n_threads >= 0 && p.n_threads <= 1024, "n_threads must be between 0 and 1024");
        ModelOptions options;
        options.precision = checked_enum(p.precision, "precision");
        options.n_threads = p.n_threads;
        require_arg(p.vocab_only == 0 || p.vocab_only == 1, "vocab_only must be 0 or 1");
        options.vocab_only = p.vocab_only != 0;
        require_arg(p.use_mmap == 0 || p.use_mmap == 1, "use_mmap must be 0 or 1");
        require_arg(p.check_tensors == 0 || p.check_tensors == 1, "check_tensors must be 0 or 1");
        options.use_mmap = p.use_mmap != 0;
        options.check_tensors = p.check_tensors != 0;
        auto handle = std::make_unique<lh_model>();
        handle->model = Model::load(path, options);
        *out_model = handle.release();
    });
}

LH_API void lh_model_free(lh_model *model) { delete model; }

LH_API lh_status lh_model_get_info(const lh_model *model, lh_model_info *out_info) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_info != nullptr, "out_info is NULL");
        checked_struct_size(*out_info, "lh_model_info");
        lh_model_info info{};
        info.struct_size = sizeof(lh_model_info);
        const Model &m = *model->model;
        const HParams &hp = m.hparams();
        copy_text(info.architecture, sizeof info.architecture, m.file().get_string("general.architecture"));
        // general.name is informational: any other type reads as "" rather than failing.
        const GgufValue *name = m.file().find("general.name");
        copy_text(info.name, sizeof info.name,
                  name && name->type() == GgufType::STRING ? std::string(name->string()) : std::string());
        info.n_vocab = m.vocab().size();
        info.n_ctx_train = hp.n_ctx_train;
        info.n_embd = hp.n_embd;
        info.n_layer = hp.n_layer;
        info.n_head = hp.n_head;
        info.n_head_kv = hp.n_head_kv;
        info.n_ff = hp.n_ff;
        info.n_rot = hp.n_rot;
        info.head_dim = hp.head_dim;
        info.rope_freq_base = hp.rope_freq_base;
        info.rms_norm_eps = hp.rms_norm_eps;
        info.bos_token = m.vocab().bos();
        info.eos_token = m.vocab().eos();
        info.add_bos = m.vocab().add_bos() ? 1 : 0;
        info.n_params = m.n_params();
        info.file_bytes = m.file().file_size();
        info.weight_bytes = m.weight_bytes();
        info.precision = m.precision();
        write_struct(out_info, info, "lh_model_info");
    });
}

LH_API lh_status lh_model_tensor_count(const lh_model *model, int32_t *out_count) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_count != nullptr, "out_count is NULL");
        *out_count = static_cast<int32_t>(model->model->file().tensors().size());
    });
}

LH_API lh_status lh_model_tensor_get(const lh_model *model, int32_t index, lh_tensor_info *out_info) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(out_info != nullptr, "out_info is NULL");
        const auto &tensors = model->model->file().tensors();
        if (index < 0 || static_cast<size_t>(index) >= tensors.size())
            fail(LH_ERROR_INVALID_ARGUMENT, "tensor index " + std::to_string(index) + " is out of range (0.." +
                                                std::to_string(static_cast<long long>(tensors.size()) - 1) + ")");
        const GgufTensorInfo &t = tensors[static_cast<size_t>(index)];
        out_info->name = t.name.c_str();
        out_info->type_name = tensor_type_name(t.type);
        out_info->n_dims = static_cast<int32_t>(t.n_dims);
        for (int d = 0; d < 4; ++d) out_info->dims[d] = t.dims[d];
    });
}

LH_API lh_status lh_model_meta_get(const lh_model *model, const char *key, char *buf, size_t capacity,
                                   size_t *out_len) {
    return guarded([&] {
        require_arg(model != nullptr, "model is NULL");
        require_arg(key != nullptr, "key is NULL");
        const GgufValue *v = model->model->file().find(key);
        if (!v) fail(LH_ERROR_INVALID_ARGUMENT, std::string("no metadata key '") + key + "'");
        copy_out(GgufFile::render(*v), buf, capacity, out_len, true);
    });
}

}  // extern "C"
