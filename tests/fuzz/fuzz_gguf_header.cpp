// Header-only fuzzing: the input is a GGUF header (counts, metadata, tensor directory); a fixed
// 128 KiB of tensor data follows it, so mutated shapes, offsets and metadata reach the
// hyper-parameter, vocabulary and model checks instead of dying at "outside the file".
#include <vector>

#include "fuzz_common.h"
#include "model/hparams.h"
#include "tokenizer/vocab.h"

namespace {

const std::vector<uint8_t> &tail() {
    static const std::vector<uint8_t> t = [] {
        std::vector<uint8_t> v(128 * 1024);
        uint32_t x = 12345;
        for (size_t i = 0; i < v.size(); i += 4) {
            x = x * 1664525u + 1013904223u;
            // Small finite f32 values in every 4-byte slot; other types see plain bytes.
            float f = static_cast<float>(static_cast<int32_t>(x >> 8) % 2001 - 1000) * 1e-4f;
            std::memcpy(&v[i], &f, 4);
        }
        return v;
    }();
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::vector<uint8_t> image(data, data + size);
    // Pad to the default alignment so the data section starts right after the header.
    image.resize((image.size() + 31) / 32 * 32, 0);
    image.insert(image.end(), tail().begin(), tail().end());
    std::unique_ptr<lh::GgufFile> file;
    try {
        file = lh::GgufFile::from_bytes(image.data(), image.size());
    } catch (const lh::Error &) {
        return 0;
    }
    lh_fuzz::exercise_file(*file);
    try { (void)lh::HParams::from_gguf(*file); } catch (const lh::Error &) {}
    try { (void)lh::Vocab::from_gguf(*file); } catch (const lh::Error &) {}
    try {
        lh_fuzz::exercise_model(std::move(file), size % 7 == 3);
    } catch (const lh::Error &) {
    }
    return 0;
}
