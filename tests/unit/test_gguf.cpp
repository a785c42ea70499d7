// GGUF reader: the shared models in v1 and v3, hand-built files, and every way to break one.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"

using namespace lh;

namespace {

// Minimal GGUF image writer for these tests (v2/v3 use 64-bit counts, v1 32-bit).
struct Image {
    uint32_t version = 3;
    std::vector<uint8_t> bytes;
    template <typename T>
    void put(T v) {
        const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
        bytes.insert(bytes.end(), p, p + sizeof v);
    }
    void count(uint64_t n) {
        if (version == 1) put<uint32_t>(static_cast<uint32_t>(n));
        else put<uint64_t>(n);
    }
    void str(const std::string &s) {
        count(s.size());
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void header(uint64_t n_tensors, uint64_t n_kv) {
        put<uint32_t>(0x46554747);
        put<uint32_t>(version);
        count(n_tensors);
        count(n_kv);
    }
    void pad_to(uint64_t alignment) {
        while (bytes.size() % alignment) bytes.push_back(0);
    }
};

// A file with a few metadata values of every kind and two f32 tensors.
Image sample(uint32_t version) {
    Image im;
    im.version = version;
    im.header(2, 5);
    im.str("general.architecture");
    im.put<uint32_t>(8);
    im.str("llama");
    im.str("answer");
    im.put<uint32_t>(5);
    im.put<int32_t>(-42);
    im.str("pi");
    im.put<uint32_t>(12);
    im.put<double>(3.25);
    im.str("flag");
    im.put<uint32_t>(7);
    im.put<uint8_t>(1);
    im.str("words");
    im.put<uint32_t>(9);
    im.put<uint32_t>(8);
    im.count(3);
    im.str("a");
    im.str("bb");
    im.str("");
    // tensor infos
    im.str("t0");
    im.put<uint32_t>(2);
    im.count(4);
    im.count(2);
    im.put<uint32_t>(0);
    im.put<uint64_t>(0);
    im.str("t1");
    im.put<uint32_t>(1);
    im.count(3);
    im.put<uint32_t>(0);
    im.put<uint64_t>(32);
    im.pad_to(32);
    for (int i = 0; i < 8; ++i) im.put<float>(float(i));
    for (int i = 0; i < 3; ++i) im.put<float>(10.0f + i);
    return im;
}

lh_status status_of(const std::vector<uint8_t> &bytes) {
    try {
        GgufFile::from_bytes(bytes.data(), bytes.size());
        return LH_OK;
    } catch (const Error &e) {
        return e.status();
    }
}

std::string message_of(const std::vector<uint8_t> &bytes) {
    try {
        GgufFile::from_bytes(bytes.data(), bytes.size());
        return "";
    } catch (const Error &e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("hand-built GGUF files parse in every version", "[gguf]") {
    for (uint32_t version : {1u, 2u, 3u}) {
        Image im = sample(version);
        auto f = GgufFile::from_bytes(im.bytes.data(), im.bytes.size());
        CHECK(f->version() == version);
        CHECK(f->get_string("general.architecture") == "llama");
        CHECK(f->get_int("answer", 0) == -42);
        CHECK(f->get_float("pi", 0) == 3.25);
        CHECK(f->get_bool("flag", false));
        REQUIRE(f->find("words") != nullptr);
        CHECK(f->find("words")->strings() == std::vector<std::string>{"a", "bb", ""});
        CHECK(GgufFile::render(*f->find("words")) == "[array of 3 string]");
        REQUIRE(f->tensors().size() == 2);
        const GgufTensorInfo *t1 = f->find_tensor("t1");
        REQUIRE(t1);
        CHECK(t1->n_elements == 3);
        float v;
        std::memcpy(&v, f->tensor_data(*t1) + 4, 4);
        CHECK(v == 11.0f);
        CHECK(f->get_int("missing", 7) == 7);
        CHECK_THROWS_AS(f->require_int("missing"), Error);
        CHECK_THROWS_AS(f->get_int("general.architecture", 0), Error);
    }
}

TEST_CASE("every truncation of a GGUF file is refused cleanly", "[gguf]") {
    Image im = sample(3);
    for (size_t n = 0; n < im.bytes.size(); ++n) {
        std::vector<uint8_t> cut(im.bytes.begin(), im.bytes.begin() + n);
        INFO("truncated to " << n << " bytes");
        CHECK(status_of(cut) == LH_ERROR_BAD_FORMAT);
    }
    CHECK(status_of(im.bytes) == LH_OK);
}

TEST_CASE("corrupt GGUF headers give specific messages", "[gguf]") {
    Image im = sample(3);
    SECTION("bad magic") {
        im.bytes[0] = 'X';
        CHECK(message_of(im.bytes).find("bad magic") != std::string::npos);
    }
    SECTION("unknown version") {
        im.bytes[4] = 9;
        CHECK(message_of(im.bytes).find("version 9") != std::string::npos);
    }
    SECTION("tensor count near 2^64") {
        uint64_t huge = ~uint64_t(0) - 3;
        std::memcpy(&im.bytes[8], &huge, 8);
        CHECK(message_of(im.bytes).find("tensor count") != std::string::npos);
    }
    SECTION("metadata count near 2^64") {
        uint64_t huge = ~uint64_t(0);
        std::memcpy(&im.bytes[16], &huge, 8);
        CHECK(message_of(im.bytes).find("metadata count") != std::string::npos);
    }
    SECTION("string length near 2^64") {
        uint64_t huge = ~uint64_t(0) - 1;
        std::memcpy(&im.bytes[24], &huge, 8);  // length of the first key
        CHECK(status_of(im.bytes) == LH_ERROR_BAD_FORMAT);
    }
}

TEST_CASE("tensor directory errors are caught", "[gguf]") {
    auto one_tensor = [](uint32_t type, uint64_t dim0, uint64_t offset, uint64_t data_bytes, uint32_t n_dims = 1) {
        Image im;
        im.header(1, 0);
        im.str("w");
        im.put<uint32_t>(n_dims);
        for (uint32_t d = 0; d < n_dims; ++d) im.count(d == 0 ? dim0 : 0);
        im.put<uint32_t>(type);
        im.put<uint64_t>(offset);
        im.pad_to(32);
        im.bytes.resize(im.bytes.size() + data_bytes);
        return im.bytes;
    };
    CHECK(status_of(one_tensor(0, 8, 0, 32)) == LH_OK);
    CHECK(message_of(one_tensor(0, 8, 0, 31)).find("outside the file") != std::string::npos);
    CHECK(message_of(one_tensor(0, 8, 64, 32)).find("outside the file") != std::string::npos);
    CHECK(message_of(one_tensor(0, 8, 4, 64)).find("not aligned") != std::string::npos);
    CHECK(message_of(one_tensor(0, 8, ~uint64_t(0) - 31, 32)).find("outside the file") != std::string::npos);
    CHECK(status_of(one_tensor(999, 8, 0, 32)) == LH_ERROR_UNSUPPORTED);
    CHECK(message_of(one_tensor(999, 8, 0, 32)).find("'w'") != std::string::npos);
    CHECK(message_of(one_tensor(8 /* q8_0 */, 20, 0, 64)).find("block size") != std::string::npos);
    CHECK(message_of(one_tensor(0, 8, 0, 32, 5)).find("dimensions") != std::string::npos);
    CHECK(message_of(one_tensor(0, 8, 0, 32, 2)).find("dimension 1 of size 0") != std::string::npos);

    // Two tensors sharing bytes.
    Image im;
    im.header(2, 0);
    for (const char *name : {"a", "b"}) {
        im.str(name);
        im.put<uint32_t>(1);
        im.count(16);
        im.put<uint32_t>(0);
        im.put<uint64_t>(std::string(name) == "a" ? 0 : 32);
    }
    im.pad_to(32);
    im.bytes.resize(im.bytes.size() + 96);
    CHECK(message_of(im.bytes).find("overlap") != std::string::npos);
}

TEST_CASE("the shared stories260K model reads in GGUF v1 and v3 alike", "[gguf][model]") {
    std::string dir = std::string(LH_SHARED_DIR) + "/models/";
    auto v3 = GgufFile::open(dir + "stories260K.gguf");
    auto v1 = GgufFile::open(dir + "stories260K-gguf-v1.gguf");
    CHECK(v3->version() == 3);
    CHECK(v1->version() == 1);
    CHECK(v3->get_string("general.architecture") == "llama");
    CHECK(v3->get_int("llama.context_length", 0) == 512);
    REQUIRE(v3->tensors().size() == v1->tensors().size());
    for (size_t i = 0; i < v3->tensors().size(); ++i) {
        const auto &a = v3->tensors()[i];
        const auto &b = v1->tensors()[i];
        CHECK(a.name == b.name);
        CHECK(a.n_bytes == b.n_bytes);
        CHECK(std::memcmp(v3->tensor_data(a), v1->tensor_data(b), a.n_bytes) == 0);
    }
    CHECK(v3->find("tokenizer.ggml.tokens")->array_length() == 512);
    CHECK(v3->find("tokenizer.ggml.tokens")->strings().size() == 512);
}

TEST_CASE("opening a missing file is an IO error naming the path", "[gguf]") {
    try {
        GgufFile::open("/nonexistent/model.gguf");
        FAIL("no error");
    } catch (const Error &e) {
        CHECK(e.status() == LH_ERROR_IO);
        CHECK(std::string(e.what()).find("/nonexistent/model.gguf") != std::string::npos);
    }
}
