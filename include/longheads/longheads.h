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
 *   lh_*_params_init() first (a macro that passes sizeof the struct), then change fields. New fields are only ever appended, and a
 *   struct never embeds another by value, so the library can read the struct of a program
 *   built against an older header by its struct_size. struct_size 0 (a struct that was never
 *   initialised) is LH_ERROR_INVALID_ARGUMENT. Flags are lh_bool: 0 false, anything else true.
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

/* Exported functions: the library is built with hidden visibility, so only LH_API functions
 * leave it. On Windows the same header imports them from the DLL (define LH_STATIC when
 * linking a static build). */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(LH_BUILDING_LIBRARY)
#define LH_API __declspec(dllexport)
#elif defined(LH_STATIC)
#define LH_API
#else
#define LH_API __declspec(dllimport)
#endif
#elif defined(LH_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define LH_API __attribute__((visibility("default")))
#else
#define LH_API
#endif

/* docs/ABI.md lists what each version changed and the compatibility rules. */
#define LH_VERSION_MAJOR 0
#define LH_VERSION_MINOR 2
#define LH_VERSION_PATCH 0

/* A flag in a parameter or struct: 0 = false, anything else = true. */
typedef int32_t lh_bool;

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
    LH_ERROR_INTERNAL = 10,        /* a bug: please report it with the message */
    LH_ERROR_NUMERIC = 11          /* the computation gave NaN or infinity (corrupt weights, overflow) */
} lh_status;

/* Short fixed description of a status ("invalid argument"); never NULL. Static storage. */
LH_API const char *lh_status_string(lh_status status);

/* Message of the last failed call on this thread; "" after a call that succeeded (every call
 * that returns an lh_status sets or clears it when it returns, so a failure inside a callback of
 * a call that then succeeds leaves ""). The pointer stays valid until the next call on this
 * thread. */
LH_API const char *lh_last_error(void);

/* "MAJOR.MINOR.PATCH"; static storage. */
LH_API const char *lh_version(void);

/* Instruction-set level of the library's kernels in this process: "generic", "avx2", "avx512"
 * or "avx512_bf16" -- the highest level the CPU runs, or a lower one named by the environment
 * variable LONGHEADS_CPU (read once, at the first call into the library that needs it). Static
 * storage. */
LH_API const char *lh_cpu_level(void);

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
    LH_PRECISION_BF16 = 1, /* fast: bfloat16 weights and products (AMX/AVX-512), f32 accumulation;
                              quantized weights stay quantized (int8 dot products when decoding) */
    LH_PRECISION_AUTO = 2  /* the default: F32 when every weight matrix of the file (the
                              embedding table only when it is also the output) is float32,
                              BF16 otherwise (so a quantized or 16-bit file keeps its size); the
                              model reports the precision chosen (lh_model_info.precision) */
} lh_precision;

typedef struct lh_model_params {
    uint32_t struct_size;
    lh_precision precision; /* default LH_PRECISION_AUTO */
    int32_t n_threads;      /* threads used while converting weights at load; 0 = all cores
                               (lowered like lh_context_params.n_threads) */
    lh_bool vocab_only;     /* default 0; 1: read only the vocabulary (as llama.cpp's vocab_only),
                               for tokenizing with vocabulary-only GGUF files; such a model has no
                               weights (lh_model_info gives 0 dimensions) and lh_context_create
                               refuses it with LH_ERROR_INVALID_ARGUMENT */
    lh_bool use_mmap;       /* default 1: weights used in place are read from a memory map of the
                               file; every evaluation first checks the file is unchanged and fails
                               with LH_ERROR_IO if it was truncated or rewritten. 0: the whole file
                               is read into memory at load and no longer needed afterwards */
    lh_bool check_tensors;  /* default 0; 1: check at load that every weight is a finite number
                               (LH_ERROR_BAD_FORMAT naming the tensor otherwise) */
} lh_model_params;

/* Fill *params with the defaults. lh_model_params_init is a macro: it passes the size of the
 * caller's struct, so the library never writes past it (params must not be NULL). */
