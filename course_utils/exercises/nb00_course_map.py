"""Checks for notebook 00 (the course map): the running task's numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from course_utils.data import Example, load_mr_split
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = ["TOLERANCE", "TOY_EXAMPLES", "check_majority_baseline", "check_share_positive"]

TOLERANCE = 1e-9
TOY_EXAMPLES: list[Example] = [("good", 1), ("bad", 0), ("fine", 1), ("great", 1)]


def _share_positive(examples: Sequence[Example]) -> float:
    return sum(label for _, label in examples) / len(examples)


@exercise_check("share_positive", "Every split of MR is exactly balanced: stratification at work.")
def check_share_positive(share_positive: Callable[[Sequence[Example]], float]) -> None:
    """The learner's ``share_positive(examples)`` returns the fraction of label-1 examples."""
    toy = learner_call(share_positive, TOY_EXAMPLES)
    require(
        isinstance(toy, float | int) and abs(toy - _share_positive(TOY_EXAMPLES)) < TOLERANCE,
        f"on {TOY_EXAMPLES} the share of positives is 3 out of 4; your function returned {toy!r}.",
    )
    for name, examples in load_mr_split().items():
        got = learner_call(share_positive, examples)
        require(
            abs(got - _share_positive(examples)) < TOLERANCE,
            f"on the {name} split you returned {got!r}; count the examples whose label is 1 "
            "and divide by the number of examples.",
        )


def _majority_accuracy(train: Sequence[Example], test: Sequence[Example]) -> float:
    counts = Counter(label for _, label in train)
    majority = max(sorted(counts), key=counts.__getitem__)
    return sum(label == majority for _, label in test) / len(test)


@exercise_check(
    "majority_baseline", "Any model on the leaderboard must beat this floor to be worth its cost."
)
def check_majority_baseline(
    majority_baseline: Callable[[Sequence[Example], Sequence[Example]], float],
) -> None:
    """The learner's ``majority_baseline(train, test)``: accuracy of always predicting
    the most common training label."""
    skewed_train = [("a", 0), ("b", 0), ("c", 1)]
    skewed_test = [("d", 0), ("e", 1), ("f", 1), ("g", 1)]
    got = learner_call(majority_baseline, skewed_train, skewed_test)
    require(
        abs(got - _majority_accuracy(skewed_train, skewed_test)) < TOLERANCE,
        "when the training labels are [0, 0, 1], the majority label is 0; on a test set with "
        f"one 0 and three 1s its accuracy is 0.25, but you returned {got!r}.",
    )
    split = load_mr_split()
    got = learner_call(majority_baseline, split["train"], split["test"])
    require(
        abs(got - _majority_accuracy(split["train"], split["test"])) < TOLERANCE,
        f"on MR you returned {got!r}; find the most common label in train, then the share of "
        "test examples that carry it.",
    )
