// Tokenizes many texts with one vocabulary for the live comparison with llama.cpp
// (test_tokenizer_oracle.py):  tokenize_batch VOCAB.gguf IN.json OUT.json
// IN: {"texts": [...], "special": true}; OUT: [[ids], ...] without BOS.
#include <cstdio>
#include <fstream>
#include <string>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "json_mini.h"
#include "tokenizer/vocab.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: tokenize_batch VOCAB.gguf IN.json OUT.json\n");
        return 2;
    }
    try {
        const auto file = lh::GgufFile::open(argv[1]);
        const lh::Vocab vocab = lh::Vocab::from_gguf(*file);
        const json_mini::Value in = json_mini::parse_file(argv[2]);
        const bool special = in.has("special") ? in["special"].boolean : true;
        std::ofstream out(argv[3]);
        out << "[";
        bool first_text = true;
        for (const auto &t : in["texts"].array) {
            out << (first_text ? "[" : ",[");
            first_text = false;
            bool first = true;
            for (int32_t id : vocab.tokenize(t.str(), false, special)) {
                out << (first ? "" : ",") << id;
                first = false;
            }
            out << "]";
        }
        out << "]\n";
        return out.good() ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "tokenize_batch: %s\n", e.what());
        return 1;
    }
}
