#include "gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "common/error.h"

namespace lh {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint64_t kMaxStringBytes = 1ull << 30;
constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayNesting = 8;

[[noreturn]] void bad_format(const std::string &message) { fail(LH_ERROR_BAD_FORMAT, message); }

// Bounds-checked little-endian reader over the file image.
class Cursor {
public:
    Cursor(const uint8_t *data, uint64_t size, uint32_t version) : data_(data), size_(size), version_(version) {}

    uint64_t position() const { return pos_; }
    uint64_t remaining() const { return size_ - pos_; }

    void need(uint64_t bytes, const char *what) {
        if (bytes > remaining()) {
            std::ostringstream os;
            os << "file truncated while reading " << what << " at byte " << pos_ << " (needs " << bytes
               << " bytes, " << remaining() << " left)";
            bad_format(os.str());
        }
    }

    template <typename T>
    T read(const char *what) {
        need(sizeof(T), what);
        T value;
        std::memcpy(&value, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return value;
    }

    // Counts and lengths are 32-bit in GGUF v1 and 64-bit from v2 on.
    uint64_t read_count(const char *what) {
        return version_ == 1 ? read<uint32_t>(what) : read<uint64_t>(what);
    }

    std::string read_string(const char *what) {
        uint64_t length = read_count(what);
        if (length > kMaxStringBytes) {
            std::ostringstream os;
            os << what << " at byte " << pos_ << " claims " << length << " bytes";
            bad_format(os.str());
        }
        need(length, what);
        std::string s(reinterpret_cast<const char *>(data_ + pos_), static_cast<size_t>(length));
        pos_ += length;
        return s;
    }

private:
    const uint8_t *data_;
    uint64_t size_;
    uint32_t version_;
    uint64_t pos_ = 0;
};

size_t scalar_size(GgufType type) {
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

bool is_integer(GgufType t) {
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

bool is_real(GgufType t) { return t == GgufType::FLOAT32 || t == GgufType::FLOAT64; }

GgufType checked_type(uint32_t raw, const std::string &key) {
    if (raw > static_cast<uint32_t>(GgufType::FLOAT64)) {
        bad_format("metadata key '" + key + "' has unknown value type " + std::to_string(raw));
    }
    return static_cast<GgufType>(raw);
}

// Reads one scalar into `out` (integer/uinteger/real).
void read_scalar(Cursor &c, GgufType type, GgufValue &out) {
    switch (type) {
        case GgufType::UINT8: out.uinteger = c.read<uint8_t>("u8 value"); out.integer = int64_t(out.uinteger); break;
        case GgufType::INT8: out.integer = c.read<int8_t>("i8 value"); out.uinteger = uint64_t(out.integer); break;
        case GgufType::UINT16: out.uinteger = c.read<uint16_t>("u16 value"); out.integer = int64_t(out.uinteger); break;
        case GgufType::INT16: out.integer = c.read<int16_t>("i16 value"); out.uinteger = uint64_t(out.integer); break;
        case GgufType::UINT32: out.uinteger = c.read<uint32_t>("u32 value"); out.integer = int64_t(out.uinteger); break;
        case GgufType::INT32: out.integer = c.read<int32_t>("i32 value"); out.uinteger = uint64_t(out.integer); break;
        case GgufType::UINT64: out.uinteger = c.read<uint64_t>("u64 value"); out.integer = int64_t(out.uinteger); break;
        case GgufType::INT64: out.integer = c.read<int64_t>("i64 value"); out.uinteger = uint64_t(out.integer); break;
        case GgufType::BOOL: {
            uint8_t b = c.read<uint8_t>("bool value");
            out.integer = b ? 1 : 0;
            out.uinteger = uint64_t(out.integer);
            break;
        }
        case GgufType::FLOAT32: out.real = c.read<float>("f32 value"); break;
        case GgufType::FLOAT64: out.real = c.read<double>("f64 value"); break;
        default: bad_format("internal: not a scalar type");
    }
}

void read_value(Cursor &c, GgufType type, const std::string &key, GgufValue &out, int depth) {
    out.type = type;
    if (type == GgufType::STRING) {
        out.string = c.read_string("string value");
        return;
    }
    if (type != GgufType::ARRAY) {
        read_scalar(c, type, out);
        return;
    }
    if (depth >= kMaxArrayNesting) bad_format("metadata key '" + key + "' nests arrays too deeply");
    out.array_type = checked_type(c.read<uint32_t>("array element type"), key);
    uint64_t n = c.read_count("array length");
    // Every element takes at least one byte (a string at least its length field), so a count
    // larger than what is left of the file is a lie: refuse it before reserving memory.
    size_t min_elem = out.array_type == GgufType::STRING ? (c.remaining() ? 4 : 1)
                      : out.array_type == GgufType::ARRAY ? 8
                                                          : scalar_size(out.array_type);
    if (min_elem == 0 || n > c.remaining() / min_elem) {
        std::ostringstream os;
        os << "metadata key '" << key << "': array of " << n << " " << gguf_type_name(out.array_type)
           << " does not fit in the " << c.remaining() << " bytes left";
        bad_format(os.str());
    }
    if (out.array_type == GgufType::STRING) {
        out.string_array.reserve(n);
        for (uint64_t i = 0; i < n; ++i) out.string_array.push_back(c.read_string("string array element"));
    } else if (out.array_type == GgufType::ARRAY) {
        out.nested_array.resize(n);
        for (uint64_t i = 0; i < n; ++i) read_value(c, GgufType::ARRAY, key, out.nested_array[i], depth + 1);
    } else if (is_real(out.array_type)) {
        out.real_array.resize(n);
        GgufValue tmp;
        for (uint64_t i = 0; i < n; ++i) {
            read_scalar(c, out.array_type, tmp);
            out.real_array[i] = tmp.real;
        }
    } else {
        out.int_array.resize(n);
        GgufValue tmp;
        for (uint64_t i = 0; i < n; ++i) {
            read_scalar(c, out.array_type, tmp);
            out.int_array[i] = tmp.integer;
        }
    }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t &out) { return __builtin_mul_overflow(a, b, &out); }

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

uint64_t GgufValue::array_length() const {
    if (type != GgufType::ARRAY) return 0;
    return string_array.size() + real_array.size() + int_array.size() + nested_array.size();
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(LH_ERROR_IO, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(LH_ERROR_IO, "'" + path + "' is not a regular file");
    }
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->size_ = static_cast<uint64_t>(st.st_size);
    if (file->size_ > 0) {
        void *m = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            fail(LH_ERROR_IO, "cannot map '" + path + "': " + std::strerror(e));
        }
        file->mapping_ = m;
        file->data_ = static_cast<const uint8_t *>(m);
    }
    ::close(fd);
    try {
        file->parse();
    } catch (const Error &e) {
        fail(e.status(), "'" + path + "': " + e.what());
    }
    return file;
}

std::unique_ptr<GgufFile> GgufFile::from_bytes(const uint8_t *data, size_t size) {
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->owned_.assign(data, data + size);
    file->data_ = file->owned_.data();
    file->size_ = size;
    file->parse();
    return file;
}

GgufFile::~GgufFile() {
    if (mapping_) munmap(mapping_, size_);
}

void GgufFile::parse() {
    if (size_ < 8) bad_format("file too small to be GGUF (" + std::to_string(size_) + " bytes)");
    uint32_t magic;
    std::memcpy(&magic, data_, 4);
    if (magic != kMagic) bad_format("not a GGUF file (bad magic)");
    std::memcpy(&version_, data_ + 4, 4);
    if (version_ < 1 || version_ > 3) bad_format("unsupported GGUF version " + std::to_string(version_));

    Cursor c(data_, size_, version_);
    c.read<uint32_t>("magic");
    c.read<uint32_t>("version");
    uint64_t n_tensors = c.read_count("tensor count");
    uint64_t n_kv = c.read_count("metadata count");
    // Each metadata entry needs >= 9 bytes (key length, type, value); each tensor info >= 20.
    if (n_kv > c.remaining() / 9) bad_format("metadata count " + std::to_string(n_kv) + " does not fit in the file");
    if (n_tensors > c.remaining() / 20)
        bad_format("tensor count " + std::to_string(n_tensors) + " does not fit in the file");

    std::unordered_set<std::string> keys;
    metadata_.reserve(n_kv);
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = c.read_string("metadata key");
        if (!keys.insert(key).second) bad_format("duplicate metadata key '" + key + "'");
        GgufType type = checked_type(c.read<uint32_t>("metadata value type"), key);
        GgufValue value;
        read_value(c, type, key, value, 0);
        metadata_.emplace_back(std::move(key), std::move(value));
    }

    if (const GgufValue *a = find("general.alignment")) {
        if (!is_integer(a->type) || a->type == GgufType::BOOL) bad_format("general.alignment is not an integer");
        uint64_t al = a->uinteger;
        // The GGUF spec requires a multiple of 8; smaller values would place f32 tensors at
        // misaligned addresses, which the loader uses in place.
        if (al < 8 || (al & (al - 1)) != 0 || al > (1u << 20))
            bad_format("general.alignment " + std::to_string(al) + " is not a power of two between 8 and 1 MiB");
        alignment_ = al;
    }

    std::unordered_set<std::string> names;
    tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensorInfo t;
        t.name = c.read_string("tensor name");
        if (!names.insert(t.name).second) bad_format("duplicate tensor '" + t.name + "'");
        t.n_dims = c.read<uint32_t>("tensor dimension count");
        if (t.n_dims == 0 || t.n_dims > kMaxDims)
            bad_format("tensor '" + t.name + "' has " + std::to_string(t.n_dims) + " dimensions (1 to 4 allowed)");
        uint64_t n_elements = 1;
        for (uint32_t d = 0; d < t.n_dims; ++d) {
            uint64_t dim = c.read_count("tensor dimension");
            if (dim == 0 || dim > (uint64_t(1) << 40))
                bad_format("tensor '" + t.name + "' has dimension " + std::to_string(d) + " of size " +
                           std::to_string(dim));
            if (mul_overflows(n_elements, dim, n_elements) || n_elements > (uint64_t(1) << 42))
                bad_format("tensor '" + t.name + "' has too many elements");
            t.dims[d] = static_cast<int64_t>(dim);
        }
        t.n_elements = n_elements;
        t.type = c.read<uint32_t>("tensor type");
        t.offset = c.read<uint64_t>("tensor offset");
        const TensorTypeTraits *traits = tensor_type_traits(t.type);
        if (!traits) {
            fail(LH_ERROR_UNSUPPORTED,
                 "tensor '" + t.name + "' has unknown type id " + std::to_string(t.type));
        }
        if (t.dims[0] % traits->block_elems != 0) {
            bad_format("tensor '" + t.name + "' of type " + traits->name + " has a row of " +
                       std::to_string(t.dims[0]) + " elements, not a multiple of the block size " +
                       std::to_string(traits->block_elems));
        }
        uint64_t rows = n_elements / static_cast<uint64_t>(t.dims[0]);
        uint64_t row_bytes = static_cast<uint64_t>(t.dims[0]) / traits->block_elems * traits->block_bytes;
        if (mul_overflows(rows, row_bytes, t.n_bytes)) bad_format("tensor '" + t.name + "' is too large");
        if (t.offset % alignment_ != 0)
            bad_format("tensor '" + t.name + "' offset " + std::to_string(t.offset) + " is not aligned to " +
                       std::to_string(alignment_));
        tensors_.push_back(std::move(t));
    }

