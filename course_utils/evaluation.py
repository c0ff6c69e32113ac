"""Metrics shared by every era: accuracy, precision, recall, F1, confusion matrix.

Taught in notebook 01 (and used by every notebook after it); calibration metrics join
in notebook 10. Depends on nothing else in the course.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

POSITIVE_LABEL = 1


def _as_label_arrays(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[np.ndarray, ...]:
    true = np.asarray(y_true)
    pred = np.asarray(y_pred)
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
    predicted = pred == positive
    return _safe_ratio(int(np.sum(predicted & (true == positive))), int(np.sum(predicted)))


def recall(y_true: Sequence[int], y_pred: Sequence[int], positive: int = POSITIVE_LABEL) -> float:
    """Of the examples that are ``positive``, the share predicted so."""
    true, pred = _as_label_arrays(y_true, y_pred)
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
    order = list(labels) if labels is not None else sorted(set(true.tolist()) | set(pred.tolist()))
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
