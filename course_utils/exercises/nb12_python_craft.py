"""Checks for notebook 12 (the appendix on Python craft): a refactored preprocessing
function, and PEP 8 names for a small class.

Both checks first run the learner's code against the original's behaviour, then read it
with ``ast`` (the analyses of :mod:`course_utils.craft`), since what a refactor or a
rename must change is the code's shape, never what it does.
"""

from __future__ import annotations

import ast
import copy
import inspect
import keyword
import random
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from course_utils import craft
from course_utils.exercises.core import CheckFailedError, exercise_check, learner_call, require

__all__ = ["check_pep8_names", "check_refactor_preprocess", "held_out_reviews"]

Review = dict[str, Any]
CHECK_SEED = 12
HELD_OUT_REVIEWS = 60
#: The named constants exercise 1 gives, which the refactored function must use.
CONSTANT_NAMES = ("MIN_TOKEN_LENGTH", "MAX_TITLE_TOKENS", "MAX_BODY_TOKENS")
#: What held-out reviews are made of: short words, HTML, numbers, capitals, punctuation.
VOCABULARY = (
    "a", "an", "it", "is", "it's", "don't", "film", "movie", "plot", "acting", "great",
    "BORING", "Funny!", "(sort", "of)", "90", "minutes", "5/10", "x", "ok", "cast,", "the",
    "<b>", "</b>", "<br/>", "<i>loved</i>", "well-made", "...", "too", "long", "fun",
)  # fmt: skip
TITLE_WORDS, BODY_WORDS = (0, 40), (0, 420)
#: Share of held-out reviews with the title or the body missing (the original skips them).
MISSING_SHARE = 0.15
#: Reviews whose field is not text: a bug upstream, which the original's ``except:`` hid.
BROKEN_REVIEWS = ({"title": "fine", "body": None}, {"title": 42, "body": "a good film"})
#: What calling ``.lower()`` or ``re.sub`` on something that is not text raises (or a
#: ValueError, if the learner checks the type and says so).
SURFACED_ERRORS = (AttributeError, TypeError, ValueError)
MISSING_FIELDS = ("title", "body")
HINT_TOKENS = 6
#: The renamed tokenizer is run on these (with and without numbers kept).
TOKENIZER_TEXTS = (
    "The cast of the film is great, and it runs 90 minutes.",
    "An odd, funny and moving film of the year 2002 or so; the end drags.",
    "",
)
TOKENIZER_CONFIGS = ({"keep_numbers": True}, {})
#: Names in the class that PEP 8 fixes by another word rather than another spelling.
FIRST_ARGUMENTS = {"this": craft.SELF, "Klass": craft.CLS}
PRIVATE_NAME = "Cache"
CLASS_NAME, FACTORY_NAME, METHOD_NAME = "review_tokenizer", "FromConfig", "Tokenize"


# ---------------------------------------------------------------------------
# Exercise 1: refactor the preprocessing function
# ---------------------------------------------------------------------------


def _text(rng: random.Random, bounds: tuple[int, int]) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(*bounds)))


def held_out_reviews(seed: int = CHECK_SEED, n: int = HELD_OUT_REVIEWS) -> list[Review]:
    """Scraped reviews the learner has not seen: long and short titles and bodies (longer
    than the limits), HTML, numbers, capitals, and some with a field missing."""
    rng = random.Random(seed)
    reviews: list[Review] = [{"title": "", "body": ""}]
    reviews += [{field: "a film"} for field in MISSING_FIELDS]
    for _ in range(n - len(reviews)):
        review: Review = {
            "title": _text(rng, TITLE_WORDS),
            "body": _text(rng, BODY_WORDS),
            "stars": rng.randint(1, 5),
        }
        if rng.random() < MISSING_SHARE:
            del review[rng.choice(MISSING_FIELDS)]
        reviews.append(review)
    return reviews


def _short(review: Review) -> str:
    return repr({key: textwrap.shorten(str(value), 40) for key, value in review.items()})


def _call(preprocess: Callable[[list[Review]], Any], reviews: list[Review]) -> Any:
    """Run the learner's function on a copy; a KeyError gets the hint it deserves."""
    try:
        return learner_call(preprocess, copy.deepcopy(reviews))
    except CheckFailedError as failure:
        if isinstance(failure.__cause__, KeyError):
            raise CheckFailedError(
                f"your code raised KeyError {failure.__cause__} on a review without that "
                "field. The original skips such a review: catch the KeyError (that error "
                "only), or test for the field first, and go on with the next review."
            ) from failure
        raise


