#include "json_out.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace cli {

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string json_ints(const std::vector<int32_t> &v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(v[i]);
    }
    return out + "]";
}

std::string json_floats(const float *v, size_t n) {
    std::string out = "[";
    for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        out += json_number(v[i]);
    }
    return out + "]";
}

bool parse_int_array(const std::string &text, std::vector<int32_t> &out) {
    size_t i = 0;
    auto skip = [&] {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    };
    skip();
    if (i >= text.size() || text[i] != '[') return false;
    ++i;
    skip();
    if (i < text.size() && text[i] == ']') return true;
    while (i < text.size()) {
        skip();
        const char *start = text.c_str() + i;
        char *end = nullptr;
        long long v = std::strtoll(start, &end, 10);
        if (end == start || v < INT32_MIN || v > INT32_MAX) return false;
        out.push_back(static_cast<int32_t>(v));
        i += static_cast<size_t>(end - start);
        skip();
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        if (i < text.size() && text[i] == ']') {
            ++i;
            skip();
            return i == text.size();
        }
        return false;
    }
    return false;
}

}  // namespace cli
