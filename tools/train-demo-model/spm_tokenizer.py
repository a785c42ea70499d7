"""SentencePiece-style (llama.cpp "llama"/SPM) tokenizer in plain Python.

Follows llama.cpp's SPM algorithm: spaces become U+2581, one U+2581 is prepended to the text,
the text starts as UTF-8 characters, and the adjacent pair whose concatenation is a vocabulary
piece with the highest score is merged repeatedly (leftmost on ties); a final symbol that is not
a piece becomes byte tokens <0xNN>.  Merged pieces in this vocabulary never contain U+2581 except
at their start, so text can be split before every U+2581 and each word tokenized (and cached)
on its own: the result is identical.
"""
import heapq
import os
import sys

SPACE = "\u2581"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VOCAB_GGUF = os.path.join(HERE, "..", "..", "models", "stories260K.gguf")


class SPMTokenizer:
    def __init__(self, tokens, scores, token_types, bos_id=1, eos_id=2):
        self.tokens = list(tokens)
        self.scores = list(scores)
        self.token_types = list(token_types)
        self.bos_id, self.eos_id = bos_id, eos_id
        self.piece_to_id = {}
        for i, t in enumerate(self.tokens):
            if self.token_types[i] in (1, 4, 5):  # normal / user-defined / unused: mergeable text
                self.piece_to_id.setdefault(t, i)
        self.byte_id = {}
        for i, t in enumerate(self.tokens):
            if self.token_types[i] == 6 and len(t) == 6 and t.startswith("<0x"):
                self.byte_id[int(t[3:5], 16)] = i
        # safety: words containing U+2581 only at the start (see module docstring)
        assert not any(SPACE in p[1:] for p in self.piece_to_id)
        self.cache = {}

    @classmethod
    def from_gguf(cls, path=DEFAULT_VOCAB_GGUF):
        gguf_dir = os.path.join(HERE, "..", "gguf")
        if gguf_dir not in sys.path:
            sys.path.insert(0, gguf_dir)
        from gguf_io import read_gguf
        m, _ = read_gguf(path)
        return cls(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.scores"],
                   m["tokenizer.ggml.token_type"], m.get("tokenizer.ggml.bos_token_id", 1),
                   m.get("tokenizer.ggml.eos_token_id", 2))

    @property
    def n_vocab(self):
        return len(self.tokens)

    def _encode_word(self, word):
        ids = self.cache.get(word)
        if ids is not None:
            return ids
        sym = list(word)                 # current symbols (strings)
        alive = [True] * len(sym)
        nxt = list(range(1, len(sym) + 1))
        prv = list(range(-1, len(sym) - 1))
        heap = []

        def push(l, r):
            if l < 0 or r >= len(sym):
                return
            pid = self.piece_to_id.get(sym[l] + sym[r])
            if pid is not None:
                # highest score first, then leftmost
                heapq.heappush(heap, (-self.scores[pid], l, r, sym[l] + sym[r]))

        for i in range(len(sym) - 1):
            push(i, i + 1)
        while heap:
            _, l, r, text = heapq.heappop(heap)
            if not alive[l] or not alive[r] or nxt[l] != r or sym[l] + sym[r] != text:
                continue  # stale
            sym[l] = text
            alive[r] = False
            nxt[l] = nxt[r]
            if nxt[r] < len(sym):
                prv[nxt[r]] = l
            push(prv[l], l)
            push(l, nxt[l])
        out = []
        i = 0
        while i < len(sym):
            s = sym[i]
            pid = self.piece_to_id.get(s)
            if pid is not None:
                out.append(pid)
            else:
                out.extend(self.byte_id[b] for b in s.encode("utf-8"))
            i = nxt[i]
        self.cache[word] = out
        return out

    def encode(self, text, bos=False, eos=False, add_space_prefix=True):
        t = text.replace(" ", SPACE)
        if add_space_prefix:
            t = SPACE + t
        out = [self.bos_id] if bos else []
        # split before every U+2581 (the first word may lack it if add_space_prefix is False)
        start = 0
        for i in range(1, len(t) + 1):
            if i == len(t) or t[i] == SPACE:
                if i > start:
                    out.extend(self._encode_word(t[start:i]))
                start = i
        if eos:
            out.append(self.eos_id)
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            tt = self.token_types[i]
            if tt == 6:
                bs.append(int(self.tokens[i][3:5], 16))
            elif tt in (2, 3):
                continue
            else:
                bs += self.tokens[i].replace(SPACE, " ").encode("utf-8")
        s = bs.decode("utf-8", errors="replace")
        return s[1:] if s.startswith(" ") else s
