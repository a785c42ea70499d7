// GGUF metadata values as views into the GgufFile's copy of the file header: a value costs a
// fixed 32 bytes whatever its size, and array elements are decoded when asked for, so metadata
// never takes more memory than a small multiple of its bytes in the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
bool gguf_is_integer(GgufType type);  // the integer types and BOOL
bool gguf_is_real(GgufType type);     // FLOAT32, FLOAT64
size_t gguf_scalar_size(GgufType type);  // bytes of one scalar; 0 for STRING and ARRAY

class GgufValue {
public:
    GgufType type() const { return type_; }

    // Scalars. Integers of any width, signed or not, and bools (0/1) through integer()
    // (uint64 values above INT64_MAX wrap: use uinteger()); floats through real(). A value of
    // another type gives 0 / "".
    int64_t integer() const;
    uint64_t uinteger() const;
    double real() const;
    std::string_view string() const;

    // Arrays: the element type and count; elements decoded on demand. int_at needs integer or
    // bool elements, real_at float elements, strings() string elements (otherwise, and for an
    // index out of range, they throw LH_ERROR_INTERNAL: callers check array_type() first).
    // Arrays of arrays keep only their count.
    GgufType array_type() const { return array_type_; }
    uint64_t array_length() const { return type_ == GgufType::ARRAY ? length_ : 0; }
    int64_t int_at(uint64_t index) const;
    double real_at(uint64_t index) const;
    std::vector<std::string> strings() const;

    // "512", "llama", "[array of 512 string]".
    std::string render() const;

private:
    friend class GgufParser;

    GgufType type_ = GgufType::UINT8;
    GgufType array_type_ = GgufType::UINT8;
    uint8_t length_bytes_ = 8;  // width of the lengths inside string arrays: 4 in GGUF v1, else 8
    uint64_t length_ = 0;       // bytes of a string, elements of an array
    const uint8_t *data_ = nullptr;  // the scalar, the string's bytes, or the first element
};

}  // namespace lh
