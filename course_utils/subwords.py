"""Subword tokenization: byte-pair encoding from scratch, and WordPiece for the course's BERT.

Taught in notebook 07 (after the vocabulary problem of notebook 05): a word-level
vocabulary cannot represent a word it has not seen, while subwords split it into known
pieces. :func:`learn_bpe` is Sennrich et al. (2016)'s merge loop written out and checked
against the ``tokenizers`` library; :func:`train_wordpiece` trains the tokenizer that
notebook 08's BERT uses and wraps it for ``transformers``.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import re
import string
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from tokenizers.processors import TemplateProcessing
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerFast

__all__ = [
    "BERT_MODEL_INPUTS",
    "BERT_SPECIAL_TOKENS",
    "CLS",
    "CONTINUATION_PREFIX",
    "DEFAULT_ALPHABET",
    "DEFAULT_MIN_FREQUENCY",
    "END_OF_WORD",
    "MASK",
    "MAX_INPUT_CHARS_PER_WORD",
    "PAD",
    "SEP",
    "UNK",
    "WHITESPACE_PATTERN",
    "BPEModel",
    "Coverage",
    "Pair",
    "bert_words",
    "bpe_encode",
    "learn_bpe",
    "merge_ranks",
    "pre_tokenize",
    "split_share",
    "subword_coverage",
    "tokenizer_merges",
    "train_reference_bpe",
    "train_wordpiece",
    "word_coverage",
    "word_frequencies",
]

#: The ``tokenizers`` library's ``Whitespace`` pre-tokenizer: runs of word characters or
#: of other non-space characters ("don't" -> "don", "'", "t").
WHITESPACE_PATTERN = re.compile(r"\w+|[^\w\s]+")
#: Sennrich et al.'s end-of-word marker, for ``end_of_word_suffix="</w>"``.
END_OF_WORD = "</w>"
#: BERT's special tokens, in the order of their ids 0-4 in the course's vocabularies.
PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
BERT_SPECIAL_TOKENS = (PAD, UNK, CLS, SEP, MASK)
#: What a BERT tokenizer returns, in the order of ``TinyBert``'s forward arguments.
BERT_MODEL_INPUTS = ("input_ids", "token_type_ids", "attention_mask")
#: WordPiece marks a piece that continues a word (BERT: "playing" -> "play", "##ing").
CONTINUATION_PREFIX = "##"
#: Longer "words" become a single [UNK] (BERT's and the ``tokenizers`` default).
MAX_INPUT_CHARS_PER_WORD = 100
#: Characters every WordPiece vocabulary can spell, seen in training or not.
DEFAULT_ALPHABET = string.ascii_letters + string.digits + string.punctuation
#: Drop pieces seen fewer times than this when training WordPiece.
DEFAULT_MIN_FREQUENCY = 2

Pair = tuple[str, str]


# ---------------------------------------------------------------------------
# Byte-pair encoding, from scratch
# ---------------------------------------------------------------------------


def pre_tokenize(text: str) -> list[str]:
    r"""Split ``text`` like ``tokenizers``' ``Whitespace`` pre-tokenizer. Notebook 07.

    The pattern is ``\w+|[^\w\s]+``: runs of word characters, or of punctuation.
    """
    return WHITESPACE_PATTERN.findall(text)


def word_frequencies(texts: Iterable[str], lowercase: bool = False) -> Counter[str]:
    """Count the pre-tokenized words of ``texts``: the input of :func:`learn_bpe`. Notebook 07."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(pre_tokenize(text.lower() if lowercase else text))
    return counts


def _initial_symbols(word: str, end_of_word_suffix: str | None) -> list[str]:
    """A word as characters, the last one carrying the end-of-word suffix if any."""
    symbols = list(word)
    if end_of_word_suffix and symbols:
        symbols[-1] += end_of_word_suffix
    return symbols


def _merge_symbols(symbols: list[str], pair: Pair) -> list[str]:
    """Replace every occurrence of ``pair`` by its concatenation, left to right."""
    merged: list[str] = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            merged.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return merged


def _pairs(symbols: Sequence[str]) -> list[Pair]:
    return list(itertools.pairwise(symbols))


