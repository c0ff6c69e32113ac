"""Normalization and the vocabulary problem: stemming, lemmatization, POS tags, stop words.

Taught in notebook 05. The Porter stemmer is written out step by step, exactly as in
Porter (1980), "An algorithm for suffix stripping", with every rule table as data so a
learner can read it beside the paper; NLTK's Snowball and Lancaster stemmers and the
WordNet lemmatizer are wrapped for comparison. The lemmatizer needs a part of speech,
so a small averaged-perceptron tagger is trained here on tagged corpus data in seconds
(no pickled download). Heaps' law measures how the vocabulary grows with the corpus.
Tokenization is the course's own :func:`course_utils.data.tokenize_words`.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from course_utils.data import ensure_nltk, tokenize_words

if TYPE_CHECKING:
    from nltk.tag.perceptron import AveragedPerceptron


def _check_word(word: object) -> str:
    """Return ``word`` if it is a string, else raise a TypeError that says what to pass."""
    if not isinstance(word, str):
        raise TypeError(
            f"expected a single word as a str, got {type(word).__name__} ({word!r:.40}); "
            "tokenize text first, e.g. with course_utils.data.tokenize_words(text)."
        )
    return word


def _iter_tokens(tokens: object) -> Iterator[str]:
    """Check and yield tokens one by one, refusing a plain string (it would be split into
    letters); the checks on the container run at once, not at the first token."""
    if isinstance(tokens, str):
        raise TypeError(
            "expected a list of tokens, got one str; split it first, e.g. "
            f"tokenize_words({tokens[:30]!r})."
        )
    if not isinstance(tokens, Iterable):
        raise TypeError(f"expected an iterable of str tokens, got {type(tokens).__name__}.")
    return (_check_word(token) for token in tokens)


def _check_tokens(tokens: object) -> list[str]:
    """Materialize checked tokens (for functions that need them more than once)."""
    return list(_iter_tokens(tokens))


# ---------------------------------------------------------------------------
# Porter (1980): the definitions
# ---------------------------------------------------------------------------

VOWELS = frozenset("aeiou")
#: *o does not hold when the final consonant is one of these ("-wil" is fine, "-ow" not).
CVC_EXCLUDED_FINALS = frozenset("wxy")


def consonant_vowel_pattern(word: str) -> str:
    """The word as 'c'/'v' letters in Porter's sense ("toy" -> "cvc"). Notebook 05.

    A consonant is a letter other than a, e, i, o, u, and other than a y that follows a
    consonant; so y is a consonant at the start of a word or after a vowel.
    """
    pattern: list[str] = []
    for index, letter in enumerate(word):
        y_after_consonant = letter == "y" and index > 0 and pattern[-1] == "c"
        pattern.append("v" if letter in VOWELS or y_after_consonant else "c")
    return "".join(pattern)


def measure(stem: str) -> int:
    """Porter's m, the stem read as [C](VC)^m[V]: tree 0, trouble 1, private 2. Notebook 05."""
    return consonant_vowel_pattern(stem).count("vc")


def contains_vowel(stem: str) -> bool:
    """Porter's *v*: the stem contains a vowel. Notebook 05."""
    return "v" in consonant_vowel_pattern(stem)


def ends_double_consonant(stem: str) -> bool:
    """Porter's *d: the stem ends with a double consonant ("-tt", "-ss"). Notebook 05."""
    return len(stem) >= 2 and stem[-1] == stem[-2] and consonant_vowel_pattern(stem)[-1] == "c"


def ends_cvc(stem: str) -> bool:
    """Porter's *o: the stem ends c-v-c, the last c not w, x or y ("hop"). Notebook 05."""
    return consonant_vowel_pattern(stem).endswith("cvc") and stem[-1] not in CVC_EXCLUDED_FINALS


@dataclass(frozen=True)
class Condition:
    """A rule's condition on the stem, with its text as printed in the paper. Notebook 05."""

    text: str
    test: Callable[[str], bool] = field(repr=False)

    def __call__(self, stem: str) -> bool:
        """Whether the condition holds for ``stem``."""
        return self.test(stem)


M_GT_0 = Condition("m>0", lambda stem: measure(stem) > 0)
M_GT_1 = Condition("m>1", lambda stem: measure(stem) > 1)
HAS_VOWEL = Condition("*v*", contains_vowel)
M_GT_1_AND_S_OR_T = Condition(
    "m>1 and (*S or *T)", lambda stem: measure(stem) > 1 and stem.endswith(("s", "t"))
)
DOUBLE_NOT_L_S_Z = Condition(
    "*d and not (*L or *S or *Z)",
    lambda stem: ends_double_consonant(stem) and not stem.endswith(("l", "s", "z")),
)
M_EQ_1_AND_CVC = Condition("m=1 and *o", lambda stem: measure(stem) == 1 and ends_cvc(stem))
M_EQ_1_AND_NOT_CVC = Condition(
    "m=1 and not *o", lambda stem: measure(stem) == 1 and not ends_cvc(stem)
)
M_GT_1_DOUBLE_L = Condition(
    "m>1 and *d and *L",
    lambda stem: measure(stem) > 1 and ends_double_consonant(stem) and stem.endswith("l"),
)

#: Replacement of the paper's "-> single letter" rules: drop the last letter.
SINGLE_LETTER = "single letter"


