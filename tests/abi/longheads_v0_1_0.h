/*
 * longheads.h — the stable C ABI of the longheads inference library.
 *
 * longheads runs Llama-family GGUF models on the CPU and lets them read contexts far longer
 * than they were trained on, without training, with LongHeads attention (Lu et al., 2024):
 * every attention head attends only to a few selected chunks of the past, re-numbered inside
 * the trained window.
 *
 * Conventions
 * - Every fallible call returns an lh_status; results come back through trailing out-pointers,
 *   which are written only on LH_OK. lh_last_error() (thread-local) then says what went wrong.
 * - Parameter structs start with `struct_size`; always fill them with the matching
 *   lh_*_params_init() first, then change fields. New fields are only ever appended.
 * - Who allocates frees: objects come from lh_*_create/load and go back to lh_*_free, which
 *   accept NULL and do nothing. Text and token buffers are the caller's.
 * - Threads: a model is immutable after loading and may be shared by any number of contexts
 *   on any threads. A context (and a generation made from it) must be used by one thread at a
 *   time; a second thread entering a busy context gets LH_ERROR_BUSY. lh_context_cancel() is
 *   the one call that may come from another thread at any time.
 * - A model must outlive the contexts made from it; a context must outlive its generations.
 */
#ifndef LONGHEADS_H
#define LONGHEADS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LH_BUILDING_LIBRARY)
#define LH_API __attribute__((visibility("default")))
#else
#define LH_API
#endif

#define LH_VERSION_MAJOR 0
#define LH_VERSION_MINOR 1
#define LH_VERSION_PATCH 0

/* ------------------------------------------------------------------------------------------ */
/* Status and errors                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef enum lh_status {
    LH_OK = 0,
    LH_ERROR_INVALID_ARGUMENT = 1, /* NULL pointer, value out of range, bad parameter combination */
    LH_ERROR_IO = 2,               /* file missing or unreadable */
    LH_ERROR_BAD_FORMAT = 3,       /* GGUF malformed, truncated, inconsistent */
    LH_ERROR_UNSUPPORTED = 4,      /* valid file, but an architecture or tensor type we lack */
    LH_ERROR_OUT_OF_MEMORY = 5,    /* allocation failed or memory budget exceeded */
    LH_ERROR_CONTEXT_FULL = 6,     /* more tokens than the context holds */
    LH_ERROR_BUFFER_TOO_SMALL = 7, /* the needed size is written to the size out-pointer */
    LH_ERROR_CANCELLED = 8,        /* lh_context_cancel() stopped the call */
    LH_ERROR_BUSY = 9,             /* the context is in use by another thread */
    LH_ERROR_INTERNAL = 10         /* a bug: please report it with the message */
} lh_status;

/* Short fixed description of a status ("invalid argument"); never NULL. Static storage. */
LH_API const char *lh_status_string(lh_status status);

/* Message of the last failed call on this thread; "" once a later call on this thread has
 * succeeded (every call clears it first). The pointer stays valid until the next call on this
 * thread. */
LH_API const char *lh_last_error(void);

/* "MAJOR.MINOR.PATCH"; static storage. */
LH_API const char *lh_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct lh_model lh_model;
typedef struct lh_context lh_context;
typedef struct lh_sampler lh_sampler;
typedef struct lh_generation lh_generation;

/* How weights are kept in memory after loading. */
typedef enum lh_precision {
    LH_PRECISION_F32 = 0,  /* exact: weights expanded to float32, float32 products */
    LH_PRECISION_BF16 = 1  /* fast: bfloat16 weights and products (AMX/AVX-512), f32 accumulation */
} lh_precision;

typedef struct lh_model_params {
    uint32_t struct_size;
    lh_precision precision; /* default LH_PRECISION_F32 */
    int32_t n_threads;      /* threads used while converting weights at load; 0 = all cores */
} lh_model_params;

LH_API void lh_model_params_init(lh_model_params *params);

/* Load a GGUF file (architecture `llama`). params may be NULL for defaults.
 * Errors: LH_ERROR_IO (cannot open), LH_ERROR_BAD_FORMAT (malformed; the message names the
 * section/tensor/key), LH_ERROR_UNSUPPORTED (architecture or tensor type). */
LH_API lh_status lh_model_load(const char *path, const lh_model_params *params, lh_model **out_model);

LH_API void lh_model_free(lh_model *model);

