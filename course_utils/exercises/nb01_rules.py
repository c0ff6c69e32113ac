"""Checks for notebook 01 (rule-based classifiers): regex, negation scope, your own rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from course_utils import rules
from course_utils.data import load_mr_split, texts_and_labels
from course_utils.evaluation import accuracy
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = [
    "NEGATION_CASES",
    "NUMBER_CASES",
    "check_find_numbers",
    "check_my_rules",
    "check_negation_scope",
    "dev_accuracy",
]

NUMBER_CASES = (
    "aAb1B2cC34oOp",
    "no digits here",
    "",
    "rated 8/10 in 2002, 90 minutes",
    "007 and 1,000,000",
)
NEGATION_CASES = (
    "this is not a good movie .",
    "never boring , always fun",
    "it isn't funny but it is moving",
    "no no no , yes",
    "not",
    "nothing here is remotely interesting or even mildly amusing",
    "",
)


@exercise_check("find_numbers", r"re.findall(r'\d+', text) finds every run of digits.")
def check_find_numbers(find_numbers: Callable[[str], list[str]]) -> None:
    """The learner's ``find_numbers(text)`` returns every run of digits, in order."""
    first = learner_call(find_numbers, "aAb1B2cC34oOp")
    require(
        first == ["1", "2", "34"], f"for 'aAb1B2cC34oOp' expected ['1', '2', '34'], got {first!r}."
    )
    for text in NUMBER_CASES:
        got = learner_call(find_numbers, text)
        expected = re.findall(r"\d+", text)
        require(
            got == expected,
            f"for {text!r} your function returned {got!r}. One or more digits in a row form a "
            "number; no match should give an empty list.",
        )


@exercise_check("negation_scope", "Your scope matches the course's rule on every test sentence.")
def check_negation_scope(negation_scope: Callable[[Sequence[str]], list[bool]]) -> None:
    """The learner's ``negation_scope(tokens)`` marks up to 3 words after a negation,
    stopping at punctuation or "but"."""
    for sentence in NEGATION_CASES:
        tokens = rules.tokenize(sentence)
        got = learner_call(negation_scope, tokens)
        expected = rules.negation_scope(tokens)
        require(
            isinstance(got, list) and len(got) == len(tokens),
            f"for {tokens!r} return one True/False per token ({len(tokens)} values), got {got!r}.",
        )
        wrong = [tok for tok, g, e in zip(tokens, got, expected, strict=True) if bool(g) != e]
        require(
            not wrong,
            f"for {tokens!r} these tokens are marked wrongly: {wrong}. Remember: the negation "
            "word itself is not in scope, and the scope ends at punctuation, 'but', or after "
            "three words.",
        )


#: Exercise 3 is checked on train, which the learner never looked at, in this many folds;
#: the rules must raise accuracy in at least FOLDS_REQUIRED of them.
TRAIN_FOLDS = 5
FOLDS_REQUIRED = 4


def split_accuracy(classifier: rules.SentimentClassifier, name: str) -> float:
    """Accuracy of a rule-based classifier on one part of the MR split."""
    texts, labels = texts_and_labels(load_mr_split()[name])
    return accuracy(labels, rules.predict(classifier, texts))


def dev_accuracy(classifier: rules.SentimentClassifier) -> float:
    """Accuracy of a rule-based classifier on the MR dev split."""
    return split_accuracy(classifier, "dev")


def fold_gains(
    base: rules.SentimentClassifier, extended: rules.SentimentClassifier
) -> list[float]:
    """Accuracy gain (points) of ``extended`` over ``base`` in each of the folds of train."""
    texts, labels = texts_and_labels(load_mr_split()["train"])
    before, after = rules.predict(base, texts), rules.predict(extended, texts)
    gains = []
    for fold in range(TRAIN_FOLDS):
        part = slice(fold * len(texts) // TRAIN_FOLDS, (fold + 1) * len(texts) // TRAIN_FOLDS)
        gains.append(
            100 * (accuracy(labels[part], after[part]) - accuracy(labels[part], before[part]))
        )
    return gains


@exercise_check("my_rules", "Hand-written rules can help, but each one is a person's hour.")
def check_my_rules(make_rules: Callable[[], Sequence[rules.Rule]]) -> None:
    """The learner's ``make_rules()`` returns regex rules that raise the Hu & Liu classifier's
    accuracy on data the learner did not tune on: the folds of MR train."""
    extra = list(learner_call(make_rules))
    require(bool(extra), "return a list with at least one Rule(name, pattern, weight).")
    require(
        all(isinstance(rule, rules.Rule) for rule in extra),
        "every item must be a course_utils.rules.Rule, e.g. Rule('best', r'\\bbest\\b', 1.0).",
    )
    base = rules.LexiconClassifier(rules.opinion_lexicon(), name="Hu & Liu + negation")
    extended = base.with_rules(*extra)
    before, after = dev_accuracy(base), dev_accuracy(extended)
    gains = fold_gains(base, extended)
    print(
        f"dev, where you looked: {100 * before:.1f}% -> {100 * after:.1f}%; train, which you "
        f"did not look at, in {TRAIN_FOLDS} folds: "
        + ", ".join(f"{gain:+.1f}" for gain in gains)
        + " points"
    )
    require(
        sum(gain > 0 for gain in gains) >= FOLDS_REQUIRED,
        f"your rules raise accuracy in {sum(gain > 0 for gain in gains)} of the {TRAIN_FOLDS} "
        f"folds of train, and need {FOLDS_REQUIRED}. A rule that fits a few dev sentences "
        "learns dev, not reviews: look for phrases that recur in many sentences (the "
        "errors above show dev; the same habits run through all of MR).",
    )
