"""course_utils.exercises: each check passes a right answer, fails a wrong one with a hint,
reports a stub as "not solved yet", and raises only in strict mode."""

from __future__ import annotations

import importlib
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


def _negation_scope(tokens):
    in_scope, remaining = [], 0
    for token in tokens:
        if token in rules.SCOPE_BREAKERS:
            remaining = 0
        elif rules.is_negation(token):
            remaining = 3
        elif remaining:
            in_scope.append(True)
            remaining -= 1
            continue
        in_scope.append(False)
    return in_scope


RIGHT_AND_WRONG = {
    "check_find_numbers": (
        lambda text: re.findall(r"\d+", text),
        lambda text: re.findall(r"\d", text),
    ),
    "check_negation_scope": (_negation_scope, lambda tokens: [False] * len(tokens)),
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


@pytest.mark.parametrize("name", sorted(exercises.core.ANSWER_KEYS))
def test_every_check_rejects_the_package_answer_key(name, exercise_asserts):
    """Passing the package's own function, or a function that calls it, is not solving."""
    check = f"check_{name}"
    assert check in exercises.CHECK_MODULES, f"{name} has an answer key but no check"
    for path in exercises.core.ANSWER_KEYS[name]:
        module_name, _, function = path.partition(":")
        module = importlib.import_module(module_name)
        exercise_asserts.fails_with_hint(check, getattr(module, function), "answer key")
        delegate = lambda *a, _m=module, _f=function, **k: getattr(_m, _f)(*a, **k)  # noqa: E731
        exercise_asserts.fails_with_hint(check, delegate, "answer key")
        assert exercises.core.answer_key(path) is getattr(module, function)  # put back


def test_my_rules_are_checked_where_the_learner_did_not_tune(exercise_asserts):
    """A rule that matches one dev sentence raises dev accuracy (63.7% -> 63.8%) and
    nothing else: the check, on the folds of train, rejects it."""
    one_dev_sentence = lambda: [rules.Rule("sadism", r"audience sadism", -1.0)]  # noqa: E731
    exercise_asserts.fails_with_hint("check_my_rules", one_dev_sentence, "folds of train")