@dataclass(frozen=True)
class BPEModel:
    """What :func:`learn_bpe` learns: the merges in order and the vocabulary. Notebook 07.

    ``vocab`` maps each token to its id: special tokens, then the characters in code
    point order (then, with an end-of-word suffix, the suffixed characters), then the
    merged tokens in the order they were created.
    """

    merges: tuple[Pair, ...]
    vocab: dict[str, int]
    end_of_word_suffix: str | None = None

    def encode_word(self, word: str) -> list[str]:
        """Segment one word with the learned merges (see :func:`bpe_encode`)."""
        return bpe_encode(word, self.ranks, end_of_word_suffix=self.end_of_word_suffix)

    def encode(self, text: str) -> list[str]:
        """Pre-tokenize ``text`` and segment every word."""
        return [piece for word in pre_tokenize(text) for piece in self.encode_word(word)]

    @functools.cached_property
    def ranks(self) -> dict[Pair, int]:
        """Each merge's position in the learned order (lower = applied first)."""
        return merge_ranks(self.merges)


def merge_ranks(merges: Iterable[Pair]) -> dict[Pair, int]:
    """``{pair: rank}`` for :func:`bpe_encode`; a repeated pair keeps its first rank."""
    ranks: dict[Pair, int] = {}
    for rank, pair in enumerate(merges):
        ranks.setdefault(tuple(pair), rank)
    return ranks


def bpe_encode(
    word: str,
    merges: Sequence[Pair] | Mapping[Pair, int],
    *,
    end_of_word_suffix: str | None = None,
) -> list[str]:
    """Segment ``word`` by applying the learned merges in their learned order. Notebook 07.

    Repeatedly merges the adjacent pair with the lowest rank (leftmost first), which
    gives the same segmentation as replaying the merges one by one, as the
    ``tokenizers`` BPE model does. Pass :func:`merge_ranks` (or ``BPEModel.ranks``)
    instead of the list to encode many words quickly. Characters never seen in
    training stay single symbols (the library maps them to its unknown token, if any).
    """
    ranks = merges if isinstance(merges, Mapping) else merge_ranks(merges)
    symbols = _initial_symbols(word, end_of_word_suffix)
    while len(symbols) > 1:
        best = min(_pairs(symbols), key=lambda pair: ranks.get(pair, len(ranks)))
        if best not in ranks:
            break
        symbols = _merge_symbols(symbols, best)
    return symbols


def learn_bpe(
    word_counts: Mapping[str, int],
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 0,
    end_of_word_suffix: str | None = None,
    progress: bool = False,
) -> BPEModel:
    """Learn byte-pair-encoding merges from word frequencies (Sennrich et al. 2016). Notebook 07.

    Start from characters; repeatedly count every adjacent pair of symbols (weighted by
    word frequency), merge the most frequent pair everywhere, and record it, until the
    vocabulary (special tokens + alphabet + merged tokens) has ``vocab_size`` entries
    or no pair occurs ``min_frequency`` times (at least once).

    It reproduces ``tokenizers.trainers.BpeTrainer`` exactly (tested on MR):

    * words never cross: merges happen inside a word, one word = one pre-token;
    * no end-of-word marker by default, the library's default. Sennrich et al. mark the
      last character (``end_of_word_suffix="</w>"`` gives "low</w>" pieces); the library
      adds such suffixed characters in hash-map order, so with a suffix ties may break
      differently from the library;
    * ties: among pairs with the same count, the library merges the pair with the
      smallest (left id, right id), where ids are vocabulary positions: special tokens
      first, then the alphabet in code point order, then merged tokens by creation.
      :func:`max` over a ``dict`` would instead pick the first pair counted (Sennrich's
      reference code), an equally valid but different choice.

    Pair counts are updated incrementally, only in the words that contain the merged
    pair, and the best pair comes from a heap: MR's 16,570 word types take about a second.
    """
    if vocab_size <= 0:
        raise ValueError(f"vocab_size must be positive, got {vocab_size}.")
    bad = {word: count for word, count in word_counts.items() if not word or count <= 0}
    if bad:
        example = next(iter(bad.items()))
        raise ValueError(f"words must be non-empty with positive counts, got e.g. {example}.")
    vocab: dict[str, int] = {}
    for token in [*special_tokens, *sorted({char for word in word_counts for char in word})]:
        vocab.setdefault(token, len(vocab))
    words = [_initial_symbols(word, end_of_word_suffix) for word in word_counts]
    for token in sorted({symbols[-1] for symbols in words}):
        vocab.setdefault(token, len(vocab))
    freqs = list(word_counts.values())

    pair_counts: Counter[Pair] = Counter()
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for index, symbols in enumerate(words):
        for pair in _pairs(symbols):
            pair_counts[pair] += freqs[index]
            where[pair].add(index)

    def entry(pair: Pair) -> tuple[int, int, int, Pair]:
        return (-pair_counts[pair], vocab[pair[0]], vocab[pair[1]], pair)

    heap = [entry(pair) for pair in pair_counts]
    heapq.heapify(heap)
    merges: list[Pair] = []
    bar = tqdm(total=max(vocab_size - len(vocab), 0), desc="BPE merges", disable=not progress)
    while len(vocab) < vocab_size and heap:
        negative_count, _, _, pair = heapq.heappop(heap)
        count = pair_counts[pair]
        if -negative_count != count:  # stale entry: re-queue with the current count
            if count > 0:
                heapq.heappush(heap, entry(pair))
            continue
        if count < max(min_frequency, 1):
            break
        if pair[0] + pair[1] not in vocab:
            bar.update(1)
        vocab.setdefault(pair[0] + pair[1], len(vocab))
        merges.append(pair)
        grown: set[Pair] = set()
        for index in where.pop(pair):
            old = Counter(_pairs(words[index]))
            words[index] = _merge_symbols(words[index], pair)
            new = Counter(_pairs(words[index]))
            for changed in old.keys() | new.keys():
                delta = new[changed] - old[changed]
                pair_counts[changed] += delta * freqs[index]
                if delta > 0:
                    where[changed].add(index)
                    grown.add(changed)
        for changed in grown:
            heapq.heappush(heap, entry(changed))
    bar.close()
    return BPEModel(tuple(merges), vocab, end_of_word_suffix)