    uint64_t header_end = c.position();
    data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
    if (n_tensors > 0 && data_offset_ > size_) bad_format("file ends before its tensor data section");

    // Every tensor lies inside the file; no two overlap.
    std::vector<std::pair<uint64_t, uint64_t>> spans;
    spans.reserve(tensors_.size());
    for (const GgufTensorInfo &t : tensors_) {
        uint64_t begin, end;
        if (__builtin_add_overflow(data_offset_, t.offset, &begin) || __builtin_add_overflow(begin, t.n_bytes, &end) ||
            end > size_) {
            std::ostringstream os;
            os << "tensor '" << t.name << "' data (offset " << t.offset << ", " << t.n_bytes
               << " bytes) lies outside the file of " << size_ << " bytes";
            bad_format(os.str());
        }
        spans.emplace_back(begin, end);
    }
    std::vector<size_t> order(spans.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return spans[a] < spans[b]; });
    for (size_t i = 1; i < order.size(); ++i) {
        if (spans[order[i]].first < spans[order[i - 1]].second) {
            bad_format("tensors '" + tensors_[order[i - 1]].name + "' and '" + tensors_[order[i]].name +
                       "' overlap");
        }
    }
}

const GgufValue *GgufFile::find(const std::string &key) const {
    for (const auto &kv : metadata_) {
        if (kv.first == key) return &kv.second;
    }
    return nullptr;
}

