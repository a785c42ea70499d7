"""Training data for the LongHeads demo model: KJV Bible text (Debian package `bible-kjv`) packed
into windows of T+1 tokens, mixed with passkey samples in the exact format of
docs/longheads.md (shared) with needle-to-question gaps spread continuously over the window.

Passkey samples come in two kinds (see README.md): the single numeric pass key of the
evaluation prompt, and labelled needles (1-3 needles, each a label such as "door code" with a
number or a word, the question naming one label), so the model learns to answer by label and to
copy words, not only digits.

Held out for perplexity: the book of Acts (never used in training).
"""
import os
import random
import re
import subprocess

HELDOUT_BOOK = "Acts"
CACHE = "/tmp/longheads-demo-kjv.txt"

TASK = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize "
        "them. I will quiz you about the important information there.")
GARBAGE = ("The grass is green. The sky is blue. The sun is yellow. Here we go. "
           "There and back again.")
QUESTION = "What is the pass key? The pass key is"


def needle(k):
    """k: a number or a word (the word-needle samples of --word-frac)."""
    return "The pass key is %s. Remember it. %s is the pass key." % (k, k)


# Labelled needles: the evaluation's three labels (bench/evaluate.py) and others, so a question
# must be matched to its label, not to the only needle present.
LABELS = ["pass key", "door code", "room number", "secret word", "lock code", "magic number",
          "code word", "house number", "hidden name", "key number"]
# Words the evaluation hides (bench/evaluate.py WORDS): never used as training needles, so the
# word-needle results measure copying a word seen only as text.
EVAL_WORDS = {"Jerusalem", "shepherd", "vineyard", "trumpet", "wilderness", "garment", "harvest",
              "mountain", "river", "temple", "silver", "olive", "eagle", "camel", "lamb", "garden",
              "stone", "bread", "candle", "sword", "crown", "cedar", "fountain", "pillar",
              "tabernacle", "chariot", "honey", "lion", "raven", "barley"}


def labelled_needle(label, value):
    return "The %s is %s. Remember it. %s is the %s." % (label, value, value, label)


def labelled_question(label):
    return "What is the %s? The %s is" % (label, label)


def garbage_inf(n_chars, start=0):
    """The filler: GARBAGE repeated, joined by spaces, cut to n_chars characters from `start`."""
    unit = GARBAGE + " "
    reps = (start + n_chars) // len(unit) + 2
    return (unit * reps)[start:start + n_chars]


def passkey_prompt(k, prefix_chars, suffix_chars):
    """The evaluation prompt (landmark/LongHeads passkey script layout, character-level cuts)."""
    return (TASK + "\n" + garbage_inf(prefix_chars) + "\n" + needle(k) + "\n" +
            garbage_inf(suffix_chars) + "\n" + QUESTION)


