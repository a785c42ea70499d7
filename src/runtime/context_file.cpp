#include "runtime/context_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <new>

#include "common/error.h"
#include "common/hash64.h"

namespace lh {

namespace {

constexpr unsigned char kMagic[8] = {'L', 'H', 'C', 'T', 'X', '\r', '\n', 0x1a};
constexpr size_t kHeaderHashAt = kContextFileHeaderBytes - 8;

std::string errno_text() { return std::strerror(errno); }

// The payload is raw memory in the host's byte order; the header says which.
uint32_t host_is_little_endian() {
    const uint32_t one = 1;
    unsigned char first;
    std::memcpy(&first, &one, 1);
    return first == 1 ? 1u : 0u;
}

// Fixed-width little-endian fields after the magic, in the order of header_fields().
struct PutField {
    unsigned char *p;
    size_t at = sizeof kMagic;
    template <class T> void operator()(T &v) {
        const uint64_t u = static_cast<uint64_t>(v);
        for (size_t i = 0; i < sizeof(T); ++i) p[at + i] = static_cast<unsigned char>(u >> (8 * i));
        at += sizeof(T);
    }
};
struct GetField {
    const unsigned char *p;
    size_t at = sizeof kMagic;
    template <class T> void operator()(T &v) {
        uint64_t u = 0;
        for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<uint64_t>(p[at + i]) << (8 * i);
        v = static_cast<T>(u);
        at += sizeof(T);
    }
};

// The one description of the header layout (docs/CONTEXT_FILE.md), used both ways.
template <class Io> void header_fields(ContextFileHeader &h, uint32_t &header_bytes, uint32_t &little_endian, Io &io) {
    io(h.version);
    io(header_bytes);
    io(little_endian);
    io(h.payload_bytes);
    io(h.payload_hash);
    io(h.model_fingerprint);
    for (int32_t *f : {&h.precision, &h.n_vocab, &h.n_layer, &h.n_head, &h.n_head_kv, &h.head_dim, &h.attention,
                       &h.chunk_size, &h.attn_len, &h.begin_len, &h.n_sinks, &h.prefill_mode, &h.kv_type,
                       &h.chunk_score, &h.local_chunks, &h.allow_attn_len_over_trained, &h.n_ctx, &h.n_batch, &h.n_past,
                       &h.n_logits})
        io(*f);
}

void encode_header(ContextFileHeader h, unsigned char *out) {
    std::memset(out, 0, kContextFileHeaderBytes);
    std::memcpy(out, kMagic, sizeof kMagic);
    uint32_t header_bytes = kContextFileHeaderBytes, byte_order = host_is_little_endian();
    PutField put{out};
    header_fields(h, header_bytes, byte_order, put);
    PutField hash_field{out, kHeaderHashAt};
    uint64_t hash = hash64(out, kHeaderHashAt);
    hash_field(hash);
}

// A file descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void write_all(int fd, const unsigned char *p, uint64_t n, const std::string &path) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, static_cast<size_t>(std::min<uint64_t>(n, 1u << 30)));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail(LH_ERROR_IO, "cannot write '" + path + "': " + (w < 0 ? errno_text() : "no space written"));
        p += w;
        n -= static_cast<uint64_t>(w);
    }
}

// Writes many small regions with few system calls.
class BufferedWriter {
public:
    BufferedWriter(int fd, const std::string &path) : fd_(fd), path_(path) { buf_.reserve(kSize); }
    void write(const unsigned char *p, uint64_t n) {
        if (n >= kSize) {
            flush();
            write_all(fd_, p, n, path_);
            return;
        }
        if (buf_.size() + n > kSize) flush();
        buf_.insert(buf_.end(), p, p + n);
    }
    void flush() {
        write_all(fd_, buf_.data(), buf_.size(), path_);
        buf_.clear();
    }

private:
    static constexpr size_t kSize = 1 << 16;
    int fd_;
    const std::string &path_;
    std::vector<unsigned char> buf_;
};

