"""Word vectors: counts, PPMI and SVD, Word2Vec (skip-gram and CBOW) and GloVe.

Taught in notebook 03 (count-based vectors, Word2Vec CBOW vs skip-gram, the benchmarks)
and notebook 04 (GloVe). Every trained model comes back as a gensim ``KeyedVectors``, so
the same evaluation code scores our vectors, gensim's and downloaded GloVe files. The
named recipes at the end are what ``python -m course_utils train-vectors NAME`` trains
and ships under ``data/``.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath
from gensim.utils import open as gensim_open
from scipy import stats
from scipy.sparse.linalg import svds
from torch import nn
from tqdm.auto import tqdm

from course_utils.checkpoints import (
    STORED_FLOAT,
    checkpoint_paths,
    load_provenance,
    save_results,
    save_vectors,
)
from course_utils.data import (
    CORPUS_SOURCES,
    OFFLINE_ENV,
    DataUnavailableError,
    corpus_sentences,
)
from course_utils.reproducibility import resolve_device, torch_threads

# ---------------------------------------------------------------------------
# Constants (defaults follow the word2vec C tool, gensim and the GloVe paper)
# ---------------------------------------------------------------------------

ARCHITECTURES = ("skipgram", "cbow")
#: word2vec's default learning rates: 0.025 for skip-gram, 0.05 for CBOW.
DEFAULT_LR = {"skipgram": 0.025, "cbow": 0.05}
#: word2vec / gensim decay the learning rate linearly down to this value.
DEFAULT_MIN_LR = 1e-4
#: Subsampling threshold t of Mikolov et al. (2013), the word2vec / gensim default.
DEFAULT_SAMPLE = 1e-3
#: Negative samples are drawn from the unigram distribution raised to this power.
UNIGRAM_POWER = 0.75
#: Slots of the unigram table that negatives are drawn from (the C tool uses 1e8).
NOISE_TABLE_SIZE = 10_000_000
#: word2vec initializes input vectors uniformly in +-0.5 / vector_size (outputs at zero).
INIT_SCALE = 0.5
DEFAULT_BATCH_SIZE = 1024
#: Every training loop stops here at the latest, whatever the number of epochs.
DEFAULT_MAX_STEPS = 1_000_000
#: Centre positions turned into training examples at once (bounds the memory of a chunk).
CHUNK_POSITIONS = 65_536
#: By default the loss history keeps one averaged point per this many optimizer steps.
LOG_EVERY = 100
#: gensim hands its worker threads jobs of this many corpus words (its own default).
GENSIM_BATCH_WORDS = 10_000

#: The GloVe paper's weighting function: f(x) = min(1, x / 100) ** 0.75.
GLOVE_X_MAX = 100.0
GLOVE_ALPHA = 0.75
#: GloVe's demo script uses x_max = 10 for small corpora (text8); so does the course.
GLOVE_SMALL_CORPUS_X_MAX = 10.0
#: glove.c takes one AdaGrad step per entry at 0.05; a mini-batch sums the gradients of a
#: word's entries into one step, so it needs a larger rate. Measured on the course corpus
#: (batches of 65,536, 5 epochs): 0.5 trains well, 1.0 diverges in the first epochs.
GLOVE_LR = 0.5
#: glove.c starts AdaGrad's sum of squared gradients at 1.
GLOVE_ADAGRAD_INIT = 1.0
#: Co-occurrence entries per optimizer step (large batches keep the epoch fast on a CPU).
GLOVE_BATCH_SIZE = 65_536
#: GloVe's demo script runs 15 epochs (the paper 50 below 300 dimensions).
GLOVE_EPOCHS = 15
#: The paper's symmetric context window of 10 words, each pair counted 1/distance.
GLOVE_WINDOW = 10
GLOVE_WEIGHTING = "harmonic"
WEIGHTINGS = ("uniform", "harmonic")
#: Levy, Goldberg & Dagan (2015) smooth the context distribution with this power.
PPMI_CONTEXT_ALPHA = 0.75
#: Levy et al. weight the SVD's singular values with this power ("eigenvalue weighting").
SVD_EIGENVALUE_WEIGHT = 0.5

ANALOGY_FILE = "questions-words.txt"
#: Section names of the Google analogy set starting with this are syntactic, the rest semantic.
SYNTACTIC_PREFIX = "gram"
SECTION_MARK = ": "
#: An analogy question a : b :: c : d has four words; a rated pair has three fields.
ANALOGY_WORDS = 4
PAIR_FIELDS = 3
#: Analogies consider only the most frequent words, as in Mikolov et al. (2013) and gensim.
ANALOGY_RESTRICT_VOCAB = 30_000
#: gensim's default vocabulary limit for similarity benchmarks.
SIMILARITY_RESTRICT_VOCAB = 300_000
SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
#: Fewer scored pairs than this give no correlation (NaN).
MIN_CORRELATION_PAIRS = 3
COMMENT_MARK = "#"
#: Analogy questions scored per matrix product (bounds memory: batch x vocabulary floats).
ANALOGY_BATCH = 512

# ---------------------------------------------------------------------------
# Vocabulary and corpus encoding
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Count-based vectors: co-occurrence, PPMI, truncated SVD
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Word2Vec: subsampling, negative sampling, the two models, the batch generator
# ---------------------------------------------------------------------------


def keep_probabilities(counts: np.ndarray, sample: float = DEFAULT_SAMPLE) -> np.ndarray:
    """Probability of keeping each occurrence of a word under frequent-word subsampling.

    As in the word2vec C code and gensim: ``(sqrt(c / t) + 1) * t / c`` with
    ``t = sample * total``, capped at 1; ``sample=0`` keeps everything. Notebook 03.
    """
    _check_sample(sample)
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum((np.sqrt(counts / threshold) + 1.0) * threshold / counts, 1.0)


def _check_sample(sample: float) -> None:
    if sample < 0:
        raise ValueError(f"sample must be >= 0 (0 switches subsampling off), got {sample}.")


def noise_distribution(counts: np.ndarray, power: float = UNIGRAM_POWER) -> np.ndarray:
    """The negative-sampling distribution: unigram counts ** 0.75, normalized. Notebook 03."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def noise_table(noise: np.ndarray, size: int = NOISE_TABLE_SIZE) -> np.ndarray:
    """word2vec's unigram table: word i fills ``round(noise[i] * size)`` slots. Notebook 03.

    Drawing a uniform random slot then samples a noise word in one memory lookup,
    faster than searching the cumulative distribution for every draw.
    """
    slots = np.round(np.asarray(noise) * size).astype(np.int64)
    if slots.sum() == 0:
        raise ValueError(f"noise table of {size} slots is empty; give a larger size.")
    return np.repeat(np.arange(len(slots), dtype=np.int32), slots)


