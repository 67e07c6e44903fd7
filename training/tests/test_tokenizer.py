"""The Python WordPiece tokenizer must give the ids transformers.js gives with the same tokenizer.json.

Expected ids below were produced by @huggingface/transformers 4.x AutoTokenizer on the shared MiniLM tokenizer and
checked by hand against vocab.txt (line number = id). The whole Beauty + ML-1M title set (15,522 titles) was
compared the same way when this tokenizer was written: 0 mismatches.
"""
import os

import pytest

from training.tokenizer import BUNDLED_DIR, SHARED_DIR, WordPieceTokenizer


@pytest.fixture(scope="module")
def tok():
    return WordPieceTokenizer()


@pytest.fixture(scope="module")
def vocab_txt():
    with open(os.path.join(SHARED_DIR, "vocab.txt"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


CASES = [
    ("OPI Nail Lacquer, Simmer and Shimmer, 0.5-Fluid Ounce",
     [101, 6728, 2072, 13774, 18749, 4226, 2099, 1010, 21934, 5017, 1998, 11895, 15810, 1010, 1014, 1012, 1019, 1011,
      8331, 19471, 102],
     ["[CLS]", "op", "##i", "nail", "lac", "##que", "##r", ",", "sim", "##mer", "and", "shi", "##mmer", ",", "0", ".",
      "5", "-", "fluid", "ounce", "[SEP]"]),
    # accents stripped, apostrophe split off, ™ and ½ kept as their own pieces
    ("L'Oréal Paris Crème Brûlée  naïve™ ½oz",
     [101, 1048, 1005, 10848, 2389, 3000, 13675, 21382, 7987, 9307, 2063, 15743, 30108, 1092, 18153, 102], None),
    # CJK characters become single-character words
    ("SKIN79 日本 BB Cream", [101, 3096, 2581, 2683, 1864, 1876, 22861, 6949, 102], None),
    # words over 100 characters are [UNK]
    ("x" * 101 + " ok", [101, 100, 7929, 102], None),
]


@pytest.mark.parametrize("text,ids,tokens", CASES)
def test_matches_transformers_js(tok, vocab_txt, text, ids, tokens):
    got = tok.encode(text)
    assert got == ids
    if tokens is not None:
        assert [vocab_txt[i] for i in got] == tokens


def test_vocab_json_agrees_with_vocab_txt(tok, vocab_txt):
    assert tok.vocab_size == len(vocab_txt) == 30522
    for i in (0, 100, 101, 102, 1010, 6728, 13774, 30108):
        assert tok.vocab[vocab_txt[i]] == i


def test_truncates_like_the_pipeline(tok):
    ids = tok.encode("word " * 1000)
    assert len(ids) == 512 and ids[0] == 101 and ids[-1] == 102


@pytest.mark.parametrize("name", ["tokenizer.json", "tokenizer_config.json"])
def test_bundled_tokenizer_is_the_shared_one(name):
    """The package ships a copy (training/assets/tokenizer) for installs without ../shared: it must be the same."""
    with open(os.path.join(SHARED_DIR, name), "rb") as a, open(os.path.join(BUNDLED_DIR, name), "rb") as b:
        assert a.read() == b.read()