std::string temp_path_for(const std::string &path) {
    static std::atomic<uint64_t> counter{0};
    return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

void write_context_file(const std::string &path, ContextFileHeader header, const kv::StateRegions &payload) {
    Hash64 hash;
    header.payload_bytes = 0;
    for (const kv::StateRegion &r : payload) {
        hash.update(r.data, static_cast<size_t>(r.bytes));
        header.payload_bytes += r.bytes;
    }
    header.payload_hash = hash.digest();
    unsigned char head[kContextFileHeaderBytes];
    encode_header(header, head);

    const std::string tmp = temp_path_for(path);
    Fd out;
    out.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out.fd < 0) fail(LH_ERROR_IO, "cannot create '" + tmp + "' to save the context: " + errno_text());
    try {
        BufferedWriter w(out.fd, tmp);
        w.write(head, sizeof head);
        for (const kv::StateRegion &r : payload) w.write(r.data, r.bytes);
        w.flush();
        const int fd = out.fd;
        out.fd = -1;
        if (::close(fd) != 0) fail(LH_ERROR_IO, "cannot write '" + tmp + "': " + errno_text());
        if (::rename(tmp.c_str(), path.c_str()) != 0)
            fail(LH_ERROR_IO, "cannot rename '" + tmp + "' to '" + path + "': " + errno_text());
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
}

std::unique_ptr<ContextFile> ContextFile::open(const std::string &path) {
    std::unique_ptr<ContextFile> f(new ContextFile);
    f->path_ = path;
    Fd in;
    in.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (in.fd < 0) fail(LH_ERROR_IO, "cannot open context file '" + path + "': " + errno_text());
    struct stat st;
    if (::fstat(in.fd, &st) != 0) fail(LH_ERROR_IO, "cannot stat '" + path + "': " + errno_text());
    if (!S_ISREG(st.st_mode)) fail(LH_ERROR_IO, "'" + path + "' is not a regular file");
    f->size_ = static_cast<uint64_t>(st.st_size);
    const std::string what = "'" + path + "' is not a longheads context file: ";
    if (f->size_ < kContextFileHeaderBytes)
        fail(LH_ERROR_BAD_FORMAT, what + "it has " + std::to_string(f->size_) + " bytes, less than the " +
                                      std::to_string(kContextFileHeaderBytes) + "-byte header (truncated?)");
    void *m = ::mmap(nullptr, static_cast<size_t>(f->size_), PROT_READ, MAP_PRIVATE, in.fd, 0);
    if (m != MAP_FAILED) {
        f->mapping_ = m;
        f->base_ = static_cast<const unsigned char *>(m);
        ::madvise(m, static_cast<size_t>(f->size_), MADV_SEQUENTIAL);
    } else {  // e.g. a file system without mmap: read it
        ::fcntl(in.fd, F_SETFL, 0);
        f->copy_.resize(static_cast<size_t>(f->size_));
        uint64_t got = 0;
        while (got < f->size_) {
            const ssize_t r = ::read(in.fd, f->copy_.data() + got, static_cast<size_t>(f->size_ - got));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) fail(LH_ERROR_IO, "cannot read '" + path + "': " + (r < 0 ? errno_text() : "file shrank"));
            got += static_cast<uint64_t>(r);
        }
        f->base_ = f->copy_.data();
    }

    const unsigned char *b = f->base_;
    if (std::memcmp(b, kMagic, sizeof kMagic) != 0) fail(LH_ERROR_BAD_FORMAT, what + "wrong magic bytes");
    ContextFileHeader &h = f->header_;
    uint32_t header_bytes = 0, byte_order = 0;
    GetField get{b};
    header_fields(h, header_bytes, byte_order, get);
    if (h.version != kContextFileVersion)
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path + "' has format version " + std::to_string(h.version) +
                                      "; this longheads reads version " + std::to_string(kContextFileVersion) +
                                      (h.version > kContextFileVersion ? " (saved by a newer longheads)" : ""));
    uint64_t stored_hash = 0;
    GetField hash_field{b, kHeaderHashAt};
    hash_field(stored_hash);
    if (header_bytes != kContextFileHeaderBytes || stored_hash != hash64(b, kHeaderHashAt))
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path + "' is damaged: its header does not match its checksum");
    if (byte_order != host_is_little_endian())
        fail(LH_ERROR_UNSUPPORTED, "context file '" + path + "' was saved on a machine of the other byte order");
    const uint64_t have = f->size_ - kContextFileHeaderBytes;
    if (h.payload_bytes != have)
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path + "' is damaged: " + std::to_string(have) +
                                      " bytes follow the header, the header announces " +
                                      std::to_string(h.payload_bytes) + (have < h.payload_bytes ? " (truncated)" : ""));
    const bool sane = h.n_ctx > 0 && h.n_past >= 0 && h.n_past <= h.n_ctx && (h.n_logits == 0 || h.n_logits == 1) &&
                      (h.n_logits == 0 || h.n_past > 0) && h.n_vocab > 0 && h.n_layer > 0 && h.n_head > 0 &&
                      h.n_head_kv > 0 && h.head_dim > 0 && h.n_batch > 0;
    if (!sane)
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path + "' is damaged: inconsistent counts (n_ctx " +
                                      std::to_string(h.n_ctx) + ", tokens " + std::to_string(h.n_past) + ", logits " +
                                      std::to_string(h.n_logits) + ")");
    return f;
}

ContextFile::~ContextFile() {
    if (mapping_) ::munmap(mapping_, static_cast<size_t>(size_));
}

void ContextFile::verify_payload() const {
    if (hash64(payload(), static_cast<size_t>(header_.payload_bytes)) != header_.payload_hash)
        fail(LH_ERROR_BAD_FORMAT, "context file '" + path_ + "' is damaged: its contents do not match their checksum");
}

}  // namespace lh