class _Word2VecTables(nn.Module):
    """Input vectors (the word vectors we keep) and output vectors, as word2vec starts them.

    Inputs uniform in +-0.5 / vector_size, outputs at zero; sparse gradients so that
    plain SGD touches only the rows in a batch.
    """

    def __init__(
        self,
        vocab_size: int,
        vector_size: int,
        *,
        sparse: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(vocab_size, vector_size)
        self.input_vectors = nn.Embedding(vocab_size, vector_size, sparse=sparse)
        self.output_vectors = nn.Embedding(vocab_size, vector_size, sparse=sparse)
        bound = INIT_SCALE / vector_size
        with torch.no_grad():
            nn.init.uniform_(self.input_vectors.weight, -bound, bound, generator=generator)
            self.output_vectors.weight.zero_()


def _negative_sampling_loss(
    hidden: torch.Tensor,
    output_vectors: nn.Embedding,
    targets: torch.Tensor,
    negatives: torch.Tensor,
) -> torch.Tensor:
    """Summed ``-log s(u_t . h) - sum_k log s(-u_k . h)``, skipping negatives equal to t."""
    if negatives.dim() != 2 or negatives.shape[0] != hidden.shape[0]:
        raise ValueError(
            f"negatives must have shape (batch, k) = ({hidden.shape[0]}, k), "
            f"got {tuple(negatives.shape)}."
        )
    words = torch.cat([targets.unsqueeze(1), negatives], dim=1)
    scores = (output_vectors(words) * hidden.unsqueeze(1)).sum(dim=2)
    positive = nn.functional.logsigmoid(scores[:, 0])
    noise = nn.functional.logsigmoid(-scores[:, 1:]) * (negatives != targets.unsqueeze(1))
    return -(positive.sum() + noise.sum())


def _check_index_batch(name: str, tensor: torch.Tensor, batch: int) -> None:
    if tensor.shape != (batch,):
        raise ValueError(
            f"{name} must have shape (batch,) = ({batch},), got {tuple(tensor.shape)}."
        )


class SkipGramNS(_Word2VecTables):
    """Skip-gram with negative sampling (Mikolov et al. 2013): predict context from centre.

    ``SkipGramNS(vocab_size, vector_size, sparse=True, generator=None)``: two tables,
    input and output vectors, initialized as in word2vec. Notebook 03.
    """

    def forward(
        self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """Summed loss of a batch: centres (B,), true contexts (B,), noise words (B, k)."""
        batch = centres.shape[0] if centres.dim() == 1 else -1
        _check_index_batch("centres", centres, batch)
        _check_index_batch("contexts", contexts, batch)
        hidden = self.input_vectors(centres)
        return _negative_sampling_loss(hidden, self.output_vectors, contexts, negatives)


class CBOW(_Word2VecTables):
    """Continuous bag of words with negative sampling: predict the centre from its context.

    The hidden vector is the average of the context words' input vectors (word2vec's
    ``cbow_mean``); padded context slots are masked out. Like word2vec and gensim, the
    backward pass gives every context word the hidden vector's full gradient, not 1/n
    of it; ``exact_gradient=True`` uses the true gradient of the mean. Notebook 03.
    """

    def __init__(
        self,
        vocab_size: int,
        vector_size: int,
        *,
        exact_gradient: bool = False,
        sparse: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(vocab_size, vector_size, sparse=sparse, generator=generator)
        self.exact_gradient = exact_gradient

    def forward(
        self,
        contexts: torch.Tensor,
        context_mask: torch.Tensor,
        centres: torch.Tensor,
        negatives: torch.Tensor,
    ) -> torch.Tensor:
        """Summed loss: contexts and mask (B, 2*window), true centres (B,), noise (B, k)."""
        if contexts.dim() != 2 or context_mask.shape != contexts.shape:
            raise ValueError(
                "contexts and context_mask must both have shape (batch, 2 * window), got "
                f"{tuple(contexts.shape)} and {tuple(context_mask.shape)}."
            )
        _check_index_batch("centres", centres, contexts.shape[0])
        mask = context_mask.to(self.input_vectors.weight.dtype)
        counts = mask.sum(dim=1, keepdim=True)
        if bool((counts == 0).any()):
            raise ValueError(
                "every CBOW example needs at least one context word (mask row of 0s)."
            )
        summed = (self.input_vectors(contexts) * mask.unsqueeze(2)).sum(dim=1)
        if self.exact_gradient:
            hidden = summed / counts
        else:  # the value of the mean, the gradient of the sum (word2vec's update)
            hidden = summed.detach() / counts + (summed - summed.detach())
        return _negative_sampling_loss(hidden, self.output_vectors, centres, negatives)


def _check_sizes(vocab_size: int, vector_size: int) -> None:
    if vocab_size < 1 or vector_size < 1:
        raise ValueError(
            f"vocab_size and vector_size must be positive, got {vocab_size} and {vector_size}."
        )


@dataclass(frozen=True)
class Word2VecBatch:
    """One batch of Word2Vec examples as NumPy index arrays. Notebook 03.

    Skip-gram: ``inputs`` are centres (B,), ``targets`` their contexts (B,). CBOW:
    ``inputs`` are context windows (B, 2*window) with ``mask``, ``targets`` the centres.
    ``negatives`` (B, k) are noise words; ``progress`` is the share of the epoch done.
    """

    inputs: np.ndarray
    targets: np.ndarray
    negatives: np.ndarray
    mask: np.ndarray | None
    progress: float


def word2vec_batches(
    ids: np.ndarray,
    sentence_ids: np.ndarray,
    *,
    architecture: str,
    window: int,
    negative: int,
    keep: np.ndarray,
    noise: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
) -> Iterator[Word2VecBatch]:
    """One epoch of shuffled training batches, vectorized with NumPy. Notebook 03.

    Each occurrence is kept with probability ``keep[word]`` (subsampling), each centre
    draws a window of 1..``window`` words (word2vec's dynamic window), and ``negative``
    noise words per example come from ``noise``. Examples are shuffled within chunks
    of ``CHUNK_POSITIONS`` centres.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")
    kept = rng.random(len(ids)) < keep[ids]
    ids, sentence_ids = ids[kept], sentence_ids[kept]
    spans = window - rng.integers(0, window, size=len(ids))
    table = noise_table(noise)
    for start in range(0, len(ids), CHUNK_POSITIONS):
        stop = min(start + CHUNK_POSITIONS, len(ids))
        columns, masks = [], []
        for offset, positions, valid in _context_columns(sentence_ids, start, stop, window):
            columns.append(ids[positions])
            masks.append(valid & (spans[start:stop] >= abs(offset)))
        contexts, mask = np.stack(columns, axis=1), np.stack(masks, axis=1)
        centres = ids[start:stop]
        if architecture == "skipgram":
            rows, slots = np.nonzero(mask)
            order = rng.permutation(len(rows))
            rows, slots = rows[order], slots[order]
            inputs, targets, example_mask = centres[rows], contexts[rows, slots], None
        else:
            rows = rng.permutation(np.flatnonzero(mask.any(axis=1)))
            inputs, example_mask, targets = contexts[rows], mask[rows], centres[rows]
        slots = rng.integers(0, len(table), size=(len(targets), negative))
        negatives = table[slots].astype(np.int64)
        n_batches = math.ceil(len(targets) / batch_size)
        for number in range(n_batches):
            batch = slice(number * batch_size, (number + 1) * batch_size)
            yield Word2VecBatch(
                inputs=inputs[batch],
                targets=targets[batch],
                negatives=negatives[batch],
                mask=None if example_mask is None else example_mask[batch],
                progress=(start + (stop - start) * (number + 1) / n_batches) / len(ids),
            )


# ---------------------------------------------------------------------------
# Training loops
# ---------------------------------------------------------------------------


@dataclass
class TrainingHistory:
    """Loss curve and cost of one training run (Word2Vec or GloVe). Notebooks 03 and 04.

    ``loss`` is the mean loss per example over each logging interval; ``words`` counts
    corpus tokens processed (Word2Vec), ``examples`` training examples (pairs, windows
    or co-occurrence entries).
    """

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    words: int = 0
    examples: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def words_per_second(self) -> float:
        """Corpus tokens per second of training (gensim reports the same figure)."""
        return self.words / self.seconds if self.seconds else 0.0

    @property
    def words_per_cpu_second(self) -> float:
        """Corpus tokens per second of CPU time: unaffected by other programs on a busy machine."""
        return self.words / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def examples_per_second(self) -> float:
        """Training examples per second."""
        return self.examples / self.seconds if self.seconds else 0.0


class _Stopwatch:
    """Wall-clock and CPU time from creation to :meth:`stop`, recorded in a history."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self, history: TrainingHistory) -> None:
        history.seconds = time.perf_counter() - self.wall
        history.cpu_seconds = time.process_time() - self.cpu


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}.")


def _to_keyed_vectors(
    words: Sequence[str], vectors: np.ndarray, counts: np.ndarray
) -> KeyedVectors:
    """Wrap vectors as gensim ``KeyedVectors`` (keys in vocabulary order, with counts)."""
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), np.asarray(vectors, dtype=np.float32))
    kv.allocate_vecattrs(["count"], [np.int64])
    kv.expandos["count"][:] = counts
    return kv


class _LossLog:
    """Sum per-step losses; append their per-example mean to the history on ``flush``."""

    def __init__(self, history: TrainingHistory) -> None:
        self.history = history
        self.losses: list[torch.Tensor] = []
        self.examples = 0

    def add(self, loss: torch.Tensor, examples: int) -> None:
        self.losses.append(loss.detach())
        self.examples += examples
        self.history.examples += examples

    def flush(self, step: int, lr: float) -> None:
        if not self.losses:
            return
        self.history.steps.append(step)
        self.history.loss.append(float(torch.stack(self.losses).sum()) / max(self.examples, 1))
        self.history.lr.append(lr)
        self.losses.clear()
        self.examples = 0


