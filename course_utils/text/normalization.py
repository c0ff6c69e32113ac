"""Normalization and the vocabulary problem: NLTK's stemmers and the WordNet lemmatizer
beside our Porter stemmer, stop words, the normalization pipeline (also streamed with
Dask), and Heaps' law for how the vocabulary grows with the corpus. Notebook 05.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from course_utils.data import ensure_nltk, tokenize_words
from course_utils.text.porter import _check_tokens, _check_word, _iter_tokens, porter_stem
from course_utils.text.tagging import NOUN, WORDNET_POS, PosTagger, wordnet_pos

__all__ = [
    "DEFAULT_CURVE_POINTS",
    "HEAPS_MIN_TOKENS",
    "NORMALIZER_CACHE_SIZE",
    "PARTITIONS_PER_CORE",
    "STEMMERS",
    "compare_normalizers",
    "conflation_classes",
    "english_stopwords",
    "fit_heaps_law",
    "is_stopword",
    "lancaster_stem",
    "lemmatize",
    "lemmatize_sentence",
    "normalize",
    "normalize_corpus_parallel",
    "normalize_sentences",
    "oov_rate",
    "snowball_stem",
    "type_token_curve",
]


@lru_cache(maxsize=1)
def _snowball() -> Callable[[str], str]:
    from nltk.stem import SnowballStemmer

    return SnowballStemmer("english").stem


@lru_cache(maxsize=1)
def _lancaster() -> Callable[[str], str]:
    from nltk.stem import LancasterStemmer

    return LancasterStemmer().stem


def snowball_stem(word: str) -> str:
    """NLTK's Snowball ("Porter 2") English stem of any string, lower-cased. Notebook 05."""
    return _snowball()(_check_word(word))


def lancaster_stem(word: str) -> str:
    """NLTK's Lancaster (Paice/Husk) stem of any string: the most aggressive. Notebook 05."""
    return _lancaster()(_check_word(word))


#: The stemmers compared in notebook 05, by name.
STEMMERS: dict[str, Callable[[str], str]] = {
    "porter": porter_stem,
    "snowball": snowball_stem,
    "lancaster": lancaster_stem,
}

#: Distinct words whose stem or lemma is remembered (a corpus repeats its words, so each
#: distinct word is stemmed once: Porter from scratch costs tens of microseconds a word).
NORMALIZER_CACHE_SIZE = 1 << 18
_CACHED_STEMMERS = {
    name: lru_cache(maxsize=NORMALIZER_CACHE_SIZE)(stem) for name, stem in STEMMERS.items()
}


@lru_cache(maxsize=1)
def _wordnet_lemmatizer() -> Callable[[str, str], str]:
    ensure_nltk("wordnet")
    from nltk.stem import WordNetLemmatizer

    return WordNetLemmatizer().lemmatize


@lru_cache(maxsize=NORMALIZER_CACHE_SIZE)
def _wordnet_lemma(word: str, pos: str) -> str:
    """WordNet's lemma, remembered: a corpus asks for the same (word, POS) over and over."""
    return _wordnet_lemmatizer()(word, pos)


def lemmatize(word: str, pos: str | None = None) -> str:
    """WordNet lemma of ``word`` (case-sensitive, as WordNet). Notebook 05.

    ``pos`` is a WordNet class: "n", "v", "a" or "r"; None uses WordNet's default, the
    noun, which is why "running" stays "running" until told it is a verb ("v" -> "run").
    """
    _check_word(word)
    if pos is not None and pos not in WORDNET_POS:
        raise ValueError(
            f"pos must be one of {WORDNET_POS} (noun, verb, adjective, adverb) or None, got "
            f"{pos!r}; map a universal tag with wordnet_pos(tag)."
        )
    return _wordnet_lemma(word, pos or NOUN)


def lemmatize_sentence(tokens: Sequence[str], tagger: PosTagger) -> list[str]:
    """Lemmatize each token with the WordNet class of its predicted tag. Notebook 05.

    Tokens whose tag has no WordNet class (determiners, pronouns, ...) stay as they are,
    so "us" is not turned into the noun "u".
    """
    lemmas = []
    for word, tag in tagger.tag(tokens):
        pos = wordnet_pos(tag)
        lemmas.append(word if pos is None else lemmatize(word, pos))
    return lemmas


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stop-word list (179 lower-case words). Notebook 05."""
    ensure_nltk("stopwords")
    from nltk.corpus import stopwords

    return frozenset(stopwords.words("english"))


def is_stopword(word: str) -> bool:
    """Whether ``word``, lower-cased, is on NLTK's English stop-word list. Notebook 05."""
    return _check_word(word).lower() in english_stopwords()


