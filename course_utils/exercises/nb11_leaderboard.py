"""Checks for notebook 11 (the leaderboard): a confidence interval for a test accuracy,
the Pareto front of cost against accuracy, the cheapest model that is good enough."""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence

from course_utils import leaderboard_table
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = [
    "CHEAPEST_TRIALS",
    "CHECK_SEED",
    "FRONT_CLOUDS",
    "FRONT_POINTS",
    "INTERVAL_CASES",
    "ROUNDING",
    "TOLERANCE",
    "Z_95",
    "check_accuracy_interval",
    "check_cheapest_within",
    "check_pareto_front",
]

CHECK_SEED = 11
TOLERANCE = 1e-9
#: (accuracy, test examples) pairs the interval is tried on; the last ones reach 0 or 1.
INTERVAL_CASES = ((0.75, 1066), (0.5, 1066), (0.803, 1066), (0.62, 200), (0.9, 50), (1.0, 40),
                  (0.99, 10), (0.02, 30))  # fmt: skip
Z_95 = 1.96
#: Random point clouds the learner's Pareto front is compared on: (clouds, points each).
FRONT_CLOUDS, FRONT_POINTS = 20, 12
#: Random model lists the learner's choice is compared on.
CHEAPEST_TRIALS = 30
#: How far from the boundary "best - tolerance" a float rounding error may reach.
ROUNDING = 1e-9


@exercise_check(
    "accuracy_interval",
    "On a test split of about a thousand sentences an accuracy is only known to a couple of "
    "points either way: smaller differences may be the luck of the split.",
)
def check_accuracy_interval(
    accuracy_interval: Callable[[float, int], tuple[float, float]],
) -> None:
    """``accuracy_interval(accuracy, n)`` returns the 95% interval ``(low, high)``:
    ``accuracy ± 1.96 * sqrt(accuracy * (1 - accuracy) / n)``, clipped to [0, 1]."""
    for test_accuracy, n in INTERVAL_CASES:
        got = learner_call(accuracy_interval, test_accuracy, n)
        require(
            isinstance(got, tuple | list) and len(got) == 2,
            f"return a pair (low, high), got {type(got).__name__}.",
        )
        low, high = (float(value) for value in got)
        expected_low, expected_high = leaderboard_table.accuracy_interval(test_accuracy, n)
        require(
            low <= test_accuracy <= high,
            f"the interval must contain the accuracy itself: for {test_accuracy} on {n} "
            f"examples you returned ({low:.4f}, {high:.4f}). Work with fractions, not percent.",
        )
        if expected_low > 0.0 and expected_high < 1.0:
            standard_error = math.sqrt(test_accuracy * (1 - test_accuracy) / n)
            half = (high - low) / 2
            require(
                not math.isclose(half, standard_error, rel_tol=1e-6),
                "that is one standard error on each side (about 68%); for 95% multiply it "
                f"by z = {Z_95}.",
            )
            require(
                math.isclose(half, Z_95 * standard_error, rel_tol=1e-6),
                f"the half-width is {Z_95} times the standard error, and the standard error is "
                "the square root of accuracy * (1 - accuracy) / n (divide by n inside the root).",
            )
            require(
                math.isclose(low + high, 2 * test_accuracy, rel_tol=1e-9),
                "centre the interval on the measured accuracy: accuracy - h, accuracy + h.",
            )
        require(
            math.isclose(low, expected_low, abs_tol=TOLERANCE)
            and math.isclose(high, expected_high, abs_tol=TOLERANCE),
            f"an accuracy stays between 0 and 1: for {test_accuracy} on {n} examples clip the "
            "interval to [0, 1] (max and min).",
        )


def _front_cases(rng: random.Random) -> list[tuple[list[float], list[float], str]]:
    cases = []
    for _ in range(FRONT_CLOUDS):
        costs = rng.sample(range(1, 10_000), FRONT_POINTS)
        accuracies = [round(rng.uniform(0.5, 0.85), 4) for _ in costs]
        cases.append(([float(c) for c in costs], accuracies, ""))
    cases += [
        ([5.0, 5.0, 1.0], [0.70, 0.80, 0.60], "two models with the same cost: only the more "
         "accurate one is on the front (the other is beaten)."),
        ([10.0, 1.0, 100.0], [0.75, 0.75, 0.80], "two models with the same accuracy: only the "
         "cheaper one is on the front (the other costs more for nothing)."),
        ([3.0], [0.6], "a single model is always on the front."),
        ([0.0, 2.0, 1.0], [0.55, 0.8, 0.7], "a model with no cost at all counts too (cost 0)."),
    ]  # fmt: skip
    return cases


