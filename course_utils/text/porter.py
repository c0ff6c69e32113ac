"""The Porter stemmer, written out step by step as in Porter (1980), "An algorithm for suffix
stripping", with every rule table as data so a learner can read it beside the paper, and
checked against Porter's reference vocabulary. Notebook 05.

Tokenization is the course's own :func:`course_utils.data.tokenize_words`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from course_utils.data import ensure_nltk

if TYPE_CHECKING:
    pass

__all__ = [
    "CVC_EXCLUDED_FINALS",
    "DOUBLE_NOT_L_S_Z",
    "ED_RULE",
    "HAS_VOWEL",
    "ING_RULE",
    "LATER_STEPS",
    "M_EQ_1_AND_CVC",
    "M_EQ_1_AND_NOT_CVC",
    "M_GT_0",
    "M_GT_1",
    "M_GT_1_AND_S_OR_T",
    "M_GT_1_DOUBLE_L",
    "PORTER_REFERENCE_FILES",
    "PORTER_VOCABULARY_FILE",
    "SINGLE_LETTER",
    "STEP_1A",
    "STEP_1B",
    "STEP_1B_CLEANUP",
    "STEP_1C",
    "STEP_2",
    "STEP_3",
    "STEP_4",
    "STEP_5A",
    "STEP_5B",
    "VOWELS",
    "Condition",
    "Rule",
    "StemmerAgreement",
    "StepTrace",
    "apply_rules",
    "consonant_vowel_pattern",
    "contains_vowel",
    "ends_cvc",
    "ends_double_consonant",
    "load_porter_reference",
    "measure",
    "porter_stem",
    "porter_trace",
    "stemmer_agreement",
    "step_1a",
    "step_1b",
    "step_1b_cleanup",
    "step_1c",
    "step_2",
    "step_3",
    "step_4",
    "step_5a",
    "step_5b",
]


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
