// GgufFile::parse: the header, in the order the file stores it (preamble, metadata, tensor
// directory), then the placement of the tensor data. Every count is checked against the bytes
// left before anything is sized by it, and nothing is allocated per array element: values are
// views, so a lying count is refused at once and a valid file's metadata costs about its bytes.
#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "common/error.h"
#include "gguf/gguf_file.h"

namespace lh {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint64_t kMaxStringBytes = 1ull << 30;
constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayNesting = 8;
constexpr uint64_t kMaxEntries = std::numeric_limits<uint32_t>::max();  // indices are uint32

[[noreturn]] void bad_format(const std::string &message) { fail(LH_ERROR_BAD_FORMAT, message); }

// Bounds-checked little-endian reader over the file image.
class Cursor {
public:
    Cursor(const uint8_t *data, uint64_t size, uint32_t version) : data_(data), size_(size), version_(version) {}

    uint64_t position() const { return pos_; }
    void seek(uint64_t pos) { pos_ = pos; }
    uint64_t remaining() const { return size_ - pos_; }
    const uint8_t *here() const { return data_ + pos_; }
    // Bytes of a count or length: 4 in GGUF v1, 8 from v2 on.
    uint64_t count_bytes() const { return version_ == 1 ? 4 : 8; }

    void need(uint64_t bytes, const char *what) const {
        if (bytes > remaining()) {
            std::ostringstream os;
            os << "file truncated while reading " << what << " at byte " << pos_ << " (needs " << bytes
               << " bytes, " << remaining() << " left)";
            bad_format(os.str());
        }
    }

    // Skips `bytes` (checked) and returns where they start.
    const uint8_t *take(uint64_t bytes, const char *what) {
        need(bytes, what);
        const uint8_t *p = here();
        pos_ += bytes;
        return p;
    }

    template <typename T>
    T read(const char *what) {
        T value;
        std::memcpy(&value, take(sizeof(T), what), sizeof(T));
        return value;
    }

    uint64_t read_count(const char *what) {
        return version_ == 1 ? read<uint32_t>(what) : read<uint64_t>(what);
    }

    // A length-prefixed string, as a view into the image.
    std::string_view read_string(const char *what) {
        uint64_t length = read_count(what);
        if (length > kMaxStringBytes) {
            std::ostringstream os;
            os << what << " at byte " << pos_ << " claims " << length << " bytes";
            bad_format(os.str());
        }
        return {reinterpret_cast<const char *>(take(length, what)), static_cast<size_t>(length)};
    }

private:
    const uint8_t *data_;
    uint64_t size_;
    uint32_t version_;
    uint64_t pos_ = 0;
};

GgufType checked_type(uint32_t raw, std::string_view key) {
    if (raw > static_cast<uint32_t>(GgufType::FLOAT64)) {
        bad_format("metadata key '" + std::string(key) + "' has unknown value type " + std::to_string(raw));
    }
    return static_cast<GgufType>(raw);
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t &out) { return __builtin_mul_overflow(a, b, &out); }

// Indices 0..n-1 sorted by name(i); the first pair of equal names, if any, goes to on_duplicate.
template <typename Name, typename OnDuplicate>
std::vector<uint32_t> sorted_index(size_t n, Name name, OnDuplicate on_duplicate) {
    std::vector<uint32_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return name(a) < name(b); });
    for (size_t i = 1; i < n; ++i)
        if (name(order[i - 1]) == name(order[i])) on_duplicate(order[i]);
    return order;
}

}  // namespace

class GgufParser {
public:
    explicit GgufParser(GgufFile &file) : f_(file), c_(file.data_, file.size_, 0) {}

    void run() {
        read_preamble();
        read_metadata();
        read_alignment();
        read_tensor_directory();
        place_tensor_data();
        keep_header();
    }

private:
    GgufFile &f_;
    Cursor c_;
    uint64_t n_tensors_ = 0, n_kv_ = 0;

    // 1. Magic, version and the two counts, each checked against the smallest entry it counts.
    void read_preamble() {
        if (f_.size_ < 8) bad_format("file too small to be GGUF (" + std::to_string(f_.size_) + " bytes)");
        uint32_t magic;
        std::memcpy(&magic, f_.data_, 4);
        if (magic != kMagic) bad_format("not a GGUF file (bad magic)");
        std::memcpy(&f_.version_, f_.data_ + 4, 4);
        if (f_.version_ < 1 || f_.version_ > 3) bad_format("unsupported GGUF version " + std::to_string(f_.version_));
        c_ = Cursor(f_.data_, f_.size_, f_.version_);
        c_.read<uint32_t>("magic");
        c_.read<uint32_t>("version");
        n_tensors_ = c_.read_count("tensor count");
        n_kv_ = c_.read_count("metadata count");
        const uint64_t w = c_.count_bytes();
        // A metadata entry: key length, type, a value of >= 1 byte. A tensor entry: name length,
        // dimension count, one dimension, type, offset.
        if (n_kv_ > c_.remaining() / (w + 4 + 1) || n_kv_ > kMaxEntries)
            bad_format("metadata count " + std::to_string(n_kv_) + " does not fit in the file");
        if (n_tensors_ > c_.remaining() / (w + 4 + w + 4 + 8) || n_tensors_ > kMaxEntries)
            bad_format("tensor count " + std::to_string(n_tensors_) + " does not fit in the file");
    }

