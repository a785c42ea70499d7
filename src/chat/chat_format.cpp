// Formatting a conversation the way each family's real Jinja template renders it (checked
// byte for byte against python3-jinja2 renderings in tests/chat/). Content is inserted
// verbatim: like the templates, nothing is escaped.
#include <string>

#include "chat/chat_template.h"
#include "common/error.h"

namespace lh {

namespace {

// Code points Python's str.isspace() accepts (what Jinja's `trim` and str.strip() remove).
bool is_py_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

// Decodes the well-formed UTF-8 character at s[i] (length in *len); invalid bytes count as
// one non-space unit so they are never stripped.
uint32_t decode_at(const std::string &s, size_t i, size_t *len) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
        *len = 1;
        return 0xFFFFFFFF;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
        unsigned char d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFFFFFF;
        }
        cp = (cp << 6) | (d & 0x3F);
    }
    *len = n;
    return cp;
}

// Python's str.strip() with no arguments (left = false: str.rstrip()).
std::string py_strip(const std::string &s, bool left = true) {
    size_t begin = 0, len = 0;
    while (left && begin < s.size() && is_py_space(decode_at(s, begin, &len))) begin += len;
    size_t end = begin;  // end of the last non-space character
    for (size_t i = begin; i < s.size(); i += len) {
        if (!is_py_space(decode_at(s, i, &len))) end = i + len;
    }
    return s.substr(begin, end - begin);
}

// Python's str.replace(what, with_) (every occurrence, left to right, not overlapping).
std::string py_replace(const std::string &s, const std::string &what, const std::string &with_) {
    std::string out;
    size_t from = 0;
    for (size_t at; (at = s.find(what, from)) != std::string::npos; from = at + what.size())
        out += s.substr(from, at - from) + with_;
    return out + s.substr(from);
}

[[noreturn]] void refuse(ChatFamily f, const std::string &why) {
    fail(LH_ERROR_INVALID_ARGUMENT, std::string("chat template '") + chat_family_name(f) + "': " + why);
}

// Gemma, Mistral and Llama-2 templates raise unless turns go user, assistant, user, ...
void require_alternation(ChatFamily f, const std::vector<ChatMessage> &msgs, size_t first) {
    for (size_t i = first; i < msgs.size(); ++i) {
        const char *want = (i - first) % 2 == 0 ? "user" : "assistant";
        if (msgs[i].role != want)
            refuse(f, "after the optional system message, roles must alternate user/assistant (message " +
                          std::to_string(i) + " is '" + msgs[i].role + "', expected '" + want + "')");
    }
}

bool first_is_system(const std::vector<ChatMessage> &m) { return !m.empty() && m[0].role == "system"; }

