"""Checks for notebook 03 (Word2Vec, CBOW vs skip-gram): PPMI, the negative-sampling loss,
analogies by vector arithmetic."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from gensim.models import KeyedVectors

from course_utils.exercises.core import exercise_check, learner_call, require
from course_utils.vectors.counts import ppmi

__all__ = [
    "ANALOGY_DIM",
    "ANALOGY_QUESTIONS",
    "ANALOGY_WORDS",
    "LOSS_CASES",
    "LOSS_TOLERANCE",
    "PPMI_SHAPES",
    "SEED",
    "check_analogy",
    "check_negative_sampling_loss",
    "check_ppmi",
]

SEED = 3
#: Co-occurrence matrices the PPMI check tries: (rows, columns, Poisson mean), with zeros.
PPMI_SHAPES = ((4, 4, 1.0), (6, 9, 0.7), (3, 5, 3.0))
#: Negative-sampling cases: (vector size, noise words k, scale of the vectors).
LOSS_CASES = ((4, 1, 0.5), (10, 5, 1.0), (50, 15, 0.3), (8, 3, 3.0))
LOSS_TOLERANCE = 1e-4
#: The analogy check's vocabulary: random words with very different vector lengths.
ANALOGY_WORDS, ANALOGY_DIM, ANALOGY_QUESTIONS = 300, 16, 40


@exercise_check("ppmi", "Rare-but-together pairs score high, chance pairs drop to 0.")
def check_ppmi(my_ppmi: Callable[[np.ndarray], np.ndarray]) -> None:
    """The learner's ``my_ppmi(counts)`` returns the plain PPMI matrix (no smoothing)."""
    rng = np.random.default_rng(SEED)
    for rows, cols, mean in PPMI_SHAPES:
        counts = rng.poisson(mean, size=(rows, cols)).astype(float)
        counts[0, 0] = 0.0  # at least one zero count
        got = np.asarray(learner_call(my_ppmi, counts.copy()), dtype=float)
        expected = ppmi(counts, alpha=1.0).toarray()
        require(
            got.shape == expected.shape,
            f"for a {rows} x {cols} count matrix return a matrix of the same shape, got "
            f"{got.shape}.",
        )
        require(
            bool(np.all(np.isfinite(got))),
            "your matrix has inf or NaN: a pair that never co-occurs has log(0). Give such "
            "pairs 0 (PPMI keeps only positive values).",
        )
        require(
            bool(np.all(got >= 0)),
            "your matrix has negative values: PPMI is max(0, PMI).",
        )
        require(
            np.allclose(got, expected, atol=1e-8),
            "the values differ from PPMI. P(w, c) = count / total, P(w) = row sum / total, "
            "P(c) = column sum / total, PMI = log(P(w, c) / (P(w) P(c))).",
        )


def _loss_reference(centre: torch.Tensor, context: torch.Tensor, noise: torch.Tensor) -> float:
    positive = torch.nn.functional.logsigmoid(context @ centre)
    negative = torch.nn.functional.logsigmoid(-(noise @ centre)).sum()
    return float(-(positive + negative))


@exercise_check("negative_sampling_loss", "That is the loss every skip-gram step minimizes.")
def check_negative_sampling_loss(
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor | float],
) -> None:
    """The learner's ``loss_fn(v_centre, u_context, u_noise)`` is the SGNS loss of one pair."""
    generator = torch.Generator().manual_seed(SEED)
    for dim, k, scale in LOSS_CASES:
        centre, context = (scale * torch.randn(dim, generator=generator) for _ in range(2))
        noise = scale * torch.randn(k, dim, generator=generator)
        got = learner_call(loss_fn, centre.clone(), context.clone(), noise.clone())
        require(
            isinstance(got, (float, int)) or (torch.is_tensor(got) and got.numel() == 1),
            f"return one number (a float or a 0-d tensor), got {type(got).__name__} "
            f"{tuple(got.shape) if torch.is_tensor(got) else ''}.",
        )
        value, expected = float(got), _loss_reference(centre, context, noise)
        require(
            value > 0,
            f"with {k} noise word(s) your loss is {value:.4f}; a negative log-probability is "
            "never below 0. Check the signs.",
        )
        require(
            abs(value - expected) <= LOSS_TOLERANCE * max(1.0, abs(expected)),
            f"with vectors of size {dim} and {k} noise word(s) your loss is {value:.4f}. The "
            "true context should get a high score u·v, each noise word a low one, and the "
            "noise terms are summed, not averaged.",
        )


def _analogy_vectors() -> KeyedVectors:
    """Random words whose vector lengths differ a lot (cosine and dot product disagree)."""
    rng = np.random.default_rng(SEED)
    directions = rng.normal(size=(ANALOGY_WORDS, ANALOGY_DIM))
    lengths = rng.lognormal(sigma=1.0, size=(ANALOGY_WORDS, 1))
    kv = KeyedVectors(vector_size=ANALOGY_DIM)
    kv.add_vectors(
        [f"w{i}" for i in range(ANALOGY_WORDS)], (directions * lengths).astype(np.float32)
    )
    return kv


@exercise_check("analogy", "3CosAdd, the rule behind gensim's most_similar(positive, negative).")
def check_analogy(solve: Callable[[KeyedVectors, str, str, str], str]) -> None:
    """The learner's ``solve(kv, a, b, c)`` returns the word nearest to b - a + c."""
    kv = _analogy_vectors()
    rng = np.random.default_rng(SEED)
    for a, b, c in rng.choice(kv.index_to_key, size=(ANALOGY_QUESTIONS, 3), replace=True):
        if len({a, b, c}) < 3:
            continue
        got = learner_call(solve, kv, str(a), str(b), str(c))
        expected = kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        require(
            got not in (a, b, c),
            f"for {a} : {b} :: {c} : ? you answered {got!r}, one of the question's words. "
            "Leave a, b and c out of the candidates.",
        )
        require(
            got == expected,
            f"for {a} : {b} :: {c} : ? you answered {got!r}. Compare directions, not lengths: "
            "normalize every vector to length 1, both for the query and the candidates.",
        )