@dataclass(frozen=True)
class Word2VecConfig:
    """The hyperparameters of one Word2Vec run, shared by ours and gensim's. Notebook 03.

    Plain data (a provenance file records it as a dict); checked when made, so that a
    typo fails here with a clear message. ``lr=None`` takes word2vec's default for the
    architecture (0.025 skip-gram, 0.05 CBOW), decayed linearly to ``min_lr``.
    """

    architecture: str = "skipgram"
    vector_size: int = 100
    window: int = 5
    negative: int = 5
    min_count: int = 5
    sample: float = DEFAULT_SAMPLE
    epochs: int = 5
    lr: float | None = None
    min_lr: float = DEFAULT_MIN_LR

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}."
            )
        _check_positive(
            vector_size=self.vector_size,
            window=self.window,
            negative=self.negative,
            epochs=self.epochs,
            lr=self.start_lr,
        )
        _check_min_count(self.min_count)
        _check_sample(self.sample)
        if not 0 <= self.min_lr <= self.start_lr:
            raise ValueError(
                f"min_lr must be between 0 and lr = {self.start_lr}, got {self.min_lr}."
            )

    @property
    def start_lr(self) -> float:
        """The learning rate at the first step (``lr``, or the architecture's default)."""
        return DEFAULT_LR[self.architecture] if self.lr is None else self.lr


def _checked_corpus(sentences: Iterable[Sequence[str]]) -> tuple[list[Sequence[str]], int]:
    """The sentences as a list and their token count, after checking the common mistakes."""
    sentence_list = _sentence_list(sentences)
    n_words = sum(map(len, sentence_list))
    if n_words == 0:
        raise ValueError("the corpus is empty: give at least one sentence with tokens.")
    return sentence_list, n_words


