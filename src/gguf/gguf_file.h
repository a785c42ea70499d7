// Read-only view of a GGUF file (versions 1, 2, 3): metadata and tensor directory, validated
// against the file size, with tensor data served from a memory map (or, without mmap, from a
// copy read into memory at open).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gguf/gguf_value.h"
#include "numeric/tensor_types.h"

namespace lh {

struct GgufTensorInfo {
    std::string name;
    uint32_t n_dims = 0;
    int64_t dims[4] = {1, 1, 1, 1};  // fastest-varying first
    uint32_t type = 0;              // ggml type id (may be one we cannot read)
    uint64_t offset = 0;            // relative to the data section
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
};

class GgufFile {
public:
    // Opens and parses `path`. With use_mmap the tensor data is served from a memory map of the
    // file (and the file is watched: check_unchanged); without, the whole file is read into
    // memory at open and the file is no longer needed. Refuses anything but a regular file
    // without blocking (a FIFO, a device). Throws lh::Error (LH_ERROR_IO, LH_ERROR_BAD_FORMAT,
    // LH_ERROR_UNSUPPORTED, LH_ERROR_OUT_OF_MEMORY).
    static std::unique_ptr<GgufFile> open(const std::string &path, bool use_mmap = true);
    // Parses a copy of an in-memory image (tests, fuzzing).
    static std::unique_ptr<GgufFile> from_bytes(const uint8_t *data, size_t size);
    ~GgufFile();
    GgufFile(const GgufFile &) = delete;
    GgufFile &operator=(const GgufFile &) = delete;

    uint32_t version() const { return version_; }
    uint64_t file_size() const { return size_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }
    // Bytes of the header (magic to the end of the tensor directory): the part the metadata
    // lives in.
    uint64_t header_bytes() const { return header_.size(); }

    // Metadata in file order; keys and values are views into this object.
    const std::vector<std::pair<std::string_view, GgufValue>> &metadata() const { return metadata_; }
    const GgufValue *find(std::string_view key) const;  // nullptr if absent

    // Typed getters. Absent key: return `fallback`. Present with an incompatible type: throw
    // LH_ERROR_BAD_FORMAT naming the key. get_int accepts any integer type; get_float any
    // numeric type.
    std::string get_string(const std::string &key, const std::string &fallback = "") const;
    int64_t get_int(const std::string &key, int64_t fallback) const;
    double get_float(const std::string &key, double fallback) const;
    bool get_bool(const std::string &key, bool fallback) const;
    // Required variants: absent key -> LH_ERROR_BAD_FORMAT "missing metadata key '...'".
    int64_t require_int(const std::string &key) const;

    const std::vector<GgufTensorInfo> &tensors() const { return tensors_; }
    const GgufTensorInfo *find_tensor(std::string_view name) const;  // nullptr if absent
    // Start of a tensor's bytes (offset and size were checked against the file at open).
    const uint8_t *tensor_data(const GgufTensorInfo &info) const;

    // Tells the kernel the tensor's pages are no longer needed (after the loader has converted
    // it), so they stop counting towards resident memory. From a memory map the pages come back
    // from the file if read again; from a copy read without mmap they are gone (read as zeros),
    // so a released tensor must not be read again. No-op for in-memory images.
    void release_pages(const GgufTensorInfo &info) const;

    // True when tensor data is read from a memory map of the file.
    bool mapped() const { return fd_ >= 0; }
    // For a mapped file: throws LH_ERROR_IO when the file was truncated or rewritten since it was
    // opened (its size or modification time changed), before anything reads the map. A
    // change that happens after this check can still fault the reader: see docs/RELIABILITY.md.
    void check_unchanged() const;

    // Human-readable rendering of a value for `info` ("512", "llama", "[array of 512 string]").
    static std::string render(const GgufValue &value) { return value.render(); }

private:
    friend class GgufParser;
    GgufFile() = default;
    void parse();

    const uint8_t *data_ = nullptr;
    uint64_t size_ = 0;
    void *mapping_ = nullptr;  // munmap on destruction when set (the file's map, or the copy)
    std::vector<uint8_t> owned_;
    std::string path_;
    int fd_ = -1;  // kept open while mapped, to notice changes
    int64_t mtime_ns_ = 0;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<uint8_t> header_;  // copy of the header: metadata views point here
    std::vector<std::pair<std::string_view, GgufValue>> metadata_;
    std::vector<uint32_t> metadata_by_key_;  // indices into metadata_, sorted by key
    std::vector<GgufTensorInfo> tensors_;
    std::vector<uint32_t> tensors_by_name_;  // indices into tensors_, sorted by name
};

}  // namespace lh
