// Whole-file fuzzing of the GGUF reader: arbitrary bytes through GgufFile::from_bytes, then
// every accessor over whatever parsed.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try {
        std::unique_ptr<lh::GgufFile> file = lh::GgufFile::from_bytes(data, size);
        lh_fuzz::exercise_file(*file);
    } catch (const lh::Error &) {
    }
    return 0;
}