std::string chatml(const ChatTemplate &t, const std::vector<ChatMessage> &msgs, bool add_assistant) {
    std::string out;
    if (t.family == ChatFamily::QWEN25 && !first_is_system(msgs))
        out += "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n";
    for (const ChatMessage &m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    if (add_assistant) out += "<|im_start|>assistant\n";
    return out;
}

std::string llama3_turn(const std::string &role, const std::string &content) {
    return "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + py_strip(content) + "<|eot_id|>";
}

std::string llama3(const ChatTemplate &t, const std::vector<ChatMessage> &msgs, bool add_assistant,
                   const ChatSpecialTexts &sp) {
    std::string out = sp.bos;
    size_t first = 0;
    if (t.family == ChatFamily::LLAMA31) {
        // 3.1 always writes a system block with its knowledge cutoff and "today" (the
        // template's default date_string: no tools, no strftime_now).
        std::string system = first_is_system(msgs) ? py_strip(msgs[0].content) : "";
        first = first_is_system(msgs) ? 1 : 0;
        out += "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: " + t.knowledge_date +
               "\nToday Date: " + t.today_date + "\n\n" + system + "<|eot_id|>";
    }
    for (size_t i = first; i < msgs.size(); ++i) out += llama3_turn(msgs[i].role, msgs[i].content);
    if (add_assistant) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    return out;
}

std::string phi3(const std::vector<ChatMessage> &msgs, bool add_assistant, const ChatSpecialTexts &sp) {
    std::string out;
    for (const ChatMessage &m : msgs) {
        if (m.role == "system" && m.content.empty()) continue;
        out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
    }
    out += add_assistant ? "<|assistant|>\n" : sp.eos;
    return out;
}

// Mistral-Nemo: the system message goes into the last message when that is a user turn (and
// disappears otherwise); there is no generation prompt: "[/INST]" already ends the text.
std::string mistral_tekken(const std::vector<ChatMessage> &msgs, const ChatSpecialTexts &sp) {
    bool has_system = first_is_system(msgs);
    size_t first = has_system ? 1 : 0;
    require_alternation(ChatFamily::MISTRAL_V3_TEKKEN, msgs, first);
    std::string out = sp.bos;
    for (size_t i = first; i < msgs.size(); ++i) {
        const ChatMessage &m = msgs[i];
        if (m.role == "assistant") {
            out += m.content + sp.eos;
        } else if (i + 1 == msgs.size() && has_system) {
            out += "[INST]" + msgs[0].content + "\n\n" + m.content + "[/INST]";
        } else {
            out += "[INST]" + m.content + "[/INST]";
        }
    }
    return out;
}

// Llama-2-chat: BOS before every user turn, the system block inside the first one.
std::string llama2(const std::vector<ChatMessage> &msgs, const ChatSpecialTexts &sp) {
    bool has_system = first_is_system(msgs);
    size_t first = has_system ? 1 : 0;
    require_alternation(ChatFamily::LLAMA2, msgs, first);
    std::string out;
    for (size_t i = first; i < msgs.size(); ++i) {
        std::string content = msgs[i].content;
        if (i == first && has_system) content = "<<SYS>>\n" + msgs[0].content + "\n<</SYS>>\n\n" + content;
        if (msgs[i].role == "user")
            out += sp.bos + "[INST] " + py_strip(content) + " [/INST]";
        else
            out += " " + py_strip(content) + " " + sp.eos;
    }
    return out;
}

// Gemma's template raises on a system message; like llama.cpp we fold it into the first user
// turn ("system\n\nuser"), which is what that turn would hold if the user had typed both.
std::string gemma(const std::vector<ChatMessage> &msgs, bool add_assistant, const ChatSpecialTexts &sp) {
    bool has_system = first_is_system(msgs);
    size_t first = has_system ? 1 : 0;
    require_alternation(ChatFamily::GEMMA, msgs, first);
    if (has_system && msgs.size() == 1) refuse(ChatFamily::GEMMA, "a system message needs a user message after it");
    std::string out = sp.bos;
    for (size_t i = first; i < msgs.size(); ++i) {
        bool user = msgs[i].role == "user";
        std::string content = py_strip(msgs[i].content);
        if (i == first && has_system) content = py_strip(py_strip(msgs[0].content) + "\n\n" + content);
        out += std::string("<start_of_turn>") + (user ? "user" : "model") + "\n" + content + "<end_of_turn>\n";
    }
    if (add_assistant) out += "<start_of_turn>model\n";
    return out;
}

// DeepSeek-R1 distills: the (last) system message right after BOS, the reasoning of earlier
// assistant turns (up to "</think>") dropped, "<think>\n" opening the reply (llama.cpp renders
// with enable_thinking = true, its default).
std::string deepseek_r1(const std::vector<ChatMessage> &msgs, bool add_assistant, const ChatSpecialTexts &sp) {
    static const std::string kUser = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
    static const std::string kAssistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";
    static const std::string kEnd = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
    std::string system;
    for (const ChatMessage &m : msgs)
        if (m.role == "system") system = m.content;
    std::string out = sp.bos + system;
    for (const ChatMessage &m : msgs) {
        if (m.role == "user") {
            out += kUser + m.content;
        } else if (m.role == "assistant") {
            size_t cut = m.content.rfind("</think>");
            std::string content = cut == std::string::npos ? m.content : m.content.substr(cut + 8);
            out += kAssistant + content + kEnd;
        }
    }
    if (add_assistant) out += kAssistant + "<think>\n";
    return out;
}

// SmolLM3: ChatML behind a generated system header. "/no_think" or "/think" in the system message
// sets the reasoning mode (thinking by default: llama.cpp renders with enable_thinking = true), the
// rest of it becomes the custom instructions; system messages appear nowhere else. Without
// thinking, every assistant turn starts with an empty think block.
std::string smollm3(const std::vector<ChatMessage> &msgs, bool add_assistant) {
    static const char *const kThinkingInstructions =
        "You are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant involves "
        "thoroughly exploring questions through a systematic thinking process before providing the final precise "
        "and accurate solutions. This requires engaging in a comprehensive cycle of analysis, summarizing, "
        "exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking "
        "process. Please structure your response into two main sections: Thought and Solution using the "
        "specified format: <think> Thought section </think> Solution section. In the Thought section, detail "
        "your reasoning process in steps. Each step should include detailed considerations such as analysing "
        "questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current "
        "steps, refining any errors, and revisiting previous steps. In the Solution section, based on various "
        "attempts, explorations, and reflections from the Thought section, systematically present the final "
        "solution that you deem correct. The Solution section should be logical, accurate, and concise and "
        "detail necessary steps needed to reach the conclusion.";
    bool thinking = true;
    std::string custom;
    if (first_is_system(msgs)) {
        const std::string &sys = msgs[0].content;
        if (sys.find("/no_think") != std::string::npos) thinking = false;
        else if (sys.find("/think") != std::string::npos) thinking = true;
        custom = py_strip(py_replace(py_replace(sys, "/no_think", ""), "/think", ""), false);
    }
    std::string out = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: ";
    out += thinking ? "/think" : "/no_think";
    out += "\n\n## Custom Instructions\n\n";
    if (!custom.empty()) out += custom + "\n\n";
    else if (thinking) out += std::string(kThinkingInstructions) + "\n\n";
    else out += "You are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n";
    out += "<|im_end|>\n";
    const std::string empty_think = thinking ? "" : "<think>\n\n</think>\n";
    for (const ChatMessage &m : msgs) {
        if (m.role == "user") {
            out += "<|im_start|>user\n" + m.content + "<|im_end|>\n";
        } else if (m.role == "assistant") {
            const size_t start = m.content.find_first_not_of('\n');
            out += "<|im_start|>assistant\n" + empty_think +
                   (start == std::string::npos ? std::string() : m.content.substr(start)) + "<|im_end|>\n";
        }
    }
    if (add_assistant) out += "<|im_start|>assistant\n" + empty_think;
    return out;
}

// Python's str.strip(chars) / lstrip / rstrip for a set of ASCII characters.
std::string strip_chars(const std::string &s, const char *chars, bool left, bool right) {
    size_t begin = left ? s.find_first_not_of(chars) : 0;
    if (begin == std::string::npos) return "";
    size_t end = right ? s.find_last_not_of(chars) + 1 : s.size();
    return s.substr(begin, end - begin);
}

bool is_tool_response(const std::string &c) {
    static const std::string open = "<tool_response>", close = "</tool_response>";
    return c.compare(0, open.size(), open) == 0 && c.size() >= close.size() &&
           c.compare(c.size() - close.size(), close.size(), close) == 0;
}

// Qwen3: ChatML where a reply's "<think>...</think>" is split off. Replies before the last
// question (a user turn that is not a tool response) keep only their answer; later ones keep the
// reasoning in a <think> block when they have one or are the last message. A system message
// other than the first is written like a user turn.
std::string qwen3(const std::vector<ChatMessage> &msgs, bool add_assistant) {
    size_t last_query = msgs.size() - 1;
    for (size_t i = msgs.size(); i-- > 0;) {
        if (msgs[i].role == "user" && !is_tool_response(msgs[i].content)) {
            last_query = i;
            break;
        }
    }
    std::string out;
    for (size_t i = 0; i < msgs.size(); ++i) {
        const ChatMessage &m = msgs[i];
        if (m.role != "assistant") {
            out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
            continue;
        }
        std::string content = m.content, reasoning;
        const size_t first_close = m.content.find("</think>");
        if (first_close != std::string::npos) {
            content = strip_chars(m.content.substr(m.content.rfind("</think>") + 8), "\n", true, false);
            std::string before = strip_chars(m.content.substr(0, first_close), "\n", false, true);
            const size_t open = before.rfind("<think>");
            reasoning = strip_chars(open == std::string::npos ? before : before.substr(open + 7), "\n", true, false);
        }
        out += "<|im_start|>assistant\n";
        if (i > last_query && (i + 1 == msgs.size() || !reasoning.empty()))
            out += "<think>\n" + strip_chars(reasoning, "\n", true, true) + "\n</think>\n\n" +
                   strip_chars(content, "\n", true, false);
        else
            out += content;
        out += "<|im_end|>\n";
    }
    if (add_assistant) out += "<|im_start|>assistant\n";
    return out;
}

// Mistral v7 (Ministral 3): BOS, the system message (or the template's default, when it has one)
// in [SYSTEM_PROMPT], then [INST]user[/INST] and assistant replies closed by EOS; no generation
// prompt. Later system messages and empty replies are refused, as the template raises on them.
std::string mistral_v7(const ChatTemplate &t, const std::vector<ChatMessage> &msgs, const ChatSpecialTexts &sp) {
    const bool has_system = first_is_system(msgs);
    const size_t first = has_system ? 1 : 0;
    for (size_t i = first; i < msgs.size(); ++i)
        if (msgs[i].role == "system") refuse(ChatFamily::MISTRAL_V7, "only the first message may be a system message");
    require_alternation(ChatFamily::MISTRAL_V7, msgs, first);
    std::string out = sp.bos;
    if (has_system) out += "[SYSTEM_PROMPT]" + msgs[0].content + "[/SYSTEM_PROMPT]";
    else if (!t.default_system.empty()) out += "[SYSTEM_PROMPT]" + t.default_system + "[/SYSTEM_PROMPT]";
    for (size_t i = first; i < msgs.size(); ++i) {
        const ChatMessage &m = msgs[i];
        if (m.role == "user") {
            out += "[INST]" + m.content + "[/INST]";
        } else {
            if (m.content.empty()) refuse(ChatFamily::MISTRAL_V7, "an assistant message needs content");
            out += m.content + sp.eos;
        }
    }
    return out;
}

// Granite 4: a system turn always comes first (the first system message, or the template's
// default when there is none or it is empty; Granite 4.1 has no default and then writes none);
// every other turn is <|start_of_role|>role<|end_of_role|>content<|end_of_text|>\n.
std::string granite4(const ChatTemplate &t, const std::vector<ChatMessage> &msgs, bool add_assistant) {
    static const std::string kOpen = "<|start_of_role|>", kRole = "<|end_of_role|>", kEnd = "<|end_of_text|>\n";
    const std::string system = first_is_system(msgs) ? msgs[0].content : "";
    std::string out;
    const std::string &shown = system.empty() ? t.default_system : system;
    if (!shown.empty()) out += kOpen + "system" + kRole + shown + kEnd;
    for (size_t i = first_is_system(msgs) ? 1 : 0; i < msgs.size(); ++i)
        out += kOpen + msgs[i].role + kRole + msgs[i].content + kEnd;
    if (add_assistant) out += kOpen + "assistant" + kRole;
    return out;
}

}  // namespace

