#include "gguf/gguf_value.h"

#include <cstring>
#include <sstream>

#include "common/error.h"

namespace lh {

namespace {

template <typename T>
T load(const uint8_t *p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// One integer or bool element as int64 (u64 above INT64_MAX wraps).
int64_t load_integer(GgufType type, const uint8_t *p) {
    switch (type) {
        case GgufType::UINT8: return load<uint8_t>(p);
        case GgufType::INT8: return load<int8_t>(p);
        case GgufType::UINT16: return load<uint16_t>(p);
        case GgufType::INT16: return load<int16_t>(p);
        case GgufType::UINT32: return load<uint32_t>(p);
        case GgufType::INT32: return load<int32_t>(p);
        case GgufType::UINT64: return static_cast<int64_t>(load<uint64_t>(p));
        case GgufType::INT64: return load<int64_t>(p);
        case GgufType::BOOL: return load<uint8_t>(p) ? 1 : 0;
        default: return 0;
    }
}

double load_real(GgufType type, const uint8_t *p) {
    if (type == GgufType::FLOAT32) return load<float>(p);
    if (type == GgufType::FLOAT64) return load<double>(p);
    return 0.0;
}

[[noreturn]] void misuse(const std::string &what) { fail(LH_ERROR_INTERNAL, "metadata value: " + what); }

}  // namespace

const char *gguf_type_name(GgufType type) {
    switch (type) {
        case GgufType::UINT8: return "u8";
        case GgufType::INT8: return "i8";
        case GgufType::UINT16: return "u16";
        case GgufType::INT16: return "i16";
        case GgufType::UINT32: return "u32";
        case GgufType::INT32: return "i32";
        case GgufType::FLOAT32: return "f32";
        case GgufType::BOOL: return "bool";
        case GgufType::STRING: return "string";
        case GgufType::ARRAY: return "array";
        case GgufType::UINT64: return "u64";
        case GgufType::INT64: return "i64";
        case GgufType::FLOAT64: return "f64";
    }
    return "unknown";
}

bool gguf_is_integer(GgufType t) {
    switch (t) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::UINT16:
        case GgufType::INT16:
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::UINT64:
        case GgufType::INT64:
        case GgufType::BOOL: return true;
        default: return false;
    }
}

bool gguf_is_real(GgufType t) { return t == GgufType::FLOAT32 || t == GgufType::FLOAT64; }

size_t gguf_scalar_size(GgufType type) {
    switch (type) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::BOOL: return 1;
        case GgufType::UINT16:
        case GgufType::INT16: return 2;
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::FLOAT32: return 4;
        case GgufType::UINT64:
        case GgufType::INT64:
        case GgufType::FLOAT64: return 8;
        default: return 0;
    }
}

int64_t GgufValue::integer() const { return gguf_is_integer(type_) ? load_integer(type_, data_) : 0; }

uint64_t GgufValue::uinteger() const {
    if (type_ == GgufType::UINT64) return load<uint64_t>(data_);
    return static_cast<uint64_t>(integer());
}

double GgufValue::real() const { return gguf_is_real(type_) ? load_real(type_, data_) : 0.0; }

std::string_view GgufValue::string() const {
    if (type_ != GgufType::STRING) return {};
    return {reinterpret_cast<const char *>(data_), static_cast<size_t>(length_)};
}

int64_t GgufValue::int_at(uint64_t index) const {
    if (type_ != GgufType::ARRAY || !gguf_is_integer(array_type_)) misuse("int_at on a non-integer array");
    if (index >= length_) misuse("int_at index out of range");
    return load_integer(array_type_, data_ + index * gguf_scalar_size(array_type_));
}

double GgufValue::real_at(uint64_t index) const {
    if (type_ != GgufType::ARRAY || !gguf_is_real(array_type_)) misuse("real_at on a non-float array");
    if (index >= length_) misuse("real_at index out of range");
    return load_real(array_type_, data_ + index * gguf_scalar_size(array_type_));
}

std::vector<std::string> GgufValue::strings() const {
    if (type_ != GgufType::ARRAY || array_type_ != GgufType::STRING) misuse("strings() on a non-string array");
    // The parser checked every length against the header, so this walk stays inside it.
    std::vector<std::string> out;
    out.reserve(static_cast<size_t>(length_));
    const uint8_t *p = data_;
    for (uint64_t i = 0; i < length_; ++i) {
        const uint64_t n = length_bytes_ == 4 ? load<uint32_t>(p) : load<uint64_t>(p);
        p += length_bytes_;
        out.emplace_back(reinterpret_cast<const char *>(p), static_cast<size_t>(n));
        p += n;
    }
    return out;
}

std::string GgufValue::render() const {
    std::ostringstream os;
    switch (type_) {
        case GgufType::STRING: return std::string(string());
        case GgufType::BOOL: return integer() ? "true" : "false";
        case GgufType::FLOAT32:
        case GgufType::FLOAT64: os << real(); return os.str();
        case GgufType::UINT64: os << uinteger(); return os.str();
        case GgufType::ARRAY:
            os << "[array of " << array_length() << " " << gguf_type_name(array_type_) << "]";
            return os.str();
        default: os << integer(); return os.str();
    }
}

}  // namespace lh
