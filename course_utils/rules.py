"""SW 1.0: sentiment rules a person writes (keywords, negation, lexicons, regexes, VADER).

Taught in notebook 01. Every classifier here explains itself: :meth:`firings` lists each
piece of evidence (a lexicon word, possibly negated, or a regex rule) with its weight, so
the notebook's widget can show which rules fire on a typed sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from course_utils.data import NEGATIVE, POSITIVE, ensure_nltk

__all__ = [
    "DEFAULT_NEGATION_WINDOW",
    "NEGATION_SUFFIX",
    "NEGATION_WORDS",
    "NEGATIVE_KEYWORDS",
    "POSITIVE_KEYWORDS",
    "SCOPE_BREAKERS",
    "TIE_LABEL",
    "TOKEN_PATTERN",
    "VADER_THRESHOLD",
    "Firing",
    "LexiconClassifier",
    "Rule",
    "SentimentClassifier",
    "VaderClassifier",
    "is_negation",
    "keyword_lexicon",
    "negation_scope",
    "opinion_lexicon",
    "predict",
    "predict_label",
    "tokenize",
]

#: Tokens: words (with inner apostrophes/hyphens) or single punctuation marks.
TOKEN_PATTERN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[^\w\s]")
#: Words that flip the polarity of what follows (Das & Chen 2001; Pang et al. 2002).
NEGATION_WORDS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot", "without"}
)
NEGATION_SUFFIX = "n't"
#: Punctuation that ends a negation's scope ("not funny, but moving": only "funny" flips).
SCOPE_BREAKERS = frozenset({".", ",", ":", ";", "!", "?", "but"})
#: At most this many words after a negation are flipped.
DEFAULT_NEGATION_WINDOW = 3
#: A sentence with no evidence (score 0) gets this label; the classes are balanced.
TIE_LABEL = POSITIVE
#: VADER's compound score ranges over [-1, 1]; at or above this it says positive.
VADER_THRESHOLD = 0.0

#: A deliberately small hand-written keyword list: what a person might write in an hour.
POSITIVE_KEYWORDS = (
    "good", "great", "excellent", "best", "wonderful", "beautiful", "fun", "funny",
    "enjoy", "enjoyable", "love", "loved", "brilliant", "moving", "powerful", "charming",
    "delightful", "entertaining", "perfect", "masterpiece", "fascinating", "smart",
)  # fmt: skip
NEGATIVE_KEYWORDS = (
    "bad", "worst", "boring", "dull", "awful", "stupid", "mess", "waste", "fails",
    "tedious", "terrible", "poor", "lame", "pointless", "predictable", "flat",
    "unfunny", "annoying", "mediocre", "bland", "tiresome", "silly",
)  # fmt: skip


def tokenize(sentence: str) -> list[str]:
    """Lower-cased words and punctuation marks (punctuation ends negation scopes)."""
    return TOKEN_PATTERN.findall(sentence.lower())


def is_negation(token: str) -> bool:
    """True for negation words ("not", "never", ...) and contractions ending in n't."""
    return token in NEGATION_WORDS or token.endswith(NEGATION_SUFFIX)


def negation_scope(tokens: Sequence[str], window: int = DEFAULT_NEGATION_WINDOW) -> list[bool]:
    """For each token, whether it lies in the scope of a preceding negation.

    A scope starts after a negation word and ends at punctuation, at "but", or after
    ``window`` words, whichever comes first.
    """
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}.")
    in_scope = [False] * len(tokens)
    remaining = 0
    for i, token in enumerate(tokens):
        if token in SCOPE_BREAKERS:
            remaining = 0
        elif is_negation(token):
            remaining = window
        elif remaining > 0:
            in_scope[i] = True
            remaining -= 1
    return in_scope


@dataclass(frozen=True)
class Rule:
    """A hand-written regex rule: every match in the lower-cased sentence adds ``weight``."""

    name: str
    pattern: str
    weight: float

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as error:
            raise ValueError(
                f"Rule {self.name!r} has an invalid regular expression {self.pattern!r}: "
                f"{error}. Tip: write patterns as raw strings, r'...'."
            ) from error

    def matches(self, sentence: str) -> list[str]:
        """Every non-empty match of the pattern in the lower-cased sentence."""
        return [m.group(0) for m in re.finditer(self.pattern, sentence.lower()) if m.group(0)]


@dataclass(frozen=True)
class Firing:
    """One piece of evidence: which word or rule fired, its weight, and whether negated."""

    source: str
    text: str
    weight: float
    negated: bool = False


class SentimentClassifier(Protocol):
    """What notebook 01's evaluation and widget need from a rule-based classifier."""

    name: str

    def score(self, sentence: str) -> float: ...

    def firings(self, sentence: str) -> list[Firing]: ...


