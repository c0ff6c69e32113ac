"""Metrics shared by every era: accuracy, precision, recall, F1, confusion matrix.

Taught in notebook 01 (and used by every notebook after it); calibration metrics join
in notebook 10. Depends on nothing else in the course but its argument checks
(:mod:`course_utils.validation`): labels must be integer class ids (a float label such as
0.5 is refused, never truncated), logits finite, temperatures finite and positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from course_utils import validation

__all__ = [
    "ECE_BINS",
    "POSITIVE_LABEL",
    "PROBABILITY_SUM_TOLERANCE",
    "PUBLISHED_MR_ACCURACY",
    "TEMPERATURE_BOUNDS",
    "BinaryReport",
    "ReliabilityDiagram",
    "accuracy",
    "binary_report",
    "confusion_matrix",
    "expected_calibration_error",
    "f1",
    "fit_temperature",
    "negative_log_likelihood",
    "precision",
    "recall",
    "reliability_diagram",
    "softmax",
]

POSITIVE_LABEL = 1


def _as_label_arrays(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[np.ndarray, ...]:
    true = validation.class_ids("y_true", y_true)
    pred = validation.class_ids("y_pred", y_pred)
    if true.ndim != 1 or pred.ndim != 1:
        raise ValueError(
            f"labels must be 1-D sequences, got shapes {true.shape} and {pred.shape}."
        )
    if len(true) != len(pred):
        raise ValueError(
            f"y_true has {len(true)} labels but y_pred has {len(pred)}; pass one "
            "prediction per example."
        )
    if len(true) == 0:
        raise ValueError("no labels given: metrics need at least one example.")
    return true, pred


def accuracy(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Share of predictions equal to the true label."""
    true, pred = _as_label_arrays(y_true, y_pred)
    return float(np.mean(true == pred))


def _safe_ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, 0.0 when the denominator is 0 (scikit-learn's convention)."""
    return numerator / denominator if denominator else 0.0


def precision(
    y_true: Sequence[int], y_pred: Sequence[int], positive: int = POSITIVE_LABEL
) -> float:
    """Of the examples predicted ``positive``, the share that are."""
    true, pred = _as_label_arrays(y_true, y_pred)
    positive = validation.integer("positive", positive)
    predicted = pred == positive
    return _safe_ratio(int(np.sum(predicted & (true == positive))), int(np.sum(predicted)))


def recall(y_true: Sequence[int], y_pred: Sequence[int], positive: int = POSITIVE_LABEL) -> float:
    """Of the examples that are ``positive``, the share predicted so."""
    true, pred = _as_label_arrays(y_true, y_pred)
    positive = validation.integer("positive", positive)
    actual = true == positive
    return _safe_ratio(int(np.sum(actual & (pred == positive))), int(np.sum(actual)))


def f1(y_true: Sequence[int], y_pred: Sequence[int], positive: int = POSITIVE_LABEL) -> float:
    """Harmonic mean of precision and recall (0.0 when both are 0)."""
    p = precision(y_true, y_pred, positive)
    r = recall(y_true, y_pred, positive)
    return 2 * p * r / (p + r) if p + r else 0.0


def confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None = None
) -> np.ndarray:
    """Counts ``C[i, j]`` of examples with true label ``labels[i]`` predicted ``labels[j]``.

    ``labels`` defaults to the sorted union of both label sets (scikit-learn's order).
    """
    true, pred = _as_label_arrays(y_true, y_pred)
    if labels is None:
        order = sorted(set(true.tolist()) | set(pred.tolist()))
    else:
        given = validation.class_ids("labels", labels)
        if given.ndim != 1 or len(set(given.tolist())) != len(given):
            raise ValueError(f"labels must be a flat list of distinct class ids, got {labels!r}.")
        order = given.tolist()
    index = {label: i for i, label in enumerate(order)}
    matrix = np.zeros((len(order), len(order)), dtype=np.int64)
    for t, p in zip(true.tolist(), pred.tolist(), strict=True):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix


@dataclass(frozen=True)
class BinaryReport:
    """The four headline numbers of a binary classifier on one split."""

    accuracy: float
    precision: float
    recall: float
    f1: float

    def as_percentages(self) -> dict[str, float]:
        """The metrics in percent, rounded to one decimal, for tables."""
        return {name: round(100 * value, 1) for name, value in vars(self).items()}


def binary_report(y_true: Sequence[int], y_pred: Sequence[int]) -> BinaryReport:
    """Accuracy, precision, recall and F1 of the positive class (label 1)."""
    return BinaryReport(
        accuracy=accuracy(y_true, y_pred),
        precision=precision(y_true, y_pred),
        recall=recall(y_true, y_pred),
        f1=f1(y_true, y_pred),
    )


#: Published MR accuracies (10-fold cross-validation, so comparable, not identical, to
#: our fixed split): Wang & Manning (2012), Kim (2014).
PUBLISHED_MR_ACCURACY = {
    "MNB (Wang & Manning 2012)": 79.0,
    "NBSVM-bi (Wang & Manning 2012)": 79.4,
    "CNN-static (Kim 2014)": 81.0,
    "CNN-non-static (Kim 2014)": 81.5,
}


# ---------------------------------------------------------------------------
# Calibration (notebook 10): does a model that says 70% get 70% right?
# ---------------------------------------------------------------------------

#: Equal-width confidence bins of the expected calibration error (Guo et al. 2017 use 15).
ECE_BINS = 15
#: Rows of a probability matrix must sum to 1 within this tolerance.
PROBABILITY_SUM_TOLERANCE = 1e-4
#: Temperatures searched by :func:`fit_temperature` (log scale, both ends included).
TEMPERATURE_BOUNDS = (0.05, 20.0)