@dataclass(frozen=True)
class Rule:
    """One rule ``(condition) S1 -> S2`` of the paper: replace suffix S1 by S2. Notebook 05.

    The condition (None = always) is tested on the stem, the word without S1. A rule with
    ``replacement=SINGLE_LETTER`` removes the last letter instead (its S1 is empty).
    """

    suffix: str
    replacement: str
    condition: Condition | None = None

    def applies(self, word: str) -> bool:
        """Whether the word ends with S1 and the stem satisfies the condition."""
        if not word.endswith(self.suffix):
            return False
        return self.condition is None or self.condition(word[: len(word) - len(self.suffix)])

    def rewrite(self, word: str) -> str:
        """The word with this rule applied (call only when :meth:`applies` holds)."""
        stem = word[: len(word) - len(self.suffix)]
        return stem[:-1] if self.replacement == SINGLE_LETTER else stem + self.replacement

    def __str__(self) -> str:
        """The rule as printed in the paper, e.g. "(m>0) ATIONAL -> ATE"."""
        target = (
            self.replacement if self.replacement == SINGLE_LETTER else self.replacement.upper()
        )
        parts = (
            f"({self.condition.text})" if self.condition else "",
            self.suffix.upper(),
            "->",
            target,
        )
        return " ".join(part for part in parts if part)


def apply_rules(word: str, rules: Sequence[Rule]) -> tuple[str, Rule | None]:
    """Apply at most one rule of a step: the one with the longest matching suffix.

    As the paper says, only the rule with the longest matching S1 may fire; if its
    condition fails, no rule fires ("feed": EED matches, m=0, so ED is never tried).
    Rules that share that suffix (step 5a) are tried in table order. Notebook 05.
    """
    matching = [rule for rule in rules if word.endswith(rule.suffix)]
    if not matching:
        return word, None
    longest = max(len(rule.suffix) for rule in matching)
    for rule in matching:
        if len(rule.suffix) == longest and rule.applies(word):
            return rule.rewrite(word), rule
    return word, None


# ---------------------------------------------------------------------------
# Porter (1980): the steps, each a rule table
# ---------------------------------------------------------------------------

STEP_1A = (
    Rule("sses", "ss"),  # caresses -> caress
    Rule("ies", "i"),  # ponies -> poni
    Rule("ss", "ss"),  # caress -> caress
    Rule("s", ""),  # cats -> cat
)
ED_RULE = Rule("ed", "", HAS_VOWEL)  # plastered -> plaster, bled -> bled
ING_RULE = Rule("ing", "", HAS_VOWEL)  # motoring -> motor, sing -> sing
STEP_1B = (
    Rule("eed", "ee", M_GT_0),  # agreed -> agree, feed -> feed
    ED_RULE,
    ING_RULE,
)
STEP_1B_CLEANUP = (
    Rule("at", "ate"),  # conflat(ed) -> conflate
    Rule("bl", "ble"),  # troubl(ed) -> trouble
    Rule("iz", "ize"),  # siz(ed) -> size
    Rule("", SINGLE_LETTER, DOUBLE_NOT_L_S_Z),  # hopp(ing) -> hop, fall(ing) -> fall
    Rule("", "e", M_EQ_1_AND_CVC),  # fil(ing) -> file
)
STEP_1C = (Rule("y", "i", HAS_VOWEL),)  # happy -> happi, sky -> sky
STEP_2 = (
    Rule("ational", "ate", M_GT_0),  # relational -> relate
    Rule("tional", "tion", M_GT_0),  # conditional -> condition
    Rule("enci", "ence", M_GT_0),  # valenci -> valence
    Rule("anci", "ance", M_GT_0),  # hesitanci -> hesitance
    Rule("izer", "ize", M_GT_0),  # digitizer -> digitize
    Rule("abli", "able", M_GT_0),  # conformabli -> conformable
    Rule("alli", "al", M_GT_0),  # radicalli -> radical
    Rule("entli", "ent", M_GT_0),  # differentli -> different
    Rule("eli", "e", M_GT_0),  # vileli -> vile
    Rule("ousli", "ous", M_GT_0),  # analogousli -> analogous
    Rule("ization", "ize", M_GT_0),  # vietnamization -> vietnamize
    Rule("ation", "ate", M_GT_0),  # predication -> predicate
    Rule("ator", "ate", M_GT_0),  # operator -> operate
    Rule("alism", "al", M_GT_0),  # feudalism -> feudal
    Rule("iveness", "ive", M_GT_0),  # decisiveness -> decisive
    Rule("fulness", "ful", M_GT_0),  # hopefulness -> hopeful
    Rule("ousness", "ous", M_GT_0),  # callousness -> callous
    Rule("aliti", "al", M_GT_0),  # formaliti -> formal
    Rule("iviti", "ive", M_GT_0),  # sensitiviti -> sensitive
    Rule("biliti", "ble", M_GT_0),  # sensibiliti -> sensible
)
STEP_3 = (
    Rule("icate", "ic", M_GT_0),  # triplicate -> triplic
    Rule("ative", "", M_GT_0),  # formative -> form
    Rule("alize", "al", M_GT_0),  # formalize -> formal
    Rule("iciti", "ic", M_GT_0),  # electriciti -> electric
    Rule("ical", "ic", M_GT_0),  # electrical -> electric
    Rule("ful", "", M_GT_0),  # hopeful -> hope
    Rule("ness", "", M_GT_0),  # goodness -> good
)
STEP_4 = (
    Rule("al", "", M_GT_1),  # revival -> reviv
    Rule("ance", "", M_GT_1),  # allowance -> allow
    Rule("ence", "", M_GT_1),  # inference -> infer
    Rule("er", "", M_GT_1),  # airliner -> airlin
    Rule("ic", "", M_GT_1),  # gyroscopic -> gyroscop
    Rule("able", "", M_GT_1),  # adjustable -> adjust
    Rule("ible", "", M_GT_1),  # defensible -> defens
    Rule("ant", "", M_GT_1),  # irritant -> irrit
    Rule("ement", "", M_GT_1),  # replacement -> replac
    Rule("ment", "", M_GT_1),  # adjustment -> adjust
    Rule("ent", "", M_GT_1),  # dependent -> depend
    Rule("ion", "", M_GT_1_AND_S_OR_T),  # adoption -> adopt
    Rule("ou", "", M_GT_1),  # homologou -> homolog
    Rule("ism", "", M_GT_1),  # communism -> commun
    Rule("ate", "", M_GT_1),  # activate -> activ
    Rule("iti", "", M_GT_1),  # angulariti -> angular
    Rule("ous", "", M_GT_1),  # homologous -> homolog
    Rule("ive", "", M_GT_1),  # effective -> effect
    Rule("ize", "", M_GT_1),  # bowdlerize -> bowdler
)
STEP_5A = (
    Rule("e", "", M_GT_1),  # probate -> probat, rate -> rate
    Rule("e", "", M_EQ_1_AND_NOT_CVC),  # cease -> ceas
)
STEP_5B = (Rule("", SINGLE_LETTER, M_GT_1_DOUBLE_L),)  # controll -> control, roll -> roll