typedef struct lh_model_info {
    uint32_t struct_size;
    char architecture[32];    /* general.architecture, NUL-terminated */
    char name[96];            /* general.name or "" , NUL-terminated (truncated if longer) */
    int32_t n_vocab;
    int32_t n_ctx_train;      /* llama.context_length: the trained window T */
    int32_t n_embd;
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;
    int32_t n_ff;
    int32_t n_rot;            /* rotary dimensions per head */
    int32_t head_dim;
    float rope_freq_base;
    float rms_norm_eps;
    int32_t bos_token;        /* -1 if none */
    int32_t eos_token;        /* -1 if none */
    int32_t add_bos;          /* 1 if the vocabulary asks for BOS at the start */
    uint64_t n_params;
    uint64_t file_bytes;
    uint64_t weight_bytes;    /* bytes of weights as held in memory after loading */
    lh_precision precision;
} lh_model_info;

/* Fill *out_info. Set out_info->struct_size to sizeof(lh_model_info) of the caller's header
 * (or 0 for the current size): only that many bytes are written. */
LH_API lh_status lh_model_get_info(const lh_model *model, lh_model_info *out_info);

typedef struct lh_tensor_info {
    const char *name;      /* borrowed: valid while the model lives */
    const char *type_name; /* "f32", "q4_K", ...: static storage */
    int32_t n_dims;
    int64_t dims[4];       /* GGUF order: fastest-varying first */
} lh_tensor_info;

LH_API lh_status lh_model_tensor_count(const lh_model *model, int32_t *out_count);
LH_API lh_status lh_model_tensor_get(const lh_model *model, int32_t index, lh_tensor_info *out_info);

/* Metadata value rendered as text ("512", "llama", "[array of 512 string]"). Copies up to
 * capacity bytes incl. NUL; LH_ERROR_BUFFER_TOO_SMALL sets *out_len to the size needed (no NUL).
 * LH_ERROR_INVALID_ARGUMENT if the key is absent. */
LH_API lh_status lh_model_meta_get(const lh_model *model, const char *key, char *buf, size_t capacity,
                                   size_t *out_len);

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Tokenize UTF-8 text (SentencePiece rules as llama.cpp applies them). add_bos != 0 puts the
 * BOS token first when the vocabulary has one; parse_special != 0 turns control-token texts such
 * as "<s>" into their ids. Writes up to `capacity` ids; *out_n = ids produced. If capacity is too
 * small: LH_ERROR_BUFFER_TOO_SMALL and *out_n = ids needed. */
LH_API lh_status lh_tokenize(const lh_model *model, const char *text, size_t text_len, int32_t add_bos,
                             int32_t parse_special, int32_t *tokens, size_t capacity, size_t *out_n);

typedef enum lh_detok_flags {
    LH_DETOK_DEFAULT = 0,        /* control tokens render as nothing */
    LH_DETOK_RENDER_SPECIAL = 1, /* control tokens render as their text ("<s>") */
    LH_DETOK_REMOVE_SPECIAL = 2  /* drop a leading BOS / trailing EOS */
} lh_detok_flags;

/* Detokenize ids into UTF-8 bytes (not NUL-terminated; may be cut in the middle of a UTF-8
 * character only if the ids themselves end there). The SentencePiece leading space is removed
 * when the first token is not BOS (llama.cpp's rule). LH_ERROR_BUFFER_TOO_SMALL sets *out_len to
 * the bytes needed. Out-of-range ids: LH_ERROR_INVALID_ARGUMENT. */
LH_API lh_status lh_detokenize(const lh_model *model, const int32_t *tokens, size_t n_tokens, int32_t flags,
                               char *buf, size_t capacity, size_t *out_len);

/* The raw bytes of one token's piece (byte-fallback tokens give one raw byte; control tokens
 * their text). Same buffer rules as lh_detokenize. */
LH_API lh_status lh_token_piece(const lh_model *model, int32_t token, char *buf, size_t capacity,
                                size_t *out_len);

/* 1 if the token ends generation (EOS or another end-of-generation control token), else 0;
 * 0 for out-of-range ids. */
LH_API int32_t lh_token_is_eog(const lh_model *model, int32_t token);

/* ------------------------------------------------------------------------------------------ */
/* Contexts: a KV cache plus the attention configuration                                       */
/* ------------------------------------------------------------------------------------------ */

typedef enum lh_attention {
    LH_ATTENTION_FULL = 0,      /* ordinary causal attention at true positions */
    LH_ATTENTION_WINDOW = 1,    /* sinks + recent tokens, positions re-assigned (StreamingLLM) */
    LH_ATTENTION_LONGHEADS = 2  /* per-head chunk selection (LongHeads) — see docs/ATTENTION.md */
} lh_attention;