def _as_probability_matrix(probs: Sequence | np.ndarray) -> np.ndarray:
    """(n, classes) probabilities; a 1-D input is P(positive) of a binary model."""
    matrix = validation.finite_array("probs", probs)
    if matrix.ndim == 1:
        matrix = np.stack([1.0 - matrix, matrix], axis=1)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise ValueError(
            f"probs must be (n,) positive-class probabilities or an (n, classes) matrix, got "
            f"shape {np.shape(probs)}."
        )
    if len(matrix) == 0:
        raise ValueError("no probabilities given: calibration needs at least one example.")
    if matrix.min() < 0.0 or matrix.max() > 1.0:
        raise ValueError(
            "probabilities must lie in [0, 1]; pass softmax outputs (or predict_proba), not "
            "logits or scores."
        )
    sums = matrix.sum(axis=1)
    if np.abs(sums - 1.0).max() > PROBABILITY_SUM_TOLERANCE:
        raise ValueError(
            f"each row of probs must sum to 1 (found sums from {sums.min():.4f} to "
            f"{sums.max():.4f}); apply a softmax first."
        )
    return matrix


def _checked_labels(
    labels: Sequence[int] | np.ndarray, num_examples: int, classes: int
) -> np.ndarray:
    array = validation.class_ids("labels", labels)
    if array.ndim != 1 or len(array) != num_examples:
        raise ValueError(
            f"got {num_examples} probability rows but labels of shape {array.shape}; pass one "
            "label per example."
        )
    if len(array) and (array.min() < 0 or array.max() >= classes):
        raise ValueError(f"labels must lie in [0, {classes}), got {array.min()}..{array.max()}.")
    return array


@dataclass(frozen=True)
class ReliabilityDiagram:
    """Per confidence bin: mean confidence, accuracy and count (empty bins hold NaN).

    The data behind a reliability diagram (Guo et al. 2017, Figure 1); ``ece`` is the
    count-weighted mean gap between accuracy and confidence. Notebook 10.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray
    ece: float


def reliability_diagram(
    probs: Sequence | np.ndarray, labels: Sequence[int] | np.ndarray, n_bins: int = ECE_BINS
) -> ReliabilityDiagram:
    """Bin the predictions by confidence (the top probability) into ``n_bins`` equal bins.

    A bin holds confidences in (lower, upper]; the first bin also holds its lower edge.
    """
    n_bins = validation.integer("n_bins", n_bins, low=1)
    matrix = _as_probability_matrix(probs)
    truth = _checked_labels(labels, len(matrix), matrix.shape[1])
    confidence = matrix.max(axis=1)
    correct = matrix.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, confidence, n_bins) / counts
        bin_accuracy = np.bincount(bins, correct.astype(float), n_bins) / counts
    filled = counts > 0
    gaps = np.abs(bin_accuracy[filled] - mean_confidence[filled])
    ece = float(np.sum(counts[filled] * gaps) / len(matrix))
    return ReliabilityDiagram(edges, mean_confidence, bin_accuracy, counts, ece)


def expected_calibration_error(
    probs: Sequence | np.ndarray, labels: Sequence[int] | np.ndarray, n_bins: int = ECE_BINS
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence
    bins weighted by their share of examples (0 = perfectly calibrated). Notebook 10."""
    return reliability_diagram(probs, labels, n_bins).ece


def softmax(logits: Sequence | np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` (numerically stable)."""
    temperature = validation.number("temperature", temperature, low=0.0, low_open=True)
    matrix = validation.finite_array("logits", logits)
    if matrix.ndim == 0 or matrix.shape[-1] == 0:
        raise ValueError(f"logits must have at least one class score per row, got {matrix.shape}.")
    scaled = matrix / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def negative_log_likelihood(
    logits: Sequence | np.ndarray, labels: Sequence[int] | np.ndarray, temperature: float = 1.0
) -> float:
    """Mean cross-entropy of ``softmax(logits / temperature)`` against ``labels``."""
    temperature = validation.number("temperature", temperature, low=0.0, low_open=True)
    matrix = validation.finite_array("logits", logits)
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(f"logits must be a non-empty (n, classes) matrix, got {matrix.shape}.")
    truth = _checked_labels(labels, len(matrix), matrix.shape[1])
    scaled = matrix / temperature
    shifted = scaled - scaled.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(truth)), truth].mean())


def fit_temperature(
    logits: Sequence | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    bounds: tuple[float, float] = TEMPERATURE_BOUNDS,
) -> float:
    """Temperature scaling (Guo et al. 2017): the T minimising the NLL of softmax(z / T).

    Fit on dev, never on test. A bounded 1-D search over log T; if it does not beat T = 1
    (a model already calibrated), 1 is returned, so the dev NLL never increases. Accuracy
    is unchanged for any T: dividing logits by T > 0 keeps their order. Notebook 10.
    """
    if len(bounds) != len(TEMPERATURE_BOUNDS):
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}.")
    low, high = (validation.number("bounds", bound) for bound in bounds)
    if not 0 < low < 1 < high:
        raise ValueError(f"bounds must satisfy 0 < low < 1 < high, got {bounds}.")
    logits = validation.finite_array("logits", logits)
    negative_log_likelihood(logits, labels)  # checks the labels before the search
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
        bounds=(np.log(low), np.log(high)),
        method="bounded",
    )
    best = float(np.exp(result.x))
    if negative_log_likelihood(logits, labels, best) > negative_log_likelihood(logits, labels):
        return 1.0
    return best