std::string GgufFile::get_string(const std::string &key, const std::string &fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (v->type != GgufType::STRING) bad_format("metadata key '" + key + "' is not a string");
    return v->string;
}

int64_t GgufFile::get_int(const std::string &key, int64_t fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (!is_integer(v->type) || v->type == GgufType::BOOL)
        bad_format("metadata key '" + key + "' is not an integer (it is " + gguf_type_name(v->type) + ")");
    if (v->type == GgufType::UINT64 && v->uinteger > uint64_t(std::numeric_limits<int64_t>::max()))
        bad_format("metadata key '" + key + "' is out of range");
    return v->integer;
}

double GgufFile::get_float(const std::string &key, double fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (is_real(v->type)) return v->real;
    if (is_integer(v->type) && v->type != GgufType::BOOL) return static_cast<double>(v->integer);
    bad_format("metadata key '" + key + "' is not a number (it is " + gguf_type_name(v->type) + ")");
}

bool GgufFile::get_bool(const std::string &key, bool fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (!is_integer(v->type)) bad_format("metadata key '" + key + "' is not a bool");
    return v->integer != 0;
}

int64_t GgufFile::require_int(const std::string &key) const {
    if (!find(key)) bad_format("missing metadata key '" + key + "'");
    return get_int(key, 0);
}

