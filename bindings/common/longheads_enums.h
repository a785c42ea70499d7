// The C API's enums that the bindings wrap: (C type, short name, name in the bindings). The
// facade defines <short>_name / <short>_from_name from this list (over the C API's
// lh_<short>_name / lh_<short>_from_name) and longheads.i binds each enum under its name.
#ifndef LONGHEADS_ENUMS_H
#define LONGHEADS_ENUMS_H

#define LONGHEADS_ENUMS(DO)                            \
    DO(lh_status, status, Status)                      \
    DO(lh_precision, precision, Precision)             \
    DO(lh_attention, attention, Attention)             \
    DO(lh_prefill_mode, prefill_mode, PrefillMode)     \
    DO(lh_kv_type, kv_type, KvType)                    \
    DO(lh_chunk_score, chunk_score, ChunkScore)        \
    DO(lh_stop_reason, stop_reason, StopReason)

#endif
