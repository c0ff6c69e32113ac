"""Checks of notebook 04: a right answer passes, plausible wrong ones fail with a hint, a stub
is "not solved yet"."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import nb04_glove


def _probability(cooc, vocab, word, probe):
    row = vocab.index[word]
    return cooc[row, vocab.index[probe]] / cooc[row].sum()


def _ratio(cooc, vocab, i, j, k):
    return _probability(cooc, vocab, i, k) / _probability(cooc, vocab, j, k)


def _weight(x, x_max=100.0, alpha=0.75):
    return np.where(x < x_max, (np.asarray(x) / x_max) ** alpha, 1.0)


def _objective(W, C, b, b_tilde, X, x_max=100.0, alpha=0.75):
    rows, cols = np.nonzero(X)
    counts = X[rows, cols]
    fit = np.sum(W[rows] * C[cols], axis=1) + b[rows] + b_tilde[cols]
    return float(np.sum(_weight(counts, x_max, alpha) * (fit - np.log(counts)) ** 2))


def _objective_with_zeros(W, C, b, b_tilde, X, x_max=100.0, alpha=0.75):
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = W @ C.T + b[:, None] + b_tilde[None, :]
        return float(np.sum(_weight(X, x_max, alpha) * (fit - np.log(X)) ** 2))


def _objective_mean(W, C, b, b_tilde, X, x_max=100.0, alpha=0.75):
    return _objective(W, C, b, b_tilde, X, x_max, alpha) / np.count_nonzero(X)


def _objective_unweighted(W, C, b, b_tilde, X, x_max=100.0, alpha=0.75):
    rows, cols = np.nonzero(X)
    fit = np.sum(W[rows] * C[cols], axis=1) + b[rows] + b_tilde[cols]
    return float(np.sum((fit - np.log(X[rows, cols])) ** 2))


RIGHT = {
    "check_cooccurrence_ratio": _ratio,
    "check_glove_weight": _weight,
    "check_glove_objective": _objective,
}
WRONG = {
    "ratio: raw counts": (
        "check_cooccurrence_ratio",
        lambda cooc, vocab, i, j, k: (
            cooc[vocab.index[i], vocab.index[k]] / cooc[vocab.index[j], vocab.index[k]]
        ),
        "total count of row i",
    ),
    "ratio: upside down": (
        "check_cooccurrence_ratio",
        lambda cooc, vocab, i, j, k: _ratio(cooc, vocab, j, i, k),
        "P(k | i) / P(k | j)",
    ),
    "ratio: an array": (
        "check_cooccurrence_ratio",
        lambda cooc, vocab, i, j, k: np.array([_ratio(cooc, vocab, i, j, k)]),
        "one number",
    ),
    "weight: no cap": (
        "check_glove_weight",
        lambda x, x_max=100.0, alpha=0.75: (np.asarray(x) / x_max) ** alpha,
        "exceed 1",
    ),
    "weight: fixed settings": (
        "check_glove_weight",
        lambda x, x_max=100.0, alpha=0.75: _weight(x),
        "x_max and alpha arguments",
    ),
    "weight: one number": ("check_glove_weight", lambda x, x_max=100.0, alpha=0.75: 1.0, "shape"),
    "objective: zeros included": ("check_glove_objective", _objective_with_zeros, "nonzero"),
    "objective: a mean": ("check_glove_objective", _objective_mean, "not a mean"),
    "objective: no weights": ("check_glove_objective", _objective_unweighted, "f(X_ij)"),
}


def test_reference_solutions_agree_with_the_package():
    for seed in nb04_glove.OBJECTIVE_SEEDS:
        problem = nb04_glove._objective_problem(seed)
        assert _objective(**problem, x_max=10.0) == pytest.approx(
            nb04_glove.reference_objective(problem, 10.0), rel=1e-9
        )
    cooc, vocab = nb04_glove._ratio_data()
    ratio = _ratio(cooc, vocab, "ice", "steam", "cold")
    assert ratio > 1 > _ratio(cooc, vocab, "ice", "steam", "hot")  # the intended reading


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


@pytest.mark.parametrize("case", sorted(WRONG))
def test_check_fails_wrong_answer_with_hint(case, exercise_asserts):
    name, wrong, hint = WRONG[case]
    exercise_asserts.fails_with_hint(name, wrong, hint)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


def test_learner_errors_become_hints(capsys):
    exercises.set_strict(False)
    assert not exercises.check_glove_weight(lambda x, x_max, alpha: x.nonexistent())
    assert "AttributeError" in capsys.readouterr().out