LH_API void lh_model_params_init_sized(lh_model_params *params, size_t size);
#define lh_model_params_init(params) lh_model_params_init_sized((params), sizeof *(params))

/* Load a GGUF file (architectures `llama`, `qwen2`, `qwen3`, `phi3`, `granite`). params may be NULL for
 * defaults.
 * Errors: LH_ERROR_IO (cannot open, or not a regular file: a FIFO or device is refused without
 * waiting), LH_ERROR_BAD_FORMAT (malformed; the message names the section/tensor/key),
 * LH_ERROR_UNSUPPORTED (architecture, tensor type, or a tensor the forward pass would not read,
 * named), LH_ERROR_OUT_OF_MEMORY. */
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
    lh_bool add_bos;          /* 1 if the vocabulary asks for BOS at the start */
    uint64_t n_params;
    uint64_t file_bytes;
    uint64_t weight_bytes;    /* bytes of weights as held in memory after loading */
    lh_precision precision;
} lh_model_info;

/* Fill *out_info. Set out_info->struct_size to sizeof(lh_model_info) first: only that many
 * bytes are written (so a program built against an older header gets its older struct).
 * struct_size 0: LH_ERROR_INVALID_ARGUMENT. */
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
LH_API lh_status lh_tokenize(const lh_model *model, const char *text, size_t text_len, lh_bool add_bos,
                             lh_bool parse_special, int32_t *tokens, size_t capacity, size_t *out_n);

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
    LH_CHUNK_SCORE_MAX_KEY = 1,  /* opt-in: max over the chunk's tokens of R(w-1)q . k~_i
                                    (keys rotated at their local offset i); O(w) per chunk */
    LH_CHUNK_SCORE_BOUND = 2,    /* sum_i max(q~_i min_i, q~_i max_i), q~ = R(w-1)q, with the
                                    channel-wise min/max of the chunk's keys at their local
                                    offsets (Quest); O(1) per chunk, 2/w of the key cache */
    LH_CHUNK_SCORE_BOUND_MID = 3 /* the default: halfway between the bound and the box centre,
                                    sum_i q~_i c_i + |q~_i| r_i / 2 with c = (max + min) / 2,
                                    r = (max - min) / 2; the same state and cost as BOUND */
} lh_chunk_score;

typedef struct lh_context_params {
    uint32_t struct_size;
    int32_t n_ctx;          /* max tokens the context holds. 0 = with full attention the model's
                               trained context T; with window or LongHeads attention 32 x T, or
                               the most (at least T) whose KV cache takes at most half of
                               memory_budget_bytes, or without a budget half of the physical
                               memory (the cache is reserved: pages are used as tokens arrive) */
    int32_t n_threads;      /* 0 = number of cores; more than the machine's hardware threads, or
                               than its address-space limit (RLIMIT_AS) leaves room for, are lowered
                               to that (lh_context_get_params reports the number used) */
    int32_t n_batch;        /* max tokens evaluated per forward step; 0 = 512; values above
                               4096 or n_ctx are lowered to that (buffers grow as batches come) */
    lh_attention attention; /* default LH_ATTENTION_LONGHEADS: the same as full attention for
                               the first begin_len tokens (B, default L = 3T/4), chunk selection
                               beyond, so a prompt longer than T just works */
    int32_t chunk_size;     /* LongHeads w; 0 = default from the trained context T */
    int32_t attn_len;       /* LongHeads / window L (tokens one head attends to); 0 = default */
    int32_t begin_len;      /* LongHeads B: below it full attention; 0 = default (= L) */
    int32_t n_sinks;        /* window mode S; 0 = default (4) */
    lh_bool allow_attn_len_over_trained; /* permits L > T and B > T (out of distribution) */
    lh_prefill_mode prefill_mode;        /* default LH_PREFILL_PER_TOKEN */
    lh_kv_type kv_type;                  /* default LH_KV_F32 */
    uint64_t memory_budget_bytes;        /* 0 = no budget beyond what allocation allows; else the
                                            KV cache, attention scratch, activations and logits
                                            (every row with all_logits) must fit in it:
                                            lh_context_create and lh_context_eval refuse
                                            with LH_ERROR_OUT_OF_MEMORY what would not */
    lh_chunk_score chunk_score;          /* default LH_CHUNK_SCORE_BOUND_MID (docs/RESULTS.md) */
    int32_t local_chunks;   /* LongHeads: the most recent chunks every token attends besides the
                               sink (its own and the n-1 before it), 1..K-1 with K = L/w;
                               0 = default: 2 (the previous and the current chunk, the paper)
                               with the faithful score or K < 8, else 4 */
} lh_context_params;

