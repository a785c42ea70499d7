// Making generated text valid UTF-8. A model can emit byte tokens (<0x80>, <0xFF>) that do not
// form characters; the stream promises valid UTF-8, so such bytes become U+FFFD, one per
// maximal invalid subpart (the Unicode recommendation, which Python's errors="replace", Java's
// and .NET's UTF-8 decoders and llama.cpp's detokenizer follow). lh_token_piece keeps the raw bytes.
#pragma once

#include <string>
#include <string_view>

namespace lh {

// `bytes` with every maximal invalid subpart replaced by U+FFFD (EF BF BD). A truncated
// character at the end counts as invalid: pass only complete text (StreamDecoder output).
std::string valid_utf8(std::string_view bytes);

}  // namespace lh