def step_1a(word: str) -> tuple[str, Rule | None]:
    """Step 1a, plurals: caresses -> caress, ponies -> poni, cats -> cat. Notebook 05."""
    return apply_rules(word, STEP_1A)


def step_1b(word: str) -> tuple[str, Rule | None]:
    """Step 1b, past tense and gerund: agreed -> agree, motoring -> motor. Notebook 05."""
    return apply_rules(word, STEP_1B)


def step_1b_cleanup(word: str) -> tuple[str, Rule | None]:
    """After 1b removed -ED or -ING: conflat -> conflate, hopp -> hop. Notebook 05."""
    return apply_rules(word, STEP_1B_CLEANUP)


def step_1c(word: str) -> tuple[str, Rule | None]:
    """Step 1c, final y after a vowel-containing stem: happy -> happi. Notebook 05."""
    return apply_rules(word, STEP_1C)


def step_2(word: str) -> tuple[str, Rule | None]:
    """Step 2, double suffixes to single ones: relational -> relate. Notebook 05."""
    return apply_rules(word, STEP_2)


def step_3(word: str) -> tuple[str, Rule | None]:
    """Step 3, -ic-, -full, -ness etc.: electrical -> electric, goodness -> good. Notebook 05."""
    return apply_rules(word, STEP_3)


def step_4(word: str) -> tuple[str, Rule | None]:
    """Step 4, remove a suffix from a long stem (m>1): adjustment -> adjust. Notebook 05."""
    return apply_rules(word, STEP_4)


def step_5a(word: str) -> tuple[str, Rule | None]:
    """Step 5a, remove a final e: probate -> probat, cease -> ceas. Notebook 05."""
    return apply_rules(word, STEP_5A)


def step_5b(word: str) -> tuple[str, Rule | None]:
    """Step 5b, -ll to -l on long stems: controll -> control. Notebook 05."""
    return apply_rules(word, STEP_5B)


#: The steps after step 1b (and its cleanup), in order.
LATER_STEPS: tuple[tuple[str, Callable[[str], tuple[str, Rule | None]]], ...] = (
    ("1c", step_1c),
    ("2", step_2),
    ("3", step_3),
    ("4", step_4),
    ("5a", step_5a),
    ("5b", step_5b),
)


@dataclass(frozen=True)
class StepTrace:
    """What one Porter step did to a word: the rule that fired (None if none). Notebook 05."""

    step: str
    before: str
    after: str
    rule: Rule | None

    @property
    def fired(self) -> bool:
        """Whether a rule of this step fired (it may leave the word unchanged, as SS -> SS)."""
        return self.rule is not None


def porter_trace(word: str) -> list[StepTrace]:
    """Run Porter's stemmer on ``word`` and record every step. Notebook 05.

    Steps 1a, 1b, 1c, 2, 3, 4, 5a, 5b in order; "1b cleanup" appears only when step 1b
    removed -ED or -ING, as the paper prescribes. The word is lower-cased first.
    """
    current = _check_word(word).lower()
    trace: list[StepTrace] = []

    def run(name: str, step: Callable[[str], tuple[str, Rule | None]]) -> None:
        nonlocal current
        after, rule = step(current)
        trace.append(StepTrace(name, current, after, rule))
        current = after

    run("1a", step_1a)
    run("1b", step_1b)
    if trace[-1].rule in (ED_RULE, ING_RULE):
        run("1b cleanup", step_1b_cleanup)
    for name, step in LATER_STEPS:
        run(name, step)
    return trace


def porter_stem(word: str) -> str:
    """Porter's (1980) stem of ``word``, as published: running -> run, cats -> cat. Notebook 05.

    Lower-cases first; any string is accepted (letters outside a-z count as consonants).
    """
    return porter_trace(word)[-1].after


