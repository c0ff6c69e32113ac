"""Checks for notebook 05 (stemming and lemmatization): Heaps' law, Porter step 1a, POS lemmas."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from course_utils.exercises.core import CheckFailedError, exercise_check, learner_call, require
from course_utils.text import normalization, porter, tagging

__all__ = [
    "FIT_RELATIVE_TOLERANCE",
    "HEAPS_CASES",
    "HEAPS_MAX_TOKENS",
    "HEAPS_NUM_POINTS",
    "KNOWN_LAW_TOLERANCE",
    "STEP_1A_WORDS",
    "TAGGED_CASES",
    "ZIPF_EXPONENT",
    "ZIPF_SEED",
    "ZIPF_TOKENS",
    "check_fit_heaps",
    "check_lemmatize_tagged",
    "check_step_1a",
]

#: Exact power laws V = K n^beta the learner's fit must recover, as (K, beta).
HEAPS_CASES = ((7.0, 0.55), (30.0, 0.45), (2.5, 0.7))
HEAPS_NUM_POINTS = 20
HEAPS_MAX_TOKENS = 1e7
#: A Zipf-distributed stream gives a real, not exactly linear, log-log curve to fit.
ZIPF_EXPONENT = 1.4
ZIPF_TOKENS = 50_000
ZIPF_SEED = 5
FIT_RELATIVE_TOLERANCE = 1e-6
#: On an exact power law the fit must find K and beta to this relative precision.
KNOWN_LAW_TOLERANCE = 1e-3

#: Porter's examples for step 1a, then words that trip up a quick "strip the s" rule.
STEP_1A_WORDS = (
    "caresses",
    "ponies",
    "ties",
    "caress",
    "cats",
    "glasses",
    "flies",
    "class",
    "abyss",
    "bus",
    "is",
    "s",
    "ss",
    "sses",
    "ies",
    "runs",
    "running",
    "species",
    "chess",
    "gas",
    "",
)

#: (tagged sentence, why it is here): the reference lemmas come from course_utils.text.
TAGGED_CASES: tuple[tuple[tuple[tuple[str, str], ...], str], ...] = (
    ((("running", "VERB"),), "a verb"),
    ((("better", "ADJ"),), "an adjective"),
    ((("ate", "VERB"), ("geese", "NOUN")), "an irregular verb and noun"),
    ((("they", "PRON"), ("saw", "VERB"), ("us", "PRON")), "pronouns"),
    ((("the", "DET"), ("saw", "NOUN"), ("was", "VERB"), ("sharp", "ADJ")), "'saw' as a noun"),
    ((("she", "PRON"), ("sang", "VERB"), ("happily", "ADV"), (".", ".")), "an adverb"),
    ((("two", "NUM"), ("mice", "NOUN"), ("were", "VERB"), ("hiding", "VERB")), "a number"),
    ((), "an empty sentence"),
)


def _reference_lemmas(tagged: Sequence[tuple[str, str]]) -> list[str]:
    """The lemma of each word with the WordNet class of its tag; other words unchanged."""
    lemmas = []
    for word, tag in tagged:
        pos = tagging.wordnet_pos(tag)
        lemmas.append(word if pos is None else normalization.lemmatize(word, pos))
    return lemmas


def _heaps_points(k: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    num_tokens = np.geomspace(normalization.HEAPS_MIN_TOKENS, HEAPS_MAX_TOKENS, HEAPS_NUM_POINTS)
    return num_tokens, k * num_tokens**beta


def _as_pair(result: Any) -> tuple[float, float]:
    """The learner's ``(K, beta)`` as two floats, or a fail that says what to return."""
    require(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"return a pair (K, beta), got {result!r}.",
    )
    first, second = result
    try:
        return float(first), float(second)
    except (TypeError, ValueError) as error:
        raise CheckFailedError(f"K and beta must be numbers, got {result!r}.") from error


