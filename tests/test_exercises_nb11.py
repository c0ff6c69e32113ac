"""Checks of notebook 11: a right answer passes, plausible mistakes fail with the hint that
names them, and a stub is reported as not solved yet."""

from __future__ import annotations

import math

from exercise_cases import exercise_tests


def _interval(accuracy, n, *, z=1.96, clip=True, root=True, percent=False):
    variance = accuracy * (1 - accuracy) / n
    half = z * (math.sqrt(variance) if root else variance)
    low, high = accuracy - half, accuracy + half
    if clip:
        low, high = max(0.0, low), min(1.0, high)
    return (100 * low, 100 * high) if percent else (low, high)


def _front(costs, accuracies, *, key=None, strict=True, sort=True):
    order = sorted(range(len(costs)), key=key or (lambda i: (costs[i], -accuracies[i])))
    front, best = [], -math.inf
    for i in order:
        if accuracies[i] > best or (not strict and accuracies[i] == best):
            front.append(i)
            best = accuracies[i]
    return front if sort else sorted(front)


def _cheapest(entries, tolerance, *, inclusive=True, pick="cost", tie="accuracy"):
    best = max(accuracy for _, _, accuracy in entries)
    good = [
        (name, cost, accuracy)
        for name, cost, accuracy in entries
        if (accuracy >= best - tolerance if inclusive else accuracy > best - tolerance)
    ]
    if pick == "accuracy":
        return max(good, key=lambda entry: entry[2])[0]
    if tie == "accuracy":
        return min(good, key=lambda entry: (entry[1], -entry[2]))[0]
    return min(good, key=lambda entry: (entry[1], entry[2]))[0]


RIGHT = {
    "check_accuracy_interval": _interval,
    "check_pareto_front": _front,
    "check_cheapest_within": _cheapest,
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_accuracy_interval": [
        (lambda a, n: _interval(a, n, z=1.0), "multiply it by z = 1.96"),
        (lambda a, n: _interval(a, n, root=False), "square root"),
        (lambda a, n: _interval(a, n, z=2.576), "1.96 times the standard error"),
        (lambda a, n: _interval(a, n, clip=False), "clip"),
        (lambda a, n: _interval(a, n, percent=True), "fractions, not percent"),
        (lambda a, n: (a - 0.01, a + 0.03), "half-width"),
        (lambda a, n: a, "pair"),
    ],
    "check_pareto_front": [
        (lambda c, a: _front(c, a, sort=False), "sort the front by cost"),
        (lambda c, a: _front(c, a, key=lambda i: (c[i], a[i])), "same cost"),
        (lambda c, a: _front(c, a, key=lambda i: -a[i]), "beaten by"),
        (lambda c, a: list(range(len(c))), "beaten by"),
        (lambda c, a: [max(range(len(c)), key=lambda i: a[i])], "belongs on the front"),
        (lambda c, a: [str(i) for i in _front(c, a)], "list of indices"),
    ],
    "check_cheapest_within": [
        (lambda e, t: _cheapest(e, t, pick="accuracy"), "lowest cost"),
        (lambda e, t: min(e, key=lambda entry: entry[1])[0], "below the best"),
        (lambda e, t: _cheapest(e, t, inclusive=False), ">=, not >"),
        (lambda e, t: _cheapest(e, t, tie="cost"), "the more accurate"),
        (lambda e, t: 0, "name of one of the entries"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)
