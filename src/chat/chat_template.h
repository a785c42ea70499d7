// Chat templates: the known families of `tokenizer.chat_template` recognised by distinctive
// substrings (as llama.cpp's llama_chat_apply_template does) or chosen by name, and each
// family's formatting written out by hand so it renders what the real Jinja template renders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lh {

enum class ChatFamily {
    CHATML,             // <|im_start|>role\n...<|im_end|>\n
    QWEN25,             // ChatML + Qwen2.5's default system message
    LLAMA3,             // Llama-3.0: <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
    LLAMA31,            // Llama-3.1/3.2/3.3: + the "Cutting Knowledge Date" system block
    PHI3,               // <|user|>\n...<|end|>\n, eos_token after the last turn
    MISTRAL_V3_TEKKEN,  // Mistral-Nemo: [INST]...[/INST]...</s>, system in the last user turn
    LLAMA2,             // <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s>
    GEMMA,              // <start_of_turn>user\n...<end_of_turn>\n, system folded into 1st user
    DEEPSEEK_R1,        // <｜User｜>...<｜Assistant｜>...<｜end▁of▁sentence｜>
    SMOLLM3,            // ChatML behind a generated "## Metadata" system header, /think or /no_think
    QWEN3,              // ChatML; replies after the last question keep a <think> block, earlier ones lose it
    MISTRAL_V7,         // Ministral 3: [SYSTEM_PROMPT]...[/SYSTEM_PROMPT][INST]...[/INST]...</s>
    GRANITE4,           // Granite 4: <|start_of_role|>role<|end_of_role|>...<|end_of_text|>\n
};

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

// A family plus the literals some families take from the template text.
struct ChatTemplate {
    ChatFamily family = ChatFamily::CHATML;
    std::string knowledge_date = "December 2023";  // LLAMA31: "Cutting Knowledge Date: ..."
    std::string today_date = "26 Jul 2024";        // LLAMA31: the template's default date_string
    std::string default_system;                    // MISTRAL_V7, GRANITE4: written when no system message is
};

// The texts a template's bos_token / eos_token stand for (the vocabulary's tokens).
struct ChatSpecialTexts {
    std::string bos;
    std::string eos;
};

// Canonical name of a family ("chatml", "llama3.1", ...).
const char *chat_family_name(ChatFamily family);
// Names accepted by select_chat_template, comma-separated (for messages and help).
std::string chat_family_names();

// `name_or_template`: a family name (ASCII case-insensitive) or a Jinja template's text.
// Unknown name / unrecognised template: lh::Error(LH_ERROR_UNSUPPORTED) saying what was seen.
ChatTemplate select_chat_template(std::string_view name_or_template);

// Renders the conversation; add_assistant appends the assistant's generation prompt.
// Throws LH_ERROR_INVALID_ARGUMENT for roles other than system/user/assistant, and for what the
// family's template refuses (e.g. Gemma and Mistral need user/assistant alternation).
std::string format_chat(const ChatTemplate &tmpl, const std::vector<ChatMessage> &messages, bool add_assistant,
                        const ChatSpecialTexts &special);

}  // namespace lh
