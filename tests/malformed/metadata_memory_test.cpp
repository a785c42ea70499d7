// Metadata memory (issue 14, item 4): the heap the GGUF reader takes, counted by replacing the
// global operator new, against the size of the file, for valid files full of the shapes that
// amplify (u8 arrays, arrays of arrays, string arrays, many tiny entries) and for files whose
// counts lie. The reader must keep a valid file's metadata within kMaxRatio times its bytes (plus
// kSlack), peak included, and refuse a lie before allocating for it.
//
//   metadata_memory_test DIR      (writes its files there)
// Prints one line per file and "N passed, M failed"; exit status 1 on any failure.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"

// ---- heap accounting: live bytes and their peak, for every operator new in the process ----
namespace {
std::atomic<uint64_t> g_live{0}, g_peak{0};
constexpr size_t kHeader = 16;  // keeps the payload 16-byte aligned

void *counted_alloc(size_t n) {
    void *p = std::malloc(n + kHeader);
    if (!p) throw std::bad_alloc();
    std::memcpy(p, &n, sizeof n);
    uint64_t live = g_live.fetch_add(n) + n;
    uint64_t peak = g_peak.load();
    while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
    }
    return static_cast<char *>(p) + kHeader;
}

void counted_free(void *q) {
    if (!q) return;
    char *p = static_cast<char *>(q) - kHeader;
    size_t n;
    std::memcpy(&n, p, sizeof n);
    g_live.fetch_sub(n);
    std::free(p);
}
}  // namespace

void *operator new(size_t n) { return counted_alloc(n); }
void *operator new[](size_t n) { return counted_alloc(n); }
void operator delete(void *p) noexcept { counted_free(p); }
void operator delete[](void *p) noexcept { counted_free(p); }
void operator delete(void *p, size_t) noexcept { counted_free(p); }
void operator delete[](void *p, size_t) noexcept { counted_free(p); }

namespace {

constexpr double kMaxRatio = 6.0;          // heap / file bytes, for valid files
constexpr uint64_t kSlack = 1u << 20;      // fixed allowance (indices of small files, messages)
constexpr uint64_t kLieAllowance = 1u << 20;  // a lying file: refused before allocating for it

int g_passed = 0, g_failed = 0;

void expect(bool ok, const std::string &what) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    }
}