typedef enum lh_prefill_mode {
    LH_PREFILL_PER_TOKEN = 0,   /* faithful: each token selects its own chunks */
    LH_PREFILL_BLOCK = 1        /* all queries of a chunk share one selection (faster) */
} lh_prefill_mode;

typedef enum lh_kv_type {
    LH_KV_F32 = 0,
    LH_KV_BF16 = 1,
    LH_KV_Q8 = 2   /* int8 with one float scale per token and head: (head_dim + 4) bytes per row */
} lh_kv_type;

/* How a LongHeads query head scores candidate chunks (docs/ATTENTION.md). */
typedef enum lh_chunk_score {
    LH_CHUNK_SCORE_FAITHFUL = 0, /* the paper's rule: q (before RoPE) . c_j */
    LH_CHUNK_SCORE_MAX_KEY = 1   /* opt-in: max over the chunk's tokens of R(w-1)q . k~_i
                                    (keys rotated at their local offset i); O(w) per chunk */
} lh_chunk_score;

typedef struct lh_context_params {
    uint32_t struct_size;
    int32_t n_ctx;          /* max tokens the context holds; 0 = the model's trained context */
    int32_t n_threads;      /* 0 = number of cores */
    int32_t n_batch;        /* max tokens evaluated per forward step; 0 = 512 */
    lh_attention attention; /* default LH_ATTENTION_FULL */
    int32_t chunk_size;     /* LongHeads w; 0 = default from the trained context T */
    int32_t attn_len;       /* LongHeads / window L (tokens one head attends to); 0 = default */
    int32_t begin_len;      /* LongHeads B: below it full attention; 0 = default (= L) */
    int32_t n_sinks;        /* window mode S; 0 = default (4) */
    int32_t allow_attn_len_over_trained; /* 1 permits L > T (out of distribution) */
    lh_prefill_mode prefill_mode;        /* default LH_PREFILL_PER_TOKEN */
    lh_kv_type kv_type;                  /* default LH_KV_F32 */
    uint64_t memory_budget_bytes;        /* 0 = no budget beyond what allocation allows */
    lh_chunk_score chunk_score;          /* default LH_CHUNK_SCORE_FAITHFUL */
} lh_context_params;

LH_API void lh_context_params_init(lh_context_params *params);

/* Create a context. Validates every parameter (chunk size > 0, L a multiple of w, L <= T unless
 * allowed, ...) and refuses up front, with the bytes it would need, a KV cache larger than the
 * memory budget. */
LH_API lh_status lh_context_create(const lh_model *model, const lh_context_params *params,
                                   lh_context **out_context);

LH_API void lh_context_free(lh_context *context);

/* The effective parameters (defaults resolved). */
LH_API lh_status lh_context_get_params(const lh_context *context, lh_context_params *out_params);

/* Bytes the KV cache (incl. LongHeads chunk keys) of a context with these params would take at
 * n_tokens tokens. Does not allocate. */
LH_API lh_status lh_context_estimate_kv_bytes(const lh_model *model, const lh_context_params *params,
                                              int64_t n_tokens, uint64_t *out_bytes);

/* Forget all tokens (the KV cache is kept allocated). */
LH_API lh_status lh_context_reset(lh_context *context);

/* Tokens currently in the context. */
LH_API lh_status lh_context_n_past(const lh_context *context, int32_t *out_n_past);

/* Append tokens and run the model over them in batches of n_batch. Afterwards the logits of the
 * last token are available; with all_logits != 0, those of every token of this call.
 * Errors: out-of-range ids (LH_ERROR_INVALID_ARGUMENT, nothing evaluated), more tokens than fit
 * (LH_ERROR_CONTEXT_FULL, nothing evaluated), LH_ERROR_CANCELLED. */
LH_API lh_status lh_context_eval(lh_context *context, const int32_t *tokens, size_t n_tokens,
                                 int32_t all_logits);

/* Logits of token `index` of the last lh_context_eval call (-1 = its last token). Borrowed
 * pointer to n_vocab floats, valid until the next eval/reset/free of the context. */
LH_API lh_status lh_context_logits(const lh_context *context, int32_t index, const float **out_logits);

/* Same, copied into the caller's buffer of `capacity` floats (>= n_vocab). */
LH_API lh_status lh_context_copy_logits(const lh_context *context, int32_t index, float *dst, size_t capacity);