def _stemmer(stem: str | Callable[[str], str] | None) -> Callable[[str], str] | None:
    if stem is None or callable(stem):
        return stem
    if stem not in STEMMERS:
        raise ValueError(
            f"unknown stemmer {stem!r}; choose one of {sorted(STEMMERS)}, a function, or None."
        )
    return _CACHED_STEMMERS[stem]


def _lemmas(words: Sequence[str], tagger: PosTagger | None) -> list[str]:
    """Lemmas with the tagger's POS when there is one, else with WordNet's noun default."""
    if tagger is not None:
        return lemmatize_sentence(words, tagger)
    return [lemmatize(word) for word in words]


def normalize(
    tokens: Iterable[str],
    *,
    lowercase: bool = True,
    stem: str | Callable[[str], str] | None = None,
    lemmatize: bool = False,
    remove_stopwords: bool = False,
    tagger: PosTagger | None = None,
) -> list[str]:
    """Normalize one tokenized sentence: lower-case, lemmatize, drop stop words, stem. Notebook 05.

    ``stem`` names a stemmer of :data:`STEMMERS` (or is a function). ``lemmatize`` uses
    WordNet with the POS that ``tagger`` predicts from the whole sentence, or WordNet's
    noun default without a tagger. Stop words are judged on the word, not its lemma.
    """
    words = _check_tokens(tokens)
    stemmer = _stemmer(stem)
    if tagger is not None and not lemmatize:
        raise ValueError("a tagger is only used for lemmatization: pass lemmatize=True too.")
    if lowercase:
        words = [word.lower() for word in words]
    forms = _lemmas(words, tagger) if lemmatize else words
    if remove_stopwords:
        forms = [form for word, form in zip(words, forms, strict=True) if not is_stopword(word)]
    return [stemmer(form) for form in forms] if stemmer is not None else forms


def normalize_sentences(sentences: Iterable[Iterable[str]], **options: Any) -> Iterator[list[str]]:
    """Stream :func:`normalize` over tokenized sentences, with the same keyword options.

    Lazy, so a corpus never has to fit in memory twice. Notebook 05.
    """
    return (normalize(sentence, **options) for sentence in sentences)


#: Partitions per CPU core when the caller does not choose: enough for every worker to
#: stay busy while the others finish, few enough that scheduling costs little.
PARTITIONS_PER_CORE = 4


def _normalize_partition(
    sentences: Iterable[Iterable[str]], options: dict[str, Any]
) -> list[list[str]]:
    """One partition's share of :func:`normalize_corpus_parallel` (runs on a worker)."""
    return list(normalize_sentences(sentences, **options))


def normalize_corpus_parallel(
    sentences: Sequence[Sequence[str]],
    *,
    scheduler: Any = None,
    npartitions: int | None = None,
    **options: Any,
) -> list[list[str]]:
    """:func:`normalize_sentences` run in parallel with ``dask.bag``: same result, same order.

    The corpus is cut into ``npartitions`` partitions (default: 4 per CPU core), each
    normalized by a worker with the keyword ``options`` of :func:`normalize`.
    ``scheduler`` is passed to dask's ``compute``: a ``distributed.Client`` (a local or a
    real cluster), ``"processes"``, ``"threads"`` or ``"synchronous"``; None uses the
    active client, else a local process pool. Notebook 05.
    """
    import dask
    import dask.bag as db

    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(
            "sentences must be a sequence (e.g. a list) of tokenized sentences, got "
            f"{type(sentences).__name__}; materialize a stream with list(...) first."
        )
    normalize([], **options)  # bad options fail here, with normalize's message, not on a worker
    if npartitions is None:
        npartitions = PARTITIONS_PER_CORE * (os.cpu_count() or 1)
    if npartitions < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}.")
    if not sentences:
        return []
    bag = db.from_sequence(sentences, npartitions=npartitions)
    shared = dask.delayed(options, traverse=False)  # one copy (and one tagger) per worker
    return bag.map_partitions(_normalize_partition, shared).compute(scheduler=scheduler)


