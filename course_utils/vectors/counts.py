"""Counting words: the vocabulary, corpus encoding, co-occurrence, PPMI and truncated SVD.

Taught in notebook 03 (count-based vectors). Word2Vec and GloVe build on the same
vocabulary and encoding.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

__all__ = [
    "CHUNK_POSITIONS",
    "PPMI_CONTEXT_ALPHA",
    "SVD_EIGENVALUE_WEIGHT",
    "WEIGHTINGS",
    "Vocab",
    "build_vocab",
    "cooccurrence",
    "encode_corpus",
    "ppmi",
    "svd_vectors",
]

#: Centre positions turned into training examples at once (bounds the memory of a chunk).
CHUNK_POSITIONS = 65_536
WEIGHTINGS = ("uniform", "harmonic")
#: Levy, Goldberg & Dagan (2015) smooth the context distribution with this power.
PPMI_CONTEXT_ALPHA = 0.75
#: Levy et al. weight the SVD's singular values with this power ("eigenvalue weighting").
SVD_EIGENVALUE_WEIGHT = 0.5


class Vocab:
    """Words and corpus counts, most frequent first, with a word -> index map. Notebook 03."""

    def __init__(self, words: Sequence[str], counts: Sequence[int]) -> None:
        if len(words) != len(counts):
            raise ValueError(f"{len(words)} words but {len(counts)} counts; give one per word.")
        self.words: list[str] = list(words)
        self.counts: np.ndarray = np.asarray(counts, dtype=np.int64)
        self.index: dict[str, int] = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words must be unique; the vocabulary lists a word twice.")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"Vocab({len(self)} words, {self.total:,} tokens)"

    @property
    def total(self) -> int:
        """Number of corpus tokens that the vocabulary covers."""
        return int(self.counts.sum())

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Indices of the in-vocabulary tokens (unknown ones are dropped, as word2vec does)."""
        return np.fromiter(
            (i for i in map(self.index.get, tokens) if i is not None), dtype=np.int64
        )


def _sentence_list(sentences: Iterable[Sequence[str]]) -> list[Sequence[str]]:
    """Materialize ``sentences`` (several passes are needed) and reject plain strings."""
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of token lists, got one string.")
    result = list(sentences)
    for number, sentence in enumerate(result):
        if isinstance(sentence, str):
            raise TypeError(
                f"sentence {number} is a string; each sentence must be a list of tokens "
                "(split it first, e.g. text.split())."
            )
    return result


def build_vocab(
    sentences: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None
) -> Vocab:
    """Count the tokens and keep those seen ``min_count`` times or more. Notebook 03.

    Sorted by count, ties in reverse order of first appearance: exactly gensim's order,
    so that the ``restrict_vocab`` of the benchmarks sees the same words. ``max_size``
    keeps the most frequent ones.
    """
    _check_min_count(min_count)
    if max_size is not None and max_size < 1:
        raise ValueError(f"max_size must be a positive number of words or None, got {max_size}.")
    counts = Counter(itertools.chain.from_iterable(_sentence_list(sentences)))
    kept = [(word, count) for word, count in counts.items() if count >= min_count]
    frequencies = np.array([count for _, count in kept], dtype=np.int64)
    order = np.lexsort((-np.arange(len(kept)), -frequencies))[:max_size]
    return Vocab([kept[i][0] for i in order], frequencies[order])


def _check_min_count(min_count: int) -> None:
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}.")


