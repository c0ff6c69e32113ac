"""course_utils.evaluation: metrics equal scikit-learn's on random inputs; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from course_utils import evaluation

SEEDS = range(25)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 200))
    y_true = rng.integers(0, 2, size)
    y_pred = rng.integers(0, 2, size)
    assert evaluation.accuracy(y_true, y_pred) == pytest.approx(sk.accuracy_score(y_true, y_pred))
    for ours, theirs in (
        (evaluation.precision, sk.precision_score),
        (evaluation.recall, sk.recall_score),
        (evaluation.f1, sk.f1_score),
    ):
        assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred, zero_division=0))


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, 100)
    y_pred = rng.integers(0, 4, 100)
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(y_true, y_pred), sk.confusion_matrix(y_true, y_pred)
    )
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(y_true, y_pred, labels=[3, 1]),
        sk.confusion_matrix(y_true, y_pred, labels=[3, 1]),
    )


def test_known_values_and_degenerate_cases():
    report = evaluation.binary_report([1, 1, 0, 0], [1, 0, 1, 1])
    assert report.accuracy == 0.25
    assert report.precision == pytest.approx(1 / 3)
    assert report.recall == 0.5
    assert report.f1 == pytest.approx(0.4)
    assert evaluation.precision([1, 0], [0, 0]) == 0.0
    assert evaluation.f1([0, 0], [0, 0]) == 0.0
    assert report.as_percentages()["precision"] == 33.3


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [([1, 0], [1], "one prediction per example"), ([], [], "at least one"), ([[1]], [[1]], "1-D")],
)
def test_bad_input_is_refused(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        evaluation.accuracy(y_true, y_pred)


# --- bad input is refused with the fix, never scored ----------------------------------


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([0.5, 1.7], ValueError, "fractions such as"),
        ([float("nan"), 1.0], ValueError, "NaN"),
        (["pos", "neg"], TypeError, "map each label to its class id"),
    ],
)
def test_labels_that_are_not_class_ids_are_refused(labels, error, message):
    probs = np.array([[0.7, 0.3], [0.2, 0.8]])
    with pytest.raises(error, match=message):
        evaluation.expected_calibration_error(probs, labels)
    with pytest.raises(error, match=message):
        evaluation.accuracy(labels, [0, 1])


def test_whole_number_floats_and_booleans_are_class_ids():
    assert evaluation.accuracy([1.0, 0.0], [True, False]) == 1.0


@pytest.mark.parametrize("temperature", [-1.0, 0.0, float("nan"), float("inf")])
def test_temperatures_must_be_finite_and_positive(temperature):
    logits = np.array([[2.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="temperature must be a finite number in"):
        evaluation.negative_log_likelihood(logits, [0, 1], temperature=temperature)
    with pytest.raises(ValueError, match="temperature must be a finite number in"):
        evaluation.softmax(logits, temperature=temperature)


def test_fit_temperature_refuses_a_nan_logit():
    with pytest.raises(ValueError, match="logits holds 1 NaN or infinite value"):
        evaluation.fit_temperature([[1.0, float("nan")], [0.0, 1.0]], [0, 1])
