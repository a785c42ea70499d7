// The model loader on whole files: mutated small GGUF models (shapes that disagree with the
// metadata, odd tensor types, vocabularies) through Model::from_file, then a tiny evaluation.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try {
        std::unique_ptr<lh::GgufFile> file = lh::GgufFile::from_bytes(data, size);
        lh_fuzz::exercise_model(std::move(file), size % 5 == 1);
    } catch (const lh::Error &) {
    }
    return 0;
}
