// Choosing a chat template family: by name, or by the distinctive substrings of a Jinja
// template (the approach of llama.cpp's llama_chat_detect_template). Variants whose output we
// do not reproduce are refused by name rather than formatted approximately.
#include "chat/chat_template.h"

#include <cctype>
#include <optional>

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
    {"qwen3", ChatFamily::QWEN3},
    {"mistral-v7", ChatFamily::MISTRAL_V7},
    {"granite4", ChatFamily::GRANITE4},
    {"mistral-nemo", ChatFamily::MISTRAL_V3_TEKKEN},
    {"qwen2", ChatFamily::QWEN25},
};
constexpr size_t kCanonical = 13;

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

[[noreturn]] void refuse(const std::string &what) {
    fail(LH_ERROR_UNSUPPORTED, "unsupported chat template: " + what +
                                   "; supported families (also selectable by name): " + chat_family_names());
}

// The first literal text a ChatML template writes after "<|im_start|>system" and its newline (as
// an escape or a raw line break) in the same string, or "" when every system header's string ends there.
// Qwen3-Coder's text is skipped: it appears only when tools are given, which formatting never does.
std::string default_system_text(std::string_view text) {
    static const std::string_view marker = "<|im_start|>system";
    for (size_t at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + 1)) {
        size_t i = at + marker.size();
        if (text.compare(i, 2, "\\n") == 0) i += 2;
        else if (i < text.size() && text[i] == '\n') i += 1;
        size_t end = text.find_first_of("\"'\\", i);
        std::string_view literal = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        if (literal.find_first_not_of(" \t\n") == std::string_view::npos) continue;  // a variable follows
        if (literal.rfind("You are Qwen, a helpful AI assistant that can interact with a computer", 0) == 0) continue;
        return std::string(literal);
    }
    return "";
}

// The value of the Jinja string literal that follows `marker` (its opening quote, ' or ", right
// after the marker), with Python's escapes \\n \\t \\r \\\\ \\' \\" undone. Absent marker: nullopt.
// Unterminated literals and other escapes are refused: the text would not be what Jinja renders.
std::optional<std::string> string_literal_after(std::string_view text, std::string_view marker) {
    size_t at = text.find(marker);
    if (at == std::string_view::npos) return std::nullopt;
    size_t i = at + marker.size();
    if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) return std::nullopt;
    const char quote = text[i++];
    std::string out;
    for (; i < text.size() && text[i] != quote; ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (++i >= text.size()) break;
        switch (text[i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\':
        case '\'':
        case '"': out += text[i]; break;
        default: refuse(std::string("a string in the template with the escape '\\") + text[i] + "'");
        }
    }
    if (i >= text.size()) refuse("an unterminated string after '" + std::string(marker) + "'");
    return out;
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
        // Qwen3's own line: a reply after the last question keeps its reasoning, trimmed of newlines.
        if (has(text, "reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n')") &&
            !has(text, "bos_token")) {
            t.family = ChatFamily::QWEN3;
            return t;
        }
        if (has(text, "You are Qwen, created by Alibaba Cloud.")) {
            t.family = ChatFamily::QWEN25;
            return t;
        }
        // Plain ChatML writes the turns and nothing else. Its many relatives add BOS, reasoning
        // blocks, default system messages or tool prompts, each its own way: refused, not approximated.
        if (has(text, "<think>") || has(text, "reasoning_content"))
            refuse("a ChatML variant with reasoning (<think>) blocks (reproduced: Qwen3's and SmolLM3's)");
        if (has(text, "bos_token")) refuse("a ChatML variant that writes bos_token (plain ChatML does not)");
        std::string default_system = default_system_text(text);
        if (!default_system.empty())
            refuse("a ChatML variant with a default system message ('" + default_system.substr(0, 40) + "...')");
        t.family = ChatFamily::CHATML;
        return t;
    }
    if (has(text, "<|start_header_id|>")) {
        if (has(text, "Cutting Knowledge Date")) {
            if (has(text, "has_code_interpreter"))  // functionary v3.1: its own tool and system layout
                refuse("a Llama-3.1 variant with 'has_code_interpreter' (functionary; only Meta's form is reproduced)");
            return llama31_from(text);
        }
        if (has(text, "tool") || has(text, "function"))
            refuse("a Llama-3 variant with tools or functions (only Meta's Llama-3.0 form is reproduced)");
        t.family = ChatFamily::LLAMA3;
        return t;
    }
    if (has(text, "<|user|>") && has(text, "<|end|>")) {
        // Phi-3.5's form; the older Phi-3 template appends <|assistant|> after every user turn.
        if (!has(text, "<|system|>")) refuse("a Phi-3 variant without '<|system|>' (only Phi-3.5's form is reproduced)");
        if (has(text, "<|content|>")) refuse("a Phi-3-like template with '<|content|>' (Apriel; only Phi-3.5's form is reproduced)");
        t.family = ChatFamily::PHI3;
        return t;
    }
    if (has(text, "<start_of_turn>")) {
        t.family = ChatFamily::GEMMA;
        return t;
    }
    if (has(text, "<\xEF\xBD\x9C" "User\xEF\xBD\x9C>")) {  // <｜User｜>
        // The R1 distills' own template: its namespace has is_output_first; llama.cpp's rewrite
        // of it (is_tool_outputs) and DeepSeek V3.1+ (thinking switches) render differently.
        if (!has(text, "<think>") || !has(text, "is_output_first") || has(text, "is_tool_outputs"))
            refuse("a DeepSeek template other than the R1 distills' (only that form is reproduced)");
        t.family = ChatFamily::DEEPSEEK_R1;
        return t;
    }
    if (has(text, "[SYSTEM_PROMPT]")) {
        // Mistral's own v7 template (Ministral 3): a default system message when none is given,
        // alternation enforced. Mistral Small 3.x dates its default from the clock; Unsloth's
        // rewrites (Devstral) drop the checks.
        if (has(text, "strftime_now")) refuse("a Mistral template that writes today's date (strftime_now)");
        if (!has(text, "After the optional system message, conversation roles must alternate user and assistant"))
            refuse("a [SYSTEM_PROMPT] template other than Mistral's v7 form (Ministral 3)");
        t.family = ChatFamily::MISTRAL_V7;
        t.default_system = string_literal_after(text, "set default_system_message = ").value_or("");
        return t;
    }
    if (has(text, "<|start_of_role|>")) {
        // Granite 4.0 / 4.1 (4.1 has no default system message); Granite 3.x dates its system
        // message from the clock and has thinking switches.
        if (has(text, "strftime_now") || has(text, "thinking"))
            refuse("a Granite template with today's date or thinking switches (only Granite 4's form is reproduced)");
        if (!has(text, "tools_system_message_prefix"))
            refuse("a <|start_of_role|> template other than Granite 4's");
        t.family = ChatFamily::GRANITE4;
        t.default_system = string_literal_after(text, "set g4_default_system_message = ").value_or("");
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