# ---------------------------------------------------------------------------
# Checking the stemmer against Porter's reference vocabulary
# ---------------------------------------------------------------------------

PORTER_VOCABULARY_FILE = "porter_vocabulary.txt"
#: Expected outputs in ``stemmers/porter_test``: the published algorithm ("original"),
#: Martin Porter's frozen C version with his departures ("martin"), NLTK's extensions.
PORTER_REFERENCE_FILES: dict[str, str] = {
    "original": "porter_original_output.txt",
    "martin": "porter_martin_output.txt",
    "nltk": "porter_nltk_output.txt",
}


def _read_porter_test_lines(filename: str) -> list[str]:
    import nltk.data

    ensure_nltk("porter_test")
    pointer = nltk.data.find(f"stemmers/porter_test/{filename}")
    with pointer.open(encoding="utf-8") as handle:
        return handle.read().splitlines()


@lru_cache(maxsize=len(PORTER_REFERENCE_FILES))
def _porter_reference(variant: str) -> tuple[tuple[str, str], ...]:
    words = _read_porter_test_lines(PORTER_VOCABULARY_FILE)
    stems = _read_porter_test_lines(PORTER_REFERENCE_FILES[variant])
    if len(words) != len(stems):
        raise ValueError(
            f"porter_test is inconsistent: {len(words)} words but {len(stems)} stems in "
            f"{PORTER_REFERENCE_FILES[variant]}; re-download it (python -m nltk.downloader "
            "porter_test)."
        )
    return tuple(zip(words, stems, strict=True))


def load_porter_reference(variant: str = "original") -> list[tuple[str, str]]:
    """Porter's test vocabulary with expected stems: 23,531 ``(word, stem)`` pairs. Notebook 05.

    ``variant="original"`` is the output of Porter's C program with its departures from
    the paper removed (the published algorithm); "martin" keeps them, "nltk" is NLTK's.
    """
    if variant not in PORTER_REFERENCE_FILES:
        raise ValueError(
            f"unknown Porter reference {variant!r}; "
            f"choose one of {sorted(PORTER_REFERENCE_FILES)}."
        )
    return list(_porter_reference(variant))


@dataclass(frozen=True)
class StemmerAgreement:
    """How often a stemmer matches reference stems, and where it does not. Notebook 05."""

    num_words: int
    disagreements: list[tuple[str, str, str]]  # (word, expected stem, our stem)

    @property
    def agreement(self) -> float:
        """Share of words stemmed exactly as the reference."""
        return 1.0 - len(self.disagreements) / self.num_words


def stemmer_agreement(
    stem: Callable[[str], str] = porter_stem,
    reference: Iterable[tuple[str, str]] | None = None,
) -> StemmerAgreement:
    """Compare ``stem`` with reference ``(word, stem)`` pairs (default: the original Porter).

    Returns the agreement and every disagreement as ``(word, expected, got)``. Notebook 05.
    """
    if not callable(stem):
        raise TypeError(f"stem must be a function word -> stem, got {type(stem).__name__}.")
    pairs = load_porter_reference() if reference is None else list(reference)
    if not pairs:
        raise ValueError("the reference is empty: pass (word, expected_stem) pairs.")
    rows = [(word, expected, stem(word)) for word, expected in pairs]
    return StemmerAgreement(
        num_words=len(pairs),
        disagreements=[(word, expected, got) for word, expected, got in rows if got != expected],
    )


# ---------------------------------------------------------------------------
# NLTK's stemmers and the WordNet lemmatizer
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _snowball() -> Callable[[str], str]:
    from nltk.stem import SnowballStemmer

    return SnowballStemmer("english").stem


@lru_cache(maxsize=1)
def _lancaster() -> Callable[[str], str]:
    from nltk.stem import LancasterStemmer

    return LancasterStemmer().stem


def snowball_stem(word: str) -> str:
    """NLTK's Snowball ("Porter 2") English stem of any string, lower-cased. Notebook 05."""
    return _snowball()(_check_word(word))


def lancaster_stem(word: str) -> str:
    """NLTK's Lancaster (Paice/Husk) stem of any string: the most aggressive. Notebook 05."""
    return _lancaster()(_check_word(word))


#: The stemmers compared in notebook 05, by name.
STEMMERS: dict[str, Callable[[str], str]] = {
    "porter": porter_stem,
    "snowball": snowball_stem,
    "lancaster": lancaster_stem,
}

#: Distinct words whose stem or lemma is remembered (a corpus repeats its words, so each
#: distinct word is stemmed once: Porter from scratch costs tens of microseconds a word).
NORMALIZER_CACHE_SIZE = 1 << 18
_CACHED_STEMMERS = {
    name: lru_cache(maxsize=NORMALIZER_CACHE_SIZE)(stem) for name, stem in STEMMERS.items()
}

NOUN, VERB, ADJECTIVE, ADVERB = "n", "v", "a", "r"
WORDNET_POS = (NOUN, VERB, ADJECTIVE, ADVERB)


@lru_cache(maxsize=1)
def _wordnet_lemmatizer() -> Callable[[str, str], str]:
    ensure_nltk("wordnet")
    from nltk.stem import WordNetLemmatizer

    return WordNetLemmatizer().lemmatize


