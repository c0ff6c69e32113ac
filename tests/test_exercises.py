"""course_utils.exercises: each check passes a right answer, fails a wrong one with a hint,
reports a stub as "not solved yet", and raises only in strict mode."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from course_utils import exercises, rules


def _share_positive(examples):
    return sum(label for _, label in examples) / len(examples)


def _majority_baseline(train, test):
    counts = Counter(label for _, label in train)
    majority = max(sorted(counts), key=counts.__getitem__)
    return sum(label == majority for _, label in test) / len(test)


RIGHT_AND_WRONG = {
    "check_find_numbers": (
        lambda text: re.findall(r"\d+", text),
        lambda text: re.findall(r"\d", text),
    ),
    "check_negation_scope": (rules.negation_scope, lambda tokens: [False] * len(tokens)),
    "check_share_positive": (_share_positive, lambda examples: 0.5),
    "check_majority_baseline": (_majority_baseline, lambda train, test: 0.5),
    "check_my_rules": (
        lambda: [
            rules.Rule("worth it", r"\bworth (?:seeing|watching|a look|the)\b", 2.0),
            rules.Rule("rhetorical question", r"\?", -1.0),
            rules.Rule("too much", r"\btoo (?:long|much|many|little|slow)\b", -1.0),
        ],
        lambda: [rules.Rule("everything is bad", r"\bthe\b", -5.0)],
    ),
}


@pytest.mark.parametrize("name", sorted(RIGHT_AND_WRONG))
def test_check_passes_right_answer(name, exercise_asserts):
    right, _ = RIGHT_AND_WRONG[name]
    exercise_asserts.passes(name, right)


@pytest.mark.parametrize("name", sorted(RIGHT_AND_WRONG))
def test_check_fails_wrong_answer_with_hint(name, exercise_asserts):
    _, wrong = RIGHT_AND_WRONG[name]
    exercise_asserts.fails_with_hint(name, wrong)


@pytest.mark.parametrize("name", sorted(RIGHT_AND_WRONG))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


def test_learner_exceptions_become_hints(capsys):
    exercises.set_strict(False)

    def buggy(text):
        return text.nonexistent_method()

    assert not exercises.check_find_numbers(buggy)
    assert "your code raised AttributeError" in capsys.readouterr().out


def test_non_callable_answer_is_explained(capsys):
    exercises.set_strict(False)
    assert not exercises.check_find_numbers(["1", "2"])
    assert "expected a function" in capsys.readouterr().out


def test_strict_mode_follows_the_environment(monkeypatch):
    exercises.set_strict(None)
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    assert exercises.strict_mode()
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "0")
    assert not exercises.strict_mode()
