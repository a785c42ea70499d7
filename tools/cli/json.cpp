#include "json.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common.h"

namespace cli {

namespace {

template <typename J>
void print_line(const J &value) {
    std::string text = value.dump(-1, ' ', false, J::error_handler_t::replace);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void print_json(const Json &value) { print_line(value); }
void print_json(const JsonF32 &value) { print_line(value); }

double shortest(float value) {
    char buf[32];
    std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, value);
    return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

std::string json_quoted(const std::string &text) { return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace); }

std::vector<int32_t> parse_token_ids(const std::string &text, const std::string &source) {
    const std::string wrong = "'" + source + "' is not a JSON array of token ids";
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_array()) throw Failure(wrong);
    std::vector<int32_t> ids;
    ids.reserve(value.size());
    for (const Json &v : value) {
        if (!v.is_number_integer()) throw Failure(wrong);
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX)) throw Failure(wrong);
        int64_t id = v.get<int64_t>();
        if (id < std::numeric_limits<int32_t>::min() || id > std::numeric_limits<int32_t>::max()) throw Failure(wrong);
        ids.push_back(static_cast<int32_t>(id));
    }
    return ids;
}

}  // namespace cli