@exercise_check("fit_heaps", "V = K n^beta is a straight line in log-log space.")
def check_fit_heaps(fit_heaps: Callable[[np.ndarray, np.ndarray], tuple[float, float]]) -> None:
    """The learner's ``fit_heaps(num_tokens, num_types)`` returns Heaps' ``(K, beta)``."""
    for k, beta in HEAPS_CASES:
        num_tokens, num_types = _heaps_points(k, beta)
        got_k, got_beta = _as_pair(learner_call(fit_heaps, num_tokens, num_types))
        require(
            not (
                math.isclose(got_k, beta, rel_tol=KNOWN_LAW_TOLERANCE)
                and math.isclose(got_beta, k, rel_tol=KNOWN_LAW_TOLERANCE)
            ),
            "K and beta are swapped: return (K, beta), K first.",
        )
        require(
            not math.isclose(got_k, math.log(k), rel_tol=KNOWN_LAW_TOLERANCE),
            f"for V = {k} n^{beta} you returned K = {got_k:.4g}, which is log K: the fitted "
            "intercept is log K, so K is its exponential.",
        )
        require(
            math.isclose(got_beta, beta, rel_tol=KNOWN_LAW_TOLERANCE)
            and math.isclose(got_k, k, rel_tol=KNOWN_LAW_TOLERANCE),
            f"for points on V = {k} n^{beta} you returned K = {got_k:.4g}, beta = "
            f"{got_beta:.4g}. Take logarithms of both counts, then fit a straight line "
            "(np.polyfit with deg=1): its slope is beta.",
        )
    stream = [
        str(rank) for rank in np.random.default_rng(ZIPF_SEED).zipf(ZIPF_EXPONENT, ZIPF_TOKENS)
    ]
    num_tokens, num_types = normalization.type_token_curve(stream)
    used = num_tokens >= normalization.HEAPS_MIN_TOKENS
    got = _as_pair(learner_call(fit_heaps, num_tokens[used], num_types[used]))
    expected = normalization.fit_heaps_law(num_tokens[used], num_types[used])
    require(
        all(
            math.isclose(g, e, rel_tol=FIT_RELATIVE_TOLERANCE)
            for g, e in zip(got, expected, strict=True)
        ),
        f"on a real type/token curve your (K, beta) = ({got[0]:.4g}, {got[1]:.4g}) is not the "
        "least-squares line through (log n, log V): fit every point you are given, unweighted.",
    )


@exercise_check("step_1a", "Only the longest matching suffix may fire: SS keeps 'caress' whole.")
def check_step_1a(step_1a: Callable[[str], str]) -> None:
    """The learner's ``step_1a(word)`` applies Porter's step 1a (SSES, IES, SS, S)."""
    for word in STEP_1A_WORDS:
        got = learner_call(step_1a, word)
        expected, rule = porter.step_1a(word)
        if got == expected:
            continue
        require(
            not (rule is not None and rule.suffix == "ss" and rule.replacement == "ss"),
            f"step_1a({word!r}) gave {got!r}: a word ending in SS matches the rule SS -> SS, "
            "which fires and changes nothing, so the shorter rule S -> is never tried.",
        )
        raise CheckFailedError(
            f"step_1a({word!r}) gave {got!r}. Try the suffixes longest first (SSES, IES, SS, "
            "S) and apply only the first one that matches."
        )


@exercise_check("lemmatize_tagged", "The part of speech picks the dictionary entry.")
def check_lemmatize_tagged(lemmatize_tagged: Callable[[list[tuple[str, str]]], list[str]]) -> None:
    """The learner's ``lemmatize_tagged(tagged)`` lemmatizes ``[(word, universal_tag)]`` pairs."""
    for tagged, what in TAGGED_CASES:
        got = learner_call(lemmatize_tagged, list(tagged))
        expected = _reference_lemmas(tagged)
        require(
            isinstance(got, list) and len(got) == len(tagged),
            f"return one lemma per (word, tag) pair, as a list: for {list(tagged)} expected "
            f"{len(tagged)} lemmas, got {got!r}.",
        )
        wrong = [
            (word, tag, lemma)
            for (word, tag), lemma, right in zip(tagged, got, expected, strict=True)
            if lemma != right
        ]
        if not wrong:
            continue
        word, tag, lemma = wrong[0]
        if tagging.wordnet_pos(tag) is None:
            hint = (
                f"{word!r} is tagged {tag}, a class WordNet does not have (only NOUN, VERB, ADJ "
                "and ADV map to 'n', 'v', 'a', 'r'): leave such words unchanged."
            )
        else:
            hint = (
                f"you turned {word!r} (tagged {tag}) into {lemma!r}, not WordNet's lemma for "
                "that part of speech: map the tag to its WordNet class with "
                "tagging.wordnet_pos(tag) and pass it to normalization.lemmatize(word, pos)."
            )
        raise CheckFailedError(f"in the case with {what}: {hint}")
