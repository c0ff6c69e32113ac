"""Checks of notebook 10: a right answer passes, plausible mistakes fail with the hint that
names them, and a stub is reported as not solved yet."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F
from exercise_cases import exercise_tests


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


def _kd(student, teacher, labels, temperature, alpha, *, square=True, soften_teacher=True):
    teacher_t = teacher / temperature if soften_teacher else teacher
    soft = F.kl_div(
        F.log_softmax(student / temperature, -1),
        F.softmax(teacher_t, -1),
        reduction="batchmean",
    )
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
    ],
    "check_distillation_loss": [
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, square=False), "T²"),
        (lambda s, t, y, T, a: _kd(s, t, y, T, a, soften_teacher=False), "BOTH"),
        (lambda s, t, y, T, a: F.cross_entropy(s, y), "expected"),
    ],
    "check_fit_temperature": [
        (lambda z, y: _grid_temperature(z, y, grid=np.linspace(1.0, 10, 200)), "below 1"),
        (lambda z, y: 1.0, "Search"),
        (lambda z, y: -1.0, "positive"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)