@lru_cache(maxsize=NORMALIZER_CACHE_SIZE)
def _wordnet_lemma(word: str, pos: str) -> str:
    """WordNet's lemma, remembered: a corpus asks for the same (word, POS) over and over."""
    return _wordnet_lemmatizer()(word, pos)


def lemmatize(word: str, pos: str | None = None) -> str:
    """WordNet lemma of ``word`` (case-sensitive, as WordNet). Notebook 05.

    ``pos`` is a WordNet class: "n", "v", "a" or "r"; None uses WordNet's default, the
    noun, which is why "running" stays "running" until told it is a verb ("v" -> "run").
    """
    _check_word(word)
    if pos is not None and pos not in WORDNET_POS:
        raise ValueError(
            f"pos must be one of {WORDNET_POS} (noun, verb, adjective, adverb) or None, got "
            f"{pos!r}; map a universal tag with wordnet_pos(tag)."
        )
    return _wordnet_lemma(word, pos or NOUN)


# ---------------------------------------------------------------------------
# Part-of-speech tagging: an averaged perceptron trained on tagged corpora
# ---------------------------------------------------------------------------

#: Universal tags of the four classes WordNet knows; every other tag maps to None.
UNIVERSAL_TO_WORDNET: dict[str, str] = {
    "NOUN": NOUN,
    "VERB": VERB,
    "ADJ": ADJECTIVE,
    "ADV": ADVERB,
}
TAGGED_CORPORA = ("treebank", "brown")
#: Penn Treebank's tag for empty elements (traces such as "*T*-1"): not words, dropped.
TREEBANK_EMPTY_TAG = "-NONE-"
HELD_OUT_FRACTION = 0.1
DEFAULT_NUM_ITERATIONS = 5
MAX_NUM_ITERATIONS = 100
#: A word seen this often with one tag this consistently is tagged by lookup (Honnibal).
TAGDICT_MIN_COUNT = 20
TAGDICT_MIN_SHARE = 0.97
SENTENCE_START = ("-START-", "-START2-")
SENTENCE_END = ("-END-", "-END2-")
YEAR_DIGITS = 4
#: The tagger looks at the last three letters of a word ("-ing", "-ous", "-ed").
SUFFIX_CHARS = 3

TaggedSentence = list[tuple[str, str]]


def wordnet_pos(universal_tag: str) -> str | None:
    """WordNet class of a universal tag: NOUN n, VERB v, ADJ a, ADV r, else None. Notebook 05."""
    return UNIVERSAL_TO_WORDNET.get(universal_tag)


def load_tagged_sentences(
    corpus: str = "treebank", max_sentences: int | None = None
) -> list[TaggedSentence]:
    """Sentences of a tagged NLTK corpus as ``[(word, universal_tag)]``. Notebook 05.

    "treebank" (3,914 WSJ sentences; empty elements such as "*T*-1" dropped) or "brown"
    (57,340 sentences), in corpus order; ``max_sentences`` keeps the first ones.
    """
    if corpus not in TAGGED_CORPORA:
        raise ValueError(f"unknown tagged corpus {corpus!r}; choose one of {TAGGED_CORPORA}.")
    if max_sentences is not None and max_sentences < 1:
        raise ValueError(f"max_sentences must be None or at least 1, got {max_sentences}.")
    ensure_nltk(corpus, "universal_tagset")
    import nltk.corpus
    from nltk.tag.mapping import map_tag

    sentences = getattr(nltk.corpus, corpus).tagged_sents()[:max_sentences]
    source = "en-ptb" if corpus == "treebank" else "en-brown"
    tagged = (
        [
            (word, map_tag(source, "universal", tag))
            for word, tag in sentence
            if tag != TREEBANK_EMPTY_TAG
        ]
        for sentence in sentences
    )
    return [sentence for sentence in tagged if sentence]


def split_tagged_sentences(
    sentences: Sequence[TaggedSentence], held_out_fraction: float = HELD_OUT_FRACTION
) -> tuple[list[TaggedSentence], list[TaggedSentence]]:
    """Fixed ``(train, held_out)`` split: the last ``held_out_fraction`` is held out.

    No shuffling, so whole documents stay on one side and the split never changes. Notebook 05.
    """
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}.")
    cut = len(sentences) - round(len(sentences) * held_out_fraction)
    if cut <= 0 or cut >= len(sentences):
        raise ValueError(
            f"{len(sentences)} sentences are too few to hold out {held_out_fraction:.0%}; "
            "pass more sentences."
        )
    return list(sentences[:cut]), list(sentences[cut:])


def _shape(word: str) -> str:
    """The word as the tagger's features see it: numbers and hyphenated words collapse."""
    if "-" in word and not word.startswith("-"):
        return "!HYPHEN"
    if word.isdigit() and len(word) == YEAR_DIGITS:
        return "!YEAR"
    if word[:1].isdigit():
        return "!DIGITS"
    return word.lower()


def _features(
    index: int, word: str, context: Sequence[str], prev: str, prev2: str
) -> dict[str, int]:
    """Honnibal's tagger features for the word at ``index`` of ``context`` (padded)."""
    i = index + len(SENTENCE_START)
    names = (
        "bias",
        f"i suffix {word[-SUFFIX_CHARS:]}",
        f"i pref1 {word[:1]}",
        f"i-1 tag {prev}",
        f"i-2 tag {prev2}",
        f"i tag+i-2 tag {prev} {prev2}",
        f"i word {context[i]}",
        f"i-1 tag+i word {prev} {context[i]}",
        f"i-1 word {context[i - 1]}",
        f"i-1 suffix {context[i - 1][-SUFFIX_CHARS:]}",
        f"i-2 word {context[i - 2]}",
        f"i+1 word {context[i + 1]}",
        f"i+1 suffix {context[i + 1][-SUFFIX_CHARS:]}",
        f"i+2 word {context[i + 2]}",
    )
    return dict.fromkeys(names, 1)


