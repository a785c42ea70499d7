/* longheads.i — what the Python, Java and C# bindings share.
 *
 * SWIG wraps two things, and nothing of the library's internals:
 *  1. the C API's own parameter structs and enums, straight from include/longheads/longheads.h:
 *     every field of lh_model_params, lh_context_params, lh_sampler_params,
 *     lh_generate_params and lh_model_info, and every value of the enums, reaches all three
 *     languages with no line here (a field added to the header appears in each binding as a
 *     property / getter+setter / attribute with the language's case);
 *  2. the header-only RAII facade longheads_facade.hpp (ownership, exceptions, the
 *     generation stream), whose classes are internal: each language's public Model, Context,
 *     Sampler and stream classes adapt them.
 * Before including this file, each language's interface file (bindings/<lang>/longheads_<lang>.i)
 * defines:
 *   LH_RAISE(status, message)  raise the language's exception and leave the wrapper;
 *   LH_CASE                    the rename format of functions and fields ("%s",
 *                              "%(lowercamelcase)s", "%(camelcase)s");
 *   LH_ENUM_VALUE_NAMES        its %rename rules for enum values (LH_ATTENTION_FULL -> FULL, Full);
 *   LH_LANG_ENUM(CTYPE, SNAME, NAME)  per-enum extras of that language (may be empty);
 * and its typemaps for byte strings (std::string), string lists
 * (std::vector<std::string>) and number vectors (std::vector<int32_t|int64_t|float>).
 *
 * Adding to the C API (see docs/ABI.md, "Adding a parameter or a function"):
 *  - a field of a wrapped struct: nothing to do here;
 *  - an enum: one line in longheads_enums.h (and its value prefix in the Java and C# value
 *    renames, its generated class in LH_SWIG_CLASSES of bindings/CMakeLists.txt);
 *  - a function: a facade method (longheads_facade.hpp) plus one LH_BIND line below.
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
%newobject longheads::Context::fork;
%newobject longheads::Context::load;
%nodefaultctor longheads::Generation;

/* Flags (lh_bool) are booleans in every language. */
%apply bool { lh_bool };

/* ---- Whitelist: ignore everything, then bind by name -------------------------------------- */
%rename("$ignore") "";

/* Every field of a struct that is bound (below), in the language's case; enum values as each
 * language names them. */
%rename(LH_CASE, %$isvariable, %$ismember) "";
LH_ENUM_VALUE_NAMES

/* A C parameter struct as a class whose constructor fills in the defaults (lh_*_params_init). */
%define LH_PARAMS(CTYPE, NAME)
%rename(NAME) CTYPE;
%extend CTYPE {
    CTYPE() {
        CTYPE *p = new CTYPE();
        CTYPE##_init(p);
        return p;
    }
}
%rename("%s") CTYPE::CTYPE;
%rename("%s") CTYPE::~CTYPE;
%rename("$ignore") CTYPE::struct_size;
%enddef

LH_PARAMS(lh_model_params, ModelOptions)
LH_PARAMS(lh_context_params, ContextOptions)
LH_PARAMS(lh_sampler_params, SamplerOptions)
LH_PARAMS(lh_generate_params, GenerateOptions)
/* Borrowed C pointers: the facade takes sampler options and stop strings as arguments. */
%rename("$ignore") lh_generate_params::sampling;
%rename("$ignore") lh_generate_params::stop;
%rename("$ignore") lh_generate_params::n_stop;

/* Model information (the facade fills it). */
%rename(ModelInfo) lh_model_info;
%extend lh_model_info {
    lh_model_info() {
        lh_model_info *p = new lh_model_info();
        p->struct_size = sizeof *p;
        return p;
    }
}
%rename("%s") lh_model_info::lh_model_info;
%rename("%s") lh_model_info::~lh_model_info;
%rename("$ignore") lh_model_info::struct_size;
/* NUL-terminated char arrays: the facade's Model::architecture()/name() give them as bytes. */
%rename("$ignore") lh_model_info::architecture;
%rename("$ignore") lh_model_info::name;

