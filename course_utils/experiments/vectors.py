"""Shipped word vectors: the named recipes that ``python -m course_utils train-vectors NAME``
and ``python -m course_utils train-glove`` train and ship under ``data/``.

Notebooks 03 and 04 load what these recipes wrote, with the provenance of each file.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from course_utils.checkpoints import (
    STORED_FLOAT,
    checkpoint_paths,
    load_provenance,
    save_results,
    save_vectors,
)
from course_utils.data import (
    CORPUS_SOURCES,
    corpus_sentences,
)
from course_utils.reproducibility import resolve_device, torch_threads
from course_utils.vectors.benchmarks import (
    SIMILARITY_FILES,
    benchmark_summary,
    evaluate_similarity,
    top_words,
)
from course_utils.vectors.glove import GloVe, GloVeConfig, glove_cooccurrence, train_glove
from course_utils.vectors.word2vec import (
    DEFAULT_MAX_STEPS,
    TrainingHistory,
    Word2VecConfig,
    _check_positive,
    _to_keyed_vectors,
    train_gensim_word2vec,
    train_word2vec,
)

__all__ = [
    "CURVE_FRACTIONS",
    "DEFAULT_THREADS",
    "GLOVE_CHECKPOINT",
    "GLOVE_COMMAND",
    "PROVENANCE_CURVE_POINTS",
    "SHIPPED_CBOW",
    "SHIPPED_GLOVE",
    "SHIPPED_SKIPGRAM",
    "SHIPPED_WORDS",
    "TRAINERS",
    "TRAIN_COMMAND",
    "VECTOR_RECIPES",
    "CurveRecipe",
    "VectorRecipe",
    "load_learning_curve",
    "train_glove_vectors",
    "train_vectors",
]

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