@dataclass
class PosTagger:
    """A greedy averaged-perceptron POS tagger (Honnibal's design, as NLTK's). Notebook 05.

    Frequent unambiguous words are tagged by lookup; the rest by the perceptron from the
    word, its neighbours and the two previous tags. Build it with :func:`train_pos_tagger`.
    """

    model: AveragedPerceptron
    tagdict: dict[str, str]
    lowercase: bool = False
    train_seconds: float = 0.0
    tokens_per_second: float = 0.0

    def _prepare(self, tokens: Sequence[str]) -> list[str]:
        return [token.lower() for token in tokens] if self.lowercase else list(tokens)

    def _tag_words(self, words: Sequence[str], gold: Sequence[str] | None = None) -> list[str]:
        """Tag prepared words left to right; with ``gold`` tags, learn from each mistake."""
        context = [*SENTENCE_START, *(_shape(word) for word in words), *SENTENCE_END]
        prev, prev2 = SENTENCE_START
        tags: list[str] = []
        for index, word in enumerate(words):
            guess = self.tagdict.get(word)
            if guess is None:
                features = _features(index, word, context, prev, prev2)
                guess, _ = self.model.predict(features)
                if gold is not None:
                    self.model.update(gold[index], guess, features)
            tags.append(guess)
            prev2, prev = prev, guess
        return tags

    def tag(self, tokens: Sequence[str]) -> list[tuple[str, str]]:
        """``[(token, universal_tag)]`` for one tokenized sentence."""
        words = _check_tokens(tokens)
        return list(zip(words, self._tag_words(self._prepare(words)), strict=True))


def _check_tagged(sentences: Iterable[TaggedSentence], role: str) -> list[TaggedSentence]:
    checked = [list(sentence) for sentence in sentences]
    if not checked:
        raise ValueError(f"no {role} sentences: pass e.g. load_tagged_sentences('treebank').")
    for sentence in checked:
        if not sentence or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
            for pair in sentence
        ):
            raise ValueError(
                "each sentence must be a non-empty list of (word, tag) string pairs, got "
                f"{sentence[:3]!r}..."
            )
    return checked


def _frequent_unambiguous(sentences: Iterable[Sequence[tuple[str, str]]]) -> dict[str, str]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        for word, tag in sentence:
            counts[word][tag] += 1
    tagdict = {}
    for word, tag_counts in counts.items():
        tag, top = tag_counts.most_common(1)[0]
        total = sum(tag_counts.values())
        if total >= TAGDICT_MIN_COUNT and top / total >= TAGDICT_MIN_SHARE:
            tagdict[word] = tag
    return tagdict


def train_pos_tagger(
    sentences: Iterable[TaggedSentence],
    *,
    seed: int = 0,
    num_iterations: int = DEFAULT_NUM_ITERATIONS,
    lowercase: bool = False,
    progress: bool = True,
) -> PosTagger:
    """Train an averaged-perceptron tagger on ``[(word, tag)]`` sentences. Notebook 05.

    Each of ``num_iterations`` passes visits the sentences in a seeded random order;
    progress shows training accuracy and tokens per second. ``lowercase=True`` suits the
    lower-cased tokens of :func:`tokenize_words`. About 4 s for 5 passes over the treebank.
    """
    from nltk.tag.perceptron import AveragedPerceptron

    if not 1 <= num_iterations <= MAX_NUM_ITERATIONS:
        raise ValueError(
            f"num_iterations must be between 1 and {MAX_NUM_ITERATIONS}, got {num_iterations}."
        )
    tagged = _check_tagged(sentences, "training")
    tagger = PosTagger(model=AveragedPerceptron(), tagdict={}, lowercase=lowercase)
    order = [(tagger._prepare([w for w, _ in s]), [t for _, t in s]) for s in tagged]
    tagger.tagdict = _frequent_unambiguous(zip(w, t, strict=True) for w, t in order)
    tagger.model.classes = {tag for _, tags in order for tag in tags}
    rng = random.Random(seed)
    num_tokens = sum(len(tags) for _, tags in order)
    start = time.perf_counter()
    bar = tqdm(range(num_iterations), desc="POS tagger", unit="pass", disable=not progress)
    for iteration in bar:
        rng.shuffle(order)
        correct = 0
        for words, gold in order:
            guesses = tagger._tag_words(words, gold)
            correct += sum(g == t for g, t in zip(guesses, gold, strict=True))
        elapsed = time.perf_counter() - start
        bar.set_postfix(
            train_acc=f"{correct / num_tokens:.3f}",
            tokens_per_s=f"{(iteration + 1) * num_tokens / elapsed:,.0f}",
        )
    tagger.model.average_weights()
    tagger.train_seconds = time.perf_counter() - start
    tagger.tokens_per_second = num_iterations * num_tokens / tagger.train_seconds
    return tagger


