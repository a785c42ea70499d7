// GgufFile: getting the file's bytes (a memory map, or a copy read into memory), watching a
// mapped file for changes, and the lookups over what GgufParser (gguf_parse.cpp) found.
#include "gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "common/error.h"

namespace lh {

namespace {

[[noreturn]] void bad_format(const std::string &message) { fail(LH_ERROR_BAD_FORMAT, message); }

int64_t mtime_ns(const struct stat &st) {
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Reads the whole of fd into an anonymous private mapping (so release_pages can give converted
// tensors' pages back), then makes it read-only.
void *read_into_memory(int fd, uint64_t size, const std::string &path) {
    void *m = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        fail(LH_ERROR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(size) + " bytes to read '" + path +
                                         "' into memory: " + std::strerror(errno));
    }
    uint64_t done = 0;
    while (done < size) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, 1u << 30));
        ssize_t got = pread(fd, static_cast<uint8_t *>(m) + done, chunk, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            const std::string why = got < 0 ? std::strerror(errno) : "the file became shorter while it was read";
            munmap(m, size);
            fail(LH_ERROR_IO, "cannot read '" + path + "': " + why);
        }
        done += static_cast<uint64_t>(got);
    }
    mprotect(m, size, PROT_READ);
    return m;
}

}  // namespace

std::unique_ptr<GgufFile> GgufFile::open(const std::string &path, bool use_mmap) {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever; the type check
    // below then refuses it (and anything else that is not a regular file).
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) fail(LH_ERROR_IO, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        fail(LH_ERROR_IO, "'" + path + "' is not a regular file");
    }
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->path_ = path;
    file->size_ = static_cast<uint64_t>(st.st_size);
    try {
        if (file->size_ > 0 && use_mmap) {
            void *m = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) fail(LH_ERROR_IO, "cannot map '" + path + "': " + std::strerror(errno));
            file->mapping_ = m;
            file->fd_ = fd;  // kept: check_unchanged() looks at it
            file->mtime_ns_ = mtime_ns(st);
            fd = -1;
        } else if (file->size_ > 0) {
            file->mapping_ = read_into_memory(fd, file->size_, path);
        }
        if (fd >= 0) ::close(fd);
        fd = -1;
        file->data_ = static_cast<const uint8_t *>(file->mapping_);
        file->parse();
    } catch (const Error &e) {
        if (fd >= 0) ::close(fd);
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
    if (fd_ >= 0) ::close(fd_);
}

void GgufFile::check_unchanged() const {
    if (fd_ < 0) return;
    struct stat st {};
    if (fstat(fd_, &st) != 0) fail(LH_ERROR_IO, "cannot check model file '" + path_ + "': " + std::strerror(errno));
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size == size_ && mtime_ns(st) == mtime_ns_) return;
    std::string what = size != size_ ? "its size went from " + std::to_string(size_) + " to " + std::to_string(size) +
                                           " bytes"
                                     : "it was rewritten (modification time changed)";
    fail(LH_ERROR_IO, "model file '" + path_ + "' changed after it was loaded: " + what +
                          "; the weights read from its memory map are no longer valid. Load the model again "
                          "(use_mmap = 0 reads the weights into memory and does not depend on the file)");
}

const GgufValue *GgufFile::find(std::string_view key) const {
    auto it = std::lower_bound(metadata_by_key_.begin(), metadata_by_key_.end(), key,
                               [&](uint32_t i, std::string_view k) { return metadata_[i].first < k; });
    if (it == metadata_by_key_.end() || metadata_[*it].first != key) return nullptr;
    return &metadata_[*it].second;
}

std::string GgufFile::get_string(const std::string &key, const std::string &fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (v->type() != GgufType::STRING) bad_format("metadata key '" + key + "' is not a string");
    return std::string(v->string());
}

int64_t GgufFile::get_int(const std::string &key, int64_t fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (!gguf_is_integer(v->type()) || v->type() == GgufType::BOOL)
        bad_format("metadata key '" + key + "' is not an integer (it is " + gguf_type_name(v->type()) + ")");
    if (v->type() == GgufType::UINT64 && v->uinteger() > uint64_t(std::numeric_limits<int64_t>::max()))
        bad_format("metadata key '" + key + "' is out of range");
    return v->integer();
}

double GgufFile::get_float(const std::string &key, double fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (gguf_is_real(v->type())) return v->real();
    if (gguf_is_integer(v->type()) && v->type() != GgufType::BOOL) return static_cast<double>(v->integer());
    bad_format("metadata key '" + key + "' is not a number (it is " + gguf_type_name(v->type()) + ")");
}

bool GgufFile::get_bool(const std::string &key, bool fallback) const {
    const GgufValue *v = find(key);
    if (!v) return fallback;
    if (!gguf_is_integer(v->type())) bad_format("metadata key '" + key + "' is not a bool");
    return v->integer() != 0;
}

int64_t GgufFile::require_int(const std::string &key) const {
    if (!find(key)) bad_format("missing metadata key '" + key + "'");
    return get_int(key, 0);
}

const GgufTensorInfo *GgufFile::find_tensor(std::string_view name) const {
    auto it = std::lower_bound(tensors_by_name_.begin(), tensors_by_name_.end(), name,
                               [&](uint32_t i, std::string_view n) { return std::string_view(tensors_[i].name) < n; });
    if (it == tensors_by_name_.end() || tensors_[*it].name != name) return nullptr;
    return &tensors_[*it];
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

}  // namespace lh
