"""BERT-uncased WordPiece tokenizer, reimplemented from the MiniLM ``tokenizer.json``.

The browser encodes item titles with transformers.js and the same ``tokenizer.json``; the ids produced here must
be identical, so this follows the Hugging Face ``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece`` +
``TemplateProcessing([CLS] A [SEP])`` pipeline step by step (clean text, pad CJK characters, strip accents,
lowercase, split on whitespace and punctuation, greedy longest-match-first sub-words with ``##``).
"""
from __future__ import annotations

import json
import os
import unicodedata
from typing import Dict, List, Sequence

SHARED_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "models", "all-MiniLM-L6-v2-tokenizer")
BUNDLED_DIR = os.path.join(os.path.dirname(__file__), "assets", "tokenizer")  # the same files, in the npm package
# The workplace copy beside a checkout when it is there, else the copy shipped with the package (npx localshelf-train
# in a store's project has no ../shared); $LOCALSHELF_TOKENIZER_DIR overrides both.
DEFAULT_DIR = os.environ.get("LOCALSHELF_TOKENIZER_DIR") or (
    SHARED_DIR if os.path.exists(os.path.join(SHARED_DIR, "tokenizer.json")) else BUNDLED_DIR)

# transformers.js' feature-extraction pipeline truncates at tokenizer_config.model_max_length (512);
# ids beyond that never reach the text tower in the browser, so they must not reach it here either.
MAX_LENGTH = 512


def _is_whitespace(ch: str) -> bool:
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs" or ch.isspace()


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese_char(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPieceTokenizer:
    """Encodes text to MiniLM vocabulary ids exactly like ``tokenizer.json`` (single sequence, no padding)."""

    def __init__(self, tokenizer_dir: str = DEFAULT_DIR, max_length: int = MAX_LENGTH):
        with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        if model["type"] != "WordPiece":
            raise ValueError(f"expected a WordPiece tokenizer, got {model['type']}")
        self.vocab: Dict[str, int] = model["vocab"]
        self.unk_token: str = model["unk_token"]
        self.prefix: str = model["continuing_subword_prefix"]
        self.max_chars: int = model["max_input_chars_per_word"]
        norm = spec["normalizer"]
        self.lowercase: bool = norm.get("lowercase", True)
        strip = norm.get("strip_accents")
        self.strip_accents: bool = self.lowercase if strip is None else bool(strip)
        self.clean_text: bool = norm.get("clean_text", True)
        self.chinese: bool = norm.get("handle_chinese_chars", True)
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.pad_id = self.vocab["[PAD]"]
        self.unk_id = self.vocab[self.unk_token]
        self.max_length = max_length
        self.vocab_size = len(self.vocab)

    # -- normalizer -------------------------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        out = []
        for ch in text:
            cp = ord(ch)
            if self.clean_text:
                if cp == 0 or cp == 0xFFFD or _is_control(ch):
                    continue
                if _is_whitespace(ch):
                    out.append(" ")
                    continue
            if self.chinese and _is_chinese_char(cp):
                out.append(" " + ch + " ")
            else:
                out.append(ch)
        text = "".join(out)
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        if self.lowercase:
            text = text.lower()
        return text

    # -- pre-tokenizer ----------------------------------------------------------------------------------------
    @staticmethod
    def pre_tokenize(text: str) -> List[str]:
        words: List[str] = []
        cur: List[str] = []
        for ch in text:
            if _is_whitespace(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
            elif _is_punctuation(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(ch)
            else:
                cur.append(ch)
        if cur:
            words.append("".join(cur))
        return words

    # -- model ------------------------------------------------------------------------------------------------
    def wordpiece(self, word: str) -> List[str]:
        if len(word) > self.max_chars:
            return [self.unk_token]
        pieces: List[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = self.prefix + sub
                if sub in self.vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return [self.unk_token]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text: str) -> List[str]:
        return [p for w in self.pre_tokenize(self.normalize(text)) for p in self.wordpiece(w)]

    def encode(self, text: str) -> List[int]:
        """``[CLS] tokens [SEP]`` ids, truncated (right) to ``max_length`` like transformers.js does."""
        ids = [self.vocab[t] for t in self.tokenize(text)]
        ids = ids[: self.max_length - 2]
        return [self.cls_id] + ids + [self.sep_id]

    def encode_batch(self, texts: Sequence[str]) -> List[List[int]]:
        return [self.encode(t) for t in texts]
