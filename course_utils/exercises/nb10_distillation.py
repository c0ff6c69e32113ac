"""Checks for notebook 10 (distillation and calibration): ECE, the distillation loss and
temperature scaling."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from course_utils.distillation import distillation_loss
from course_utils.evaluation import (
    fit_temperature,
    negative_log_likelihood,
    reliability_diagram,
    softmax,
)
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = [
    "ALPHAS",
    "BIN_COUNTS",
    "CHECK_SEED",
    "LOSS_TOLERANCE",
    "NLL_SLACK",
    "PROBLEM_SHAPES",
    "TEMPERATURES",
    "TOLERANCE",
    "check_distillation_loss",
    "check_ece",
    "check_fit_temperature",
]

CHECK_SEED = 10
#: (examples, classes) of the random predictions the learner's functions are tried on.
PROBLEM_SHAPES = ((50, 2), (400, 2), (300, 4))
BIN_COUNTS = (5, 15)
TEMPERATURES = (1.0, 2.0, 4.0)
ALPHAS = (0.0, 0.5, 1.0)
TOLERANCE = 1e-6
#: Relative tolerance of the loss (float32 arithmetic).
LOSS_TOLERANCE = 1e-5
#: A fitted temperature may differ from the reference by this much NLL (a coarse grid is fine).
NLL_SLACK = 1e-3


def _problem(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    logits = rng.normal(scale=3.0, size=shape)
    return logits, rng.integers(0, shape[1], shape[0])


def _number(got: object, what: str) -> float:
    require(
        isinstance(got, (float, int, np.floating, np.integer))
        or (isinstance(got, np.ndarray) and got.size == 1)
        or (isinstance(got, torch.Tensor) and got.numel() == 1),
        f"return {what} as one number, got {type(got).__name__}.",
    )
    return float(got)


@exercise_check(
    "ece",
    "ECE is what reliability diagrams summarise: the gap between confidence and accuracy, "
    "weighted by how many predictions each bin holds.",
)
def check_ece(ece: Callable[[np.ndarray, np.ndarray, int], float]) -> None:
    """``ece(probs, labels, n_bins)``: equal-width bins of the top probability; the
    count-weighted mean of |accuracy - mean confidence| over the non-empty bins."""
    rng = np.random.default_rng(CHECK_SEED)
    for shape in PROBLEM_SHAPES:
        logits, labels = _problem(shape, rng)
        probs = softmax(logits)
        for n_bins in BIN_COUNTS:
            got = _number(learner_call(ece, probs.copy(), labels.copy(), n_bins), "the ECE")
            diagram = reliability_diagram(probs, labels, n_bins)
            filled = diagram.counts > 0
            unweighted = float(np.mean(np.abs(diagram.accuracy - diagram.confidence)[filled]))
            require(0.0 <= got <= 1.0, f"ECE is a share between 0 and 1, got {got:.4f}.")
            require(
                abs(got - unweighted) > TOLERANCE or abs(unweighted - diagram.ece) < TOLERANCE,
                "weight each bin's gap by its share of the examples (count / n), not equally.",
            )
            require(
                abs(got - diagram.ece) < TOLERANCE,
                f"with {n_bins} bins on {shape[0]} examples: expected {diagram.ece:.4f}, got "
                f"{got:.4f}. Confidence is the TOP probability of each row, a prediction is "
                "right when its argmax equals the label, and bins are (b/n, (b+1)/n].",
            )


@exercise_check(
    "distillation_loss",
    "Soft targets carry the teacher's 'dark knowledge' (how wrong each wrong class is); the "
    "T² factor keeps their gradients comparable across temperatures.",
)
def check_distillation_loss(
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, float, float], torch.Tensor],
) -> None:
    """``loss_fn(student_logits, teacher_logits, labels, T, alpha)`` equals
    ``alpha * T² * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE``."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for rows, classes in PROBLEM_SHAPES:
        student = torch.randn(rows, classes, generator=generator)
        teacher = 3 * torch.randn(rows, classes, generator=generator)
        labels = torch.randint(0, classes, (rows,), generator=generator)
        hard = float(F.cross_entropy(student, labels))
        for temperature in TEMPERATURES:
            # the soft term alone, T² included (alpha = 1 switches the hard term off)
            soft = float(distillation_loss(student, teacher, labels, temperature=temperature,
                                           alpha=1.0))  # fmt: skip
            for alpha in ALPHAS:
                got = learner_call(loss_fn, student.clone(), teacher.clone(), labels.clone(),
                                   temperature, alpha)  # fmt: skip
                got = _number(got, "the loss")
                expected = alpha * soft + (1 - alpha) * hard
                forgot_square = alpha * soft / temperature**2 + (1 - alpha) * hard
                require(
                    temperature == 1.0 or alpha == 0.0 or abs(got - forgot_square) > TOLERANCE,
                    "multiply the soft (KL) term by T²: without it, its gradients shrink as "
                    "1/T² and high temperatures barely teach.",
                )
                require(
                    abs(got - expected) < LOSS_TOLERANCE * max(1.0, abs(expected)),
                    f"at T={temperature}, alpha={alpha}: expected {expected:.5f}, got "
                    f"{got:.5f}. Soften BOTH logits by T, take KL(teacher || student) averaged "
                    "over the rows (F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), "
                    "reduction='batchmean')), times T² and alpha, plus (1 - alpha) × CE.",
                )


@exercise_check(
    "fit_temperature",
    "One number fitted on dev fixes most of a network's overconfidence, and the predictions "
    "(their argmax) do not change at all.",
)
def check_fit_temperature(fit: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """``fit(logits, labels)`` returns the T > 0 that (nearly) minimises the NLL of
    ``softmax(logits / T)``."""
    rng = np.random.default_rng(CHECK_SEED)
    for true_temperature in (0.5, 2.0, 3.0):
        logits = rng.normal(scale=3.0, size=(2000, 2))
        truth = softmax(logits, true_temperature)
        labels = (rng.random(len(logits)) < truth[:, 1]).astype(int)
        got = _number(learner_call(fit, logits.copy(), labels.copy()), "the temperature")
        require(got > 0, f"a temperature must be positive, got {got}.")
        best = fit_temperature(logits, labels)
        require(
            negative_log_likelihood(logits, labels, got)
            <= negative_log_likelihood(logits, labels, best) + NLL_SLACK,
            f"T = {got:.3f} gives NLL {negative_log_likelihood(logits, labels, got):.4f}, but "
            f"T = {best:.3f} gives {negative_log_likelihood(logits, labels, best):.4f}. Search "
            "T (e.g. a grid from 0.1 to 10) for the smallest NLL of softmax(logits / T), and "
            "search below 1 too: a model can be underconfident.",
        )