    // 2. Metadata entries, read twice: the first pass checks them all (values are views, so it
    // allocates nothing) and refuses a count that lies before memory is sized by it; the second
    // keeps them. Then the key index, which refuses duplicates.
    void read_metadata() {
        const uint64_t start = c_.position();
        for (uint64_t i = 0; i < n_kv_; ++i) read_entry();
        c_.seek(start);
        f_.metadata_.reserve(static_cast<size_t>(n_kv_));
        for (uint64_t i = 0; i < n_kv_; ++i) f_.metadata_.push_back(read_entry());
        const auto &md = f_.metadata_;
        f_.metadata_by_key_ = sorted_index(
            md.size(), [&](uint32_t i) { return md[i].first; },
            [&](uint32_t i) { bad_format("duplicate metadata key '" + std::string(md[i].first) + "'"); });
    }

    std::pair<std::string_view, GgufValue> read_entry() {
        std::string_view key = c_.read_string("metadata key");
        GgufType type = checked_type(c_.read<uint32_t>("metadata value type"), key);
        return {key, read_value(type, key, 0)};
    }

    GgufValue read_value(GgufType type, std::string_view key, int depth) {
        GgufValue v;
        v.type_ = type;
        v.length_bytes_ = static_cast<uint8_t>(c_.count_bytes());
        if (type == GgufType::STRING) {
            std::string_view s = c_.read_string("string value");
            v.data_ = reinterpret_cast<const uint8_t *>(s.data());
            v.length_ = s.size();
        } else if (type == GgufType::ARRAY) {
            read_array(v, key, depth);
        } else {
            v.data_ = c_.take(gguf_scalar_size(type), scalar_name(type));
        }
        return v;
    }

    static const char *scalar_name(GgufType type) {
        switch (type) {
            case GgufType::BOOL: return "bool value";
            case GgufType::FLOAT32: return "f32 value";
            case GgufType::FLOAT64: return "f64 value";
            default: return "integer value";
        }
    }

    // An array: element type and count, the count checked against the bytes left (every
    // element takes at least its fixed part), then the elements walked and checked in place.
    void read_array(GgufValue &v, std::string_view key, int depth) {
        if (depth >= kMaxArrayNesting) bad_format("metadata key '" + std::string(key) + "' nests arrays too deeply");
        v.array_type_ = checked_type(c_.read<uint32_t>("array element type"), key);
        const uint64_t n = c_.read_count("array length");
        const uint64_t min_elem = v.array_type_ == GgufType::STRING  ? c_.count_bytes()
                                  : v.array_type_ == GgufType::ARRAY ? 4 + c_.count_bytes()
                                                                     : gguf_scalar_size(v.array_type_);
        if (n > c_.remaining() / min_elem) {
            std::ostringstream os;
            os << "metadata key '" << key << "': array of " << n << " " << gguf_type_name(v.array_type_)
               << " does not fit in the " << c_.remaining() << " bytes left";
            bad_format(os.str());
        }
        v.length_ = n;
        v.data_ = c_.here();
        if (v.array_type_ == GgufType::STRING) {
            for (uint64_t i = 0; i < n; ++i) c_.read_string("string array element");
        } else if (v.array_type_ == GgufType::ARRAY) {
            for (uint64_t i = 0; i < n; ++i) read_value(GgufType::ARRAY, key, depth + 1);
        } else {
            c_.take(n * min_elem, "array elements");
        }
    }

    // 3. general.alignment, which places the tensor data.
    void read_alignment() {
        const GgufValue *a = f_.find("general.alignment");
        if (!a) return;
        if (!gguf_is_integer(a->type()) || a->type() == GgufType::BOOL)
            bad_format("general.alignment is not an integer");
        const uint64_t al = a->uinteger();
        // The GGUF spec requires a multiple of 8; smaller values would place f32 tensors at
        // misaligned addresses, which the loader uses in place.
        if (al < 8 || (al & (al - 1)) != 0 || al > (1u << 20))
            bad_format("general.alignment " + std::to_string(al) + " is not a power of two between 8 and 1 MiB");
        f_.alignment_ = al;
    }