/* Fill *params with the defaults. lh_context_params_init is a macro: it passes the size of the
 * caller's struct, so the library never writes past it (params must not be NULL). */
LH_API void lh_context_params_init_sized(lh_context_params *params, size_t size);
#define lh_context_params_init(params) lh_context_params_init_sized((params), sizeof *(params))

/* Create a context. Validates every parameter (chunk size > 0, L a multiple of w, L <= T unless
 * allowed, ...) and refuses up front, with the bytes it would need, a KV cache larger than the
 * memory budget. */
LH_API lh_status lh_context_create(const lh_model *model, const lh_context_params *params,
                                   lh_context **out_context);

LH_API void lh_context_free(lh_context *context);

/* The effective parameters (defaults resolved). Set out_params->struct_size first (as for
 * lh_model_get_info): only that many bytes are written. */
LH_API lh_status lh_context_get_params(const lh_context *context, lh_context_params *out_params);

/* Bytes the KV cache (incl. LongHeads chunk keys) of a context with these params would take at
 * n_tokens tokens. Does not allocate. */
LH_API lh_status lh_context_estimate_kv_bytes(const lh_model *model, const lh_context_params *params,
                                              int64_t n_tokens, uint64_t *out_bytes);

/* Forget all tokens (the KV cache is kept allocated). Ends a live generation's hold on the
 * context (see lh_generation_next). */
LH_API lh_status lh_context_reset(lh_context *context);

/* Tokens currently in the context. */
LH_API lh_status lh_context_n_past(const lh_context *context, int32_t *out_n_past);

/* Append tokens and run the model over them in batches of n_batch. Afterwards the logits of the
 * last token are available; with all_logits != 0, those of every token of this call.
 * Errors: out-of-range ids (LH_ERROR_INVALID_ARGUMENT, nothing evaluated), more tokens than fit
 * (LH_ERROR_CONTEXT_FULL, nothing evaluated), the model's memory-mapped file changed since it
 * was loaded (LH_ERROR_IO, nothing evaluated), logits over the memory budget
 * (LH_ERROR_OUT_OF_MEMORY, nothing evaluated), LH_ERROR_CANCELLED (batches evaluated before the
 * cancel stay in the context; a batch interrupted half-way cannot be rolled back, so the
 * context is then reset to 0 tokens — lh_context_n_past tells which happened), non-finite
 * logits (LH_ERROR_NUMERIC: the context is reset). Ends a live generation's hold on the context
 * (see lh_generation_next). */
LH_API lh_status lh_context_eval(lh_context *context, const int32_t *tokens, size_t n_tokens,
                                 lh_bool all_logits);

/* Logits of token `index` of the last lh_context_eval call (-1 = its last token). Borrowed
 * pointer to n_vocab floats, valid until the next eval/reset/free of the context. */
LH_API lh_status lh_context_logits(const lh_context *context, int32_t index, const float **out_logits);

/* Same, copied into the caller's buffer of `capacity` floats (>= n_vocab). */
LH_API lh_status lh_context_copy_logits(const lh_context *context, int32_t index, float *dst, size_t capacity);