def _mismatch_hint(review: Review, got: Any, expected: list[list[str]]) -> str:
    if not expected:
        return (
            f"the original skips the review {_short(review)} (a field is missing), but you "
            f"returned {textwrap.shorten(repr(got), 80)}."
        )
    if not isinstance(got, list) or len(got) != 1 or not isinstance(got[0], list):
        return (
            f"for one review, {_short(review)}, return a list holding one list of tokens, "
            f"as the original does; you returned {textwrap.shorten(repr(got), 80)}."
        )
    mine, theirs = got[0], expected[0]
    if len(mine) != len(theirs):
        return (
            f"you keep {len(mine)} tokens of {_short(review)}, the original {len(theirs)}: "
            "tokens shorter than MIN_TOKEN_LENGTH go, and a title keeps at most "
            "MAX_TITLE_TOKENS tokens, a body at most MAX_BODY_TOKENS."
        )
    return (
        f"for the review {_short(review)} the original returns {len(theirs)} tokens "
        f"starting {theirs[:HINT_TOKENS]}, yours {len(mine)} starting {mine[:HINT_TOKENS]}. "
        "A refactor changes how the code reads, never what it returns."
    )


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


def _sources(function: Callable[..., Any]) -> str:
    """The source of ``function`` and of every function of the same module it calls."""
    parts, queue, seen = [], [function], set()
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        try:
            parts.append(textwrap.dedent(inspect.getsource(current)))
        except (OSError, TypeError) as error:
            raise CheckFailedError(
                f"cannot read the source of `{getattr(current, '__name__', current)}`: define "
                "it with `def` in a notebook cell."
            ) from error
        for name in _code_names(current.__code__):
            helper = current.__globals__.get(name)
            if inspect.isfunction(helper) and helper.__module__ == function.__module__:
                queue.append(helper)
    return "\n\n".join(parts)


def _line(source: str, number: int) -> str:
    return source.splitlines()[number - 1].strip()


def _check_behaviour(preprocess: Callable[[list[Review]], Any]) -> None:
    original = craft.define(craft.SMELLY_PREPROCESS, "preprocess")
    reviews = held_out_reviews()
    for review in reviews:
        got, expected = _call(preprocess, [review]), original([review])
        require(got == expected, _mismatch_hint(review, got, expected))
    require(
        _call(preprocess, reviews) == original(reviews),
        "each review on its own comes out right, but not the whole list at once: does your "
        "function keep something from one call or one review to the next?",
    )
    for broken in BROKEN_REVIEWS:
        try:
            result = preprocess([dict(broken)])
        except SURFACED_ERRORS:
            continue  # the bug surfaces, as it should
        require(
            False,
            f"preprocess([{broken!r}]) returned {result!r}: a field that is not text is a bug "
            "in the scraper, and it must raise, not vanish. The original's `except:` hid it; "
            "catch only the error you expect (KeyError, for a missing field).",
        )


def _check_shape(preprocess: Callable[[list[Review]], Any]) -> None:
    source = _sources(preprocess)
    tree = ast.parse(source)
    for line, what in craft.broad_excepts(tree):
        require(
            False,
            f"`{_line(source, line)}`: {what}, so a bug disappears with its review. Catch "
            "only the KeyError of a missing field.",
        )
    for line, value in craft.magic_numbers(tree):
        require(
            False,
            f"{value!r} in `{_line(source, line)}` is a magic number: use the named constants "
            "defined above the function.",
        )
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    missing = [name for name in CONSTANT_NAMES if name not in used]
    require(not missing, f"use the named constants: your code never reads {', '.join(missing)}.")
    for line, earlier in craft.duplicated_blocks(tree):
        require(
            False,
            f"`{_line(source, line)}` repeats `{_line(source, earlier)}` (only the variable "
            "names differ), and it is not the only step written twice. Write the steps once: "
            "in a helper function, or in a loop over the title and the body with their limits.",
        )
    dead = [_line(source, line) for line, _ in craft.commented_out_code(source)]
    dead += [f"{name} = ..." for _, name in craft.unused_variables(tree)]
    dead += [_line(source, line) for line in craft.unreachable_statements(tree)]
    require(
        not dead,
        f"dead code is left: `{dead[0] if dead else ''}` (never run, or never read). Delete "
        "it; version control remembers old code.",
    )
    definition = tree.body[0]
    require(
        ast.get_docstring(definition) is not None,
        f"say in a docstring what `{preprocess.__name__}` does and why (the original had none: "
        "too little explanation is a smell too).",
    )