const GgufTensorInfo *GgufFile::find_tensor(const std::string &name) const {
    for (const GgufTensorInfo &t : tensors_) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

const uint8_t *GgufFile::tensor_data(const GgufTensorInfo &info) const { return data_ + data_offset_ + info.offset; }

void GgufFile::release_pages(const GgufTensorInfo &info) const {
    if (!mapping_) return;
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t begin = data_offset_ + info.offset, end = begin + info.n_bytes;
    begin = (begin + page - 1) / page * page;  // only pages wholly inside the tensor
    end = end / page * page;
    if (end > begin) madvise(static_cast<uint8_t *>(mapping_) + begin, end - begin, MADV_DONTNEED);
}

std::string GgufFile::render(const GgufValue &value) {
    std::ostringstream os;
    switch (value.type) {
        case GgufType::STRING: return value.string;
        case GgufType::BOOL: return value.integer ? "true" : "false";
        case GgufType::FLOAT32:
        case GgufType::FLOAT64: os << value.real; return os.str();
        case GgufType::UINT64: os << value.uinteger; return os.str();
        case GgufType::ARRAY:
            os << "[array of " << value.array_length() << " " << gguf_type_name(value.array_type) << "]";
            return os.str();
        default: os << value.integer; return os.str();
    }
}

}  // namespace lh
