// JSON for --json output and --tokens-file input (nlohmann/json, keys in insertion order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cli {

using Json = nlohmann::ordered_json;
// Numbers kept as float: logits print with float's 9 significant digits, not double's 17.
using JsonF32 = nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool, std::int64_t,
                                     std::uint64_t, float>;

// One line on stdout. Bytes that are not UTF-8 (a lone byte token) become U+FFFD.
void print_json(const Json &value);
void print_json(const JsonF32 &value);

// The double whose JSON text is the shortest that reads back as `value` (1e-05, not
// 9.999999747378752e-06), for single float fields in a Json document.
double shortest(float value);

// A JSON string literal for `text` (same replacement), for text output.
std::string json_quoted(const std::string &text);

// The token ids of a JSON array of integers; throws Failure naming `source` otherwise.
std::vector<int32_t> parse_token_ids(const std::string &text, const std::string &source);

}  // namespace cli
