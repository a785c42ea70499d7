// The saved-context file (docs/CONTEXT_FILE.md): a 256-byte header naming the model and the
// context's parameters, then the payload (token history, last logits, the attention state as
// listed by its components), with a checksum over each. Writing is atomic (a temporary file
// renamed over the path); reading maps the file, falling back to reading it where it cannot.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kv/state_region.h"

namespace lh {

constexpr uint32_t kContextFileVersion = 1;
constexpr uint32_t kContextFileHeaderBytes = 256;

struct ContextFileHeader {
    uint32_t version = kContextFileVersion;
    uint64_t payload_bytes = 0;
    uint64_t payload_hash = 0;
    uint64_t model_fingerprint = 0;
    // The model as loaded: precision and geometry (the geometry also explains a refusal).
    int32_t precision = 0, n_vocab = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
    // The context's resolved parameters.
    int32_t attention = 0, chunk_size = 0, attn_len = 0, begin_len = 0, n_sinks = 0, prefill_mode = 0, kv_type = 0,
            chunk_score = 0, local_chunks = 0, allow_attn_len_over_trained = 0, n_ctx = 0, n_batch = 0;
    // What the payload holds.
    int32_t n_past = 0, n_logits = 0;
};

// Writes header + payload to `path` (through `path`.tmp-<pid>-<n>, renamed). Fills in
// payload_bytes and payload_hash. Throws lh::Error(LH_ERROR_IO) naming the path and the cause.
void write_context_file(const std::string &path, ContextFileHeader header, const kv::StateRegions &payload);

// An opened context file whose header passed its own checks (size, magic, version, checksum,
// field ranges, payload size). The payload stays mapped (or read) while the object lives.
class ContextFile {
public:
    // Throws lh::Error: LH_ERROR_IO (cannot open/read, not a regular file), LH_ERROR_BAD_FORMAT
    // (not a context file, truncated, damaged header, newer version).
    static std::unique_ptr<ContextFile> open(const std::string &path);
    ~ContextFile();
    ContextFile(const ContextFile &) = delete;
    ContextFile &operator=(const ContextFile &) = delete;

    const ContextFileHeader &header() const { return header_; }
    const unsigned char *payload() const { return base_ + kContextFileHeaderBytes; }
    bool mapped() const { return mapping_ != nullptr; }
    // Throws LH_ERROR_BAD_FORMAT unless the payload matches its checksum.
    void verify_payload() const;

private:
    ContextFile() = default;
    std::string path_;
    ContextFileHeader header_;
    const unsigned char *base_ = nullptr;
    void *mapping_ = nullptr;
    uint64_t size_ = 0;
    std::vector<unsigned char> copy_;  // when the file could not be mapped
};

}  // namespace lh