    // 4. The tensor directory: names, shapes, types, offsets, read twice like the metadata;
    // then the name index.
    void read_tensor_directory() {
        const uint64_t start = c_.position();
        for (uint64_t i = 0; i < n_tensors_; ++i) read_tensor_info();
        c_.seek(start);
        f_.tensors_.reserve(static_cast<size_t>(n_tensors_));
        for (uint64_t i = 0; i < n_tensors_; ++i) f_.tensors_.push_back(read_tensor_info());
        const auto &ts = f_.tensors_;
        f_.tensors_by_name_ = sorted_index(
            ts.size(), [&](uint32_t i) { return std::string_view(ts[i].name); },
            [&](uint32_t i) { bad_format("duplicate tensor '" + ts[i].name + "'"); });
    }

    GgufTensorInfo read_tensor_info() {
        GgufTensorInfo t;
        t.name = std::string(c_.read_string("tensor name"));
        t.n_dims = c_.read<uint32_t>("tensor dimension count");
        if (t.n_dims == 0 || t.n_dims > kMaxDims)
            bad_format("tensor '" + t.name + "' has " + std::to_string(t.n_dims) + " dimensions (1 to 4 allowed)");
        uint64_t n_elements = 1;
        for (uint32_t d = 0; d < t.n_dims; ++d) {
            uint64_t dim = c_.read_count("tensor dimension");
            if (dim == 0 || dim > (uint64_t(1) << 40))
                bad_format("tensor '" + t.name + "' has dimension " + std::to_string(d) + " of size " +
                           std::to_string(dim));
            if (mul_overflows(n_elements, dim, n_elements) || n_elements > (uint64_t(1) << 42))
                bad_format("tensor '" + t.name + "' has too many elements");
            t.dims[d] = static_cast<int64_t>(dim);
        }
        t.n_elements = n_elements;
        t.type = c_.read<uint32_t>("tensor type");
        t.offset = c_.read<uint64_t>("tensor offset");
        size_tensor(t);
        if (t.offset % f_.alignment_ != 0)
            bad_format("tensor '" + t.name + "' offset " + std::to_string(t.offset) + " is not aligned to " +
                       std::to_string(f_.alignment_));
        return t;
    }

    static void size_tensor(GgufTensorInfo &t) {
        const TensorTypeTraits *traits = tensor_type_traits(t.type);
        if (!traits) fail(LH_ERROR_UNSUPPORTED, "tensor '" + t.name + "' has unknown type id " + std::to_string(t.type));
        if (t.dims[0] % traits->block_elems != 0) {
            bad_format("tensor '" + t.name + "' of type " + traits->name + " has a row of " +
                       std::to_string(t.dims[0]) + " elements, not a multiple of the block size " +
                       std::to_string(traits->block_elems));
        }
        const uint64_t rows = t.n_elements / static_cast<uint64_t>(t.dims[0]);
        const uint64_t row_bytes = static_cast<uint64_t>(t.dims[0]) / traits->block_elems * traits->block_bytes;
        if (mul_overflows(rows, row_bytes, t.n_bytes)) bad_format("tensor '" + t.name + "' is too large");
    }

    // 5. The data section: every tensor inside the file, no two overlapping.
    void place_tensor_data() {
        const uint64_t header_end = c_.position();
        f_.data_offset_ = (header_end + f_.alignment_ - 1) / f_.alignment_ * f_.alignment_;
        if (n_tensors_ > 0 && f_.data_offset_ > f_.size_) bad_format("file ends before its tensor data section");
        const auto &ts = f_.tensors_;
        std::vector<std::pair<uint64_t, uint64_t>> spans;
        spans.reserve(ts.size());
        for (const GgufTensorInfo &t : ts) {
            uint64_t begin, end;
            if (__builtin_add_overflow(f_.data_offset_, t.offset, &begin) ||
                __builtin_add_overflow(begin, t.n_bytes, &end) || end > f_.size_) {
                std::ostringstream os;
                os << "tensor '" << t.name << "' data (offset " << t.offset << ", " << t.n_bytes
                   << " bytes) lies outside the file of " << f_.size_ << " bytes";
                bad_format(os.str());
            }
            spans.emplace_back(begin, end);
        }
        std::vector<uint32_t> order(spans.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return spans[a] < spans[b]; });
        for (size_t i = 1; i < order.size(); ++i) {
            if (spans[order[i]].first < spans[order[i - 1]].second)
                bad_format("tensors '" + ts[order[i - 1]].name + "' and '" + ts[order[i]].name + "' overlap");
        }
    }

    // 6. A private copy of the header, and the metadata views moved onto it: metadata stays
    // readable whatever happens to the file or its map.
    void keep_header() {
        const uint8_t *old_base = f_.data_;
        f_.header_.assign(old_base, old_base + c_.position());
        const uint8_t *new_base = f_.header_.data();
        auto moved = [&](const void *p) { return new_base + (static_cast<const uint8_t *>(p) - old_base); };
        for (auto &kv : f_.metadata_) {
            kv.first = std::string_view(reinterpret_cast<const char *>(moved(kv.first.data())), kv.first.size());
            if (kv.second.data_) kv.second.data_ = moved(kv.second.data_);
        }
    }
};

void GgufFile::parse() { GgufParser(*this).run(); }

}  // namespace lh
