"""The three tests every exercise check gets, built from a notebook's RIGHT and WRONG
answers: a right answer passes, each wrong one fails with the hint that names its mistake,
and the unsolved stub is reported as not solved yet."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

#: name -> [(wrong answer, a phrase its hint must contain), ...]
WrongAnswers = Mapping[str, Sequence[tuple[Callable, str]]]


def exercise_tests(right: Mapping[str, Callable], wrong: WrongAnswers) -> tuple[Callable, ...]:
    """The test functions to bind at a test module's top level (pytest collects them)."""

    @pytest.mark.parametrize("name", sorted(right))
    def test_right_answer_passes(exercise_asserts, name):
        exercise_asserts.passes(name, right[name])

    @pytest.mark.parametrize(
        ("name", "answer", "hint"),
        [(name, answer, hint) for name, cases in wrong.items() for answer, hint in cases],
    )
    def test_wrong_answer_fails_with_its_hint(exercise_asserts, name, answer, hint):
        exercise_asserts.fails_with_hint(name, answer, hint)

    @pytest.mark.parametrize("name", sorted(right))
    def test_stub_is_not_solved(exercise_asserts, name):
        exercise_asserts.not_solved(name)

    return test_right_answer_passes, test_wrong_answer_fails_with_its_hint, test_stub_is_not_solved