/* Ask a running eval/generation on this context to stop soon (it returns LH_ERROR_CANCELLED).
 * Safe from any thread. The flag clears when the next call starts. */
LH_API void lh_context_cancel(lh_context *context);

/* ------------------------------------------------------------------------------------------ */
/* Sampling                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct lh_sampler_params {
    uint32_t struct_size;
    float temperature;     /* <= 0: greedy (argmax). default 0.8 */
    int32_t top_k;         /* <= 0: off. default 40 */
    float top_p;           /* 1: off. default 0.95 */
    float min_p;           /* 0: off. default 0.05 */
    float repeat_penalty;  /* 1: off. default 1.0 */
    int32_t repeat_last_n; /* tokens the penalty looks back at. default 64 */
    uint64_t seed;         /* same seed, same choices. default 0xC0FFEE */
} lh_sampler_params;

LH_API void lh_sampler_params_init(lh_sampler_params *params);

/* Invalid values (negative top_p, top_p > 1, min_p outside [0,1], repeat_penalty <= 0, NaN):
 * LH_ERROR_INVALID_ARGUMENT. */
LH_API lh_status lh_sampler_create(const lh_sampler_params *params, lh_sampler **out_sampler);
LH_API void lh_sampler_free(lh_sampler *sampler);

/* Choose a token from `logits` (n_vocab floats, not modified), and remember it for the
 * repetition penalty. */
LH_API lh_status lh_sampler_sample(lh_sampler *sampler, const float *logits, int32_t n_vocab, int32_t *out_token);

/* Tell the sampler about tokens it did not choose (e.g. the prompt) for the repetition penalty. */
LH_API lh_status lh_sampler_accept(lh_sampler *sampler, const int32_t *tokens, size_t n_tokens);

/* ------------------------------------------------------------------------------------------ */
/* Generation: a pull loop, with an optional callback convenience                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct lh_generate_params {
    uint32_t struct_size;
    int32_t max_tokens;            /* default 128; generation also stops when the context is full */
    lh_sampler_params sampling;
    const char *const *stop;       /* stop strings (borrowed during lh_generation_start only) */
    size_t n_stop;
    int32_t add_bos;               /* default 1: BOS first if the vocabulary wants it and the context is empty */
    int32_t stop_at_eog;           /* default 1 */
} lh_generate_params;

LH_API void lh_generate_params_init(lh_generate_params *params);

typedef enum lh_stop_reason {
    LH_STOP_NONE = 0,       /* still running */
    LH_STOP_MAX_TOKENS = 1,
    LH_STOP_EOG = 2,
    LH_STOP_STRING = 3,     /* a stop string appeared; it is not part of the output */
    LH_STOP_CONTEXT_FULL = 4,
    LH_STOP_CALLBACK = 5
} lh_stop_reason;

/* Evaluate the prompt (appended to what the context holds) and prepare to generate. */
LH_API lh_status lh_generation_start(lh_context *context, const char *prompt, size_t prompt_len,
                                     const lh_generate_params *params, lh_generation **out_generation);

/* Produce the next piece of text. *out_piece (borrowed, valid until the next call on this
 * generation) holds *out_len bytes of complete UTF-8 (possibly 0 bytes while a multi-byte
 * character or a possible stop string is held back); *out_token is the sampled token, or -1 when
 * the generation has ended: then *out_done = 1 and lh_generation_stop_reason says why. */
LH_API lh_status lh_generation_next(lh_generation *generation, const char **out_piece, size_t *out_len,
                                    int32_t *out_token, int32_t *out_done);

LH_API lh_stop_reason lh_generation_stop_reason(const lh_generation *generation);
LH_API void lh_generation_free(lh_generation *generation);

/* Callback for lh_generate: return 0 to go on, non-zero to stop. */
typedef int32_t (*lh_piece_callback)(const char *piece, size_t len, int32_t token, void *user_data);

/* Run a whole generation, calling `callback` (may be NULL) with each non-empty piece. The text
 * is also written to buf (up to capacity bytes, NUL-terminated when it fits) and *out_len set to
 * its full length; pass buf=NULL/capacity=0 to only stream. out_len may be NULL. */
LH_API lh_status lh_generate(lh_context *context, const char *prompt, size_t prompt_len,
                             const lh_generate_params *params, lh_piece_callback callback, void *user_data,
                             char *buf, size_t capacity, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* LONGHEADS_H */