def tagging_accuracy(tagger: PosTagger, sentences: Iterable[TaggedSentence]) -> float:
    """Share of tokens whose predicted tag equals the gold tag. Notebook 05."""
    correct = total = 0
    for sentence in _check_tagged(sentences, "evaluation"):
        words = [word for word, _ in sentence]
        predicted = tagger.tag(words)
        correct += sum(p == t for (_, p), (_, t) in zip(predicted, sentence, strict=True))
        total += len(sentence)
    return correct / total


def lemmatize_sentence(tokens: Sequence[str], tagger: PosTagger) -> list[str]:
    """Lemmatize each token with the WordNet class of its predicted tag. Notebook 05.

    Tokens whose tag has no WordNet class (determiners, pronouns, ...) stay as they are,
    so "us" is not turned into the noun "u".
    """
    lemmas = []
    for word, tag in tagger.tag(tokens):
        pos = wordnet_pos(tag)
        lemmas.append(word if pos is None else lemmatize(word, pos))
    return lemmas


# ---------------------------------------------------------------------------
# Stop words and the normalization pipeline
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """NLTK's English stop-word list (179 lower-case words). Notebook 05."""
    ensure_nltk("stopwords")
    from nltk.corpus import stopwords

    return frozenset(stopwords.words("english"))


def is_stopword(word: str) -> bool:
    """Whether ``word``, lower-cased, is on NLTK's English stop-word list. Notebook 05."""
    return _check_word(word).lower() in english_stopwords()


def filter_stopwords(tokens: Iterable[str]) -> Iterator[str]:
    """The tokens that are not English stop words, lazily. Notebook 05."""
    return (token for token in tokens if not is_stopword(token))


def _stemmer(stem: str | Callable[[str], str] | None) -> Callable[[str], str] | None:
    if stem is None or callable(stem):
        return stem
    if stem not in STEMMERS:
        raise ValueError(
            f"unknown stemmer {stem!r}; choose one of {sorted(STEMMERS)}, a function, or None."
        )
    return _CACHED_STEMMERS[stem]


def _lemmas(words: Sequence[str], tagger: PosTagger | None) -> list[str]:
    """Lemmas with the tagger's POS when there is one, else with WordNet's noun default."""
    if tagger is not None:
        return lemmatize_sentence(words, tagger)
    return [lemmatize(word) for word in words]


def normalize(
    tokens: Iterable[str],
    *,
    lowercase: bool = True,
    stem: str | Callable[[str], str] | None = None,
    lemmatize: bool = False,
    remove_stopwords: bool = False,
    tagger: PosTagger | None = None,
) -> list[str]:
    """Normalize one tokenized sentence: lower-case, lemmatize, drop stop words, stem. Notebook 05.

    ``stem`` names a stemmer of :data:`STEMMERS` (or is a function). ``lemmatize`` uses
    WordNet with the POS that ``tagger`` predicts from the whole sentence, or WordNet's
    noun default without a tagger. Stop words are judged on the word, not its lemma.
    """
    words = _check_tokens(tokens)
    stemmer = _stemmer(stem)
    if tagger is not None and not lemmatize:
        raise ValueError("a tagger is only used for lemmatization: pass lemmatize=True too.")
    if lowercase:
        words = [word.lower() for word in words]
    forms = _lemmas(words, tagger) if lemmatize else words
    if remove_stopwords:
        forms = [form for word, form in zip(words, forms, strict=True) if not is_stopword(word)]
    return [stemmer(form) for form in forms] if stemmer is not None else forms


def normalize_sentences(sentences: Iterable[Iterable[str]], **options: Any) -> Iterator[list[str]]:
    """Stream :func:`normalize` over tokenized sentences, with the same keyword options.

    Lazy, so a corpus never has to fit in memory twice. Notebook 05.
    """
    return (normalize(sentence, **options) for sentence in sentences)


#: Partitions per CPU core when the caller does not choose: enough for every worker to
#: stay busy while the others finish, few enough that scheduling costs little.
PARTITIONS_PER_CORE = 4


def _normalize_partition(
    sentences: Iterable[Iterable[str]], options: dict[str, Any]
) -> list[list[str]]:
    """One partition's share of :func:`normalize_corpus_parallel` (runs on a worker)."""
    return list(normalize_sentences(sentences, **options))


def normalize_corpus_parallel(
    sentences: Sequence[Sequence[str]],
    *,
    scheduler: Any = None,
    npartitions: int | None = None,
    **options: Any,
) -> list[list[str]]:
    """:func:`normalize_sentences` run in parallel with ``dask.bag``: same result, same order.

    The corpus is cut into ``npartitions`` partitions (default: 4 per CPU core), each
    normalized by a worker with the keyword ``options`` of :func:`normalize`.
    ``scheduler`` is passed to dask's ``compute``: a ``distributed.Client`` (a local or a
    real cluster), ``"processes"``, ``"threads"`` or ``"synchronous"``; None uses the
    active client, else a local process pool. Notebook 05.
    """
    import dask
    import dask.bag as db

    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError(
            "sentences must be a sequence (e.g. a list) of tokenized sentences, got "
            f"{type(sentences).__name__}; materialize a stream with list(...) first."
        )
    normalize([], **options)  # bad options fail here, with normalize's message, not on a worker
    if npartitions is None:
        npartitions = PARTITIONS_PER_CORE * (os.cpu_count() or 1)
    if npartitions < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}.")
    if not sentences:
        return []
    bag = db.from_sequence(sentences, npartitions=npartitions)
    shared = dask.delayed(options, traverse=False)  # one copy (and one tagger) per worker
    return bag.map_partitions(_normalize_partition, shared).compute(scheduler=scheduler)