# ---------------------------------------------------------------------------
# The reference: the ``tokenizers`` library
# ---------------------------------------------------------------------------


def train_reference_bpe(
    texts: Iterable[str],
    vocab_size: int,
    *,
    special_tokens: Sequence[str] = (),
    min_frequency: int = 0,
    end_of_word_suffix: str | None = None,
) -> Tokenizer:
    """The ``tokenizers`` BPE (``BpeTrainer``, ``Whitespace`` pre-tokenizer) on ``texts``.

    The library implementation that :func:`learn_bpe` is checked against. Notebook 07.
    """
    suffix = {} if end_of_word_suffix is None else {"end_of_word_suffix": end_of_word_suffix}
    tokenizer = Tokenizer(models.BPE(**suffix))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(special_tokens),
        show_progress=False,
        **suffix,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def tokenizer_merges(tokenizer: Tokenizer) -> list[Pair]:
    """The ordered merges of a ``tokenizers`` BPE tokenizer (read from its JSON form)."""
    model = json.loads(tokenizer.to_str())["model"]
    if model.get("type") != "BPE":
        raise ValueError(f"expected a BPE tokenizer, got a {model.get('type')} model.")
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]


# ---------------------------------------------------------------------------
# WordPiece for the course's BERT
# ---------------------------------------------------------------------------


def _character_fallback(tokenizer: Tokenizer, alphabet: Iterable[str]) -> None:
    """Give every character both a word-initial and a "##" piece, so no word becomes [UNK].

    The trainer only creates "##c" for characters it saw inside a word; a character
    seen only word-initially (or only in ``alphabet``) would make a test word [UNK].
    """
    vocab = tokenizer.get_vocab(with_added_tokens=False)
    characters = set(alphabet)
    for token in vocab:
        piece = token.removeprefix(CONTINUATION_PREFIX)
        if len(piece) == 1:
            characters.add(piece)
    for char in sorted(characters):
        for piece in (char, CONTINUATION_PREFIX + char):
            vocab.setdefault(piece, len(vocab))
    tokenizer.model = models.WordPiece(
        vocab,
        unk_token=UNK,
        continuing_subword_prefix=CONTINUATION_PREFIX,
        max_input_chars_per_word=MAX_INPUT_CHARS_PER_WORD,
    )


