"""Checks of notebook 12: a right answer passes, plausible mistakes (the unrefactored
original among them) fail with the hint that names them, and a stub is reported as not
solved yet.

The answers of exercise 1 are source text run by ``craft.define`` (so the check can read
their source, as in a notebook cell, and so the linter never sees the smelly ones)."""

from __future__ import annotations

import pytest
from exercise_cases import exercise_tests

from course_utils import craft
from course_utils.exercises import nb12_python_craft

CONSTANTS = """\
import re

MIN_TOKEN_LENGTH = 3
MAX_TITLE_TOKENS = 20
MAX_BODY_TOKENS = 200
"""
#: The reference refactor: a loop over the two fields with their limits.
LOOP = (
    CONSTANTS
    + '''

def preprocess(reviews):
    """Tokens of each complete review: title then body, lower-cased, without HTML."""
    tokenized = []
    for review in reviews:
        try:
            fields = ((review["title"], MAX_TITLE_TOKENS), (review["body"], MAX_BODY_TOKENS))
        except KeyError:  # an incomplete review: skip it
            continue
        tokens = []
        for text, limit in fields:
            text = re.sub(r"<[^>]+>", " ", text.lower())
            text = re.sub(r"[^a-z0-9']+", " ", text)
            tokens += [t for t in text.split() if len(t) >= MIN_TOKEN_LENGTH][:limit]
        tokenized.append(tokens)
    return tokenized
'''
)
#: Another right refactor: a helper function, and a test for the keys instead of a try.
HELPER = (
    CONSTANTS
    + '''

def field_tokens(text, limit):
    """Lower-cased tokens of one field, without HTML, at most limit."""
    text = re.sub(r"<[^>]+>", " ", text.lower())
    text = re.sub(r"[^a-z0-9']+", " ", text)
    return [t for t in text.split() if len(t) >= MIN_TOKEN_LENGTH][:limit]


def preprocess(reviews):
    """Title and body tokens of each review that has both."""
    return [
        field_tokens(review["title"], MAX_TITLE_TOKENS)
        + field_tokens(review["body"], MAX_BODY_TOKENS)
        for review in reviews
        if "title" in review and "body" in review
    ]
'''
)
#: Every smell fixed but the duplicated block.
DUPLICATED = (
    CONSTANTS
    + '''

def preprocess(reviews):
    """Tokens of each complete review."""
    result = []
    for review in reviews:
        if "title" not in review or "body" not in review:
            continue
        title = re.sub(r"<[^>]+>", " ", review["title"].lower())
        title = re.sub(r"[^a-z0-9']+", " ", title)
        body = re.sub(r"<[^>]+>", " ", review["body"].lower())
        body = re.sub(r"[^a-z0-9']+", " ", body)
        title_tokens = [t for t in title.split() if len(t) >= MIN_TOKEN_LENGTH]
        body_tokens = [t for t in body.split() if len(t) >= MIN_TOKEN_LENGTH]
        result.append(title_tokens[:MAX_TITLE_TOKENS] + body_tokens[:MAX_BODY_TOKENS])
    return result
'''
)
SKIP_MISSING = """        except KeyError:  # an incomplete review: skip it
            continue
"""


def _variant(source: str, old: str = "", new: str = "") -> object:
    """The ``preprocess`` of ``source`` with ``old`` replaced by ``new`` (once)."""
    assert not old or source.count(old) == 1, old
    return craft.define(source.replace(old, new), "preprocess")


RENAMES = {
    "maxTokens": "MAX_TOKENS",
    "review_tokenizer": "ReviewTokenizer",
    "StopWords": "STOP_WORDS",
    "this": "self",
    "KeepNumbers": "keep_numbers",
    "Cache": "_cache",
    "FromConfig": "from_config",
    "Klass": "cls",
    "Config": "config",
    "Tokenize": "tokenize",
    "Text": "text",
    "Pattern": "pattern",
    "Words": "words",
}


def _renames(**changes: str) -> object:
    return lambda: {**RENAMES, **changes}