@exercise_check(
    "refactor_preprocess",
    "Same output on held-out reviews; one copy of each step, named constants, and a bug "
    "upstream now raises instead of vanishing.",
)
def check_refactor_preprocess(preprocess: Callable[[list[Review]], Any]) -> None:
    """The learner's ``preprocess(reviews)`` returns what the smelly original returns on
    held-out reviews, lets a field that is not text raise, and, read with ``ast``, has no
    swallowed exception, magic number, duplicated block or dead code, uses the named
    constants and has a docstring. Notebook 12, exercise 1."""
    _check_behaviour(preprocess)
    _check_shape(preprocess)


# ---------------------------------------------------------------------------
# Exercise 2: PEP 8 names
# ---------------------------------------------------------------------------


def _check_renames(renames: Mapping[str, str]) -> None:
    known = craft.defined_names(craft.BADLY_NAMED_TOKENIZER)
    for old, new in renames.items():
        require(
            old in known,
            f"{old!r} is not a name that the class's code defines: rename only its own names "
            "(not those of Python or of other modules), each exactly as it is written there.",
        )
        require(
            new.isidentifier() and not keyword.iskeyword(new),
            f"{new!r} (for `{old}`) is not a valid Python name.",
        )
        if old in FIRST_ARGUMENTS:
            continue
        words = craft.split_words(old)
        require(
            craft.split_words(new) == words,
            f"keep the words of `{old}` ({', '.join(words)}) and change only how they are "
            f"written; `{new}` has other words.",
        )


def _problem_hint(problem: craft.NamingProblem, renames: Mapping[str, str]) -> str:
    olds = [old for old, new in renames.items() if new == problem.name]
    named = f"`{olds[0]}` (now `{problem.name}`)" if len(olds) == 1 else f"`{problem.name}`"
    if problem.kind == "first argument":
        method = "classmethod" if problem.expected == f"`{craft.CLS}`" else "method"
        return (
            f"{named} is the first argument of a {method}, which PEP 8 calls "
            f"{problem.expected} (`{craft.SELF}` in a method, `{craft.CLS}` in a classmethod): "
            "every Python reader expects these two names."
        )
    rule = craft.STYLE_RULES[problem.expected]
    article = "an" if problem.kind[0] in "aeiou" else "a"
    return (
        f"{named} is {article} {problem.kind}, and PEP 8 writes {article} {problem.kind} in "
        f"{problem.expected}: {rule}."
    )


def _check_behaviour_kept(renames: Mapping[str, str], source: str) -> None:
    def new(name: str) -> str:
        return renames.get(name, name)

    original = craft.define(craft.BADLY_NAMED_TOKENIZER, CLASS_NAME)
    renamed = craft.define(source, new(CLASS_NAME))
    for config in TOKENIZER_CONFIGS:
        mine = learner_call(getattr(renamed, new(FACTORY_NAME)), dict(config))
        theirs = getattr(original, FACTORY_NAME)(dict(config))
        for text in TOKENIZER_TEXTS:
            require(
                learner_call(getattr(mine, new(METHOD_NAME)), text)
                == getattr(theirs, METHOD_NAME)(text),
                "the renamed class no longer tokenizes like the original: a rename must not "
                "change what the code does.",
            )


@exercise_check(
    "pep8_names",
    "Every name now says what it is: a class, a constant, a method, a private attribute.",
)
def check_pep8_names(pep8_renames: Callable[[], Mapping[str, str]]) -> None:
    """The learner's ``pep8_renames()`` maps old names of the badly named tokenizer to new
    ones; renamed everywhere (read and rewritten with ``ast``), every name follows PEP 8,
    keeps its words, the internal cache is private and the class works as before.
    Notebook 12, exercise 2."""
    renames = learner_call(pep8_renames)
    require(
        isinstance(renames, Mapping)
        and all(isinstance(key, str) and isinstance(value, str) for key, value in renames.items()),
        f"return a dict {{old name: new name}} of strings, got {type(renames).__name__}.",
    )
    _check_renames(renames)
    source = craft.apply_renames(craft.BADLY_NAMED_TOKENIZER, renames)
    problems = craft.naming_problems(source)
    require(not problems, _problem_hint(problems[0], renames) if problems else "")
    require(
        renames.get(PRIVATE_NAME, PRIVATE_NAME).startswith("_"),
        f"`{PRIVATE_NAME}` is used only inside the class (its comment says so): a leading "
        "underscore marks a private attribute.",
    )
    _check_behaviour_kept(renames, source)
