// A small JSON reader for test fixtures (reference outputs). Strict enough for well-formed
// files; throws std::runtime_error on malformed input. Strings are decoded to UTF-8 (\uXXXX
// escapes incl. surrogate pairs).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace json_mini {

struct Value {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0.0;
    std::string string;
    std::vector<Value> array;
    std::vector<std::pair<std::string, Value>> object;

    bool is_null() const { return type == Type::Null; }
    size_t size() const { return type == Type::Array ? array.size() : object.size(); }
    bool has(const std::string &key) const {
        for (const auto &kv : object)
            if (kv.first == key) return true;
        return false;
    }
    const Value &operator[](const std::string &key) const {
        if (type != Type::Object) throw std::runtime_error("json: not an object (looking up '" + key + "')");
        for (const auto &kv : object)
            if (kv.first == key) return kv.second;
        throw std::runtime_error("json: missing key '" + key + "'");
    }
    const Value &operator[](size_t i) const {
        if (type != Type::Array) throw std::runtime_error("json: not an array");
        if (i >= array.size()) throw std::runtime_error("json: index out of range");
        return array[i];
    }
    const std::string &str() const {
        if (type != Type::String) throw std::runtime_error("json: not a string");
        return string;
    }
    double num() const {
        if (type != Type::Number) throw std::runtime_error("json: not a number");
        return number;
    }
    bool boolean_value() const {
        if (type != Type::Bool) throw std::runtime_error("json: not a bool");
        return boolean;
    }
};

class Parser {
public:
    explicit Parser(const std::string &text) : s_(text) {}

    Value parse_document() {
        Value v = parse_value();
        skip_ws();
        if (pos_ != s_.size()) error("trailing characters");
        return v;
    }

private:
    [[noreturn]] void error(const std::string &what) const {
        throw std::runtime_error("json: " + what + " at offset " + std::to_string(pos_));
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }
    char peek() {
        skip_ws();
        if (pos_ >= s_.size()) error("unexpected end");
        return s_[pos_];
    }
    void expect(char c) {
        if (peek() != c) error(std::string("expected '") + c + "'");
        ++pos_;
    }
    bool consume_word(const char *w) {
        size_t n = std::char_traits<char>::length(w);
        if (s_.compare(pos_, n, w) == 0) {
            pos_ += n;
            return true;
        }
        return false;
    }

    Value parse_value() {
        Value v;
        char c = peek();
        if (c == '{') {
            v.type = Value::Type::Object;
            ++pos_;
            if (peek() == '}') {
                ++pos_;
                return v;
            }
            while (true) {
                if (peek() != '"') error("expected a key");
                std::string key = parse_string();
                expect(':');
                v.object.emplace_back(std::move(key), parse_value());
                char d = peek();
                ++pos_;
                if (d == '}') break;
                if (d != ',') error("expected ',' or '}'");
            }
        } else if (c == '[') {
            v.type = Value::Type::Array;
            ++pos_;
            if (peek() == ']') {
                ++pos_;
                return v;
            }
            while (true) {
                v.array.push_back(parse_value());
                char d = peek();
                ++pos_;
                if (d == ']') break;
                if (d != ',') error("expected ',' or ']'");
            }
        } else if (c == '"') {
            v.type = Value::Type::String;
            v.string = parse_string();
        } else if (consume_word("true")) {
            v.type = Value::Type::Bool;
            v.boolean = true;
        } else if (consume_word("false")) {
            v.type = Value::Type::Bool;
        } else if (consume_word("null")) {
            v.type = Value::Type::Null;
        } else {
            v.type = Value::Type::Number;
            const char *begin = s_.c_str() + pos_;
            char *end = nullptr;
            v.number = std::strtod(begin, &end);
            if (end == begin) error("bad value");
            pos_ += static_cast<size_t>(end - begin);
        }
        return v;
    }

    unsigned parse_hex4() {
        if (pos_ + 4 > s_.size()) error("short \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = s_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else error("bad \\u escape");
        }
        return v;
    }

    static void append_utf8(std::string &out, uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    std::string parse_string() {
        expect('"');
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) error("unterminated string");
            char c = s_[pos_++];
            if (c == '"') break;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= s_.size()) error("unterminated escape");
            char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = parse_hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(pos_, 2, "\\u") == 0) {
                        size_t save = pos_;
                        pos_ += 2;
                        uint32_t lo = parse_hex4();
                        if (lo >= 0xDC00 && lo < 0xE000)
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else
                            pos_ = save;
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: error("bad escape");
            }
        }
        return out;
    }

    const std::string &s_;
    size_t pos_ = 0;
};

inline Value parse(const std::string &text) { return Parser(text).parse_document(); }

inline Value parse_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("json: cannot open '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
}

}  // namespace json_mini