/* Ask what runs on this context to stop soon. Safe from any thread (and from a signal handler:
 * it only sets an atomic flag).
 * - A running lh_context_eval, or the prompt of lh_generation_start / lh_generate, returns
 *   LH_ERROR_CANCELLED.
 * - A live generation (from lh_generation_start until it ends, including between two
 *   lh_generation_next calls) ends at its next step: that call returns LH_OK, done = 1, the
 *   text held back so far as its final piece, and stop reason LH_STOP_CANCELLED. The context
 *   keeps the prompt and the generated tokens (whole tokens only: a token's evaluation is never
 *   cut). lh_generate then returns LH_ERROR_CANCELLED with the text generated so far in buf.
 * The request is spent when it has stopped something; a cancel while nothing runs is forgotten
 * when the next lh_context_eval, lh_generation_start or lh_generate begins. */
LH_API void lh_context_cancel(lh_context *context);

/* ------------------------------------------------------------------------------------------ */
/* Read once, ask many: token history, prefix reuse, forks, saved contexts                      */
/* ------------------------------------------------------------------------------------------ */

/* The tokens the context holds, in order (every token evaluated, BOS included): up to `capacity`
 * ids into `tokens`, *out_n = the number held. capacity too small: LH_ERROR_BUFFER_TOO_SMALL
 * with *out_n = the number needed. */
LH_API lh_status lh_context_tokens(const lh_context *context, int32_t *tokens, size_t capacity, size_t *out_n);

/* Make the context hold exactly tokens[0..n_tokens), evaluating as little as it can (as
 * llama.cpp's prompt cache): it keeps the longest prefix of what it holds that `tokens` starts
 * with, drops the rest, and evaluates the remaining tokens (always at least the last one, whose
 * logits are then available at index -1). *out_n_reused (may be NULL) = the tokens kept.
 * LongHeads with the faithful chunk score may keep up to chunk_size - 1 tokens fewer than the
 * common prefix: a chunk's key is rebuilt from the queries of its tokens, which are kept only
 * for the chunk still being filled. The results equal those of a fresh context that evaluates
 * tokens[0..n_reused) and then the rest. Checked before anything changes: errors as
 * lh_context_eval (LH_ERROR_CONTEXT_FULL if n_tokens > n_ctx). LH_ERROR_CANCELLED leaves the
 * context holding a prefix of `tokens` (lh_context_n_past says how long). */
LH_API lh_status lh_context_eval_reuse(lh_context *context, const int32_t *tokens, size_t n_tokens,
                                       int32_t *out_n_reused);

/* Keep the first n_keep tokens (0 <= n_keep <= n_past) and forget the rest. With LongHeads
 * chunk keys the tokens since the start of n_keep's chunk may be evaluated again from the
 * history (at most chunk_size - 1). No logits are available afterwards. */
LH_API lh_status lh_context_truncate(lh_context *context, int32_t n_keep);

/* A new, independent context with the same parameters holding a copy of what `context` holds
 * (tokens, KV cache, LongHeads state, logits), so that several questions can branch from one
 * evaluated document. Copies only the tokens held. Free it with lh_context_free. */
LH_API lh_status lh_context_fork(lh_context *context, lh_context **out_context);

/* Write the context to a file (format: docs/CONTEXT_FILE.md): its tokens, the last token's
 * logits if it has them, the KV cache and the LongHeads state, under a header naming the model
 * (a fingerprint of its tensors), its precision and the context's parameters, with checksums.
 * The same context always gives the same bytes. The file is written next to `path` and renamed
 * over it, so a reader never sees half a file. Errors: LH_ERROR_IO. */
LH_API lh_status lh_context_save(lh_context *context, const char *path);

/* A context holding what a saved file holds; it answers exactly as the saved context did (same
 * logits). params NULL: the saved parameters. Otherwise the attention fields (attention,
 * chunk_size, attn_len, begin_len, n_sinks, prefill_mode, kv_type, chunk_score, local_chunks)
 * must resolve to the saved values; n_ctx 0 means the saved size (a larger one holds more, a
 * smaller one must still hold the saved tokens: LH_ERROR_CONTEXT_FULL); n_threads, n_batch and
 * the memory budget are free. The file is memory-mapped while it is read (read instead where
 * mapping fails). Errors: LH_ERROR_IO (cannot open, not a regular file); LH_ERROR_BAD_FORMAT
 * (not a context file, truncated, damaged: checksum mismatch, format of a newer version);
 * LH_ERROR_INVALID_ARGUMENT (saved with another model or precision, other attention
 * parameters: the message names the difference); LH_ERROR_OUT_OF_MEMORY. */