def train_word2vec(
    sentences: Iterable[Sequence[str]],
    config: Word2VecConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_steps: int = DEFAULT_MAX_STEPS,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    log_every: int = LOG_EVERY,
) -> tuple[KeyedVectors, TrainingHistory]:
    """Train skip-gram or CBOW with negative sampling; return (vectors, history). Notebook 03.

    word2vec's recipe: subsampling, dynamic window, unigram^0.75 noise, plain SGD with
    sparse gradients and a learning rate decayed linearly from ``config.start_lr`` to
    ``config.min_lr`` over the run (``config.epochs`` or ``max_steps``, whichever ends
    first). Vectors come back as gensim ``KeyedVectors``.
    """
    config = config or Word2VecConfig()
    sentence_list, n_words = _checked_corpus(sentences)
    _check_positive(batch_size=batch_size, max_steps=max_steps, log_every=log_every)
    architecture, window, negative = config.architecture, config.window, config.negative
    epochs, lr, min_lr = config.epochs, config.start_lr, config.min_lr
    device = resolve_device(device)
    vocab = build_vocab(sentence_list, min_count=config.min_count)
    if len(vocab) < negative + 1:
        raise ValueError(
            f"only {len(vocab)} words occur at least min_count={config.min_count} times, but "
            f"negative={negative} noise words need a vocabulary of at least {negative + 1}. "
            "Lower min_count or negative, or give more text."
        )
    ids, sentence_ids = encode_corpus(sentence_list, vocab)
    if not np.any(sentence_ids[1:] == sentence_ids[:-1]):
        raise ValueError(
            "no sentence has two in-vocabulary words, so there is no (word, context) pair "
            "to train on. Lower min_count or give longer sentences."
        )
    generator = torch.Generator().manual_seed(seed)
    model_class = SkipGramNS if architecture == "skipgram" else CBOW
    model = model_class(len(vocab), config.vector_size, generator=generator).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    keep = keep_probabilities(vocab.counts, config.sample)
    noise = noise_distribution(vocab.counts)
    rng = np.random.default_rng(seed)
    history = TrainingHistory()
    log = _LossLog(history)
    step, current_lr = 0, lr
    bar = tqdm(
        total=n_words * epochs,
        unit="word",
        unit_scale=True,
        disable=not progress,
        desc=f"word2vec {architecture}",
    )
    stopwatch = _Stopwatch()
    for epoch in range(epochs):
        batches = word2vec_batches(
            ids,
            sentence_ids,
            architecture=architecture,
            window=window,
            negative=negative,
            keep=keep,
            noise=noise,
            batch_size=batch_size,
            rng=rng,
        )
        for batch in batches:
            step += 1
            done = (epoch + batch.progress) / epochs
            current_lr = lr - (lr - min_lr) * min(1.0, max(done, step / max_steps))
            for group in optimizer.param_groups:
                group["lr"] = current_lr
            loss = _word2vec_loss(model, batch, device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            log.add(loss, len(batch.targets))
            if step % log_every == 0:
                log.flush(step, current_lr)
                bar.set_postfix(loss=f"{history.loss[-1]:.3f}")
            _count_words(bar, history, round(done * epochs * n_words))
            if step >= max_steps:
                break
        if step >= max_steps:
            break
        _count_words(bar, history, (epoch + 1) * n_words)
    stopwatch.stop(history)
    if step == 0:
        bar.close()
        raise ValueError(
            f"subsampling (sample={config.sample}) removed every training pair of this small "
            "corpus; use a smaller sample (0 switches it off) or more text."
        )
    log.flush(step, current_lr)
    bar.set_postfix(loss=f"{history.loss[-1]:.3f}", words_per_s=f"{history.words_per_second:,.0f}")
    bar.close()
    vectors = model.input_vectors.weight.detach().cpu().numpy()
    return _to_keyed_vectors(vocab.words, vectors, vocab.counts), history


def _count_words(bar: tqdm, history: TrainingHistory, words: int) -> None:
    """Advance the progress bar and the history to ``words`` corpus tokens processed."""
    bar.update(words - history.words)
    history.words = words


def _word2vec_loss(model: nn.Module, batch: Word2VecBatch, device: str) -> torch.Tensor:
    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(device)

    if batch.mask is None:
        return model(tensor(batch.inputs), tensor(batch.targets), tensor(batch.negatives))
    return model(
        tensor(batch.inputs), tensor(batch.mask), tensor(batch.targets), tensor(batch.negatives)
    )


def train_gensim_word2vec(
    sentences: Iterable[Sequence[str]],
    config: Word2VecConfig | None = None,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    seed: int = 0,
    workers: int = 1,
) -> tuple[KeyedVectors, TrainingHistory]:
    """The reference: gensim's ``Word2Vec`` with the same :class:`Word2VecConfig`. Notebook 03.

    gensim trains in jobs of ``GENSIM_BATCH_WORDS`` corpus words; ``max_steps`` bounds
    the jobs by training on a prefix of the corpus (the vocabulary still comes from all
    of it). The history holds the training time (vocabulary building excluded, as for
    :func:`train_word2vec`) and words/second; gensim reports no comparable loss.
    """
    config = config or Word2VecConfig()
    sentence_list, n_words = _checked_corpus(sentences)
    _check_positive(max_steps=max_steps, workers=workers)
    model = Word2Vec(
        sg=int(config.architecture == "skipgram"),
        vector_size=config.vector_size,
        window=config.window,
        negative=config.negative,
        hs=0,
        min_count=config.min_count,
        sample=config.sample,
        alpha=config.start_lr,
        min_alpha=config.min_lr,
        seed=seed,
        workers=workers,
        batch_words=GENSIM_BATCH_WORDS,
    )
    model.build_vocab(sentence_list)
    words_per_epoch = min(n_words, math.ceil(max_steps * GENSIM_BATCH_WORDS / config.epochs))
    trained = _word_prefix(sentence_list, words_per_epoch)
    stopwatch = _Stopwatch()
    model.train(trained, total_words=words_per_epoch, epochs=config.epochs)
    history = TrainingHistory(words=words_per_epoch * config.epochs)
    stopwatch.stop(history)
    return model.wv, history


def _word_prefix(sentences: list[Sequence[str]], n_words: int) -> list[Sequence[str]]:
    """The first sentences of ``sentences`` holding ``n_words`` tokens (the last one cut)."""
    prefix, total = [], 0
    for sentence in sentences:
        if total >= n_words:
            break
        prefix.append(sentence[: n_words - total])
        total += len(prefix[-1])
    return prefix


# ---------------------------------------------------------------------------
# GloVe
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioRow:
    """One probe word k of a co-occurrence-ratio table (GloVe paper, Table 1). Notebook 04.

    ``count_i`` = X_ik and ``p_given_i`` = P(k | i) = X_ik / sum_k' X_ik', likewise for j.
    """

    probe: str
    count_i: float
    count_j: float
    p_given_i: float
    p_given_j: float

    @property
    def ratio(self) -> float:
        """P(k | i) / P(k | j): inf when only P(k | j) is 0, NaN when both are."""
        if self.p_given_j == 0:
            return math.inf if self.p_given_i > 0 else math.nan
        return self.p_given_i / self.p_given_j


def cooccurrence_ratios(
    cooc: sp.spmatrix | np.ndarray,
    vocab: Vocab,
    word_i: str,
    word_j: str,
    probes: Sequence[str],
) -> list[RatioRow]:
    """P(k | i), P(k | j) and their ratio for each probe word k. Notebook 04.

    The idea behind GloVe (Pennington et al. 2014, Table 1): the ratio is large for
    probes related to i only, small for probes related to j only, and near 1 for probes
    related to both or neither. ``cooc`` is a ``len(vocab) x len(vocab)`` count matrix.
    """
    matrix = sp.csr_matrix(cooc)
    _check_matrix_matches(matrix, len(vocab))
    missing = [word for word in (word_i, word_j, *probes) if word not in vocab]
    if missing:
        raise ValueError(f"not in the vocabulary: {missing}; pick more frequent words.")
    i, j = vocab.index[word_i], vocab.index[word_j]
    totals = {row: float(matrix.getrow(row).sum()) for row in (i, j)}
    empty = [vocab.words[row] for row, total in totals.items() if total == 0]
    if empty:
        raise ValueError(f"{empty} never co-occur with any word, so P(k | word) is undefined.")
    rows = []
    for probe in probes:
        k = vocab.index[probe]
        count_i, count_j = float(matrix[i, k]), float(matrix[j, k])
        rows.append(RatioRow(probe, count_i, count_j, count_i / totals[i], count_j / totals[j]))
    return rows


def _check_matrix_matches(matrix: sp.spmatrix, size: int) -> None:
    """A co-occurrence matrix must be ``size x size``: rows and columns follow one Vocab."""
    if matrix.shape != (size, size):
        raise ValueError(
            f"cooc must be len(vocab) x len(vocab) = {size} x {size}, got {matrix.shape}; "
            "build the matrix and the model or table from the same Vocab."
        )


def glove_weight(
    x: torch.Tensor | np.ndarray | float, x_max: float = GLOVE_X_MAX, alpha: float = GLOVE_ALPHA
) -> torch.Tensor | np.ndarray:
    """GloVe's weighting ``f(x) = (x / x_max) ** alpha`` below ``x_max``, 1 above. Notebook 04.

    Rare pairs count little, frequent ones are capped (Pennington et al. 2014, eq. 9).
    Works on tensors (differentiable) and arrays/numbers (NumPy).
    """
    _check_positive(x_max=x_max, alpha=alpha)
    if isinstance(x, torch.Tensor):
        if bool((x < 0).any()):
            raise ValueError("co-occurrence counts must be non-negative.")
        return torch.clamp(x / x_max, max=1.0) ** alpha
    values = np.asarray(x, dtype=np.float64)
    if np.any(values < 0):
        raise ValueError("co-occurrence counts must be non-negative.")
    return np.minimum(values / x_max, 1.0) ** alpha


def glove_loss(
    word_vectors: torch.Tensor,
    context_vectors: torch.Tensor,
    word_biases: torch.Tensor,
    context_biases: torch.Tensor,
    counts: torch.Tensor,
    *,
    x_max: float = GLOVE_X_MAX,
    alpha: float = GLOVE_ALPHA,
) -> torch.Tensor:
    """GloVe's weighted least squares over nonzero entries, summed. Notebook 04.

    ``J = sum f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij) ** 2`` (eq. 8): row ``n`` of
    the vectors (N, d) and biases (N,) belongs to entry ``counts[n]`` = X_ij > 0.
    """
    if counts.dim() != 1:
        raise ValueError(f"counts must be 1-D (N,), got shape {tuple(counts.shape)}.")
    n = counts.shape[0]
    if word_vectors.dim() != 2 or word_vectors.shape[0] != n:
        raise ValueError(
            f"word_vectors must have shape (N, d) with N = len(counts) = {n}, "
            f"got {tuple(word_vectors.shape)}."
        )
    if context_vectors.shape != word_vectors.shape:
        raise ValueError(
            f"context_vectors must have the shape of word_vectors {tuple(word_vectors.shape)}, "
            f"got {tuple(context_vectors.shape)}."
        )
    if word_biases.shape != (n,) or context_biases.shape != (n,):
        raise ValueError(
            f"biases must have shape (N,) = ({n},), got {tuple(word_biases.shape)} and "
            f"{tuple(context_biases.shape)}."
        )
    if bool((counts <= 0).any()):
        raise ValueError("GloVe fits log X_ij, so every count must be positive; drop the zeros.")
    fit = (word_vectors * context_vectors).sum(dim=1) + word_biases + context_biases
    return (glove_weight(counts, x_max, alpha) * (fit - torch.log(counts)) ** 2).sum()


class GloVe(nn.Module):
    """GloVe (Pennington, Socher & Manning 2014): word and context vectors plus biases.

    Initialized uniformly in +-0.5 / vector_size like glove.c; trained by :func:`fit_glove`
    with AdaGrad, the paper's optimizer. ``vectors()`` returns W + W~, the paper's final
    word vectors. Notebook 04.
    """

    def __init__(
        self,
        vocab_size: int,
        vector_size: int,
        *,
        x_max: float = GLOVE_X_MAX,
        alpha: float = GLOVE_ALPHA,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        _check_sizes(vocab_size, vector_size)
        _check_positive(x_max=x_max, alpha=alpha)
        self.x_max, self.alpha = x_max, alpha
        self.word_vectors = nn.Embedding(vocab_size, vector_size)
        self.context_vectors = nn.Embedding(vocab_size, vector_size)
        self.word_biases = nn.Embedding(vocab_size, 1)
        self.context_biases = nn.Embedding(vocab_size, 1)
        bound = INIT_SCALE / vector_size
        with torch.no_grad():
            for table in (
                self.word_vectors,
                self.context_vectors,
                self.word_biases,
                self.context_biases,
            ):
                nn.init.uniform_(table.weight, -bound, bound, generator=generator)

    def forward(
        self, rows: torch.Tensor, cols: torch.Tensor, counts: torch.Tensor
    ) -> torch.Tensor:
        """Summed GloVe loss of the entries ``X[rows, cols] = counts`` (all three (N,))."""
        _check_index_batch("rows", rows, counts.shape[0])
        _check_index_batch("cols", cols, counts.shape[0])
        return glove_loss(
            self.word_vectors(rows),
            self.context_vectors(cols),
            self.word_biases(rows).squeeze(1),
            self.context_biases(cols).squeeze(1),
            counts,
            x_max=self.x_max,
            alpha=self.alpha,
        )

    def vectors(self) -> np.ndarray:
        """The word vectors W + W~ as a NumPy array (vocab_size, vector_size)."""
        summed = self.word_vectors.weight + self.context_vectors.weight
        return summed.detach().cpu().numpy()


def fit_glove(
    model: GloVe,
    cooc: sp.spmatrix | np.ndarray,
    *,
    epochs: int = GLOVE_EPOCHS,
    lr: float = GLOVE_LR,
    batch_size: int = GLOVE_BATCH_SIZE,
    max_steps: int = DEFAULT_MAX_STEPS,
    seed: int = 0,
    progress: bool = True,
    log_every: int = LOG_EVERY,
    on_epoch: Callable[[int, GloVe], None] | None = None,
) -> TrainingHistory:
    """Train a :class:`GloVe` module in place with AdaGrad, as the paper does. Notebook 04.

    Each epoch visits every nonzero entry of ``cooc`` once in a fresh random order, in
    mini-batches of ``batch_size`` (``torch.optim.Adagrad``, accumulator starting at 1 as
    in glove.c). Stops after ``epochs`` or ``max_steps`` steps; returns the loss history.
    ``on_epoch(epoch, model)`` runs after each full epoch (e.g. to score the vectors).
    """
    _check_positive(
        epochs=epochs, lr=lr, batch_size=batch_size, max_steps=max_steps, log_every=log_every
    )
    matrix = sp.coo_matrix(cooc)
    _check_matrix_matches(matrix, model.word_vectors.num_embeddings)
    nonzero = matrix.data != 0
    if not nonzero.any():
        raise ValueError("the co-occurrence matrix has no nonzero entry; count a larger corpus.")
    device = model.word_vectors.weight.device
    rows = torch.from_numpy(matrix.row[nonzero].astype(np.int64)).to(device)
    cols = torch.from_numpy(matrix.col[nonzero].astype(np.int64)).to(device)
    counts = torch.from_numpy(matrix.data[nonzero].astype(np.float32)).to(device)
    optimizer = torch.optim.Adagrad(
        model.parameters(), lr=lr, initial_accumulator_value=GLOVE_ADAGRAD_INIT
    )
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(len(counts) / batch_size)
    total_steps = min(max_steps, steps_per_epoch * epochs)
    history = TrainingHistory()
    log = _LossLog(history)
    order = torch.empty(0, dtype=torch.int64)
    started = time.perf_counter()
    with tqdm(total=total_steps, unit="step", disable=not progress, desc="GloVe") as bar:
        for step in range(1, total_steps + 1):
            position = (step - 1) % steps_per_epoch
            if position == 0:
                order = torch.randperm(len(counts), generator=generator).to(device)
            chosen = order[position * batch_size : (position + 1) * batch_size]
            loss = model(
                rows.index_select(0, chosen),
                cols.index_select(0, chosen),
                counts.index_select(0, chosen),
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            log.add(loss, len(chosen))
            if step % log_every == 0:
                log.flush(step, lr)
                bar.set_postfix(loss=f"{history.loss[-1]:.4f}")
            bar.update()
            if on_epoch is not None and step % steps_per_epoch == 0:
                on_epoch(step // steps_per_epoch, model)
        log.flush(total_steps, lr)
        history.seconds = time.perf_counter() - started
        bar.set_postfix(
            loss=f"{history.loss[-1]:.4f}", entries_per_s=f"{history.examples_per_second:,.0f}"
        )
    return history


@dataclass(frozen=True)
class GloVeConfig:
    """One GloVe run: how to count (window, weighting, min_count) and how to fit. Notebook 04.

    Plain data that a provenance file records; checked when made. The defaults are the
    course's settings for its 4M-token corpus (x_max 10 as in GloVe's demo script).
    """

    vector_size: int = 100
    window: int = GLOVE_WINDOW
    weighting: str = GLOVE_WEIGHTING
    min_count: int = 5
    x_max: float = GLOVE_SMALL_CORPUS_X_MAX
    alpha: float = GLOVE_ALPHA
    epochs: int = GLOVE_EPOCHS
    lr: float = GLOVE_LR
    batch_size: int = GLOVE_BATCH_SIZE

    def __post_init__(self) -> None:
        _check_positive(
            vector_size=self.vector_size,
            window=self.window,
            x_max=self.x_max,
            alpha=self.alpha,
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
        )
        _check_min_count(self.min_count)
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}.")


def glove_cooccurrence(
    sentences: Iterable[Sequence[str]], config: GloVeConfig | None = None
) -> tuple[sp.csr_matrix, Vocab]:
    """The vocabulary and co-occurrence matrix that ``config`` asks for. Notebook 04.

    Words seen ``min_count`` times or more, pairs within ``window`` words, counted as
    ``weighting`` says (the paper: 1/distance).
    """
    config = config or GloVeConfig()
    sentence_list = _sentence_list(sentences)
    vocab = build_vocab(sentence_list, min_count=config.min_count)
    if len(vocab) == 0:
        raise ValueError(
            f"no word occurs min_count={config.min_count} times; lower it or give more text."
        )
    cooc = cooccurrence(sentence_list, vocab, window=config.window, weighting=config.weighting)
    return cooc, vocab


def train_glove(
    cooc: sp.spmatrix | np.ndarray,
    vocab: Vocab,
    config: GloVeConfig | None = None,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    log_every: int = LOG_EVERY,
    on_epoch: Callable[[int, GloVe], None] | None = None,
) -> tuple[KeyedVectors, TrainingHistory]:
    """Build a :class:`GloVe` model for ``vocab`` and fit it on ``cooc``. Notebook 04.

    ``config`` gives the model and optimizer settings (its counting settings are those of
    :func:`glove_cooccurrence`); ``on_epoch`` goes to :func:`fit_glove`. Returns the word
    vectors W + W~ as ``KeyedVectors`` (keys in ``vocab`` order, with counts) and the
    loss history.
    """
    config = config or GloVeConfig()
    model = GloVe(
        len(vocab),
        config.vector_size,
        x_max=config.x_max,
        alpha=config.alpha,
        generator=torch.Generator().manual_seed(seed),
    ).to(resolve_device(device))
    history = fit_glove(
        model,
        cooc,
        epochs=config.epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        max_steps=max_steps,
        seed=seed,
        progress=progress,
        log_every=log_every,
        on_epoch=on_epoch,
    )
    return _to_keyed_vectors(vocab.words, model.vectors(), vocab.counts), history


# ---------------------------------------------------------------------------
# GloVe text files
# ---------------------------------------------------------------------------


def save_glove_text(path: str | Path, words: Sequence[str], vectors: np.ndarray) -> None:
    """Write vectors in the GloVe text format: ``word v1 ... vd`` per line, no header.

    gensim reads it with ``KeyedVectors.load_word2vec_format(path, binary=False,
    no_header=True)``. Notebook 04.
    """
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != len(words):
        raise ValueError(
            f"vectors must have shape (len(words), d) = ({len(words)}, d), got {array.shape}."
        )
    bad = [word for word in words if not word or any(char.isspace() for char in word)]
    if bad:
        raise ValueError(
            f"words must be non-empty and free of white space for the GloVe format, got {bad[:3]}."
        )
    with open(path, "w", encoding="utf-8") as handle:
        for word, row in zip(words, array, strict=True):
            handle.write(word + " " + " ".join(f"{value:.6f}" for value in row) + "\n")


def load_glove_text(path: str | Path) -> KeyedVectors:
    """Read a GloVe text file (``word v1 ... vd`` per line, no header) as KeyedVectors.

    A ragged, non-numeric, empty or repeated line raises a ValueError naming its line
    number; blank lines are skipped. Notebook 04.
    """
    first_line: dict[str, int] = {}
    rows: list[np.ndarray] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip().split(" ")
            if fields == [""]:
                continue
            where = f"{path}, line {number}"
            try:
                row = np.array(fields[1:], dtype=np.float32)
            except ValueError as error:
                raise ValueError(f"{where}: a value is not a number ({error}).") from error
            if len(row) == 0:
                raise ValueError(f"{where}: no values after the word {fields[0]!r}.")
            if rows and len(row) != len(rows[0]):
                hint = (
                    " Line 1 looks like a word2vec header ('count dim'): read the file with "
                    "KeyedVectors.load_word2vec_format instead."
                    if len(rows[0]) == 1
                    else ""
                )
                raise ValueError(
                    f"{where}: {len(row)} values after the word, but the first line has "
                    f"{len(rows[0])}; every line needs the same dimension.{hint}"
                )
            if fields[0] in first_line:
                raise ValueError(
                    f"{where}: the word {fields[0]!r} again (first on line "
                    f"{first_line[fields[0]]}); each word may appear once."
                )
            first_line[fields[0]] = number
            rows.append(row)
    if not rows:
        raise ValueError(f"{path} holds no vectors; expected lines of 'word v1 ... vd'.")
    kv = KeyedVectors(vector_size=len(rows[0]))
    kv.add_vectors(list(first_line), np.stack(rows))
    return kv


#: gensim's downloader name of the smallest pre-trained GloVe (Wikipedia + Gigaword, 50-d).
PRETRAINED_GLOVE = "glove-wiki-gigaword-50"
#: gensim's downloader fetches from GitHub; one quick connection test tries it first.
PRETRAINED_HOST = ("github.com", 443)
NETWORK_TIMEOUT_S = 3.0
#: Besides COURSE_OFFLINE, these ask for no network (Hugging Face's convention).
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
TRUE_VALUES = ("1", "true", "yes")


def _offline_reason(timeout: float) -> str | None:
    """Why the network must not or cannot be used now; None when a download may be tried."""
    for variable in (OFFLINE_ENV, *OFFLINE_VARIABLES):
        if os.environ.get(variable, "").strip().lower() in TRUE_VALUES:
            return f"{variable} is set, which asks for no network access"
    try:
        with socket.create_connection(PRETRAINED_HOST, timeout=timeout):
            return None
    except OSError as error:
        return f"{PRETRAINED_HOST[0]} cannot be reached ({error})"


def pretrained_glove_path(
    name: str = PRETRAINED_GLOVE, *, timeout: float = NETWORK_TIMEOUT_S
) -> Path:
    """The file of a pre-trained GloVe model from gensim's downloader, fetched once. Notebook 04.

    A copy already in gensim's data folder is used without any network. Otherwise, when
    offline (``COURSE_OFFLINE`` / ``HF_HUB_OFFLINE`` set, or no connection within
    ``timeout`` seconds) a DataUnavailableError says so at once instead of hanging.
    """
    import gensim.downloader

    local = Path(gensim.downloader.BASE_DIR) / name / f"{name}.gz"
    if local.is_file():
        return local
    reason = _offline_reason(timeout)
    if reason is not None:
        folder = str(gensim.downloader.BASE_DIR).replace(str(Path.home()), "~", 1)
        raise DataUnavailableError(
            f"pre-trained GloVe {name!r} is not on this machine and {reason}. On a machine "
            f"with a network, `python -m gensim.downloader --download {name}` fetches it "
            f"into {folder} (set GENSIM_DATA_DIR to use another folder)."
        )
    return Path(gensim.downloader.load(name, return_path=True))


def _has_word2vec_header(path: str | Path) -> bool:
    """Whether the first line is word2vec's ``count dim`` header (GloVe files have none)."""
    with gensim_open(str(path), "rb") as handle:
        fields = handle.readline().split()
    return len(fields) == len(("count", "dim")) and all(field.isdigit() for field in fields)


def load_pretrained_glove(
    name: str = PRETRAINED_GLOVE, *, limit: int | None = None, timeout: float = NETWORK_TIMEOUT_S
) -> KeyedVectors:
    """Pre-trained GloVe vectors via gensim's downloader, read as text. Notebook 04.

    Only the vector file is used (``load(name, return_path=True)``): no downloaded code
    runs and nothing is unpickled. ``limit`` keeps the most frequent words. Raises
    DataUnavailableError quickly when offline (see :func:`pretrained_glove_path`).
    """
    path = pretrained_glove_path(name, timeout=timeout)
    return KeyedVectors.load_word2vec_format(
        path, binary=False, limit=limit, no_header=not _has_word2vec_header(path)
    )


# ---------------------------------------------------------------------------
# Benchmarks: Google analogies, WordSim-353, SimLex-999
# ---------------------------------------------------------------------------


def _case_insensitive_vocab(kv: KeyedVectors, restrict_vocab: int) -> dict[str, int]:
    """Upper-cased key -> index of its most frequent spelling among the first words (gensim)."""
    return {key.upper(): kv.get_index(key) for key in reversed(kv.index_to_key[:restrict_vocab])}


@dataclass(frozen=True)
class AnalogyResult:
    """Google analogy accuracy (3CosAdd) split into semantic and syntactic. Notebook 03.

    ``sections`` maps each section to (correct, answered); ``skipped`` counts questions
    with a word outside the restricted vocabulary (never answered, never an error).
    """

    semantic_correct: int
    semantic_total: int
    syntactic_correct: int
    syntactic_total: int
    skipped: int
    sections: dict[str, tuple[int, int]]

    @property
    def semantic_accuracy(self) -> float:
        """Share of answered semantic questions solved (NaN when none was answered)."""
        return _ratio(self.semantic_correct, self.semantic_total)

    @property
    def syntactic_accuracy(self) -> float:
        """Share of answered syntactic questions solved (NaN when none was answered)."""
        return _ratio(self.syntactic_correct, self.syntactic_total)

    @property
    def accuracy(self) -> float:
        """Share of all answered questions solved (gensim's "Total accuracy")."""
        return _ratio(
            self.semantic_correct + self.syntactic_correct,
            self.semantic_total + self.syntactic_total,
        )


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def _read_analogies(path: str | Path) -> list[tuple[str, list[list[str]]]]:
    """(section name, [[A, B, C, D], ...]) per ': section' of an analogy file, upper-cased."""
    sections: list[tuple[str, list[list[str]]]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith(SECTION_MARK):
                sections.append((line[len(SECTION_MARK) :].strip(), []))
                continue
            words = line.upper().split()
            if len(words) != ANALOGY_WORDS:
                continue
            if not sections:
                raise ValueError(f"{path}, line {number}: a question before any ': section' line.")
            sections[-1][1].append(words)
    return sections


def evaluate_analogies(
    kv: KeyedVectors,
    restrict_vocab: int = ANALOGY_RESTRICT_VOCAB,
    path: str | Path | None = None,
) -> AnalogyResult:
    """Score the Google analogy set (a : b :: c : ?) with 3CosAdd, as gensim does. Notebook 03.

    Only the ``restrict_vocab`` most frequent words take part (questions with another
    word are skipped and counted); case-insensitive. The answer is the nearest word to
    ``b - a + c`` (unit vectors) other than a, b, c. Same numbers as gensim's
    ``evaluate_word_analogies``, computed in batches. An all-zero vector (e.g. a word
    with no positive PPMI) counts as orthogonal to everything instead of giving NaN.
    """
    ok_vocab = _case_insensitive_vocab(kv, restrict_vocab)
    limit = min(restrict_vocab, len(kv))
    # Each candidate's group: the index of its most frequent same-case-insensitive spelling.
    group = np.array([ok_vocab[key.upper()] for key in kv.index_to_key[:limit]])
    kv.fill_norms()
    norms = _nonzero(kv.norms)
    candidates = kv.vectors[:limit]
    unit = kv.vectors / norms[:, None]
    counts: dict[str, tuple[int, int]] = {}
    skipped = 0
    for name, questions in _read_analogies(path or datapath(ANALOGY_FILE)):
        known = [q for q in questions if all(word in ok_vocab for word in q)]
        skipped += len(questions) - len(known)
        index = np.array([[ok_vocab[word] for word in q] for q in known], dtype=np.int64)
        correct = 0
        for start in range(0, len(index), ANALOGY_BATCH):
            a, b, c, expected = index[start : start + ANALOGY_BATCH].T
            query = unit[b] + unit[c] - unit[a]
            query /= _nonzero(np.linalg.norm(query, axis=1, keepdims=True))
            scores = (query @ candidates.T) / norms[:limit]
            for column in (a, b, c):
                scores[group[None, :] == column[:, None]] = -np.inf
            correct += int(np.sum(group[scores.argmax(axis=1)] == expected))
        counts[name] = (correct, len(known))
    semantic = [value for name, value in counts.items() if not name.startswith(SYNTACTIC_PREFIX)]
    syntactic = [value for name, value in counts.items() if name.startswith(SYNTACTIC_PREFIX)]
    return AnalogyResult(
        semantic_correct=sum(c for c, _ in semantic),
        semantic_total=sum(t for _, t in semantic),
        syntactic_correct=sum(c for c, _ in syntactic),
        syntactic_total=sum(t for _, t in syntactic),
        skipped=skipped,
        sections=counts,
    )


@dataclass(frozen=True)
class SimilarityResult:
    """Correlation of cosine similarity with human ratings on one benchmark. Notebook 03.

    ``pairs`` were scored; ``skipped`` had a word outside the vocabulary.
    """

    spearman: float
    pearson: float
    pairs: int
    skipped: int


def _read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """(WORD, WORD, rating) per ``word<TAB>word<TAB>rating`` line; '#' lines are comments."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if line.startswith(COMMENT_MARK) or len(fields) != PAIR_FIELDS:
                continue
            try:
                rating = float(fields[2])
            except ValueError as error:
                raise ValueError(f"{path}, line {number}: the rating is not a number.") from error
            pairs.append((fields[0].strip().upper(), fields[1].strip().upper(), rating))
    return pairs


def evaluate_similarity(
    kv: KeyedVectors,
    restrict_vocab: int = SIMILARITY_RESTRICT_VOCAB,
    datasets: dict[str, str | Path] | None = None,
) -> dict[str, SimilarityResult]:
    """Spearman (and Pearson) correlation with WordSim-353 and SimLex-999. Notebook 03.

    Case-insensitive, like gensim's ``evaluate_word_pairs``; pairs with an unknown word
    are skipped and counted; an all-zero vector has similarity 0 to everything.
    ``datasets`` maps names to files (default: gensim's copies).
    """
    ok_vocab = _case_insensitive_vocab(kv, restrict_vocab)
    files = datasets or {name: datapath(file) for name, file in SIMILARITY_FILES.items()}
    results = {}
    for name, path in files.items():
        pairs = _read_pairs(path)
        known = [(a, b, gold) for a, b, gold in pairs if a in ok_vocab and b in ok_vocab]
        gold = np.array([score for _, _, score in known])
        model = np.array([_cosine(kv, ok_vocab[a], ok_vocab[b]) for a, b, _ in known])
        enough = len(known) >= MIN_CORRELATION_PAIRS
        results[name] = SimilarityResult(
            spearman=float(stats.spearmanr(gold, model).statistic) if enough else math.nan,
            pearson=float(stats.pearsonr(gold, model).statistic) if enough else math.nan,
            pairs=len(known),
            skipped=len(pairs) - len(known),
        )
    return results


def _nonzero(norms: np.ndarray) -> np.ndarray:
    """Norms with zeros replaced by 1, so that a zero vector stays zero when normalized."""
    return np.where(norms > 0, norms, 1.0).astype(norms.dtype)


def _cosine(kv: KeyedVectors, i: int, j: int) -> float:
    first, second = kv.vectors[i], kv.vectors[j]
    return float(
        np.dot(first, second) / (_nonzero(np.linalg.norm(first) * np.linalg.norm(second)))
    )


def analogy(kv: KeyedVectors, a: str, b: str, c: str, topn: int = 3) -> list[tuple[str, float]]:
    """Words nearest to ``b - a + c`` (a is to b as c is to ?), inputs excluded. Notebook 03.

    ``analogy(kv, "man", "king", "woman")`` asks for the "queen" of "king - man + woman";
    an unknown word raises a ValueError that names it.
    """
    missing = [word for word in (a, b, c) if word not in kv.key_to_index]
    if missing:
        raise ValueError(f"not in the vocabulary: {missing}; try other (more frequent) words.")
    return kv.most_similar(positive=[b, c], negative=[a], topn=topn)


def top_words(kv: KeyedVectors, n: int) -> KeyedVectors:
    """The first ``n`` (most frequent) words of ``kv`` and their vectors. Notebook 03.

    What a shipped file keeps, and how notebook 03 compares models on the same words.
    """
    _check_positive(n=n)
    words = kv.index_to_key[:n]
    result = KeyedVectors(vector_size=kv.vector_size)
    result.add_vectors(words, kv.vectors[: len(words)].copy())
    return result


def benchmark_summary(
    kv: KeyedVectors, restrict_vocab: int = ANALOGY_RESTRICT_VOCAB
) -> dict[str, float | int]:
    """Every benchmark of notebook 03 in one flat dict (a table row, a provenance entry).

    Analogy accuracies (semantic, syntactic, total over answered questions, as gensim
    reports them) among the ``restrict_vocab`` most frequent words, answered and skipped
    counts, and the WordSim-353 / SimLex-999 Spearman correlations with their pair counts.
    """
    analogies = evaluate_analogies(kv, restrict_vocab=restrict_vocab)
    summary: dict[str, float | int] = {
        "analogy_semantic": analogies.semantic_accuracy,
        "analogy_syntactic": analogies.syntactic_accuracy,
        "analogy_total": analogies.accuracy,
        "analogy_answered": analogies.semantic_total + analogies.syntactic_total,
        "analogy_skipped": analogies.skipped,
    }
    for name, result in evaluate_similarity(kv).items():
        summary[name] = result.spearman
        summary[f"{name}_pairs"] = result.pairs
    return summary


# ---------------------------------------------------------------------------
# Shipped vectors: named recipes for ``python -m course_utils train-vectors NAME``
# ---------------------------------------------------------------------------

#: "course" trains with :func:`train_word2vec`, "gensim" with :func:`train_gensim_word2vec`.
TRAINERS = ("course", "gensim")
TRAIN_COMMAND = "python -m course_utils train-vectors"
#: A shipped file keeps the most frequent words: 100-d float16 x 20,000 words = 4 MB.
SHIPPED_WORDS = 20_000
#: Training runs on one CPU thread by default (torch threads, gensim workers).
DEFAULT_THREADS = 1
#: A provenance file keeps at most this many points of the loss curve.
PROVENANCE_CURVE_POINTS = 100
#: The learning curve trains on nested random shares of the corpus sentences.
CURVE_FRACTIONS = (0.125, 0.25, 0.5, 1.0)
#: The shipped models: word2vec's defaults (100-d, 5 negatives, sample 1e-3, min_count 5)
#: with 10 epochs instead of 5 (a few million tokens need more passes) and a window of 10.
SHIPPED_SKIPGRAM = Word2VecConfig(architecture="skipgram", window=10, epochs=10)
SHIPPED_CBOW = Word2VecConfig(architecture="cbow", window=10, epochs=10)


@dataclass(frozen=True)
class VectorRecipe:
    """How one shipped set of word vectors is trained: plain data, kept in its provenance.

    ``trainer`` is one of ``TRAINERS``; the file keeps the ``keep_words`` most frequent
    words. Notebook 03.
    """

    description: str
    trainer: str
    config: Word2VecConfig
    seed: int = 0
    corpus: tuple[str, ...] = CORPUS_SOURCES
    keep_words: int = SHIPPED_WORDS

    def __post_init__(self) -> None:
        _check_trainer(self.trainer)
        _check_positive(keep_words=self.keep_words)


@dataclass(frozen=True)
class CurveRecipe:
    """A learning curve: each config trained on growing nested shares of the corpus.

    Saved as a provenance file of results only (no weights). Notebook 03.
    """

    description: str
    trainer: str
    configs: tuple[Word2VecConfig, ...]
    fractions: tuple[float, ...] = CURVE_FRACTIONS
    seed: int = 0
    corpus: tuple[str, ...] = CORPUS_SOURCES

    def __post_init__(self) -> None:
        _check_trainer(self.trainer)
        if not self.configs or not all(0 < fraction <= 1 for fraction in self.fractions):
            raise ValueError(
                f"a curve needs at least one config and fractions in (0, 1], got "
                f"{len(self.configs)} configs and fractions {self.fractions}."
            )


def _check_trainer(trainer: str) -> None:
    if trainer not in TRAINERS:
        raise ValueError(f"trainer must be one of {TRAINERS}, got {trainer!r}.")


#: Everything ``train-vectors NAME`` can make; notebook 03 loads the results.
VECTOR_RECIPES: dict[str, VectorRecipe | CurveRecipe] = {
    "word2vec_sg": VectorRecipe("our skip-gram (torch, from scratch)", "course", SHIPPED_SKIPGRAM),
    "word2vec_cbow": VectorRecipe("our CBOW (torch, from scratch)", "course", SHIPPED_CBOW),
    "gensim_sg": VectorRecipe("gensim skip-gram, the same settings", "gensim", SHIPPED_SKIPGRAM),
    "word2vec_curve": CurveRecipe(
        "gensim skip-gram and CBOW on 1/8, 1/4, 1/2 and all of the corpus",
        "gensim",
        (SHIPPED_SKIPGRAM, SHIPPED_CBOW),
    ),
}


def train_vectors(
    name: str,
    *,
    device: str = "cpu",
    max_steps: int | None = None,
    directory: str | Path | None = None,
    corpus: Sequence[str] | None = None,
    threads: int = DEFAULT_THREADS,
    progress: bool = True,
) -> Path:
    """Run recipe ``name`` of ``VECTOR_RECIPES`` and save it with its provenance. Notebook 03.

    What ``python -m course_utils train-vectors NAME`` runs: vectors go to ``data/`` (or
    ``directory``) as float16 safetensors, scored on the benchmarks before and after the
    cut to the most frequent words. ``max_steps`` bounds every training run, ``corpus``
    replaces the recipe's sources (e.g. a small one for a quick test). Returns the path
    of the provenance file.
    """
    if name not in VECTOR_RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of {sorted(VECTOR_RECIPES)}.")
    recipe = VECTOR_RECIPES[name]
    _check_positive(threads=threads)
    if resolve_device(device) != "cpu" and recipe.trainer == "gensim":
        raise ValueError(f"recipe {name!r} trains with gensim, on the CPU only; drop --device.")
    sources = tuple(corpus) if corpus is not None else recipe.corpus
    sentences = corpus_sentences(sources)
    provenance: dict[str, object] = {
        "command": _command_line(
            f"{TRAIN_COMMAND} {name}",
            device=device,
            max_steps=max_steps,
            corpus=corpus,
            threads=threads,
        ),
        "recipe": name,
        "description": recipe.description,
        "trainer": recipe.trainer,
        "seed": recipe.seed,
        "corpus": _corpus_record(sources, sentences),
        "device": device,
        "threads": threads,
        "max_steps": max_steps,
    }
    run = functools.partial(
        _train_once,
        recipe.trainer,
        seed=recipe.seed,
        device=device,
        max_steps=DEFAULT_MAX_STEPS if max_steps is None else max_steps,
        threads=threads,
        progress=progress,
    )
    if isinstance(recipe, CurveRecipe):
        return _save_curve(name, recipe, sentences, run, provenance, directory)
    kv, history = run(recipe.config, sentences)
    shipped = _shipped_vectors(kv, recipe.keep_words)
    provenance.update(
        config=asdict(recipe.config),
        vocabulary=len(kv),
        shipped_words=len(shipped),
        **_history_record(history),
        evaluation={
            "full_vocabulary": benchmark_summary(kv),
            "shipped": benchmark_summary(shipped),
        },
    )
    save_vectors(name, shipped.index_to_key, shipped.vectors, provenance, directory=directory)
    return checkpoint_paths(name, directory)[1]


def _train_once(
    trainer: str,
    config: Word2VecConfig,
    sentences: list[list[str]],
    *,
    seed: int,
    device: str,
    max_steps: int,
    threads: int,
    progress: bool,
) -> tuple[KeyedVectors, TrainingHistory]:
    """One training run of ``config`` with ``trainer`` on ``threads`` CPU threads."""
    if trainer == "gensim":
        return train_gensim_word2vec(
            sentences, config, max_steps=max_steps, seed=seed, workers=threads
        )
    with torch_threads(threads):
        return train_word2vec(
            sentences, config, max_steps=max_steps, seed=seed, device=device, progress=progress
        )


def _command_line(
    base: str,
    *,
    device: str,
    max_steps: int | None,
    corpus: Sequence[str] | None,
    threads: int,
    seed: int | None = None,
) -> str:
    """The command that reproduces a run: ``base`` plus every option not at its default."""
    options = [
        f"--device {device}" if device != "cpu" else "",
        f"--max-steps {max_steps}" if max_steps is not None else "",
        f"--seed {seed}" if seed else "",
        f"--corpus {' '.join(corpus)}" if corpus is not None else "",
        f"--threads {threads}" if threads != DEFAULT_THREADS else "",
    ]
    return " ".join([base, *filter(None, options)])


def _corpus_record(sources: Sequence[str], sentences: list[list[str]]) -> dict[str, object]:
    """What a provenance file says about the training text."""
    return {
        "sources": list(sources),
        "sentences": len(sentences),
        "tokens": sum(map(len, sentences)),
    }


def _shipped_vectors(kv: KeyedVectors, num_words: int) -> KeyedVectors:
    """The ``num_words`` most frequent words, rounded to float16 so they score as they load."""
    shipped = top_words(kv, num_words)
    shipped.vectors[:] = shipped.vectors.astype(STORED_FLOAT)
    return shipped


def _loss_curve(steps: list[int], loss: list[float]) -> dict[str, list]:
    """A training loss curve thinned to about ``PROVENANCE_CURVE_POINTS`` points."""
    every = max(1, math.ceil(len(loss) / PROVENANCE_CURVE_POINTS))
    return {"steps": steps[::every], "loss": loss[::every]}


def _history_record(history: TrainingHistory) -> dict[str, object]:
    """What a provenance file keeps of a training history (the loss curve thinned)."""
    return {
        "steps": history.steps[-1] if history.steps else None,
        "train_seconds": history.seconds,
        "train_cpu_seconds": history.cpu_seconds,
        "words": history.words,
        "words_per_second": history.words_per_second,
        "words_per_cpu_second": history.words_per_cpu_second,
        "final_loss": history.loss[-1] if history.loss else None,
        "loss_curve": _loss_curve(history.steps, history.loss),
    }


def _save_curve(
    name: str,
    recipe: CurveRecipe,
    sentences: list[list[str]],
    run: Callable[[Word2VecConfig, list[list[str]]], tuple[KeyedVectors, TrainingHistory]],
    provenance: dict[str, object],
    directory: str | Path | None,
) -> Path:
    """Train every config on each share of the corpus; write the scores as a provenance file."""
    order = np.random.default_rng(recipe.seed).permutation(len(sentences))
    points = []
    for fraction in recipe.fractions:
        chosen = np.sort(order[: math.ceil(fraction * len(sentences))])
        subset = [sentences[i] for i in chosen]
        for config in recipe.configs:
            kv, history = run(config, subset)
            points.append(
                {
                    "architecture": config.architecture,
                    "fraction": fraction,
                    "tokens": sum(map(len, subset)),
                    "vocabulary": len(kv),
                    "train_seconds": history.seconds,
                    "words_per_second": history.words_per_second,
                    "words_per_cpu_second": history.words_per_cpu_second,
                    **benchmark_summary(kv),
                }
            )
    provenance.update(configs=[asdict(config) for config in recipe.configs], points=points)
    return save_results(name, provenance, directory=directory)


def load_learning_curve(
    name: str = "word2vec_curve", directory: str | Path | None = None
) -> list[dict[str, object]]:
    """The points of a shipped learning curve (one dict per run). Notebook 03."""
    return load_provenance(name, directory)["points"]


# ---------------------------------------------------------------------------
# Shipped GloVe vectors: ``python -m course_utils train-glove``
# ---------------------------------------------------------------------------

#: The shipped GloVe vectors: ``data/glove.safetensors`` and its provenance file.
GLOVE_CHECKPOINT = "glove"
GLOVE_COMMAND = "python -m course_utils train-glove"
SHIPPED_GLOVE = GloVeConfig()


def train_glove_vectors(
    *,
    device: str = "cpu",
    max_steps: int | None = None,
    directory: str | Path | None = None,
    seed: int = 0,
    corpus: Sequence[str] | None = None,
    threads: int = DEFAULT_THREADS,
    progress: bool = True,
) -> Path:
    """Train :data:`SHIPPED_GLOVE` on the course corpus and save it with provenance.

    What ``python -m course_utils train-glove`` runs: the most frequent words' W + W~ go
    to ``data/glove.safetensors`` (or ``directory``) as float16, with the command, seed,
    config, wall times, losses and benchmark scores. ``corpus`` replaces the sources (a
    small one for a quick test). Returns the provenance path. Notebook 04.
    """
    _check_positive(threads=threads)
    resolve_device(device)  # fail before minutes of counting, not after
    sources = tuple(corpus) if corpus is not None else CORPUS_SOURCES
    sentences = corpus_sentences(sources)
    started = time.perf_counter()
    cooc, vocab = glove_cooccurrence(sentences, SHIPPED_GLOVE)
    counting_seconds = time.perf_counter() - started
    by_epoch: dict[str, list[float]] = {name: [] for name in SIMILARITY_FILES}

    def score_epoch(epoch: int, model: GloVe) -> None:
        vectors = _to_keyed_vectors(vocab.words, model.vectors(), vocab.counts)
        for name, result in evaluate_similarity(vectors).items():
            by_epoch[name].append(result.spearman)

    with torch_threads(threads):
        kv, history = train_glove(
            cooc,
            vocab,
            SHIPPED_GLOVE,
            max_steps=DEFAULT_MAX_STEPS if max_steps is None else max_steps,
            seed=seed,
            device=device,
            progress=progress,
            on_epoch=score_epoch,
        )
    shipped = _shipped_vectors(kv, SHIPPED_WORDS)
    steps_per_epoch = math.ceil(cooc.nnz / SHIPPED_GLOVE.batch_size)
    provenance = {
        "command": _command_line(
            GLOVE_COMMAND,
            device=device,
            max_steps=max_steps,
            corpus=corpus,
            threads=threads,
            seed=seed,
        ),
        "description": "GloVe (torch, from scratch), W + W~ of the most frequent words",
        "seed": seed,
        "corpus": _corpus_record(sources, sentences),
        "config": asdict(SHIPPED_GLOVE),
        "optimizer": "torch.optim.Adagrad on mini-batches of co-occurrence entries",
        "device": device,
        "threads": threads,
        "max_steps": max_steps,
        "vocabulary": len(vocab),
        "cooccurrence_entries": cooc.nnz,
        "cooccurrence_seconds": counting_seconds,
        "epochs_completed": history.steps[-1] / steps_per_epoch,
        "steps": history.steps[-1],
        "train_seconds": history.seconds,
        "entries_per_second": history.examples_per_second,
        "final_loss": history.loss[-1],
        "loss_curve": _loss_curve(history.steps, history.loss),
        "shipped_words": len(shipped),
        "similarity_by_epoch": by_epoch,
        "evaluation": {
            "full_vocabulary": benchmark_summary(kv),
            "shipped": benchmark_summary(shipped),
        },
    }
    save_vectors(
        GLOVE_CHECKPOINT, shipped.index_to_key, shipped.vectors, provenance, directory=directory
    )
    return checkpoint_paths(GLOVE_CHECKPOINT, directory)[1]
