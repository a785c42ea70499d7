#!/usr/bin/env python3
"""Stream a completion, then run a passkey query with LongHeads attention.

    PYTHONPATH=build/python python3 examples/python/stream.py models/stories260K.gguf

A passkey query hides "The pass key is K" inside filler text and asks for it at the end (the
test of the LongHeads paper). Tiny models such as stories260K cannot answer it; models like
Llama-2-7B can, far beyond their trained context, with attention="longheads".
"""

import argparse
import random
import sys

import longheads

INTRO = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
         "I will quiz you about the important information there.")
FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
QUESTION = "What is the pass key? The pass key is"


def passkey_prompt(key, n_filler, split):
    """The passkey prompt of the LongHeads paper, with n_filler filler sentences (split before/after)."""
    before = " ".join([FILLER] * split)
    after = " ".join([FILLER] * (n_filler - split))
    needle = "The pass key is {0}. Remember it. {0} is the pass key.".format(key)
    return "\n".join([INTRO, before, needle, after, QUESTION])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="path of a GGUF model")
    parser.add_argument("--prompt", default="Once upon a time")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--filler", type=int, default=12, help="filler sentences in the passkey prompt")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    with longheads.Model(args.model) as model:
        print("{} '{}': {} layers, trained context {}".format(model.architecture, model.name, model.n_layer,
                                                               model.n_ctx_train))

        # 1. Streaming: each piece arrives as soon as its token is sampled.
        print("\n" + args.prompt, end="", flush=True)
        stream = model.stream(args.prompt, max_tokens=args.max_tokens, temperature=args.temperature,
                              seed=args.seed)
        for piece in stream:
            print(piece, end="", flush=True)
        print("\n[{} tokens, stopped by {}]".format(len(stream.tokens), stream.stop_reason.name.lower()))

        # 2. Passkey retrieval with LongHeads attention; greedy, as many tokens as the answer has.
        rng = random.Random(args.seed)
        key = rng.randint(1, 50000)
        prompt = passkey_prompt(key, args.filler, rng.randint(0, args.filler))
        n_prompt = len(model.tokenize(prompt))
        n_answer = len(model.tokenize(" {}".format(key), add_bos=False))
        answer = model.generate(prompt, max_tokens=n_answer, temperature=0, attention="longheads",
                                n_ctx=max(model.n_ctx_train, n_prompt + n_answer + 16))
        print("\npasskey {} in a {}-token prompt; the model answered {!r}: {}".format(
            key, n_prompt, answer.strip(), "correct" if answer.strip() == str(key) else "wrong"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except longheads.Error as e:
        print("error ({}): {}".format(e.status.name.lower(), e), file=sys.stderr)
        sys.exit(1)