LH_API lh_status lh_context_load(const lh_model *model, const char *path, const lh_context_params *params,
                                 lh_context **out_context);

/* The parameters a saved context was made with, from the file's header only (no model needed,
 * the contents are not checked): a caller can start from them and change the free fields before
 * lh_context_load. Set out_params->struct_size as for lh_context_get_params; n_threads and
 * memory_budget_bytes come back 0. Errors: those of lh_context_load's header checks. */
LH_API lh_status lh_context_file_params(const char *path, lh_context_params *out_params);

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

/* Fill *params with the defaults. lh_sampler_params_init is a macro: it passes the size of the
 * caller's struct, so the library never writes past it (params must not be NULL). */
LH_API void lh_sampler_params_init_sized(lh_sampler_params *params, size_t size);
#define lh_sampler_params_init(params) lh_sampler_params_init_sized((params), sizeof *(params))

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
    const lh_sampler_params *sampling; /* how tokens are chosen; NULL (default) = the defaults of
                                          lh_sampler_params_init. Borrowed during
                                          lh_generation_start / lh_generate only. */
    const char *const *stop;       /* stop strings (borrowed during lh_generation_start / lh_generate only) */
    size_t n_stop;
    lh_bool add_bos;               /* default 1: BOS first if the vocabulary wants it and the context is empty */
    lh_bool stop_at_eog;           /* default 1 */
} lh_generate_params;

/* Fill *params with the defaults. lh_generate_params_init is a macro: it passes the size of the
 * caller's struct, so the library never writes past it (params must not be NULL). */
LH_API void lh_generate_params_init_sized(lh_generate_params *params, size_t size);
#define lh_generate_params_init(params) lh_generate_params_init_sized((params), sizeof *(params))

typedef enum lh_stop_reason {
    LH_STOP_NONE = 0,       /* still running */
    LH_STOP_MAX_TOKENS = 1,
    LH_STOP_EOG = 2,
    LH_STOP_STRING = 3,     /* a stop string appeared; it is not part of the output */
    LH_STOP_CONTEXT_FULL = 4,
    LH_STOP_CANCELLED = 5   /* lh_context_cancel(), or lh_generate's callback returned non-zero */
} lh_stop_reason;
/* The 0.1 name of LH_STOP_CANCELLED (which was never produced then). */
#define LH_STOP_CALLBACK LH_STOP_CANCELLED

/* Evaluate the prompt (appended to what the context holds) and prepare to generate. The new
 * generation holds the context until it ends or is freed; a generation that held it before
 * loses it (its next lh_generation_next fails). LH_ERROR_CANCELLED if cancelled during the
 * prompt (no generation is made). */
LH_API lh_status lh_generation_start(lh_context *context, const char *prompt, size_t prompt_len,
                                     const lh_generate_params *params, lh_generation **out_generation);

/* Produce the next piece of text. *out_piece (borrowed, valid until the next call on this
 * generation) holds *out_len bytes of valid UTF-8: possibly 0 bytes while a multi-byte
 * character or a possible stop string is held back. *out_token is the sampled token, or -1
 * once the generation has ended: then *out_done = 1 and lh_generation_stop_reason says why.
 *
 * The call that reports *out_done = 1 may still return text (*out_len > 0): what was held back
 * until the end. Every consumer must use the piece before looking at done:
 *     do { lh_generation_next(g, &piece, &len, &token, &done); fwrite(piece, 1, len, out); }
 *     while (!done);
 * Later calls return done = 1 and no text.
 *
 * Text: the concatenation of the pieces equals what lh_generate returns for the same inputs.
 * Bytes that do not form valid UTF-8 (byte-fallback tokens such as <0x80> alone) appear as
 * U+FFFD, one per maximal invalid sequence (as Python's errors="replace" decodes them);
 * lh_token_piece gives a token's raw bytes.
 *
 * The context: each step evaluates the previous step's token, then samples; when the
 * generation ends, the context holds the prompt and every generated token except the last
 * one. Any lh_context_eval, lh_context_reset, lh_generation_start or lh_generate on the context
 * while the generation is live takes the context over: this generation's next call then fails
 * with LH_ERROR_INVALID_ARGUMENT (naming the call) instead of mixing tokens. After the end,
 * calls return done = 1 whatever happened to the context. */
