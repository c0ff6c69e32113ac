"""Checks of notebook 03: a right answer passes, plausible wrong answers fail with the hint
that names their mistake, and a stub is reported as "not solved yet"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.functional import logsigmoid

from course_utils import exercises
from course_utils.exercises.core import ExerciseCheckError

# --- ppmi ---------------------------------------------------------------------


def ppmi(counts):
    total = counts.sum()
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / total
    with np.errstate(divide="ignore"):
        pmi = np.log(counts / expected)
    return np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)


def pmi_without_max(counts):
    total = counts.sum()
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / total
    with np.errstate(divide="ignore"):
        return np.where(counts > 0, np.log(counts / expected), 0.0)


def ppmi_with_log_zero(counts):
    total = counts.sum()
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / total
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(counts / expected), 0.0) + np.log(np.sign(counts))


def ppmi_log2(counts):
    return ppmi(counts) / np.log(2)


# --- negative_sampling_loss ---------------------------------------------------


def sgns_loss(v_centre, u_context, u_noise):
    return -(logsigmoid(u_context @ v_centre) + logsigmoid(-(u_noise @ v_centre)).sum())


def sgns_loss_noise_not_negated(v_centre, u_context, u_noise):
    return -(logsigmoid(u_context @ v_centre) + logsigmoid(u_noise @ v_centre).sum())


def sgns_loss_noise_averaged(v_centre, u_context, u_noise):
    return -(logsigmoid(u_context @ v_centre) + logsigmoid(-(u_noise @ v_centre)).mean())


def sgns_loss_as_vector(v_centre, u_context, u_noise):
    return -torch.cat([logsigmoid(u_context @ v_centre)[None], logsigmoid(-(u_noise @ v_centre))])


# --- analogy --------------------------------------------------------------------


def solve_analogy(kv, a, b, c, normalize=True, exclude=True):
    vectors = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    raw = vectors if normalize else kv.vectors
    query = raw[kv.key_to_index[b]] - raw[kv.key_to_index[a]] + raw[kv.key_to_index[c]]
    scores = vectors @ query
    if exclude:
        for word in (a, b, c):
            scores[kv.key_to_index[word]] = -np.inf
    return kv.index_to_key[int(np.argmax(scores))]


def solve_analogy_unnormalized(kv, a, b, c):
    return solve_analogy(kv, a, b, c, normalize=False)


def solve_analogy_keeping_inputs(kv, a, b, c):
    return solve_analogy(kv, a, b, c, exclude=False)


RIGHT = {
    "check_ppmi": ppmi,
    "check_negative_sampling_loss": sgns_loss,
    "check_analogy": solve_analogy,
}
WRONG = [
    ("check_ppmi", pmi_without_max, "PPMI is max(0, PMI)"),
    ("check_ppmi", ppmi_with_log_zero, "has log(0)"),
    ("check_ppmi", ppmi_log2, "the values differ from PPMI"),
    ("check_ppmi", lambda counts: counts[:2], "a matrix of the same shape"),
    ("check_negative_sampling_loss", sgns_loss_noise_not_negated, "each noise word a low one"),
    ("check_negative_sampling_loss", sgns_loss_noise_averaged, "summed, not averaged"),
    ("check_negative_sampling_loss", sgns_loss_as_vector, "return one number"),
    ("check_negative_sampling_loss", lambda v, u, n: -sgns_loss(v, u, n), "never below 0"),
    ("check_analogy", solve_analogy_unnormalized, "normalize every vector"),
    ("check_analogy", solve_analogy_keeping_inputs, "Leave a, b and c out"),
]


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answer_passes(name, capsys):
    assert bool(getattr(exercises, name)(RIGHT[name])) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "wrong", "hint"), WRONG)
def test_wrong_answer_fails_with_its_hint(name, wrong, hint, capsys):
    exercises.set_strict(False)
    assert bool(getattr(exercises, name)(wrong)) is False
    out = capsys.readouterr().out
    assert "✗" in out and hint in out
    exercises.set_strict(True)
    with pytest.raises(ExerciseCheckError):
        getattr(exercises, name)(wrong)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


def test_numpy_answers_are_accepted_too(capsys):
    def sgns_loss_numpy(v_centre, u_context, u_noise):
        v, u, noise = (t.numpy().astype(np.float64) for t in (v_centre, u_context, u_noise))
        return float(np.logaddexp(0, -(u @ v)) + np.logaddexp(0, noise @ v).sum())

    assert exercises.check_negative_sampling_loss(sgns_loss_numpy)