/* The C API's enums: each under its language name, with the name <-> value functions of the C
 * API (the facade's <short>_name / <short>_from_name over lh_<enum>_name / lh_<enum>_from_name,
 * so named in every language: helpers the sugar turns into idioms). The list of enums is
 * longheads_enums.h. */
%define LH_ENUM(CTYPE, SNAME, NAME)
%rename(NAME) CTYPE;
%rename("%s") longheads::SNAME##_name;
%rename("%s") longheads::SNAME##_from_name;
LH_LANG_ENUM(CTYPE, SNAME, NAME)
%enddef
%include "longheads_enums.h"
LONGHEADS_ENUMS(LH_ENUM)

/* ---- The facade: internal classes (Native*) the public classes of each language adapt ----- */
%define LH_BIND_CLASS(NAME)
%rename(Native##NAME) longheads::NAME;
%rename("%s") longheads::NAME::NAME;
%rename("%s") longheads::NAME::~NAME;
%enddef
%define LH_BIND(NAME)
%rename(LH_CASE) longheads::NAME;
%enddef

%rename("%s") longheads;
LH_BIND(version)
LH_BIND(cpu_level)
LH_BIND(status_string)

LH_BIND_CLASS(Model)
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
LH_BIND(ChatMessages::add)
LH_BIND(ChatMessages::size)
LH_BIND(ChatMessages::clear)

LH_BIND_CLASS(Chat)
LH_BIND(Chat::close)
LH_BIND(Chat::closed)
LH_BIND(Chat::send)
LH_BIND(Chat::next)
LH_BIND(Chat::piece)
LH_BIND(Chat::text)
LH_BIND(Chat::tokens)
LH_BIND(Chat::stop_reason)
LH_BIND(Chat::cancel)
LH_BIND(Chat::n_messages)
LH_BIND(Chat::message_role)
LH_BIND(Chat::message_content)
LH_BIND(Chat::last_evaluated)
LH_BIND(Chat::last_reused)

LH_BIND_CLASS(Context)
LH_BIND(Context::close)
LH_BIND(Context::closed)
LH_BIND(Context::params)
LH_BIND(Context::n_ctx)
LH_BIND(Context::n_vocab)
LH_BIND(Context::reset)
LH_BIND(Context::n_past)
LH_BIND(Context::eval)
LH_BIND(Context::logits)
LH_BIND(Context::sample)
LH_BIND(Context::cancel)
LH_BIND(Context::generate)
LH_BIND(Context::start)
LH_BIND(Context::tokens)
LH_BIND(Context::eval_reuse)
LH_BIND(Context::truncate)
LH_BIND(Context::fork)
LH_BIND(Context::save)
LH_BIND(Context::load)
LH_BIND(Context::file_params)

LH_BIND_CLASS(Generation)
LH_BIND(Generation::next)
LH_BIND(Generation::piece)
LH_BIND(Generation::tokens)
LH_BIND(Generation::text)
LH_BIND(Generation::done)
LH_BIND(Generation::stop_reason)
LH_BIND(Generation::cancel)
LH_BIND(Generation::close)
LH_BIND(Generation::closed)

LH_BIND_CLASS(Sampler)
LH_BIND(Sampler::close)
LH_BIND(Sampler::closed)
LH_BIND(Sampler::sample)
LH_BIND(Sampler::accept)

/* Java and C# scope enum values by their enum (Attention.FULL), but SWIG reads C enums as
 * unscoped, so Precision.F32 and KvType.F32 would clash: let SWIG (only) read them as scoped. */
#if defined(SWIGJAVA) || defined(SWIGCSHARP)
#define enum enum class
#endif
%include "longheads/longheads.h"
#undef enum
%include "longheads_facade.hpp"

%rename("%s") "";