LH_API lh_status lh_generation_next(lh_generation *generation, const char **out_piece, size_t *out_len,
                                    int32_t *out_token, int32_t *out_done);

LH_API lh_stop_reason lh_generation_stop_reason(const lh_generation *generation);
LH_API void lh_generation_free(lh_generation *generation);

/* Callback for lh_generate: return 0 to go on, non-zero to stop. */
typedef int32_t (*lh_piece_callback)(const char *piece, size_t len, int32_t token, void *user_data);

/* Run a whole generation, calling `callback` (may be NULL) with each non-empty piece, the final
 * flush included. A callback returning non-zero ends the generation at once (LH_OK; text
 * still held back is dropped, so buf holds exactly what the callback received). The text is
 * also written to buf (up to capacity bytes, NUL-terminated when it fits) and *out_len set to
 * its full length; pass buf=NULL/capacity=0 to only stream. out_len may be NULL.
 * LH_ERROR_BUFFER_TOO_SMALL: buf holds the truncated text. LH_ERROR_CANCELLED (lh_context_cancel
 * during the generation): buf and *out_len hold the text generated until then. */
LH_API lh_status lh_generate(lh_context *context, const char *prompt, size_t prompt_len,
                             const lh_generate_params *params, lh_piece_callback callback, void *user_data,
                             char *buf, size_t capacity, size_t *out_len);

/* ------------------------------------------------------------------------------------------ */
/* Chat templates                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* One message of a conversation. This struct will not grow (messages are passed as arrays). */
typedef struct lh_chat_message {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content; /* UTF-8, NUL-terminated; inserted verbatim (special-token texts such
                            as "<|im_end|>" in it are not escaped, as with the Jinja templates) */
} lh_chat_message;

/* Chat templates are not run as Jinja: the template's family is recognised by its distinctive
 * markers (as llama.cpp's llama_chat_apply_template does) and each family's formatting is built
 * in, written to produce what the real template renders with python3-jinja2 for system, user and
 * assistant messages (tests/chat compares them byte for byte). Families and their names:
 *   "chatml"            <|im_start|>role\n...<|im_end|>\n (no default system message)
 *   "qwen2.5"           ChatML plus Qwen2.5's default system message when none is given
 *   "llama3"            Llama-3.0: <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
 *   "llama3.1"          Llama-3.1/3.2/3.3: plus the system block "Cutting Knowledge Date: ...\n
 *                       Today Date: ..." with the template's own default date ("26 Jul 2024";
 *                       llama.cpp's server passes today's date instead)
 *   "phi3"              Phi-3.5: <|user|>\n...<|end|>\n; the EOS text ends a conversation
 *                       formatted without the assistant prefix
 *   "mistral-v3-tekken" Mistral-Nemo: [INST]...[/INST]reply</s>; the system message is put into
 *                       the last user turn (and dropped when the last message is not a user's)
 *   "llama2"            Llama-2-chat: <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] reply </s>
 *   "gemma"             <start_of_turn>user\n...<end_of_turn>\n, assistant is "model"; the real
 *                       template refuses a system message: it is folded into the first user turn
 *                       ("system\n\nuser"), as llama.cpp does
 *   "deepseek-r1"       DeepSeek-R1 distills: <｜User｜>...<｜Assistant｜>...; reasoning before
 *                       "</think>" in earlier replies dropped; the prefix opens "<think>\n"
 *                       (enable_thinking = true, llama.cpp's default)
 *   "smollm3"           SmolLM3: ChatML behind a generated "## Metadata" system header; "/think"
 *                       (the default) or "/no_think" in the system message sets its reasoning
 *                       mode, the rest of that message becomes its custom instructions; without
 *                       thinking every assistant turn opens with an empty think block
 *   "qwen3"             Qwen3: ChatML; a reply's "<think>...</think>" reasoning is dropped before
 *                       the last question and kept, in a <think> block, after it
 *   "mistral-v7"        Ministral 3: [SYSTEM_PROMPT]...[/SYSTEM_PROMPT][INST]...[/INST]reply</s>;
 *                       the template's default system message when none is given (by name: none)
 *   "granite4"          Granite 4.0/4.1: <|start_of_role|>role<|end_of_role|>...<|end_of_text|>\n;
 *                       4.0's default system message when none is given (by name: none)
 * A template is accepted only in the form its family reproduces: relatives that add a BOS, <think>
 * blocks, a default system message or tool prompts to ChatML, or that date themselves from the
 * clock (strftime_now), are refused. Also refused (LH_ERROR_UNSUPPORTED naming what was seen):
 * tools and tool calls, SmolLM3's dated variant, the older Phi-3 form, Mistral v1/v3, DeepSeek-V3
 * and later, and llama.cpp's own DeepSeek-R1 rewrite.
 * bos_token / eos_token stand for the model's BOS / EOS token texts ("" when it has none).
 * Tokenize the result with parse_special = 1, and add BOS only if the text does not already
 * start with it (llama.cpp's rule: BOS once, from the template or from the vocabulary). */