std::string format_chat(const ChatTemplate &t, const std::vector<ChatMessage> &msgs, bool add_assistant,
                        const ChatSpecialTexts &sp) {
    if (msgs.empty()) refuse(t.family, "no messages");
    for (size_t i = 0; i < msgs.size(); ++i) {
        const std::string &r = msgs[i].role;
        if (r != "system" && r != "user" && r != "assistant")
            refuse(t.family, "message " + std::to_string(i) + " has role '" + r +
                                 "'; supported roles are system, user and assistant");
    }
    switch (t.family) {
    case ChatFamily::CHATML:
    case ChatFamily::QWEN25: return chatml(t, msgs, add_assistant);
    case ChatFamily::LLAMA3:
    case ChatFamily::LLAMA31: return llama3(t, msgs, add_assistant, sp);
    case ChatFamily::PHI3: return phi3(msgs, add_assistant, sp);
    case ChatFamily::MISTRAL_V3_TEKKEN: return mistral_tekken(msgs, sp);
    case ChatFamily::LLAMA2: return llama2(msgs, sp);
    case ChatFamily::GEMMA: return gemma(msgs, add_assistant, sp);
    case ChatFamily::DEEPSEEK_R1: return deepseek_r1(msgs, add_assistant, sp);
    case ChatFamily::SMOLLM3: return smollm3(msgs, add_assistant);
    case ChatFamily::QWEN3: return qwen3(msgs, add_assistant);
    case ChatFamily::MISTRAL_V7: return mistral_v7(t, msgs, sp);
    case ChatFamily::GRANITE4: return granite4(t, msgs, add_assistant);
    }
    fail(LH_ERROR_INTERNAL, "unhandled chat template family");
}

}  // namespace lh