// ---- a minimal GGUF v3 / v1 writer ----
class Writer {
public:
    explicit Writer(uint32_t version = 3) : version_(version) {}
    void count(uint64_t n) {
        if (version_ == 1) put<uint32_t>(static_cast<uint32_t>(n));
        else put<uint64_t>(n);
    }
    void str(const std::string &s) {
        count(s.size());
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    template <typename T>
    void put(T v) {
        const size_t at = bytes.size();
        bytes.resize(at + sizeof v);
        std::memcpy(bytes.data() + at, &v, sizeof v);
    }
    void type(lh::GgufType t) { put<uint32_t>(static_cast<uint32_t>(t)); }
    // Header with no tensors and n_kv metadata entries (the caller writes them).
    void begin(uint64_t n_kv) {
        put<uint32_t>(0x46554747);
        put<uint32_t>(version_);
        count(0);
        count(n_kv);
    }
    void key(const std::string &k, lh::GgufType t) {
        str(k);
        type(t);
    }
    std::vector<uint8_t> bytes;

private:
    uint32_t version_;
};

std::string write_file(const std::string &dir, const std::string &name, const std::vector<uint8_t> &bytes) {
    const std::string path = dir + "/" + name + ".gguf";
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

struct Measured {
    bool loaded = false;
    std::string error;
    uint64_t peak = 0;      // heap peak during open, above what was live before
    uint64_t retained = 0;  // heap held by the open file afterwards
    size_t n_metadata = 0;
    double seconds = 0;
};

Measured measure(const std::string &path) {
    Measured m;
    const uint64_t before = g_live.load();
    g_peak.store(before);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        std::unique_ptr<lh::GgufFile> f = lh::GgufFile::open(path);
        m.retained = g_live.load() - before;
        m.n_metadata = f->metadata().size();
        m.loaded = true;
    } catch (const lh::Error &e) {
        m.error = e.what();
    } catch (const std::bad_alloc &) {
        m.error = "std::bad_alloc";
    }
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.peak = g_peak.load() - before;
    return m;
}

void report(const std::string &name, uint64_t file_bytes, const Measured &m) {
    std::printf("%-28s %10llu bytes: %s, heap peak %llu (%.2fx), retained %llu (%.2fx), %.2f s%s%s\n", name.c_str(),
                static_cast<unsigned long long>(file_bytes), m.loaded ? "loaded" : "refused",
                static_cast<unsigned long long>(m.peak), double(m.peak) / double(file_bytes),
                static_cast<unsigned long long>(m.retained), double(m.retained) / double(file_bytes), m.seconds,
                m.error.empty() ? "" : ": ", m.error.substr(0, 160).c_str());
}

void check_valid(const std::string &dir, const std::string &name, const Writer &w, size_t n_kv) {
    const std::string path = write_file(dir, name, w.bytes);
    const uint64_t size = w.bytes.size();
    Measured m = measure(path);
    report(name, size, m);
    expect(m.loaded, name + ": a valid file was refused: " + m.error);
    expect(m.n_metadata == n_kv, name + ": " + std::to_string(m.n_metadata) + " metadata entries, want " +
                                     std::to_string(n_kv));
    const double bound = kMaxRatio * double(size) + double(kSlack);
    expect(double(m.peak) <= bound, name + ": heap peak " + std::to_string(m.peak) + " bytes is over " +
                                        std::to_string(kMaxRatio) + " x the file + 1 MiB");
    expect(double(m.retained) <= bound, name + ": retained heap " + std::to_string(m.retained) + " bytes is over " +
                                            std::to_string(kMaxRatio) + " x the file + 1 MiB");
}

void check_lie(const std::string &dir, const std::string &name, const Writer &w, const char *message) {
    const std::string path = write_file(dir, name, w.bytes);
    Measured m = measure(path);
    report(name, w.bytes.size(), m);
    expect(!m.loaded, name + ": a lying file was accepted");
    expect(m.error.find(message) != std::string::npos, name + ": message lacks '" + message + "': " + m.error);
    expect(m.peak <= kLieAllowance, name + ": heap peak " + std::to_string(m.peak) + " bytes before the refusal");
}

// Valid: one big u8 array (a u8 element must not become 8 bytes).
void u8_array(const std::string &dir, uint64_t bytes) {
    Writer w;
    w.begin(1);
    w.key("big.u8", lh::GgufType::ARRAY);
    w.type(lh::GgufType::UINT8);
    w.count(bytes);
    w.bytes.resize(w.bytes.size() + bytes, 7);
    check_valid(dir, "valid_u8_array", w, 1);
}

// Valid: an array of many small arrays (an element must not become a 168-byte value).
void nested_arrays(const std::string &dir, uint64_t n) {
    Writer w;
    w.begin(1);
    w.key("big.nested", lh::GgufType::ARRAY);
    w.type(lh::GgufType::ARRAY);
    w.count(n);
    for (uint64_t i = 0; i < n; ++i) {
        w.type(lh::GgufType::UINT8);
        w.count(1);
        w.put<uint8_t>(static_cast<uint8_t>(i));
    }
    check_valid(dir, "valid_nested_arrays", w, 1);
}

// Valid: a string array of short strings.
void string_array(const std::string &dir, uint64_t n) {
    Writer w;
    w.begin(1);
    w.key("big.strings", lh::GgufType::ARRAY);
    w.type(lh::GgufType::STRING);
    w.count(n);
    for (uint64_t i = 0; i < n; ++i) w.str(std::to_string(i % 10000));
    check_valid(dir, "valid_string_array", w, 1);
}

// Valid: many tiny entries (u8 values under short distinct keys), in v3 and v1.
void tiny_entries(const std::string &dir, uint32_t version, uint64_t n) {
    Writer w(version);
    w.begin(n);
    for (uint64_t i = 0; i < n; ++i) {
        w.key(std::to_string(i), lh::GgufType::UINT8);
        w.put<uint8_t>(1);
    }
    check_valid(dir, "valid_tiny_entries_v" + std::to_string(version), w, n);
}

// Valid: all of the above in one 22 MB file.
void mixed(const std::string &dir) {
    Writer w;
    const uint64_t n_nested = 400000, n_strings = 400000, n_tiny = 150000;
    w.begin(3 + n_tiny);
    w.key("mix.u8", lh::GgufType::ARRAY);
    w.type(lh::GgufType::UINT8);
    w.count(8u << 20);
    w.bytes.resize(w.bytes.size() + (8u << 20), 1);
    w.key("mix.nested", lh::GgufType::ARRAY);
    w.type(lh::GgufType::ARRAY);
    w.count(n_nested);
    for (uint64_t i = 0; i < n_nested; ++i) {
        w.type(lh::GgufType::INT16);
        w.count(0);
    }
    w.key("mix.strings", lh::GgufType::ARRAY);
    w.type(lh::GgufType::STRING);
    w.count(n_strings);
    for (uint64_t i = 0; i < n_strings; ++i) w.str("tok" + std::to_string(i % 1000));
    for (uint64_t i = 0; i < n_tiny; ++i) {
        w.key("k" + std::to_string(i), lh::GgufType::INT32);
        w.put<int32_t>(static_cast<int32_t>(i));
    }
    check_valid(dir, "valid_mixed", w, 3 + n_tiny);
}

// Lie: an array of arrays whose count is as large as the bytes left allow at 12 bytes (type and
// count) per element, in a file of `bytes`; the elements are not there.
void nested_count_lie(const std::string &dir, uint64_t bytes) {
    Writer w;
    w.begin(1);
    w.key("lie.nested", lh::GgufType::ARRAY);
    w.type(lh::GgufType::ARRAY);
    const uint64_t left = bytes - w.bytes.size() - 8;
    w.count(left / 12);
    w.bytes.resize(bytes, 0xFF);  // element types 0xFFFFFFFF: unknown
    check_lie(dir, "lie_nested_count", w, "lie.nested");
}

// Lie: a u8 array of arrays, each claiming many u8 elements that are not there.
void inner_count_lie(const std::string &dir, uint64_t bytes) {
    Writer w;
    w.begin(1);
    w.key("lie.inner", lh::GgufType::ARRAY);
    w.type(lh::GgufType::ARRAY);
    w.count(4);
    w.type(lh::GgufType::UINT8);
    w.count(bytes);  // more than the file holds
    w.bytes.resize(bytes, 0);
    check_lie(dir, "lie_inner_count", w, "does not fit");
}

// Lie: a metadata count far above the entries present.
void kv_count_lie(const std::string &dir, uint64_t bytes) {
    Writer w;
    const uint64_t n_real = 1000;
    w.begin(bytes / 14);  // the most entries this many bytes could hold
    for (uint64_t i = 0; i < n_real; ++i) {
        w.key("k" + std::to_string(i), lh::GgufType::UINT8);
        w.put<uint8_t>(1);
    }
    w.key("pad", lh::GgufType::STRING);
    const uint64_t pad = bytes - w.bytes.size() - 8;
    w.count(pad);
    w.bytes.resize(bytes, 'x');
    check_lie(dir, "lie_metadata_count", w, "truncated");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: metadata_memory_test DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    u8_array(dir, 16u << 20);
    nested_arrays(dir, 1u << 20);
    string_array(dir, 1u << 20);
    tiny_entries(dir, 3, 1u << 19);
    tiny_entries(dir, 1, 1u << 19);
    mixed(dir);
    nested_count_lie(dir, 8u << 20);
    inner_count_lie(dir, 8u << 20);
    kv_count_lie(dir, 8u << 20);
    std::printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