/* Format `n_messages` messages with `tmpl`: NULL = the model's own tokenizer.chat_template, else
 * a family name from the list above (ASCII case-insensitive) or a Jinja template's text.
 * add_assistant != 0 appends the assistant's prefix (generation prompt) so the model replies.
 * Writes the text and a NUL (capacity >= length + 1); if it does not fit:
 * LH_ERROR_BUFFER_TOO_SMALL and *out_len = the length needed (without the NUL).
 * Errors: LH_ERROR_UNSUPPORTED (unrecognised template or name; the message names what was seen),
 * LH_ERROR_INVALID_ARGUMENT (the model has no chat template and tmpl is NULL; no messages; a
 * role other than system/user/assistant; roles not alternating where the family requires it;
 * NULL pointers). */
LH_API lh_status lh_chat_format(const lh_model *model, const char *tmpl, const lh_chat_message *messages,
                                size_t n_messages, lh_bool add_assistant, char *buf, size_t capacity,
                                size_t *out_len);

/* The canonical family name ("chatml", "llama3.1", ...; static storage) that lh_chat_format would
 * use for `tmpl` (NULL = the model's own template). Same errors as lh_chat_format. */
LH_API lh_status lh_chat_template_family(const lh_model *model, const char *tmpl, const char **out_name);

/* A conversation on a context: the messages so far (an optional system message, then user and
 * assistant turns) and what the context's KV cache holds, so each turn evaluates only the text
 * it adds: the conversation is formatted again with the new user message and, when that text
 * extends the text already evaluated, only the rest is tokenized (parse_special, no BOS) and
 * evaluated. Otherwise (a template that trims or rewrites earlier turns, e.g. Llama-3's `trim`
 * of a reply that began with a space, Mistral-Nemo's system message moving to the last user
 * turn, DeepSeek-R1 dropping reasoning) the context is reset and the whole conversation is
 * evaluated again. From its first lh_chat_send on, the chat holds the context like a live
 * generation: another call that changes its tokens (lh_context_eval/reset, a generation, another
 * chat) takes it over; a reply in progress then fails with LH_ERROR_INVALID_ARGUMENT and the next
 * lh_chat_send evaluates the whole conversation again. The context must outlive the chat; one
 * thread at a time. */
typedef struct lh_chat lh_chat;

