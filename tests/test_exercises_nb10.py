"""Checks of notebook 10: a right answer passes, plausible mistakes fail with the hint that
names them, and a stub is reported as not solved yet."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F
from exercise_cases import exercise_tests

from course_utils import distillation, evaluation


def _ece(probs, labels, n_bins, *, weighted=True, confidence_of=None):
    confidence = probs.max(1) if confidence_of is None else confidence_of(probs)
    correct = probs.argmax(1) == labels
    total, gaps = 0.0, []
    for b in range(n_bins):
        inside = (confidence > b / n_bins) & (confidence <= (b + 1) / n_bins)
        if b == 0:
            inside |= confidence == 0
        if inside.any():
            gap = abs(correct[inside].mean() - confidence[inside].mean())
            gaps.append(gap)
            total += inside.mean() * gap
    return total if weighted else float(np.mean(gaps))


def _kd(student, teacher, labels, temperature, alpha, *, square=True, soften_teacher=True,
        form="kl"):  # fmt: skip
    p_teacher = F.softmax(teacher / temperature if soften_teacher else teacher, -1)
    log_p_student = F.log_softmax(student / temperature, -1)
    if form == "kl":
        soft = F.kl_div(log_p_student, p_teacher, reduction="batchmean")
    else:  # Hinton et al.'s cross-entropy with soft targets: the KL plus the teacher's entropy
        soft = -(p_teacher * log_p_student).sum(-1).mean()
    scale = temperature**2 if square else 1.0
    return alpha * scale * soft + (1 - alpha) * F.cross_entropy(student, labels)


GRID = np.linspace(0.1, 10, 400)


def _grid_temperature(logits, labels, grid=GRID):
    def nll(t):
        z = logits / t
        z = z - z.max(1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -log_p[np.arange(len(labels)), labels].mean()

    return float(min(grid, key=nll))


RIGHT = {
    "check_ece": _ece,
    "check_distillation_loss": _kd,
    "check_fit_temperature": _grid_temperature,
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_ece": [
        (lambda p, y, n: _ece(p, y, n, weighted=False), "weight each bin"),
        (lambda p, y, n: _ece(p, y, n, confidence_of=lambda q: q[:, 1]), "TOP probability"),
        (lambda p, y, n: [_ece(p, y, n)], "one number"),
        (evaluation.expected_calibration_error, "answer key"),
        (lambda p, y, n: evaluation.reliability_diagram(p, y, n).ece, "answer key"),
    ],
    "check_distillation_loss": [
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, square=False), "T²"),
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, soften_teacher=False), "BOTH"),
        (lambda s, t, y, T, a: F.cross_entropy(s, y), "expected"),
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, form="ce", square=False), "T²"),
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, form="ce") * 2, "cross-entropy form"),
        (
            lambda s, t, y, T, a: distillation.distillation_loss(s, t, y, temperature=T, alpha=a),
            "answer key",
        ),
    ],
    "check_fit_temperature": [
        (lambda z, y: _grid_temperature(z, y, grid=np.linspace(1.0, 10, 200)), "below 1"),
        (lambda z, y: 1.0, "Search"),
        (lambda z, y: -1.0, "positive"),
        (evaluation.fit_temperature, "answer key"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)


def test_the_cross_entropy_form_passes_too(exercise_asserts):
    """KL and the soft cross-entropy differ by the teacher's entropy, a constant: both pass."""
    exercise_asserts.passes(
        "check_distillation_loss", lambda s, t, y, T, a: _kd(s, t, y, T, a, form="ce")
    )
