"""Word2Vec: subsampling, negative sampling, skip-gram and CBOW, and their training loop.

Taught in notebook 03. The loop is written out here rather than in ``training.py``
because the notebook teaches it: the linearly decaying learning rate of the C tool, words
counted as they are seen. Trained models come back as gensim ``KeyedVectors``; gensim's
own Word2Vec is the reference (``train_gensim_word2vec``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from gensim.models import KeyedVectors, Word2Vec
from torch import nn
from tqdm.auto import tqdm

from course_utils.reproducibility import resolve_device
from course_utils.vectors.counts import (
    CHUNK_POSITIONS,
    _check_min_count,
    _context_columns,
    _sentence_list,
    build_vocab,
    encode_corpus,
)

__all__ = [
    "ARCHITECTURES",
    "CBOW",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LR",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_MIN_LR",
    "DEFAULT_SAMPLE",
    "GENSIM_BATCH_WORDS",
    "INIT_SCALE",
    "LOG_EVERY",
    "NOISE_TABLE_SIZE",
    "UNIGRAM_POWER",
    "SkipGramNS",
    "TrainingHistory",
    "Word2VecBatch",
    "Word2VecConfig",
    "keep_probabilities",
    "noise_distribution",
    "noise_table",
    "train_gensim_word2vec",
    "train_word2vec",
    "word2vec_batches",
]

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
#: By default the loss history keeps one averaged point per this many optimizer steps.
LOG_EVERY = 100
#: gensim hands its worker threads jobs of this many corpus words (its own default).
GENSIM_BATCH_WORDS = 10_000


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
