// Read-only view of a GGUF file (versions 1, 2, 3): metadata and tensor directory, validated
// against the file size, with tensor data served from a memory map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "numeric/tensor_types.h"

namespace lh {

// GGUF metadata value types (ids as stored in the file).
enum class GgufType : uint32_t {
    UINT8 = 0,
    INT8 = 1,
    UINT16 = 2,
    INT16 = 3,
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10,
    INT64 = 11,
    FLOAT64 = 12,
};

const char *gguf_type_name(GgufType type);

struct GgufValue {
    GgufType type = GgufType::UINT8;
    // Scalars: integers (any width, signed or not) are in `integer` (uint64 values above
    // INT64_MAX wrap; use `uinteger`), floats in `real`, bools in `integer` (0/1).
    int64_t integer = 0;
    uint64_t uinteger = 0;
    double real = 0.0;
    std::string string;
    // Arrays: element type, and the elements in one of these, by element type.
    GgufType array_type = GgufType::UINT8;
    std::vector<int64_t> int_array;       // integer and bool elements
    std::vector<double> real_array;       // float elements
    std::vector<std::string> string_array;
    std::vector<GgufValue> nested_array;  // arrays of arrays
    uint64_t array_length() const;
};

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
    // Memory-maps and parses `path`. Throws lh::Error (LH_ERROR_IO, LH_ERROR_BAD_FORMAT).
    static std::unique_ptr<GgufFile> open(const std::string &path);
    // Parses a copy of an in-memory image (tests, fuzzing).
    static std::unique_ptr<GgufFile> from_bytes(const uint8_t *data, size_t size);
    ~GgufFile();
    GgufFile(const GgufFile &) = delete;
    GgufFile &operator=(const GgufFile &) = delete;

    uint32_t version() const { return version_; }
    uint64_t file_size() const { return size_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }

    // Metadata in file order.
    const std::vector<std::pair<std::string, GgufValue>> &metadata() const { return metadata_; }
    const GgufValue *find(const std::string &key) const;  // nullptr if absent

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
    const GgufTensorInfo *find_tensor(const std::string &name) const;  // nullptr if absent
    // Start of a tensor's bytes (offset and size were checked against the file at open).
    const uint8_t *tensor_data(const GgufTensorInfo &info) const;

    // Tells the kernel the tensor's mapped pages are no longer needed (after the loader has
    // converted it), so they stop counting towards resident memory. Reading the tensor again
    // still works: the pages come back from the file. No-op for in-memory images.
    void release_pages(const GgufTensorInfo &info) const;

    // Human-readable rendering of a value for `info` ("512", "llama", "[array of 512 string]").
    static std::string render(const GgufValue &value);

private:
    GgufFile() = default;
    void parse();

    const uint8_t *data_ = nullptr;
    uint64_t size_ = 0;
    void *mapping_ = nullptr;  // munmap on destruction when set
    std::vector<uint8_t> owned_;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::vector<GgufTensorInfo> tensors_;
};

}  // namespace lh