def _beaten_by(i: int, costs: Sequence[float], accuracies: Sequence[float]) -> int | None:
    for j in range(len(costs)):
        if (
            costs[j] <= costs[i]
            and accuracies[j] >= accuracies[i]
            and (costs[j] < costs[i] or accuracies[j] > accuracies[i])
        ):
            return j
    return None


@exercise_check(
    "pareto_front",
    "Every model off the front is beaten by one on it: cheaper or as cheap, and more accurate.",
)
def check_pareto_front(
    pareto_front: Callable[[Sequence[float], Sequence[float]], list[int]],
) -> None:
    """``pareto_front(costs, accuracies)`` returns the indices of the models that no other
    model beats (at most as costly and at least as accurate, strictly better in one),
    cheapest first."""
    for costs, accuracies, hint in _front_cases(random.Random(CHECK_SEED)):
        got = learner_call(pareto_front, list(costs), list(accuracies))
        require(
            isinstance(got, list | tuple)
            and all(isinstance(i, numbers.Integral) and 0 <= i < len(costs) for i in got),
            f"return a list of indices into the inputs (0 to {len(costs) - 1}), got {got!r}.",
        )
        got = [int(i) for i in got]
        expected = leaderboard_table.pareto_front(costs, accuracies)
        if hint:
            require(got == expected, hint)
            continue
        require(len(set(got)) == len(got), "list each index once.")
        for i in got:
            j = _beaten_by(i, costs, accuracies)
            if j is not None:
                require(
                    False,
                    f"index {i} (cost {costs[i]:g}, accuracy {accuracies[i]}) is beaten by index "
                    f"{j} (cost {costs[j]:g}, accuracy {accuracies[j]}): it is not on the front.",
                )
        missing = sorted(set(expected) - set(got))
        require(
            not missing,
            f"index {missing[0] if missing else ''} is beaten by no other model, so it belongs on "
            "the front: walk the models from cheapest to dearest and keep each one that is more "
            "accurate than every cheaper one.",
        )
        require(
            got == expected,
            "sort the front by cost, cheapest first (it then reads as a staircase going up).",
        )


@exercise_check(
    "cheapest_within",
    "Often the best buy is not the top of the table but the cheapest model within a point "
    "or two of it.",
)
def check_cheapest_within(
    cheapest_within: Callable[[Sequence[tuple[str, float, float]], float], str],
) -> None:
    """``cheapest_within(entries, tolerance)`` returns the name of the cheapest
    ``(name, cost, accuracy)`` entry whose accuracy is at least best - ``tolerance``; of
    equally cheap ones, the more accurate."""
    cases = [
        ([("a", 10.0, 0.80), ("b", 1.0, 0.79), ("c", 0.5, 0.70)], 0.02, ""),
        ([("a", 10.0, 0.75), ("b", 1.0, 0.625), ("c", 0.5, 0.5)], 0.125,
         "a model exactly `tolerance` below the best still qualifies (>=, not >)."),
        ([("a", 10.0, 0.80), ("b", 1.0, 0.79), ("c", 0.5, 0.70)], 0.0,
         "with tolerance 0 only the most accurate models qualify."),
        ([("a", 3.0, 0.80), ("b", 3.0, 0.81), ("c", 30.0, 0.82)], 0.05,
         "when two qualifying models cost the same, take the more accurate."),
    ]  # fmt: skip
    rng = random.Random(CHECK_SEED)
    for _ in range(CHEAPEST_TRIALS):
        entries = [
            (f"m{i}", float(rng.randint(1, 1000)), round(rng.uniform(0.5, 0.85), 3))
            for i in range(rng.randint(1, 8))
        ]
        cases.append((entries, rng.choice([0.0, 0.01, 0.05, 0.2]), ""))
    for entries, tolerance, hint in cases:
        got = learner_call(cheapest_within, list(entries), tolerance)
        names = [name for name, _, _ in entries]
        require(
            got in names, f"return the name of one of the entries (one of {names}), got {got!r}."
        )
        # on random cases, either side of a rounding error at the boundary is right
        shifts = (0.0,) if hint else (-ROUNDING, 0.0, ROUNDING)
        right = {
            leaderboard_table.cheapest_within(entries, max(0.0, tolerance + d)) for d in shifts
        }
        if got in right:
            continue
        require(not hint, hint)
        best = max(accuracy for _, _, accuracy in entries)
        chosen = entries[names.index(got)]
        require(
            chosen[2] >= best - tolerance,
            f"{got!r} (accuracy {chosen[2]}) is more than {tolerance} below the best ({best}): "
            "keep only the models within the tolerance of the best accuracy.",
        )
        require(
            False,
            f"{got!r} qualifies, but a cheaper model does too: among the models within the "
            "tolerance, pick the one with the lowest cost.",
        )