def encode_corpus(
    sentences: Iterable[Sequence[str]], vocab: Vocab
) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as one array of word indices and one of sentence numbers. Notebook 03.

    Out-of-vocabulary tokens are removed before any window is drawn (as in word2vec
    and GloVe's ``cooccur``); windows never cross a sentence boundary.
    """
    sentence_list = _sentence_list(sentences)
    lookup = vocab.index.get
    flat = np.fromiter(
        (lookup(token, -1) for sentence in sentence_list for token in sentence),
        dtype=np.int64,
    )
    lengths = np.fromiter(map(len, sentence_list), dtype=np.int64, count=len(sentence_list))
    sentence_ids = np.repeat(np.arange(len(sentence_list), dtype=np.int64), lengths)
    known = flat >= 0
    return flat[known], sentence_ids[known]


def _context_columns(
    sentence_ids: np.ndarray, start: int, stop: int, window: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For centres ``start:stop``: ``(offset, context positions, valid)`` per window slot.

    Yields one column per offset -window..-1, 1..window; ``valid`` is False where the
    slot falls outside the corpus or into another sentence (positions are then clipped).
    """
    last = len(sentence_ids) - 1
    centres = np.arange(start, stop)
    for distance in range(1, window + 1):
        for offset in (-distance, distance):
            positions = centres + offset
            clipped = np.clip(positions, 0, last)
            valid = (positions == clipped) & (sentence_ids[clipped] == sentence_ids[centres])
            yield offset, clipped, valid


def cooccurrence(
    sentences: Iterable[Sequence[str]],
    vocab: Vocab,
    window: int = 5,
    weighting: str = "uniform",
) -> sp.csr_matrix:
    """Symmetric word-word co-occurrence counts within ``window`` words. Notebooks 03 and 04.

    ``weighting="uniform"`` counts every pair once; ``"harmonic"`` counts a pair at
    distance d as 1/d, as GloVe does (Pennington et al. 2014). Rows and columns follow
    ``vocab``; the result is a ``len(vocab) x len(vocab)`` scipy CSR matrix.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}.")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}.")
    ids, sentence_ids = encode_corpus(sentences, vocab)
    size = len(vocab)
    counts = sp.csr_matrix((size, size), dtype=np.float64)
    for start in range(0, len(ids), CHUNK_POSITIONS):
        stop = min(start + CHUNK_POSITIONS, len(ids))
        rows, cols, weights = [], [], []
        for offset, positions, valid in _context_columns(sentence_ids, start, stop, window):
            if offset < 0:  # left contexts: the transpose below adds them
                continue
            rows.append(ids[start:stop][valid])
            cols.append(ids[positions[valid]])
            weight = 1.0 if weighting == "uniform" else 1.0 / offset
            weights.append(np.full(int(valid.sum()), weight))
        right = sp.coo_matrix(
            (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
            shape=(size, size),
        ).tocsr()
        counts = counts + right + right.T
    counts.sum_duplicates()
    return counts


def ppmi(cooc: sp.spmatrix | np.ndarray, alpha: float = PPMI_CONTEXT_ALPHA) -> sp.csr_matrix:
    """Positive pointwise mutual information of a co-occurrence matrix. Notebook 03.

    ``PPMI(w, c) = max(0, log P(w, c) / (P(w) P_alpha(c)))`` with the context
    distribution smoothed by ``count(c) ** alpha`` (Levy, Goldberg & Dagan 2015);
    ``alpha=1`` is plain PPMI. Zero counts stay zero (sparse).
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive (1 = no smoothing), got {alpha}.")
    counts = sp.csr_matrix(cooc, dtype=np.float64)
    counts.eliminate_zeros()
    if counts.nnz and counts.data.min() < 0:
        raise ValueError("co-occurrence counts must be non-negative; got a negative entry.")
    total = counts.sum()
    if total == 0:
        raise ValueError("the co-occurrence matrix is all zeros; count a non-empty corpus.")
    word_p = np.asarray(counts.sum(axis=1)).ravel() / total
    smoothed = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    context_p = smoothed / smoothed.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data / total) - np.log(word_p[coo.row]) - np.log(context_p[coo.col])
    positive = pmi > 0
    return sp.csr_matrix(
        (pmi[positive], (coo.row[positive], coo.col[positive])), shape=counts.shape
    )


def svd_vectors(
    matrix: sp.spmatrix | np.ndarray,
    dim: int,
    *,
    eigenvalue_weight: float = SVD_EIGENVALUE_WEIGHT,
    seed: int = 0,
) -> np.ndarray:
    """Dense ``dim``-dimensional word vectors ``U_d * S_d ** eigenvalue_weight``. Notebook 03.

    Truncated SVD (ARPACK) of e.g. a PPMI matrix, largest singular value first; each
    component's sign is fixed so that its largest-magnitude entry in ``U`` is positive.
    """
    shape = matrix.shape
    if len(shape) != 2:
        raise ValueError(f"svd_vectors needs a 2-D matrix, got shape {shape}.")
    if not 1 <= dim < min(shape):
        raise ValueError(
            f"dim must be between 1 and min(matrix.shape) - 1 = {min(shape) - 1} for a "
            f"matrix of shape {shape}, got {dim}."
        )
    data = sp.csr_matrix(matrix, dtype=np.float64)
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1.0, 1.0, size=min(shape))
    u, s, _ = svds(data, k=dim, v0=start, rng=rng)
    order = np.argsort(s)[::-1]
    u, s = u[:, order], s[order]
    strongest = np.abs(u).argmax(axis=0)
    u = u * np.sign(u[strongest, np.arange(dim)])
    return u * s**eigenvalue_weight
