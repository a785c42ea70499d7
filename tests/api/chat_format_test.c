/* lh_chat_format / lh_chat_template_family misuse: NULL pointers, unknown names and templates,
 * bad roles, too-small buffers (the needed size reported, nothing written past capacity), a
 * model without tokenizer.chat_template. Plain C, public header only.
 *
 *   chat_format_test MODEL.gguf   (stories260K: SentencePiece, BOS "<s>", no chat template) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

static const lh_chat_message kConversation[] = {
    {"system", "Be brief."},
    {"user", "Hi"},
};

static void test_nulls(lh_model *model) {
    char buf[256];
    size_t len = 12345;
    const char *name = NULL;
    STATUS_MSG(lh_chat_format(NULL, "chatml", kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "model");
    STATUS_MSG(lh_chat_format(model, "chatml", NULL, 2, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "messages");
    STATUS_MSG(lh_chat_format(model, "chatml", kConversation, 2, 1, buf, sizeof buf, NULL), LH_ERROR_INVALID_ARGUMENT,
               "out_len");
    STATUS_MSG(lh_chat_format(model, "chatml", kConversation, 2, 1, NULL, 16, &len), LH_ERROR_INVALID_ARGUMENT, "buf");
    EXPECT(len == 12345); /* out-pointers untouched on failure */
    lh_chat_message null_role[] = {{NULL, "x"}};
    lh_chat_message null_content[] = {{"user", NULL}};
    STATUS_MSG(lh_chat_format(model, "chatml", null_role, 1, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "message 0");
    STATUS_MSG(lh_chat_format(model, "chatml", null_content, 1, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "message 0");
    STATUS_MSG(lh_chat_template_family(NULL, "chatml", &name), LH_ERROR_INVALID_ARGUMENT, "model");
    STATUS_MSG(lh_chat_template_family(model, "chatml", NULL), LH_ERROR_INVALID_ARGUMENT, "out_name");
    EXPECT(name == NULL);
}

static void test_refusals(lh_model *model) {
    char buf[256];
    size_t len = 0;
    const char *name = NULL;
    /* stories260K has no tokenizer.chat_template: NULL template is refused, names still work. */
    STATUS_MSG(lh_chat_format(model, NULL, kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "tokenizer.chat_template");
    STATUS_MSG(lh_chat_template_family(model, NULL, &name), LH_ERROR_INVALID_ARGUMENT, "tokenizer.chat_template");
    STATUS_MSG(lh_chat_format(model, "alpaca", kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_UNSUPPORTED,
               "'alpaca'");
    STATUS_MSG(lh_chat_format(model, "{{ messages[0].content }}", kConversation, 2, 1, buf, sizeof buf, &len),
               LH_ERROR_UNSUPPORTED, "no known family");
    STATUS_MSG(lh_chat_format(model, "{% if x %}[INST] [SYSTEM_PROMPT]{% endif %}", kConversation, 2, 1, buf,
                              sizeof buf, &len),
               LH_ERROR_UNSUPPORTED, "[SYSTEM_PROMPT]");
    /* Mistral v7's default system message is read from the template: a string that never ends,
     * or an escape Jinja would render differently, is refused rather than guessed. */
    static const char kV7[] = "[SYSTEM_PROMPT] After the optional system message, conversation roles must alternate "
                              "user and assistant {%- set default_system_message = ";
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s'never closed", kV7);
    STATUS_MSG(lh_chat_format(model, tmpl, kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_UNSUPPORTED,
               "unterminated");
    snprintf(tmpl, sizeof tmpl, "%s'caf\\u00e9' %%}", kV7);
    STATUS_MSG(lh_chat_format(model, tmpl, kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_UNSUPPORTED,
               "escape");
    snprintf(tmpl, sizeof tmpl, "%s'It\\'s \\\\ fine\\n' %%}", kV7);
    lh_chat_message user_only[] = {{"user", "Hi"}};
    STATUS_MSG(lh_chat_format(model, tmpl, user_only, 1, 1, buf, sizeof buf, &len), LH_OK, "");
    EXPECT(strcmp(buf, "<s>[SYSTEM_PROMPT]It's \\ fine\n[/SYSTEM_PROMPT][INST]Hi[/INST]") == 0);
    snprintf(tmpl, sizeof tmpl, "%s'x' %%}{{ strftime_now('%%Y') }}", kV7);
    STATUS_MSG(lh_chat_format(model, tmpl, kConversation, 2, 1, buf, sizeof buf, &len), LH_ERROR_UNSUPPORTED,
               "strftime_now");
    lh_chat_message tool[] = {{"user", "x"}, {"tool", "{}"}};
    STATUS_MSG(lh_chat_format(model, "llama3", tool, 2, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "'tool'");
    STATUS_MSG(lh_chat_format(model, "llama3", kConversation, 0, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "no messages");
    lh_chat_message twice[] = {{"user", "a"}, {"user", "b"}};
    STATUS_MSG(lh_chat_format(model, "gemma", twice, 2, 1, buf, sizeof buf, &len), LH_ERROR_INVALID_ARGUMENT,
               "alternate");
    STATUS_MSG(lh_chat_format(model, "mistral-v3-tekken", twice, 2, 1, buf, sizeof buf, &len),
               LH_ERROR_INVALID_ARGUMENT, "alternate");
}

static void test_buffers_and_names(lh_model *model) {
    const char *want = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                       "<|im_start|>assistant\n";
    size_t len = 0;
    STATUS_MSG(lh_chat_format(model, "ChatML", kConversation, 2, 1, NULL, 0, &len), LH_ERROR_BUFFER_TOO_SMALL, "");
    EXPECT(len == strlen(want));
    char small[16];
    memset(small, 0xA5, sizeof small);
    STATUS_MSG(lh_chat_format(model, "chatml", kConversation, 2, 1, small, 8, &len), LH_ERROR_BUFFER_TOO_SMALL, "");
    EXPECT((unsigned char)small[8] == 0xA5);
    char buf[256];
    /* Exactly the length is one byte short: the NUL needs room too. */
    STATUS_MSG(lh_chat_format(model, "chatml", kConversation, 2, 1, buf, strlen(want), &len), LH_ERROR_BUFFER_TOO_SMALL,
               "");
    STATUS_MSG(lh_chat_format(model, "chatml", kConversation, 2, 1, buf, strlen(want) + 1, &len), LH_OK, "");
    EXPECT(len == strlen(want) && strcmp(buf, want) == 0);
    /* bos_token is the model's: "<s>" for the SentencePiece vocabulary. */
    STATUS_MSG(lh_chat_format(model, "llama2", kConversation, 2, 0, buf, sizeof buf, &len), LH_OK, "");
    EXPECT(strcmp(buf, "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]") == 0);
    const char *name = NULL;
    STATUS_MSG(lh_chat_template_family(model, "<|im_start|>{{ x }}", &name), LH_OK, "");
    EXPECT(name && strcmp(name, "chatml") == 0);
    STATUS_MSG(lh_chat_template_family(model, "MISTRAL-NEMO", &name), LH_OK, "");
    EXPECT(name && strcmp(name, "mistral-v3-tekken") == 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: chat_format_test MODEL.gguf\n");
        return 2;
    }
    lh_model *model = NULL;
    if (lh_model_load(argv[1], NULL, &model) != LH_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], lh_last_error());
        return 1;
    }
    test_nulls(model);
    test_refusals(model);
    test_buffers_and_names(model);
    lh_model_free(model);
    return report();
}