RIGHT = {
    "check_refactor_preprocess": _variant(LOOP),
    "check_pep8_names": lambda: dict(RENAMES),
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_refactor_preprocess": [
        (craft.define(craft.SMELLY_PREPROCESS, "preprocess"), "must raise, not vanish"),
        (_variant(LOOP, "except KeyError:", "except Exception:"), "catches every error"),
        (
            _variant(LOOP, SKIP_MISSING, SKIP_MISSING + "        except:\n            raise\n"),
            "catches every error",
        ),
        (_variant(LOOP, "len(t) >= MIN_TOKEN_LENGTH", "len(t) > 2"), "magic number"),
        (_variant(LOOP.replace("MIN_TOKEN_LENGTH", "SHORTEST")), "never reads MIN_TOKEN_LENGTH"),
        (_variant(DUPLICATED), "not the only step written twice"),
        (
            _variant(
                LOOP,
                "        tokenized.append(tokens)\n",
                "        tokenized.append(tokens)\n        # tokens = sorted(tokens)\n",
            ),
            "dead code",
        ),
        (
            _variant(
                LOOP, "    tokenized = []\n", "    tokenized = []\n    n_reviews = len(reviews)\n"
            ),
            "dead code",
        ),
        (
            _variant(
                LOOP, "    return tokenized\n", "    return tokenized\n    print(tokenized)\n"
            ),
            "dead code",
        ),
        (
            _variant(
                LOOP,
                '    """Tokens of each complete review: title then body, lower-cased, '
                'without HTML."""\n',
            ),
            "docstring",
        ),
        (
            _variant(LOOP, "for text, limit in fields:", "for text, limit in reversed(fields):"),
            "never what it returns",
        ),
        (
            _variant(LOOP, "len(t) >= MIN_TOKEN_LENGTH", "len(t) > MIN_TOKEN_LENGTH"),
            "shorter than MIN_TOKEN_LENGTH go",
        ),
        (
            _variant(
                LOOP,
                '(review["title"], MAX_TITLE_TOKENS), (review["body"], MAX_BODY_TOKENS)',
                '(review["title"], MAX_BODY_TOKENS), (review["body"], MAX_TITLE_TOKENS)',
            ),
            "at most MAX_TITLE_TOKENS",
        ),
        (_variant(LOOP, "except KeyError:", "except TypeError:"), "KeyError"),
        (
            _variant(LOOP, "tokenized.append(tokens)", "tokenized.extend(tokens)"),
            "one list of tokens",
        ),
    ],
    "check_pep8_names": [
        (lambda: {}, "UPPER_SNAKE_CASE"),
        (_renames(Cache="cache"), "private"),
        (_renames(Klass="self"), "first argument of a classmethod"),
        (_renames(this="me"), "first argument of a method"),
        (_renames(maxTokens="MAX_LEN"), "keep the words"),
        (_renames(get="GET"), "not a name that the class's code defines"),
        (_renames(maxTokens="MAX-TOKENS"), "not a valid Python name"),
        (_renames(review_tokenizer="Review_Tokenizer"), "PascalCase"),
        (_renames(FromConfig="fromConfig"), "lower_snake_case"),
        (_renames(Cache="_Cache"), "lower_snake_case"),
        (lambda: list(RENAMES.items()), "return a dict"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)


def test_a_helper_function_and_key_tests_pass_too(exercise_asserts):
    exercise_asserts.passes("check_refactor_preprocess", _variant(HELPER))


@pytest.mark.parametrize(("field", "limit"), [("title", 20), ("body", 200)])
def test_held_out_reviews_reach_each_limit_and_miss_each_field(field, limit):
    reviews = nb12_python_craft.held_out_reviews()
    original = craft.define(craft.SMELLY_PREPROCESS, "preprocess")
    other = "body" if field == "title" else "title"
    kept = [
        len(original([{field: review[field], other: ""}])[0])
        for review in reviews
        if field in review
    ]
    assert max(kept) == limit, "some reviews are longer than the limit"
    assert any(field not in review for review in reviews), "some reviews lack the field"


def test_a_rename_that_breaks_the_class_is_caught(monkeypatch, exercise_asserts):
    """The last guard: the renamed class must still tokenize like the original."""
    rename = craft.apply_renames
    broken = craft.BADLY_NAMED_TOKENIZER.replace("[:maxTokens]", "[:1]")
    monkeypatch.setattr(craft, "apply_renames", lambda _, renames: rename(broken, renames))
    exercise_asserts.fails_with_hint("check_pep8_names", lambda: dict(RENAMES), "no longer")