def load_kjv():
    """Returns list of (book, verse_text) in canonical order."""
    if not os.path.exists(CACHE):
        out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], stdin=subprocess.DEVNULL,
                             capture_output=True, check=True).stdout.decode("utf-8")
        with open(CACHE + ".tmp", "w") as f:
            f.write(out)
        os.replace(CACHE + ".tmp", CACHE)
    verses = []
    pat = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")
    for line in open(CACHE, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        m = pat.match(line)
        if not m:
            raise ValueError("unexpected line: %r" % line[:80])
        verses.append((m.group(1), m.group(4).strip()))
    return verses


def heldout_text(verses=None):
    verses = verses or load_kjv()
    return " ".join(v for b, v in verses if b == HELDOUT_BOOK)


class DataGen:
    """Produces training windows of T+1 tokens plus a per-target loss weight."""

    def __init__(self, tok, T, seed, passkey_frac=0.5, answer_weight=5.0, labelled_frac=0.0,
                 word_frac=0.0, copy_frac=0.0, random_copy_frac=0.0, random_copy_gap=300,
                 labelled_needle_weights=(0.5, 0.35, 0.15)):
        self.tok, self.T = tok, T
        self.rng = random.Random(seed)
        verses = load_kjv()
        self.train_verses = [v for b, v in verses if b != HELDOUT_BOOK]
        self.passkey_frac = passkey_frac
        self.answer_weight = answer_weight
        self.labelled_frac = labelled_frac
        self.word_frac = word_frac
        self.copy_frac = copy_frac
        self.random_copy_frac = random_copy_frac
        self.random_copy_gap = random_copy_gap
        self.labelled_needle_weights = list(labelled_needle_weights)  # of 1, 2, 3, ... needles
        # plain text pieces (no control or byte-fallback tokens) for the random-piece drill
        self.text_pieces = [i for i in range(tok.n_vocab)
                            if tok.token_types[i] == 1 and not tok.tokens[i].startswith("<0x")]
        # needle words: the training text's words of 4-10 letters, minus the evaluation's
        found = set(re.findall(r"\b[A-Za-z]{4,10}\b", " ".join(self.train_verses)))
        self.words = sorted(found - EVAL_WORDS)
        self.n_fixed = len(tok.encode(passkey_prompt(50000, 0, 0) + " 50000", bos=True))

    # ---- natural text
    def bible_text(self, n_chars):
        r = self.rng
        i = r.randrange(len(self.train_verses))
        parts, n = [], 0
        sep = "\n" if r.random() < 0.2 else " "
        while n < n_chars and i < len(self.train_verses):
            parts.append(self.train_verses[i])
            n += len(self.train_verses[i]) + 1
            i += 1
        return sep.join(parts)[:n_chars]

    def bible_doc(self):
        """A document: BOS + a random run of verses (ends at a verse boundary)."""
        r = self.rng
        n_chars = int(r.choice([200, 400, 800, 1600, 3200]) * r.uniform(0.5, 1.0))
        txt = self.bible_text(n_chars)
        txt = txt.rsplit(". ", 1)[0] + "." if r.random() < 0.5 and ". " in txt else txt
        return self.tok.encode(txt, bos=True), None

    # ---- passkey filler: mostly the standard filler, sometimes natural text or a mix,
    # cut at random character offsets so every needle-to-question gap occurs
    def filler(self, n_chars):
        r = self.rng
        u = r.random()
        if n_chars == 0:
            return ""
        if u < 0.6:
            start = 0 if r.random() < 0.5 else r.randrange(len(GARBAGE) + 1)
            return garbage_inf(n_chars, start)
        if u < 0.8:
            return self.bible_text(n_chars)
        out = ""
        while len(out) < n_chars:  # interleave filler sentences and verses
            if r.random() < 0.5:
                out += garbage_inf(r.randint(10, 120), r.randrange(len(GARBAGE) + 1)) + " "
            else:
                out += self.bible_text(r.randint(20, 200)) + " "
        return out[:n_chars]

    def passkey_doc(self, max_tokens):
        """BOS + passkey prompt + " k", at most max_tokens tokens; weights mark the answer.
        With probability word_frac the key is a word of the training text, not a number."""
        r = self.rng
        k = r.choice(self.words) if self.word_frac > 0 and r.random() < self.word_frac else r.randint(1, 50000)
        budget = max_tokens - self.n_fixed          # tokens left for the two fillers
        if budget < 0:
            return None
        cmax = int(budget * 2.2) + 8                 # characters that may fit (trimmed below)
        suf = r.randint(0, cmax)                     # gap first: uniform over the whole range
        pre = r.randint(0, cmax - suf)
        pre_txt, suf_txt = self.filler(pre), self.filler(suf)
        while True:
            prompt = (TASK + "\n" + pre_txt + "\n" + needle(k) + "\n" + suf_txt + "\n" + QUESTION)
            p_ids = self.tok.encode(prompt, bos=True)
            ids = self.tok.encode(prompt + " %s" % k, bos=True)
            if len(ids) <= max_tokens:
                break
            if not pre_txt and not suf_txt:  # a long word that does not fit at all
                return None
            excess = len(ids) - max_tokens
            cut = max(1, int(excess * 1.6))
            if len(pre_txt) > 0:
                pre_txt = pre_txt[:max(0, len(pre_txt) - cut)]
            else:
                suf_txt = suf_txt[:max(0, len(suf_txt) - cut)]
        if ids[:len(p_ids)] != p_ids:  # a word that merges with the prompt's end: skip it
            return None
        return ids, len(p_ids)

    def needle_value(self):
        r = self.rng
        return str(r.randint(1, 50000)) if r.random() < 0.6 else r.choice(self.words)

    @staticmethod
    def labelled_prompt(needles, fillers, label):
        parts = [TASK, fillers[0]]
        for nd, f in zip(needles, fillers[1:]):
            parts += [labelled_needle(*nd), f]
        return "\n".join(parts + [labelled_question(label)])

    def labelled_doc(self, max_tokens):
        """BOS + task + 1-3 labelled needles between fillers + a question naming one label +
        " value" (the layout of bench/evaluate.py build_prompt), at most max_tokens tokens."""
        r = self.rng
        weights = self.labelled_needle_weights
        n = r.choices(range(1, len(weights) + 1), weights=weights)[0]
        while True:
            needles = [(label, self.needle_value()) for label in r.sample(LABELS, n)]
            label, value = r.choice(needles)
            n_fixed = len(self.tok.encode(self.labelled_prompt(needles, [""] * (n + 1), label) + " " + value,
                                          bos=True))
            if n_fixed <= max_tokens:
                break
            if n == 1:
                return None
            n -= 1
        budget = max_tokens - n_fixed
        cmax = int(budget * 2.2) + 8
        cuts = sorted(r.randint(0, cmax) for _ in range(n))  # n + 1 fillers share cmax chars
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [cmax])]
        fillers = [self.filler(c) for c in sizes]
        while True:
            prompt = self.labelled_prompt(needles, fillers, label)
            p_ids = self.tok.encode(prompt, bos=True)
            ids = self.tok.encode(prompt + " " + value, bos=True)
            if len(ids) <= max_tokens:
                break
            if not any(fillers):
                return None
            i = max(range(len(fillers)), key=lambda j: len(fillers[j]))  # trim the longest
            cut = max(1, int((len(ids) - max_tokens) * 1.6))
            fillers[i] = fillers[i][:max(0, len(fillers[i]) - cut)]
        if ids[:len(p_ids)] != p_ids:  # a word that merges with the prompt's end: skip it
            return None
        return ids, len(p_ids)

    def copy_doc(self, max_tokens):
        """A copying drill: BOS + a list of words of the training text + filler + the same list
        again, the repeat weighted as an answer. Many copied tokens per sample teach the model to
        copy any piece of its vocabulary (induction), which one word needle per window does not."""
        r = self.rng
        words = " ".join(r.choice(self.words) for _ in range(r.randint(2, 12)))
        first = self.tok.encode(words + "\n" + self.filler(r.randint(0, 300)) + "\n", bos=True)
        ids = first + self.tok.encode(words, bos=False)
        if len(ids) > max_tokens:
            return None
        return ids, len(first)

    def random_copy_doc(self, max_tokens):
        """A random-piece copying drill: BOS + 3-16 uniformly random text pieces + filler + the
        same pieces again, the repeat weighted as an answer. Unlike a list of words, the next piece
        of the repeat cannot be guessed from the language, only found by matching the previous one
        (an induction head, as in Olsson et al. 2022), which a word needle's later pieces need."""
        r = self.rng
        run = [r.choice(self.text_pieces) for _ in range(r.randint(3, 16))]
        gap = self.tok.encode("\n" + self.filler(r.randint(0, self.random_copy_gap)) + "\n", add_space_prefix=False)
        first = [self.tok.bos_id] + run + gap
        ids = first + run
        if len(ids) > max_tokens:
            return None
        return ids, len(first)

    def window(self):
        """Returns (tokens[T+1], weights[T]) : weights for predicting tokens[1:]."""
        r, T = self.rng, self.T
        toks, w = [], []

        def append(ids, ans_start=None):
            base = len(toks)
            toks.extend(ids)
            w.extend([1.0] * len(ids))
            if ans_start is not None:
                for j in range(base + ans_start, base + len(ids)):
                    w[j] = self.answer_weight

        while len(toks) < T + 1:
            room = T + 1 - len(toks)
            # passkey samples mostly start a window (as at evaluation), sometimes packed later
            want_pk = r.random() < (self.passkey_frac if len(toks) == 0 else self.passkey_frac / 3)
            pk = None
            if self.random_copy_frac > 0 and r.random() < self.random_copy_frac:
                pk = self.random_copy_doc(min(room, T))
            elif self.copy_frac > 0 and r.random() < self.copy_frac:
                pk = self.copy_doc(min(room, T))
            elif want_pk:
                labelled = self.labelled_frac > 0 and r.random() < self.labelled_frac
                pk = self.labelled_doc(min(room, T)) if labelled else self.passkey_doc(min(room, T))
            if pk is not None:
                append(*pk)
            else:
                append(self.bible_doc()[0])
        toks, w = toks[:T + 1], w[:T + 1]
        return toks, w[1:]   # weight of target t+1
