/* longheads.i — what the Python, Java and C# bindings share.
 *
 * SWIG wraps the header-only RAII facade `longheads_facade.hpp` (+ its value types in
 * `longheads_params.hpp`), which sits on the stable C API
 * only (never on the library's internal classes). Before including this file, each language's
 * interface file (bindings/<lang>/longheads_<lang>.i) defines:
 *   LH_RAISE(status, message)  raise the language's exception and leave the wrapper;
 *   LH_CASE                    the rename format of functions and fields in that language
 *                              ("%s", "%(lowercamelcase)s", "%(camelcase)s");
 * and its typemaps for the byte string (std::string) and the number vectors
 * (std::vector<int32_t>, std::vector<int64_t>, std::vector<float>).
 * The generated classes are an internal layer: each language puts its idiomatic public API
 * (iterators, resource management, enums, text decoding) on top, by hand.
 */

%{
#include "longheads_facade.hpp"
%}

%include <stdint.i>

/* ---- One exception block for every wrapped call ------------------------------------------ */
%exception {
    try {
        $action
    } catch (const longheads::Error &e) {
        LH_RAISE(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        LH_RAISE(LH_ERROR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        LH_RAISE(LH_ERROR_INTERNAL, e.what());
    } catch (...) {
        LH_RAISE(LH_ERROR_INTERNAL, "unknown C++ exception in the longheads binding");
    }
}

/* ---- Ownership ---------------------------------------------------------------------------- */
/* Context::start returns a new object its proxy owns and frees. Every facade object keeps its
 * parent's native handle alive (shared_ptr), so no proxy needs a reference to another. */
%newobject longheads::Context::start;
%nodefaultctor longheads::Generation;

/* ---- Whitelist: ignore everything, then bind by name -------------------------------------- */
%rename("$ignore") "";

%define LH_BIND_CLASS(NAME)
%rename("%s") longheads::NAME;
%enddef
%define LH_BIND(NAME)
%rename(LH_CASE) longheads::NAME;
%enddef

%rename("%s") longheads;
LH_BIND(version)
LH_BIND(cpu_level)
LH_BIND(status_string)

LH_BIND_CLASS(ModelParams)
LH_BIND(ModelParams::precision)
LH_BIND(ModelParams::n_threads)
%rename("%s") longheads::ModelParams::ModelParams;
%rename("%s") longheads::ModelParams::~ModelParams;
LH_BIND_CLASS(ContextParams)
LH_BIND(ContextParams::n_ctx)
LH_BIND(ContextParams::n_threads)
LH_BIND(ContextParams::n_batch)
LH_BIND(ContextParams::attention)
LH_BIND(ContextParams::chunk_size)
LH_BIND(ContextParams::attn_len)
LH_BIND(ContextParams::begin_len)
LH_BIND(ContextParams::n_sinks)
LH_BIND(ContextParams::allow_attn_len_over_trained)
LH_BIND(ContextParams::prefill_mode)
LH_BIND(ContextParams::kv_type)
LH_BIND(ContextParams::memory_budget_bytes)
LH_BIND(ContextParams::chunk_score)
LH_BIND(ContextParams::local_chunks)
%rename("%s") longheads::ContextParams::ContextParams;
%rename("%s") longheads::ContextParams::~ContextParams;
LH_BIND_CLASS(SamplerParams)
LH_BIND(SamplerParams::temperature)
LH_BIND(SamplerParams::top_k)
LH_BIND(SamplerParams::top_p)
LH_BIND(SamplerParams::min_p)
LH_BIND(SamplerParams::repeat_penalty)
LH_BIND(SamplerParams::repeat_last_n)
LH_BIND(SamplerParams::seed)
%rename("%s") longheads::SamplerParams::SamplerParams;
%rename("%s") longheads::SamplerParams::~SamplerParams;
LH_BIND_CLASS(ModelInfo)
LH_BIND(ModelInfo::n_vocab)
LH_BIND(ModelInfo::n_ctx_train)
LH_BIND(ModelInfo::n_embd)
LH_BIND(ModelInfo::n_layer)
LH_BIND(ModelInfo::n_head)
LH_BIND(ModelInfo::n_head_kv)
LH_BIND(ModelInfo::n_ff)
LH_BIND(ModelInfo::n_rot)
LH_BIND(ModelInfo::head_dim)
LH_BIND(ModelInfo::rope_freq_base)
LH_BIND(ModelInfo::rms_norm_eps)
LH_BIND(ModelInfo::bos_token)
LH_BIND(ModelInfo::eos_token)
LH_BIND(ModelInfo::add_bos)
LH_BIND(ModelInfo::n_params)
LH_BIND(ModelInfo::file_bytes)
LH_BIND(ModelInfo::weight_bytes)
LH_BIND(ModelInfo::precision)
%rename("%s") longheads::ModelInfo::ModelInfo;
%rename("%s") longheads::ModelInfo::~ModelInfo;
LH_BIND_CLASS(GenerateParams)
LH_BIND(GenerateParams::max_tokens)
LH_BIND(GenerateParams::sampling)
LH_BIND(GenerateParams::add_bos)
LH_BIND(GenerateParams::stop_at_eog)
LH_BIND(GenerateParams::add_stop)
LH_BIND(GenerateParams::clear_stop)
LH_BIND(GenerateParams::stop_count)
%rename("%s") longheads::GenerateParams::GenerateParams;
%rename("%s") longheads::GenerateParams::~GenerateParams;

LH_BIND_CLASS(Model)
%rename("%s") longheads::Model::Model;
%rename("%s") longheads::Model::~Model;
LH_BIND(Model::close)
LH_BIND(Model::closed)
LH_BIND(Model::info)
LH_BIND(Model::architecture)
LH_BIND(Model::name)
LH_BIND(Model::n_vocab)
LH_BIND(Model::tokenize)
LH_BIND(Model::detokenize)
LH_BIND(Model::token_piece)
LH_BIND(Model::token_is_eog)
LH_BIND(Model::meta)
LH_BIND(Model::tensor_count)
LH_BIND(Model::tensor_name)
LH_BIND(Model::tensor_type)
LH_BIND(Model::tensor_dims)
LH_BIND(Model::estimate_kv_bytes)
LH_BIND(Model::chat_format)
LH_BIND(Model::chat_template_family)

LH_BIND_CLASS(ChatMessages)
%rename("%s") longheads::ChatMessages::ChatMessages;
%rename("%s") longheads::ChatMessages::~ChatMessages;
LH_BIND(ChatMessages::add)
LH_BIND(ChatMessages::size)
LH_BIND(ChatMessages::clear)

LH_BIND_CLASS(Chat)
%rename("%s") longheads::Chat::Chat;
%rename("%s") longheads::Chat::~Chat;
LH_BIND(Chat::close)
LH_BIND(Chat::closed)
LH_BIND(Chat::send)
LH_BIND(Chat::next)
LH_BIND(Chat::piece)
LH_BIND(Chat::token)
LH_BIND(Chat::stop_reason)
LH_BIND(Chat::cancel)
LH_BIND(Chat::n_messages)
LH_BIND(Chat::message_role)
LH_BIND(Chat::message_content)
LH_BIND(Chat::last_evaluated)
LH_BIND(Chat::last_reused)

LH_BIND_CLASS(Context)
%rename("%s") longheads::Context::Context;
%rename("%s") longheads::Context::~Context;
LH_BIND(Context::close)
LH_BIND(Context::closed)
LH_BIND(Context::params)
LH_BIND(Context::n_ctx)
LH_BIND(Context::n_vocab)
LH_BIND(Context::reset)
LH_BIND(Context::n_past)
LH_BIND(Context::eval)
LH_BIND(Context::logits)
LH_BIND(Context::cancel)
LH_BIND(Context::generate)
LH_BIND(Context::start)

LH_BIND_CLASS(Generation)
%rename("%s") longheads::Generation::~Generation;
LH_BIND(Generation::next)
LH_BIND(Generation::piece)
LH_BIND(Generation::token)
LH_BIND(Generation::done)
LH_BIND(Generation::stop_reason)
LH_BIND(Generation::cancel)
LH_BIND(Generation::close)
LH_BIND(Generation::closed)

LH_BIND_CLASS(Sampler)
%rename("%s") longheads::Sampler::Sampler;
%rename("%s") longheads::Sampler::~Sampler;
LH_BIND(Sampler::close)
LH_BIND(Sampler::closed)
LH_BIND(Sampler::sample)
LH_BIND(Sampler::sample_context)
LH_BIND(Sampler::accept)

%include "longheads_params.hpp"
%include "longheads_facade.hpp"

%rename("%s") "";