def predict_label(score: float) -> int:
    """Positive above zero, negative below, :data:`TIE_LABEL` when there is no evidence."""
    if score > 0:
        return POSITIVE
    if score < 0:
        return NEGATIVE
    return TIE_LABEL


def predict(classifier: SentimentClassifier, sentences: Iterable[str]) -> list[int]:
    """Labels (1 positive, 0 negative) for each sentence."""
    return [predict_label(classifier.score(sentence)) for sentence in sentences]


class LexiconClassifier:
    """Score = sum of word weights from a lexicon (flipped under negation) + regex rules.

    With a few hand-picked words this is the "keyword" classifier; with the Hu & Liu
    opinion lexicon it is a lexicon classifier (notebook 01 compares both).
    """

    def __init__(
        self,
        lexicon: Mapping[str, float],
        *,
        name: str = "lexicon",
        rules: Sequence[Rule] = (),
        negation: bool = True,
        negation_window: int = DEFAULT_NEGATION_WINDOW,
    ) -> None:
        if not lexicon and not rules:
            raise ValueError("A LexiconClassifier needs a non-empty lexicon or some rules.")
        self.name = name
        self.lexicon = dict(lexicon)
        self.rules = tuple(rules)
        self.negation = negation
        self.negation_window = negation_window

    def firings(self, sentence: str) -> list[Firing]:
        """Every lexicon word and rule match that contributes to the score."""
        tokens = tokenize(sentence)
        scope = (
            negation_scope(tokens, self.negation_window)
            if self.negation
            else [False] * len(tokens)
        )
        fired = [
            Firing(
                "lexicon", token, -self.lexicon[token] if negated else self.lexicon[token], negated
            )
            for token, negated in zip(tokens, scope, strict=True)
            if token in self.lexicon
        ]
        for rule in self.rules:
            fired.extend(
                Firing(f"rule:{rule.name}", match, rule.weight) for match in rule.matches(sentence)
            )
        return fired

    def score(self, sentence: str) -> float:
        """Sum of the weights of everything that fired."""
        return sum(firing.weight for firing in self.firings(sentence))

    def with_rules(self, *rules: Rule, name: str | None = None) -> LexiconClassifier:
        """A copy of this classifier with extra regex rules (notebook 01's exercise)."""
        return LexiconClassifier(
            self.lexicon,
            name=name or f"{self.name} + {len(rules)} rule(s)",
            rules=(*self.rules, *rules),
            negation=self.negation,
            negation_window=self.negation_window,
        )


def keyword_lexicon(
    positive: Iterable[str] = POSITIVE_KEYWORDS, negative: Iterable[str] = NEGATIVE_KEYWORDS
) -> dict[str, float]:
    """A ±1 lexicon from two word lists (a word in both lists is an error)."""
    positive, negative = set(positive), set(negative)
    both = positive & negative
    if both:
        raise ValueError(f"Words listed as both positive and negative: {sorted(both)}.")
    return {**dict.fromkeys(positive, 1.0), **dict.fromkeys(negative, -1.0)}


def opinion_lexicon() -> dict[str, float]:
    """The Hu & Liu (2004) opinion lexicon as ``{word: +1 | -1}`` (about 6,800 words).

    The lexicon lists a few words on both sides ("envious"); those are dropped.
    """
    ensure_nltk("opinion_lexicon")
    from nltk.corpus import opinion_lexicon as hu_liu

    positive, negative = set(hu_liu.positive()), set(hu_liu.negative())
    both = positive & negative
    return keyword_lexicon(positive - both, negative - both)


class VaderClassifier:
    """VADER (Hutto & Gilbert 2014): a rule-based scorer with intensities and heuristics.

    Its heuristics (negation, "but", intensifiers, capitals, "!") are built in; the score
    is VADER's compound score minus :data:`VADER_THRESHOLD`.
    """

    def __init__(self, threshold: float = VADER_THRESHOLD, name: str = "VADER") -> None:
        ensure_nltk("vader_lexicon")
        from nltk.sentiment.vader import SentimentIntensityAnalyzer

        self.name = name
        self.threshold = threshold
        self._analyzer = SentimentIntensityAnalyzer()

    @property
    def lexicon(self) -> Mapping[str, float]:
        """VADER's word -> valence table (-4 to +4, rated by people)."""
        return self._analyzer.lexicon

    def score(self, sentence: str) -> float:
        """VADER's compound score shifted by the threshold (> 0 means positive)."""
        return self._analyzer.polarity_scores(sentence)["compound"] - self.threshold

    def firings(self, sentence: str) -> list[Firing]:
        """The words found in VADER's lexicon with their base valence (before heuristics)."""
        return [
            Firing("vader", token, self.lexicon[token])
            for token in tokenize(sentence)
            if token in self.lexicon
        ]