/* tmpl: as for lh_chat_format (NULL = the model's own). system: NULL or "" for none. */
LH_API lh_status lh_chat_create(lh_context *context, const char *tmpl, const char *system, lh_chat **out_chat);
LH_API void lh_chat_free(lh_chat *chat);

/* Append a user message and start the assistant's reply (params as for lh_generation_start;
 * add_bos is ignored: BOS comes once, from the template or the vocabulary). A reply still being
 * pulled is first recorded as it stands. Errors: LH_ERROR_CONTEXT_FULL (the conversation no
 * longer fits; it is left without the new message), LH_ERROR_CANCELLED, template errors. */
LH_API lh_status lh_chat_send(lh_chat *chat, const char *user_text, const lh_generate_params *params);

/* The reply's next piece, as lh_generation_next (piece borrowed until the next call on the
 * chat). When *out_done = 1 the reply has joined the conversation as an assistant message. */
LH_API lh_status lh_chat_next(lh_chat *chat, const char **out_piece, size_t *out_len, int32_t *out_token,
                              int32_t *out_done);

/* Why the last reply ended (LH_STOP_NONE while it runs or before the first). */
LH_API lh_stop_reason lh_chat_stop_reason(const lh_chat *chat);

/* Messages in the conversation (the system message counts). */
LH_API lh_status lh_chat_n_messages(const lh_chat *chat, size_t *out_n);

/* Message `index`: role and content, borrowed until the next lh_chat_send/next/free. */
LH_API lh_status lh_chat_message_at(const lh_chat *chat, size_t index, const char **out_role,
                                    const char **out_content);

/* Tokens the last lh_chat_send evaluated, and tokens it kept from the cache (0 when it started
 * over). */
LH_API lh_status lh_chat_last_prompt(const lh_chat *chat, int32_t *out_n_evaluated, int32_t *out_n_reused);

/* ------------------------------------------------------------------------------------------ */
/* Names of enum values                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* One pair of functions per enum, used by the CLI flags and the bindings so every tool spells
 * the values alike. Canonical names are the lower-case value names without the prefix:
 * "longheads" (LH_ATTENTION_LONGHEADS), "per_token", "max_key", "bf16", "context_full", ...
 *
 * lh_<enum>_name(value): the canonical name (static storage), or NULL if `value` is not a member.
 * An enum's values are consecutive from 0, so lh_<enum>_name(v) for v = 0, 1, ... until NULL
 * lists them all.
 *
 * lh_<enum>_from_name(name, &value): the value of a canonical name, ASCII case-insensitive,
 * '-' and '_' alike ("LongHeads", "per-token"). Also accepted: "token" for LH_PREFILL_PER_TOKEN
 * and "max" for LH_CHUNK_SCORE_MAX_KEY. An unknown name or a NULL pointer:
 * LH_ERROR_INVALID_ARGUMENT, with the valid names in lh_last_error(). */
LH_API const char *lh_status_name(lh_status value);
LH_API lh_status lh_status_from_name(const char *name, lh_status *out_value);
LH_API const char *lh_precision_name(lh_precision value);
LH_API lh_status lh_precision_from_name(const char *name, lh_precision *out_value);
LH_API const char *lh_attention_name(lh_attention value);
LH_API lh_status lh_attention_from_name(const char *name, lh_attention *out_value);
LH_API const char *lh_prefill_mode_name(lh_prefill_mode value);
LH_API lh_status lh_prefill_mode_from_name(const char *name, lh_prefill_mode *out_value);
LH_API const char *lh_kv_type_name(lh_kv_type value);
LH_API lh_status lh_kv_type_from_name(const char *name, lh_kv_type *out_value);
LH_API const char *lh_chunk_score_name(lh_chunk_score value);
LH_API lh_status lh_chunk_score_from_name(const char *name, lh_chunk_score *out_value);
LH_API const char *lh_stop_reason_name(lh_stop_reason value);
LH_API lh_status lh_stop_reason_from_name(const char *name, lh_stop_reason *out_value);

#ifdef __cplusplus
}
#endif

#endif /* LONGHEADS_H */
