"""Checks for notebook 04 (GloVe): a co-occurrence ratio, the weighting f(x), the objective."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch

from course_utils.exercises.core import exercise_check, learner_call, require
from course_utils.vectors.counts import Vocab, build_vocab, cooccurrence
from course_utils.vectors.glove import (
    GLOVE_ALPHA,
    GLOVE_X_MAX,
    cooccurrence_ratios,
    glove_loss,
    glove_weight,
)

__all__ = [
    "OBJECTIVE_DIM",
    "OBJECTIVE_SEEDS",
    "OBJECTIVE_WORDS",
    "OBJECTIVE_X_MAX",
    "OBJECTIVE_ZERO_SHARE",
    "RATIO_CORPUS",
    "RATIO_QUESTIONS",
    "RATIO_WINDOW",
    "RELATIVE_TOLERANCE",
    "WEIGHT_INPUTS",
    "WEIGHT_SETTINGS",
    "check_cooccurrence_ratio",
    "check_glove_objective",
    "check_glove_weight",
    "reference_objective",
]

#: A toy corpus about ice and steam whose ratios are easy to read (window 2).
RATIO_CORPUS = (
    "the ice is cold and solid",
    "ice is very cold",
    "cold ice and cold water",
    "ice cream is cold and sweet",
    "steam is hot",
    "steam is a hot gas",
    "steam gets cold",
    "ice gets hot",
    "water makes ice and steam",
    "the hot steam engine",
)
#: (i, j, k) questions: the ratio P(k | i) / P(k | j) for probe word k (all counts nonzero).
RATIO_QUESTIONS = (
    ("ice", "steam", "cold"),
    ("ice", "steam", "hot"),
    ("ice", "steam", "is"),
    ("steam", "ice", "hot"),
    ("ice", "steam", "the"),
)
RATIO_WINDOW = 2
RELATIVE_TOLERANCE = 1e-6
#: Counts at, below and above x_max, and a zero, for f(x).
WEIGHT_INPUTS = np.array([0.0, 0.5, 1.0, 7.0, 10.0, 42.0, 100.0, 250.0, 1e4])
#: (x_max, alpha) settings the learner's f(x) must follow.
WEIGHT_SETTINGS = ((GLOVE_X_MAX, GLOVE_ALPHA), (10.0, GLOVE_ALPHA), (10.0, 1.0), (50.0, 0.5))
#: Sizes of the random problems the learner's objective is checked on.
OBJECTIVE_WORDS, OBJECTIVE_DIM, OBJECTIVE_SEEDS = 6, 3, (0, 1, 2)
OBJECTIVE_X_MAX = 10.0
#: Share of zero entries in the random co-occurrence matrices of the objective check.
OBJECTIVE_ZERO_SHARE = 0.4


def _ratio_data() -> tuple[sp.csr_matrix, Vocab]:
    sentences = [sentence.split() for sentence in RATIO_CORPUS]
    vocab = build_vocab(sentences)
    return cooccurrence(sentences, vocab, window=RATIO_WINDOW, weighting="harmonic"), vocab


@exercise_check("cooccurrence_ratio", "Ratios far from 1 single out the probe words that matter.")
def check_cooccurrence_ratio(
    ratio: Callable[[sp.spmatrix, Vocab, str, str, str], float],
) -> None:
    """The learner's ``ratio(cooc, vocab, i, j, k)`` returns P(k | i) / P(k | j)."""
    cooc, vocab = _ratio_data()
    for i, j, k in RATIO_QUESTIONS:
        expected = cooccurrence_ratios(cooc, vocab, i, j, [k])[0].ratio
        got = learner_call(ratio, cooc, vocab, i, j, k)
        require(
            isinstance(got, (int, float, np.floating)),
            f"return one number, got {type(got).__name__}.",
        )
        raw = cooc[vocab.index[i], vocab.index[k]] / cooc[vocab.index[j], vocab.index[k]]
        require(
            not np.isclose(got, raw, rtol=RELATIVE_TOLERANCE) or np.isclose(raw, expected),
            f"for i={i!r}, j={j!r}, k={k!r} you returned X_ik / X_jk. P(k | i) divides "
            "X_ik by the total count of row i (every context of i), and likewise for j.",
        )
        require(
            np.isclose(got, expected, rtol=RELATIVE_TOLERANCE),
            f"for i={i!r}, j={j!r}, k={k!r} expected a different value than {float(got):.4g}. "
            "P(k | i) = X[i, k] / sum over all k' of X[i, k']; the ratio is P(k | i) / P(k | j).",
        )