def train_wordpiece(
    texts: Iterable[str],
    vocab_size: int,
    *,
    model_max_length: int,
    lowercase: bool = True,
    min_frequency: int = DEFAULT_MIN_FREQUENCY,
    alphabet: str = DEFAULT_ALPHABET,
    progress: bool = False,
) -> PreTrainedTokenizerFast:
    """Train a BERT WordPiece tokenizer and wrap it for ``transformers``. Notebooks 07-08.

    BERT's pipeline: the BERT normalizer (lower-casing and accent stripping when
    ``lowercase``), the BERT pre-tokenizer (white space and punctuation), WordPiece with
    "##" continuation pieces, the special tokens [PAD] [UNK] [CLS] [SEP] [MASK] as ids
    0-4, and the post-processor ``[CLS] A [SEP]`` / ``[CLS] A [SEP] B [SEP]`` with
    segment ids 0 / 1. Every character of the training texts and of ``alphabet`` gets
    a piece of its own, so only characters outside both can ever produce [UNK]; the
    vocabulary can exceed ``vocab_size`` by those fallback pieces. ``model_max_length``
    should equal the model's ``max_position``. The result supports ``save_pretrained``
    and loads back with ``AutoTokenizer.from_pretrained(directory)`` offline.
    """
    if vocab_size <= len(BERT_SPECIAL_TOKENS):
        raise ValueError(
            f"vocab_size must exceed the {len(BERT_SPECIAL_TOKENS)} special tokens, got "
            f"{vocab_size}."
        )
    if model_max_length <= 0:
        raise ValueError(f"model_max_length must be positive, got {model_max_length}.")
    tokenizer = Tokenizer(
        models.WordPiece(
            unk_token=UNK,
            continuing_subword_prefix=CONTINUATION_PREFIX,
            max_input_chars_per_word=MAX_INPUT_CHARS_PER_WORD,
        )
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    normalized_alphabet = sorted(
        {char for char in tokenizer.normalizer.normalize_str(alphabet) if not char.isspace()}
    )
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(BERT_SPECIAL_TOKENS),
        initial_alphabet=normalized_alphabet,
        continuing_subword_prefix=CONTINUATION_PREFIX,
        show_progress=progress,
    )
    tokenizer.train_from_iterator(texts, trainer)
    _character_fallback(tokenizer, normalized_alphabet)
    cls_id, sep_id = tokenizer.token_to_id(CLS), tokenizer.token_to_id(SEP)
    tokenizer.post_processor = TemplateProcessing(
        single=f"{CLS} $A {SEP}",
        pair=f"{CLS} $A {SEP} $B:1 {SEP}:1",
        special_tokens=[(CLS, cls_id), (SEP, sep_id)],
    )
    tokenizer.decoder = decoders.WordPiece(prefix=CONTINUATION_PREFIX)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        model_max_length=model_max_length,
        pad_token=PAD,
        unk_token=UNK,
        cls_token=CLS,
        sep_token=SEP,
        mask_token=MASK,
        padding_side="right",
        truncation_side="right",
        model_input_names=list(BERT_MODEL_INPUTS),
    )


# ---------------------------------------------------------------------------
# Measuring out-of-vocabulary rates
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """How many tokens of a text a vocabulary cannot represent. Notebook 07."""

    tokens: int
    unknown: int

    @property
    def rate(self) -> float:
        """Share of unknown tokens (0.0 for no tokens)."""
        return self.unknown / self.tokens if self.tokens else 0.0


def bert_words(text: str, lowercase: bool = True) -> list[str]:
    """The words BERT's normalizer and pre-tokenizer see in ``text`` (before WordPiece)."""
    normalized = normalizers.BertNormalizer(lowercase=lowercase).normalize_str(text)
    return [word for word, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(normalized)]


def word_coverage(
    train_texts: Iterable[str], test_texts: Iterable[str], lowercase: bool = True
) -> Coverage:
    """Out-of-vocabulary words of ``test_texts`` for the word vocabulary of ``train_texts``.

    Both sides use :func:`bert_words`, so the numbers compare with :func:`subword_coverage`.
    """
    vocabulary = {word for text in train_texts for word in bert_words(text, lowercase)}
    test_words = [word for text in test_texts for word in bert_words(text, lowercase)]
    return Coverage(len(test_words), sum(word not in vocabulary for word in test_words))


def subword_coverage(tokenizer: PreTrainedTokenizerFast, texts: Iterable[str]) -> Coverage:
    """How many of the subword tokens of ``texts`` are the tokenizer's unknown token."""
    if tokenizer.unk_token_id is None:
        raise ValueError("the tokenizer has no unknown token, so it has nothing to count.")
    encodings = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    ids = [token for encoding in encodings for token in encoding]
    return Coverage(len(ids), sum(token == tokenizer.unk_token_id for token in ids))


def split_share(tokenizer: PreTrainedTokenizerFast, words: Iterable[str]) -> float:
    """Share of ``words`` that ``tokenizer`` cuts into two or more pieces ("gripping" ->
    gri ##pp ##ing): how much of a word list the model must rebuild from fragments.
    Repeated words count every time, so pass running text for a share of occurrences.
    Notebook 08."""
    words = list(words)
    if not words:
        raise ValueError("no words given: pass at least one word.")
    pieces = tokenizer(words, add_special_tokens=False)["input_ids"]
    return sum(len(ids) > 1 for ids in pieces) / len(words)
