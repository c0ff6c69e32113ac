"""Checks of notebook 05: a right answer passes, a plausible wrong one fails with a hint, a
stub is "not solved yet", and a learner's exception becomes a hint."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises
from course_utils.text import normalization, tagging


def _fit_heaps(num_tokens, num_types):
    beta, log_k = np.polyfit(np.log(num_tokens), np.log(num_types), deg=1)
    return float(np.exp(log_k)), float(beta)


def _step_1a(word):
    for suffix, replacement in (("sses", "ss"), ("ies", "i"), ("ss", "ss"), ("s", "")):
        if word.endswith(suffix):
            return word[: len(word) - len(suffix)] + replacement
    return word


def _step_1a_without_ss(word):
    for suffix, replacement in (("sses", "ss"), ("ies", "i"), ("s", "")):
        if word.endswith(suffix):
            return word[: len(word) - len(suffix)] + replacement
    return word


def _lemmatize_tagged(tagged):
    lemmas = []
    for word, tag in tagged:
        pos = tagging.wordnet_pos(tag)
        lemmas.append(word if pos is None else normalization.lemmatize(word, pos))
    return lemmas


def _measure(stem):
    pattern = ""
    for letter in stem:
        vowel = letter in "aeiou" or (letter == "y" and pattern.endswith("c"))
        pattern += "v" if vowel else "c"
    return pattern.count("vc")


RIGHT = {
    "check_measure": _measure,
    "check_fit_heaps": _fit_heaps,
    "check_step_1a": _step_1a,
    "check_lemmatize_tagged": _lemmatize_tagged,
}

#: (check, plausible wrong answer, a phrase its hint must contain)
WRONG = [
    ("check_measure", lambda stem: sum(letter in "aeiou" for letter in stem), "count how many"),
    ("check_measure", lambda stem: _measure(stem.replace("y", "i")), "A y is a vowel"),
    ("check_fit_heaps", lambda n, v: tuple(reversed(_fit_heaps(n, v))), "swapped"),
    ("check_fit_heaps", lambda n, v: (np.log(_fit_heaps(n, v)[0]), _fit_heaps(n, v)[1]), "log K"),
    ("check_fit_heaps", lambda n, v: tuple(np.polyfit(n, v, deg=1)[::-1]), "logarithms"),
    ("check_fit_heaps", lambda n, v: _fit_heaps(n, v)[1], "pair"),
    ("check_step_1a", lambda word: word[:-1] if word.endswith("s") else word, "longest first"),
    ("check_step_1a", _step_1a_without_ss, "SS -> SS"),
    (
        "check_lemmatize_tagged",
        lambda tagged: [normalization.lemmatize(w) for w, _ in tagged],
        "VERB",
    ),
    (
        "check_lemmatize_tagged",
        lambda tagged: [
            normalization.lemmatize(w, tagging.wordnet_pos(t) or "n") for w, t in tagged
        ],
        "leave such words unchanged",
    ),
    ("check_lemmatize_tagged", lambda tagged: [w for w, _ in tagged], "tagging.wordnet_pos"),
]


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


@pytest.mark.parametrize(("name", "wrong", "phrase"), WRONG)
def test_check_fails_wrong_answer_with_hint(name, wrong, phrase, exercise_asserts):
    exercise_asserts.fails_with_hint(name, wrong, phrase)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_learner_exceptions_become_hints(name, capsys):
    exercises.set_strict(False)

    def buggy(*args):
        return args[0].nonexistent_method()

    assert not getattr(exercises, name)(buggy)
    assert "your code raised AttributeError" in capsys.readouterr().out


def test_reference_lemmas_follow_the_tags():
    assert _lemmatize_tagged([("running", "VERB"), ("us", "PRON"), ("better", "ADJ")]) == [
        "run",
        "us",
        "good",
    ]
