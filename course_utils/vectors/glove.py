"""GloVe: co-occurrence ratios, the weighted least-squares loss, AdaGrad training, GloVe text
files and the published pretrained vectors.

Taught in notebook 04. Trained vectors come back as gensim ``KeyedVectors``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from gensim.models import KeyedVectors
from gensim.utils import open as gensim_open
from torch import nn
from tqdm.auto import tqdm

from course_utils.data import (
    DataUnavailableError,
    network_allowed,
    offline_variable,
)
from course_utils.reproducibility import resolve_device
from course_utils.vectors.counts import (
    WEIGHTINGS,
    Vocab,
    _check_min_count,
    _sentence_list,
    build_vocab,
    cooccurrence,
)
from course_utils.vectors.word2vec import (
    DEFAULT_MAX_STEPS,
    INIT_SCALE,
    LOG_EVERY,
    TrainingHistory,
    _check_index_batch,
    _check_positive,
    _check_sizes,
    _LossLog,
    _to_keyed_vectors,
)

__all__ = [
    "GLOVE_ADAGRAD_INIT",
    "GLOVE_ALPHA",
    "GLOVE_BATCH_SIZE",
    "GLOVE_EPOCHS",
    "GLOVE_LR",
    "GLOVE_SMALL_CORPUS_X_MAX",
    "GLOVE_WEIGHTING",
    "GLOVE_WINDOW",
    "GLOVE_X_MAX",
    "NETWORK_TIMEOUT_S",
    "PRETRAINED_GLOVE",
    "PRETRAINED_HOST",
    "GloVe",
    "GloVeConfig",
    "RatioRow",
    "cooccurrence_ratios",
    "fit_glove",
    "glove_cooccurrence",
    "glove_loss",
    "glove_weight",
    "load_glove_text",
    "load_pretrained_glove",
    "pretrained_glove_path",
    "save_glove_text",
    "train_glove",
]

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
    if not network_allowed(PRETRAINED_HOST, timeout):
        variable = offline_variable()
        reason = (
            f"{variable} is set, which asks for no network access"
            if variable
            else f"{PRETRAINED_HOST[0]} cannot be reached"
        )
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