def compare_normalizers(text: str, tagger: PosTagger | None = None) -> dict[str, list[str]]:
    """Every stemmer and the lemmatizer side by side on the words of ``text``. Notebook 05.

    Tokenizes with :func:`course_utils.data.tokenize_words`. Keys: the names of
    :data:`STEMMERS`, "wordnet (no POS)", and "wordnet (POS)" when a tagger is given.
    """
    words = tokenize_words(_check_word(text))
    rows = {name: [stem(word) for word in words] for name, stem in STEMMERS.items()}
    rows["wordnet (no POS)"] = _lemmas(words, None)
    if tagger is not None:
        rows["wordnet (POS)"] = _lemmas(words, tagger)
    return rows


def conflation_classes(
    words: Iterable[str], stem: str | Callable[[str], str]
) -> dict[str, list[str]]:
    """Group the distinct ``words`` by stem: ``{stem: sorted words}``, stems sorted. Notebook 05.

    The number of classes is the vocabulary after stemming. A class that mixes unrelated
    words shows over-stemming; related words in different classes show under-stemming.
    """
    stemmer = _stemmer(stem)
    if stemmer is None:
        raise ValueError("stem must name a stemmer of STEMMERS or be a function, not None.")
    classes: defaultdict[str, list[str]] = defaultdict(list)
    for word in sorted(set(_iter_tokens(words))):
        classes[stemmer(word)].append(word)
    return dict(sorted(classes.items()))


DEFAULT_CURVE_POINTS = 50
#: Below this many tokens almost every token is a new type; the fit starts here.
HEAPS_MIN_TOKENS = 1_000


def type_token_curve(
    tokens: Iterable[str], num_points: int = DEFAULT_CURVE_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Number of distinct types after n tokens, at ``num_points`` log-spaced n. Notebook 05.

    Returns ``(num_tokens, num_types)`` as integer arrays; the last point is the whole
    stream. Reads the stream once (it is kept in memory to place the points).
    """
    words = _check_tokens(tokens)
    if num_points < 2:
        raise ValueError(f"num_points must be at least 2, got {num_points}.")
    if not words:
        raise ValueError("no tokens: the type/token curve needs at least one token.")
    checkpoints = np.unique(np.geomspace(1, len(words), num_points).round().astype(np.int64))
    seen: set[str] = set()
    num_types = np.empty_like(checkpoints)
    position = 0
    for point, checkpoint in enumerate(checkpoints):
        seen.update(words[position:checkpoint])
        position = checkpoint
        num_types[point] = len(seen)
    return checkpoints, num_types


def fit_heaps_law(
    num_tokens: Sequence[int] | np.ndarray,
    num_types: Sequence[int] | np.ndarray,
    min_tokens: int = HEAPS_MIN_TOKENS,
) -> tuple[float, float]:
    """Fit Heaps' law V = K n^beta by least squares on log V = log K + beta log n.

    Only points with ``n >= min_tokens`` are used. Returns ``(K, beta)``. Notebook 05.
    """
    n = np.asarray(num_tokens, dtype=np.float64)
    v = np.asarray(num_types, dtype=np.float64)
    if n.shape != v.shape or n.ndim != 1:
        raise ValueError(
            f"num_tokens and num_types must be 1-D and equally long, got {n.shape} and {v.shape}."
        )
    if np.any(n < 1) or np.any(v < 1):
        raise ValueError("token and type counts must be positive to take logarithms.")
    used = n >= min_tokens
    if np.unique(n[used]).size < 2:
        raise ValueError(
            f"need at least two distinct points with n >= {min_tokens} tokens to fit Heaps' "
            "law; pass a longer token stream or a smaller min_tokens."
        )
    beta, log_k = np.polyfit(np.log(n[used]), np.log(v[used]), deg=1)
    return float(np.exp(log_k)), float(beta)


def oov_rate(vocabulary: Iterable[str], tokens: Iterable[str]) -> float:
    """Share of ``tokens`` not in ``vocabulary`` (test tokens vs training types). Notebook 05.

    ``tokens`` is read once as a stream, so it may be a generator over a whole corpus.
    """
    known = (
        vocabulary if isinstance(vocabulary, (set, frozenset)) else set(_iter_tokens(vocabulary))
    )
    total = unknown = 0
    for word in _iter_tokens(tokens):  # streamed: a corpus-sized token stream is never stored
        total += 1
        unknown += word not in known
    if not total:
        raise ValueError("no tokens: the OOV rate needs at least one token.")
    return unknown / total
