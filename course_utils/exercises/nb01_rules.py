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


def dev_accuracy(classifier: rules.SentimentClassifier) -> float:
    """Accuracy of a rule-based classifier on the MR dev split."""
    texts, labels = texts_and_labels(load_mr_split()["dev"])
    return accuracy(labels, rules.predict(classifier, texts))


@exercise_check("my_rules", "Hand-written rules can help, but each one is a person's hour.")
def check_my_rules(make_rules: Callable[[], Sequence[rules.Rule]]) -> None:
    """The learner's ``make_rules()`` returns regex rules that raise the Hu & Liu
    classifier's MR dev accuracy."""
    extra = list(learner_call(make_rules))
    require(bool(extra), "return a list with at least one Rule(name, pattern, weight).")
    require(
        all(isinstance(rule, rules.Rule) for rule in extra),
        "every item must be a course_utils.rules.Rule, e.g. Rule('best', r'\\bbest\\b', 1.0).",
    )
    base = rules.LexiconClassifier(rules.opinion_lexicon(), name="Hu & Liu + negation")
    before, after = dev_accuracy(base), dev_accuracy(base.with_rules(*extra))
    print(f"dev accuracy: {100 * before:.1f}% without your rules, {100 * after:.1f}% with them")
    require(
        after > before,
        "your rules do not raise dev accuracy yet. Look at the misclassified dev sentences "
        "above: which words or phrases do they share that the lexicon misses?",
    )
