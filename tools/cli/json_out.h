// Tiny JSON helpers for the CLI's --json output (strings escaped, floats round-trippable).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cli {

std::string json_string(const std::string &s);
std::string json_number(double v);
std::string json_ints(const std::vector<int32_t> &v);
std::string json_floats(const float *v, size_t n);
// Parses a JSON array of integers ("[1, 2, 3]"); false if it is anything else.
bool parse_int_array(const std::string &text, std::vector<int32_t> &out);

}  // namespace cli
