"""Tests of course_utils.subwords: BPE vs the tokenizers library, WordPiece (notebook 07)."""

from __future__ import annotations

import pytest
from tokenizers import models, pre_tokenizers
from transformers import AutoTokenizer

from course_utils.subwords import (
    BERT_SPECIAL_TOKENS,
    END_OF_WORD,
    UNK,
    bpe_encode,
    learn_bpe,
    pre_tokenize,
    subword_coverage,
    tokenizer_merges,
    train_reference_bpe,
    train_wordpiece,
    word_coverage,
    word_frequencies,
)

BPE_VOCAB_SIZE = 3000
WORDPIECE_VOCAB_SIZE = 8000
MODEL_MAX_LENGTH = 64


@pytest.fixture(scope="module")
def mr_texts(mr_split) -> dict[str, list[str]]:
    return {name: [text for text, _ in examples] for name, examples in mr_split.items()}


@pytest.fixture(scope="module")
def wordpiece(mr_texts):
    return train_wordpiece(
        mr_texts["train"], WORDPIECE_VOCAB_SIZE, model_max_length=MODEL_MAX_LENGTH
    )


def test_pre_tokenize_matches_the_whitespace_pre_tokenizer(mr_texts):
    library = pre_tokenizers.Whitespace()
    for text in mr_texts["train"]:
        assert pre_tokenize(text) == [word for word, _ in library.pre_tokenize_str(text)]


def test_learn_bpe_reproduces_the_tokenizers_library_on_mr(mr_texts):
    texts = mr_texts["train"]
    ours = learn_bpe(word_frequencies(texts), BPE_VOCAB_SIZE, special_tokens=BERT_SPECIAL_TOKENS)
    reference = train_reference_bpe(texts, BPE_VOCAB_SIZE, special_tokens=BERT_SPECIAL_TOKENS)
    assert len(ours.vocab) == BPE_VOCAB_SIZE
    assert list(ours.merges) == tokenizer_merges(reference)
    assert ours.vocab == reference.get_vocab()
    ranks = ours.ranks
    for word in word_frequencies(texts):
        expected = [token.value for token in reference.model.tokenize(word)]
        assert bpe_encode(word, ranks) == expected, word


def test_min_frequency_stops_like_the_library(mr_texts):
    texts = mr_texts["train"][:500]
    ours = learn_bpe(word_frequencies(texts), BPE_VOCAB_SIZE, min_frequency=5)
    reference = train_reference_bpe(texts, BPE_VOCAB_SIZE, min_frequency=5)
    assert len(ours.vocab) < BPE_VOCAB_SIZE
    assert list(ours.merges) == tokenizer_merges(reference)


def test_sennrich_example_with_end_of_word_marker():
    # low 5, lower 2, newest 6, widest 3: "e s" and "s t</w>" both occur 9 times; the
    # tie goes to the pair with the smaller ids ("e" < "s"), then "l o" (7), then the
    # three pairs seen 6 times, smallest ids first: "e w", "n ew", "new est</w>".
    counts = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
    model = learn_bpe(counts, vocab_size=21, end_of_word_suffix=END_OF_WORD)
    assert list(model.merges[:6]) == [
        ("e", "s"),
        ("es", "t</w>"),
        ("l", "o"),
        ("e", "w"),
        ("n", "ew"),
        ("new", "est</w>"),
    ]
    assert model.encode_word("lowest") == ["lo", "w", "est</w>"]
    assert model.encode("lowest newest") == ["lo", "w", "est</w>", "newest</w>"]


def test_bpe_encode_matches_the_library_model_on_hand_made_merges():
    merges = [("a", "a"), ("b", "c"), ("aa", "bc"), ("a", "b"), ("c", "a")]
    vocab = {token: i for i, token in enumerate(["a", "b", "c", "aa", "bc", "aabc", "ab", "ca"])}
    library = models.BPE(vocab, merges)
    for word in ["aaa", "aaaa", "aabc", "abca", "cabcaa", "caaabcab"]:
        expected = [token.value for token in library.tokenize(word)]
        assert bpe_encode(word, merges) == expected, word
    assert bpe_encode("aaa", merges) == ["aa", "a"]


def test_learn_bpe_rejects_bad_input():
    with pytest.raises(ValueError, match="vocab_size"):
        learn_bpe({"low": 1}, 0)
    with pytest.raises(ValueError, match="positive counts"):
        learn_bpe({"low": 0}, 10)


def test_wordpiece_has_no_unknown_tokens_on_mr_test(wordpiece, mr_texts):
    words = word_coverage(mr_texts["train"], mr_texts["test"])
    pieces = subword_coverage(wordpiece, mr_texts["test"])
    assert pieces.unknown == 0 and pieces.tokens > words.tokens
    assert words.unknown > 0 and 0.01 < words.rate < 0.1  # measured: 950 / 24,208 = 3.9%


def test_wordpiece_bert_conventions(wordpiece):
    assert wordpiece.convert_ids_to_tokens(list(range(5))) == list(BERT_SPECIAL_TOKENS)
    assert wordpiece.model_max_length == MODEL_MAX_LENGTH
    encoded = wordpiece("A gripping film", "Bad acting!")
    tokens = wordpiece.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2 and tokens[-1] == "[SEP]"
    assert "a" in tokens and "A" not in tokens  # lower-cased
    first_sep = tokens.index("[SEP]")
    assert encoded["token_type_ids"] == [0] * (first_sep + 1) + [1] * (len(tokens) - first_sep - 1)
    long = wordpiece("word " * 500, truncation=True)["input_ids"]
    assert len(long) == MODEL_MAX_LENGTH
    assert wordpiece.decode(encoded["input_ids"], skip_special_tokens=True).startswith(
        "a gripping"
    )


def test_wordpiece_character_fallback():
    # "q" only ever starts a word in training, so the trainer has no "##q" piece.
    tokenizer = train_wordpiece(["quick quiet quilt"] * 5, 40, model_max_length=16)
    ids = tokenizer("aqq zéq", add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.convert_ids_to_tokens(tokenizer("😀")["input_ids"])[1] == UNK


def test_wordpiece_save_and_auto_tokenizer_round_trip(wordpiece, mr_texts, tmp_path):
    wordpiece.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    texts = mr_texts["test"][:100]
    assert loaded(texts, padding=True).data == wordpiece(texts, padding=True).data
    assert loaded.model_max_length == MODEL_MAX_LENGTH
    assert loaded.all_special_tokens == wordpiece.all_special_tokens
    assert loaded.mask_token == "[MASK]" and loaded.pad_token_id == 0