def compare_normalizers(text: str, tagger: PosTagger | None = None) -> dict[str, list[str]]:
    """Every stemmer and the lemmatizer side by side on the words of ``text``. Notebook 05.

    Tokenizes with :func:`course_utils.data.tokenize_words`. Keys: the names of
    :data:`STEMMERS`, "wordnet (no POS)", and "wordnet (POS)" when a tagger is given.
    """
    words = tokenize_words(_check_word(text))
    rows = {name: [stem(word) for word in words] for name, stem in STEMMERS.items()}
    rows["wordnet (no POS)"] = _lemmas(words, None)
    if tagger is not None:
        rows["wordnet (POS)"] = _lemmas(words, tagger)
    return rows


def conflation_classes(
    words: Iterable[str], stem: str | Callable[[str], str]
) -> dict[str, list[str]]:
    """Group the distinct ``words`` by stem: ``{stem: sorted words}``, stems sorted. Notebook 05.

    The number of classes is the vocabulary after stemming. A class that mixes unrelated
    words shows over-stemming; related words in different classes show under-stemming.
    """
    stemmer = _stemmer(stem)
    if stemmer is None:
        raise ValueError("stem must name a stemmer of STEMMERS or be a function, not None.")
    classes: defaultdict[str, list[str]] = defaultdict(list)
    for word in sorted(set(_iter_tokens(words))):
        classes[stemmer(word)].append(word)
    return dict(sorted(classes.items()))


# ---------------------------------------------------------------------------
# The vocabulary problem: type/token growth (Heaps' law) and out-of-vocabulary rate
# ---------------------------------------------------------------------------

DEFAULT_CURVE_POINTS = 50
#: Below this many tokens almost every token is a new type; the fit starts here.
HEAPS_MIN_TOKENS = 1_000


def type_token_curve(
    tokens: Iterable[str], num_points: int = DEFAULT_CURVE_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Number of distinct types after n tokens, at ``num_points`` log-spaced n. Notebook 05.

    Returns ``(num_tokens, num_types)`` as integer arrays; the last point is the whole
    stream. Reads the stream once (it is kept in memory to place the points).
    """
    words = _check_tokens(tokens)
    if num_points < 2:
        raise ValueError(f"num_points must be at least 2, got {num_points}.")
    if not words:
        raise ValueError("no tokens: the type/token curve needs at least one token.")
    checkpoints = np.unique(np.geomspace(1, len(words), num_points).round().astype(np.int64))
    seen: set[str] = set()
    num_types = np.empty_like(checkpoints)
    position = 0
    for point, checkpoint in enumerate(checkpoints):
        seen.update(words[position:checkpoint])
        position = checkpoint
        num_types[point] = len(seen)
    return checkpoints, num_types


def fit_heaps_law(
    num_tokens: Sequence[int] | np.ndarray,
    num_types: Sequence[int] | np.ndarray,
    min_tokens: int = HEAPS_MIN_TOKENS,
) -> tuple[float, float]:
    """Fit Heaps' law V = K n^beta by least squares on log V = log K + beta log n.

    Only points with ``n >= min_tokens`` are used. Returns ``(K, beta)``. Notebook 05.
    """
    n = np.asarray(num_tokens, dtype=np.float64)
    v = np.asarray(num_types, dtype=np.float64)
    if n.shape != v.shape or n.ndim != 1:
        raise ValueError(
            f"num_tokens and num_types must be 1-D and equally long, got {n.shape} and {v.shape}."
        )
    if np.any(n < 1) or np.any(v < 1):
        raise ValueError("token and type counts must be positive to take logarithms.")
    used = n >= min_tokens
    if np.unique(n[used]).size < 2:
        raise ValueError(
            f"need at least two distinct points with n >= {min_tokens} tokens to fit Heaps' "
            "law; pass a longer token stream or a smaller min_tokens."
        )
    beta, log_k = np.polyfit(np.log(n[used]), np.log(v[used]), deg=1)
    return float(np.exp(log_k)), float(beta)


def heaps_law_fit(
    token_stream: Iterable[str],
    num_points: int = DEFAULT_CURVE_POINTS,
    min_tokens: int = HEAPS_MIN_TOKENS,
) -> tuple[float, float]:
    """``(K, beta)`` of Heaps' law V = K n^beta for a token stream (beta < 1 for text).

    Fits the log-spaced :func:`type_token_curve` from ``min_tokens`` on. Notebook 05.
    """
    num_tokens, num_types = type_token_curve(token_stream, num_points)
    return fit_heaps_law(num_tokens, num_types, min_tokens)


def oov_rate(vocabulary: Iterable[str], tokens: Iterable[str]) -> float:
    """Share of ``tokens`` not in ``vocabulary`` (test tokens vs training types). Notebook 05.

    ``tokens`` is read once as a stream, so it may be a generator over a whole corpus.
    """
    known = (
        vocabulary if isinstance(vocabulary, (set, frozenset)) else set(_iter_tokens(vocabulary))
    )
    total = unknown = 0
    for word in _iter_tokens(tokens):  # streamed: a corpus-sized token stream is never stored
        total += 1
        unknown += word not in known
    if not total:
        raise ValueError("no tokens: the OOV rate needs at least one token.")
    return unknown / total
