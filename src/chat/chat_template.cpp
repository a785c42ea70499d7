// Choosing a chat template family: by name, or by the distinctive substrings of a Jinja
// template (the approach of llama.cpp's llama_chat_detect_template). Variants whose output we
// do not reproduce are refused by name rather than formatted approximately.
#include "chat/chat_template.h"

#include <cctype>

#include "common/error.h"

namespace lh {

namespace {

struct NamedFamily {
    const char *name;
    ChatFamily family;
};

// Canonical names first (one per family), then aliases.
const NamedFamily kNames[] = {
    {"chatml", ChatFamily::CHATML},
    {"qwen2.5", ChatFamily::QWEN25},
    {"llama3", ChatFamily::LLAMA3},
    {"llama3.1", ChatFamily::LLAMA31},
    {"phi3", ChatFamily::PHI3},
    {"mistral-v3-tekken", ChatFamily::MISTRAL_V3_TEKKEN},
    {"llama2", ChatFamily::LLAMA2},
    {"gemma", ChatFamily::GEMMA},
    {"deepseek-r1", ChatFamily::DEEPSEEK_R1},
    {"smollm3", ChatFamily::SMOLLM3},
    {"mistral-nemo", ChatFamily::MISTRAL_V3_TEKKEN},
    {"qwen2", ChatFamily::QWEN25},
};
constexpr size_t kCanonical = 10;

bool same_name(std::string_view a, const char *b) {
    size_t i = 0;
    for (; i < a.size() && b[i]; ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return i == a.size() && b[i] == '\0';
}

bool has(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// The literal text after `marker` up to the first '"', '\'' or backslash (templates write
// "\n" as an escape), or "" when the marker is absent.
std::string literal_after(std::string_view text, std::string_view marker) {
    size_t at = text.find(marker);
    if (at == std::string_view::npos) return "";
    size_t begin = at + marker.size();
    size_t end = text.find_first_of("\"'\\\n", begin);
    if (end == std::string_view::npos) return "";
    return std::string(text.substr(begin, end - begin));
}

ChatTemplate llama31_from(std::string_view text) {
    ChatTemplate t;
    t.family = ChatFamily::LLAMA31;
    std::string known = literal_after(text, "Cutting Knowledge Date: ");
    if (!known.empty()) t.knowledge_date = known;
    std::string today = literal_after(text, "set date_string = \"");
    if (!today.empty()) t.today_date = today;
    return t;
}

[[noreturn]] void refuse(const std::string &what) {
    fail(LH_ERROR_UNSUPPORTED, "unsupported chat template: " + what +
                                   "; supported families (also selectable by name): " + chat_family_names());
}

ChatTemplate detect(std::string_view text) {
    ChatTemplate t;
    if (has(text, "<|im_start|>")) {
        if (has(text, "Reasoning Mode") || has(text, "## Metadata")) {
            // The form llama.cpp collects (no date, no tool lists); the dated original would need
            // the clock, the tool variants their tool lists.
            if (has(text, "Today Date") || has(text, "xml_tools") || has(text, "python_tools"))
                refuse("a SmolLM3 variant with 'Today Date' or tool lists (only the form without them is reproduced)");
            t.family = ChatFamily::SMOLLM3;
            return t;
        }
        t.family = has(text, "You are Qwen, created by Alibaba Cloud.") ? ChatFamily::QWEN25 : ChatFamily::CHATML;
        return t;
    }
    if (has(text, "<|start_header_id|>")) {
        if (has(text, "Cutting Knowledge Date")) return llama31_from(text);
        t.family = ChatFamily::LLAMA3;
        return t;
    }
    if (has(text, "<|user|>") && has(text, "<|end|>")) {
        // Phi-3.5's form; the older Phi-3 template appends <|assistant|> after every user turn.
        if (!has(text, "<|system|>")) refuse("a Phi-3 variant without '<|system|>' (only Phi-3.5's form is reproduced)");
        t.family = ChatFamily::PHI3;
        return t;
    }
    if (has(text, "<start_of_turn>")) {
        t.family = ChatFamily::GEMMA;
        return t;
    }
    if (has(text, "<\xEF\xBD\x9C" "User\xEF\xBD\x9C>")) {  // <｜User｜>
        if (!has(text, "<think>")) refuse("a DeepSeek template without '<think>' (only the R1 form is reproduced)");
        t.family = ChatFamily::DEEPSEEK_R1;
        return t;
    }
    if (has(text, "[INST]")) {
        if (has(text, "<<SYS>>")) {
            t.family = ChatFamily::LLAMA2;
            return t;
        }
        if (has(text, "\"[INST]\"") && !has(text, "[SYSTEM_PROMPT]")) {
            t.family = ChatFamily::MISTRAL_V3_TEKKEN;
            return t;
        }
        refuse("an [INST] variant other than Llama-2 (<<SYS>>) and Mistral v3-tekken (\"[INST]\")");
    }
    std::string head(text.substr(0, 60));
    for (char &c : head)
        if (c == '\n' || c == '\r') c = ' ';
    refuse("no known family's markers in the template (it begins '" + head + (text.size() > 60 ? "...'" : "'") + ")");
}

}  // namespace

const char *chat_family_name(ChatFamily family) {
    for (size_t i = 0; i < kCanonical; ++i)
        if (kNames[i].family == family) return kNames[i].name;
    return "unknown";
}

std::string chat_family_names() {
    std::string out;
    for (size_t i = 0; i < kCanonical; ++i) {
        if (i) out += ", ";
        out += kNames[i].name;
    }
    return out;
}

ChatTemplate select_chat_template(std::string_view name_or_template) {
    for (const NamedFamily &n : kNames) {
        if (same_name(name_or_template, n.name)) {
            ChatTemplate t;
            t.family = n.family;
            return t;
        }
    }
    if (name_or_template.find_first_of("{<[") == std::string_view::npos)
        fail(LH_ERROR_UNSUPPORTED, "unknown chat template name '" + std::string(name_or_template) +
                                       "'; known names: " + chat_family_names());
    return detect(name_or_template);
}

}  // namespace lh