@exercise_check("glove_weight", "f keeps rare pairs quiet and caps the frequent ones at 1.")
def check_glove_weight(weight: Callable[..., np.ndarray]) -> None:
    """The learner's ``weight(x, x_max=100, alpha=0.75)`` is GloVe's f(x), elementwise."""
    for x_max, alpha in WEIGHT_SETTINGS:
        got = np.asarray(learner_call(weight, WEIGHT_INPUTS.copy(), x_max=x_max, alpha=alpha))
        expected = glove_weight(WEIGHT_INPUTS, x_max=x_max, alpha=alpha)
        require(
            got.shape == WEIGHT_INPUTS.shape,
            f"return one weight per count: {WEIGHT_INPUTS.shape[0]} values, got shape "
            f"{got.shape}.",
        )
        require(
            bool(np.all(got <= 1.0 + RELATIVE_TOLERANCE)),
            f"with x_max={x_max} some weights exceed 1 ({got.max():.3g}). Counts above x_max "
            "must all get the weight 1.",
        )
        require(
            np.allclose(got, expected, rtol=RELATIVE_TOLERANCE),
            f"with x_max={x_max}, alpha={alpha}: for counts {WEIGHT_INPUTS.tolist()} got "
            f"{np.round(got, 4).tolist()}. Below x_max the weight is (x / x_max) ** alpha; "
            "use the x_max and alpha arguments, not fixed numbers.",
        )


def _objective_problem(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    counts = rng.gamma(shape=1.0, scale=30.0, size=(OBJECTIVE_WORDS, OBJECTIVE_WORDS))
    counts[rng.random(counts.shape) < OBJECTIVE_ZERO_SHARE] = 0.0
    return {
        "W": rng.normal(size=(OBJECTIVE_WORDS, OBJECTIVE_DIM)),
        "C": rng.normal(size=(OBJECTIVE_WORDS, OBJECTIVE_DIM)),
        "b": rng.normal(size=OBJECTIVE_WORDS),
        "b_tilde": rng.normal(size=OBJECTIVE_WORDS),
        "X": counts,
    }


def reference_objective(problem: dict[str, np.ndarray], x_max: float) -> float:
    """GloVe's J for a dense problem, through :func:`course_utils.vectors.glove.glove_loss`."""
    rows, cols = np.nonzero(problem["X"])
    return float(
        glove_loss(
            torch.as_tensor(problem["W"][rows]),
            torch.as_tensor(problem["C"][cols]),
            torch.as_tensor(problem["b"][rows]),
            torch.as_tensor(problem["b_tilde"][cols]),
            torch.as_tensor(problem["X"][rows, cols]),
            x_max=x_max,
        )
    )


@exercise_check("glove_objective", "That sum is exactly what the torch model minimizes.")
def check_glove_objective(objective: Callable[..., float]) -> None:
    """The learner's ``objective(W, C, b, b_tilde, X, x_max)`` is GloVe's J (eq. 8)."""
    for seed in OBJECTIVE_SEEDS:
        problem = _objective_problem(seed)
        arguments = {name: value.copy() for name, value in problem.items()}
        got = learner_call(objective, **arguments, x_max=OBJECTIVE_X_MAX)
        require(
            np.ndim(got) == 0,
            f"return one number (the summed objective), got an array of shape {np.shape(got)}.",
        )
        require(
            bool(np.isfinite(got)),
            f"got {got}: log(0) is -inf, so sum over the nonzero entries of X only.",
        )
        expected = reference_objective(problem, OBJECTIVE_X_MAX)
        require(
            np.isclose(got, expected, rtol=RELATIVE_TOLERANCE),
            f"for a random problem (seed {seed}) expected another value than {float(got):.6g}. "
            "Check the three parts: the weight f(X_ij) with x_max, the model w_i . w~_j + b_i "
            "+ b~_j, and the target log X_ij; the result is a sum, not a mean.",
        )
