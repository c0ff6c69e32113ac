"""Calibration in course_utils.evaluation: ECE equals a direct computation, temperature
scaling never hurts dev NLL and recovers a known temperature; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils import evaluation

SEEDS = range(20)


def direct_ece(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """ECE written out example by example, as Guo et al. (2017) define it."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    total = 0.0
    for b in range(n_bins):
        lower, upper = b / n_bins, (b + 1) / n_bins
        inside = [
            i for i, c in enumerate(confidence) if (lower < c <= upper) or (b == 0 and c == lower)
        ]
        if inside:
            gap = abs(np.mean(correct[inside]) - np.mean(confidence[inside]))
            total += len(inside) / len(labels) * gap
    return total


def random_problem(seed: int, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 300))
    logits = rng.normal(scale=3.0, size=(size, classes))
    return logits, rng.integers(0, classes, size)


@pytest.mark.parametrize("seed", SEEDS)
def test_ece_equals_a_direct_computation(seed):
    logits, labels = random_problem(seed, classes=2 + seed % 3)
    probs = evaluation.softmax(logits)
    for n_bins in (1, 10, 15):
        assert evaluation.expected_calibration_error(probs, labels, n_bins) == pytest.approx(
            direct_ece(probs, labels, n_bins), abs=1e-12
        )


def test_ece_known_values_and_binary_shorthand():
    labels = np.array([1, 0, 1, 0])
    confident = np.full(4, 0.9)  # says "positive, 90%" and is right half of the time
    assert evaluation.expected_calibration_error(confident, labels) == pytest.approx(0.4)
    perfect = np.array([1.0, 0.0, 1.0, 0.0])
    assert evaluation.expected_calibration_error(perfect, labels) == 0.0
    matrix = np.stack([1 - confident, confident], axis=1)
    assert evaluation.expected_calibration_error(matrix, labels) == pytest.approx(0.4)


def test_reliability_diagram_bins_hold_every_example():
    logits, labels = random_problem(3)
    diagram = evaluation.reliability_diagram(evaluation.softmax(logits), labels, n_bins=10)
    assert diagram.counts.sum() == len(labels)
    assert len(diagram.edges) == 11 and diagram.edges[0] == 0.0 and diagram.edges[-1] == 1.0
    filled = diagram.counts > 0
    assert np.all(diagram.confidence[filled] >= diagram.edges[:-1][filled])
    assert np.all(diagram.confidence[filled] <= diagram.edges[1:][filled])
    assert np.isnan(diagram.accuracy[~filled]).all()


@pytest.mark.parametrize(
    ("probs", "labels", "message"),
    [
        (np.array([0.2, 1.3]), np.array([0, 1]), "lie in \\[0, 1\\]"),
        (np.array([-0.1, 0.5]), np.array([0, 1]), "lie in \\[0, 1\\]"),
        (np.array([0.2, 0.7]), np.array([0, 1, 1]), "one label per example"),
        (np.zeros(0), np.zeros(0, dtype=int), "at least one example"),
        (np.array([[0.5, 0.6]]), np.array([0]), "sum to 1"),
        (np.array([[0.5, 0.5]]), np.array([2]), "labels must lie"),
    ],
)
def test_bad_calibration_input_gets_a_clear_error(probs, labels, message):
    with pytest.raises(ValueError, match=message):
        evaluation.expected_calibration_error(probs, labels)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_and_nll_equal_torch(seed):
    logits, labels = random_problem(seed, classes=3)
    temperature = 0.5 + seed / 10
    expected = torch.softmax(torch.tensor(logits) / temperature, dim=1).numpy()
    assert np.allclose(evaluation.softmax(logits, temperature), expected)
    nll = torch.nn.functional.cross_entropy(
        torch.tensor(logits) / temperature, torch.tensor(labels)
    )
    assert evaluation.negative_log_likelihood(logits, labels, temperature) == pytest.approx(
        float(nll)
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_temperature_scaling_never_increases_dev_nll(seed):
    logits, labels = random_problem(seed)
    temperature = evaluation.fit_temperature(logits, labels)
    assert evaluation.negative_log_likelihood(
        logits, labels, temperature
    ) <= evaluation.negative_log_likelihood(logits, labels)
    scaled = evaluation.softmax(logits, temperature)
    assert (scaled.argmax(1) == evaluation.softmax(logits).argmax(1)).all()  # accuracy kept


def test_temperature_scaling_recovers_an_overconfident_models_temperature():
    rng = np.random.default_rng(0)
    true_temperature = 2.5
    logits = rng.normal(scale=4.0, size=(20_000, 2))
    truth = evaluation.softmax(logits, true_temperature)
    labels = (rng.random(len(logits)) < truth[:, 1]).astype(int)
    fitted = evaluation.fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    before = evaluation.expected_calibration_error(evaluation.softmax(logits), labels)
    after = evaluation.expected_calibration_error(evaluation.softmax(logits, fitted), labels)
    assert after < before / 3


def test_fit_temperature_refuses_bounds_without_one():
    with pytest.raises(ValueError, match="0 < low < 1 < high"):
        evaluation.fit_temperature(np.zeros((2, 2)), np.array([0, 1]), bounds=(2.0, 5.0))
