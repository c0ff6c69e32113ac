"""course_utils.craft: each smell and naming analysis finds what it should in small sources
and nothing in clean ones; the exercise sources run; renames reach every occurrence."""

from __future__ import annotations

import ast
import inspect

import pytest

from course_utils import craft

CLEAN = '''
import re

LIMIT = 20


def tokens(text, limit=LIMIT):
    """Lower-cased words of text, at most limit."""
    if not text:
        return []
    return re.findall(r"[a-z]+", text.lower())[:limit]
'''


def _tree(source: str) -> ast.Module:
    return ast.parse(source)


def test_the_smelly_original_has_every_smell_of_exercise_1():
    kinds = {smell.kind for smell in craft.smell_report(craft.SMELLY_PREPROCESS)}
    assert kinds == {
        "duplicated block",
        "magic number",
        "swallowed exception",
        "dead code",
        "too little explanation",
    }
    tree = _tree(craft.SMELLY_PREPROCESS)
    assert [value for _, value in craft.magic_numbers(tree)] == [2, 20, 2, 200]
    assert [name for _, name in craft.unused_variables(tree)] == ["n_reviews"]
    lines = craft.SMELLY_PREPROCESS.splitlines()
    repeated = [
        (lines[a - 1].strip(), lines[b - 1].strip()) for a, b in craft.duplicated_blocks(tree)
    ]
    assert [(a.split(" = ")[0], b.split(" = ")[0]) for a, b in repeated] == [
        ("body", "title"),
        ("body", "title"),
    ]
    ((line, _),) = craft.commented_out_code(craft.SMELLY_PREPROCESS)
    assert "stemmer.stem" in lines[line - 1]


def test_clean_code_has_no_smell():
    assert craft.smell_report(CLEAN) == []
    assert craft.naming_problems(CLEAN) == []


@pytest.mark.parametrize(
    ("handler", "swallows"),
    [
        ("except:\n    pass", True),
        ("except Exception:\n    x = None", True),
        ("except (ValueError, BaseException):\n    pass", True),
        ("except Exception as error:\n    raise RuntimeError('context') from error", False),
        ("except KeyError:\n    pass", False),
    ],
)
def test_broad_excepts_are_those_that_swallow_everything(handler, swallows):
    source = f"try:\n    x = f()\n{handler}\n"
    assert bool(craft.broad_excepts(_tree(source))) is swallows


def test_magic_numbers_only_inside_functions_and_not_0_or_1():
    source = (
        "LIMIT = 200\n\ndef f(x, y=7):\n    return x[:LIMIT] + x[0] * 1 - x[-1] + 2.5 + True\n"
    )
    assert craft.magic_numbers(_tree(source)) == [(3, 7), (4, 2.5)]


def test_duplicated_blocks_ignore_variable_names_but_not_constants_or_callees():
    twice = "a = f(x)\nb = g(a)\nc = f(y)\nd = g(c)\n"
    assert craft.duplicated_blocks(ast.parse(twice)) == [(3, 1), (4, 2)]
    interleaved = "a = f(x)\nc = f(y)\nb = g(a)\nd = g(c)\n"
    assert craft.duplicated_blocks(ast.parse(interleaved)) == [(2, 1), (4, 3)]
    other_constant = "a = f(x, 1)\nb = g(a)\nc = f(y, 2)\nd = g(c)\n"
    assert craft.duplicated_blocks(ast.parse(other_constant)) == []
    one_step_repeated = "a = f(x)\nb = f(y)\nc = f(z)\n"
    assert craft.duplicated_blocks(ast.parse(one_step_repeated)) == []
    other_callees = "a = f(x)\nb = g(a)\nc = h(y)\nd = k(c)\n"
    assert craft.duplicated_blocks(ast.parse(other_callees)) == []


def test_commented_out_code_is_code_not_prose():
    source = (
        "x = 1  # the first value\n"
        "# print(x)\n"
        "# y = x + 1\n"
        "# fmt: skip\n"
        "# title and body\n"
        "# import os\n"
    )
    assert [line for line, _ in craft.commented_out_code(source)] == [2, 3, 6]


def test_unused_variables_and_unreachable_statements():
    source = (
        "def f(items):\n"
        "    count = 0\n"
        "    _ignored = 1\n"
        "    for item in items:\n"
        "        count += item\n"
        "    return items\n"
        "    print('never')\n"
    )
    tree = _tree(source)
    assert craft.unused_variables(tree) == [(2, "count")]
    assert craft.unreachable_statements(tree) == [7]


@pytest.mark.parametrize(
    ("name", "style", "words"),
    [
        ("word_count", craft.SNAKE_STYLE, ["word", "count"]),
        ("_cache", craft.SNAKE_STYLE, ["cache"]),
        ("MAX_LENGTH", craft.CONSTANT_STYLE, ["max", "length"]),
        ("WordPieceTokenizer", craft.CLASS_STYLE, ["word", "piece", "tokenizer"]),
        ("HTTPServer", craft.CLASS_STYLE, ["http", "server"]),
        ("maxTokens", craft.CAMEL_STYLE, ["max", "tokens"]),
        ("Review_tokenizer", craft.MIXED_STYLE, ["review", "tokenizer"]),
        ("sha256", craft.SNAKE_STYLE, ["sha", "256"]),
    ],
)
def test_name_styles_and_words(name, style, words):
    assert craft.name_style(name) == style
    assert craft.split_words(name) == words


def test_every_bad_name_of_exercise_2_is_found_by_kind():
    found = {(p.name, p.kind) for p in craft.naming_problems(craft.BADLY_NAMED_TOKENIZER)}
    assert found == {
        ("maxTokens", "constant"),
        ("review_tokenizer", "class"),
        ("StopWords", "constant"),
        ("this", "first argument"),
        ("KeepNumbers", "argument"),
        ("KeepNumbers", "attribute"),
        ("Cache", "attribute"),
        ("FromConfig", "method"),
        ("Klass", "first argument"),
        ("Config", "argument"),
        ("Tokenize", "method"),
        ("Text", "argument"),
        ("Pattern", "variable"),
        ("Words", "variable"),
    }


def test_renames_reach_every_occurrence_and_refuse_invalid_names():
    source = "class a_b:\n    def f(self, Old=1):\n        self.Old = Old\n\nx = a_b(Old=2)\n"
    renamed = craft.apply_renames(source, {"a_b": "AB", "Old": "old"})
    assert "a_b" not in renamed and "Old" not in renamed
    assert craft.defined_names(renamed) == {"AB", "f", "self", "old", "x"}
    with pytest.raises(ValueError, match="valid Python name"):
        craft.apply_renames(source, {"Old": "class"})


def test_define_runs_the_examples_and_keeps_their_source_readable():
    preprocess = craft.define(craft.SMELLY_PREPROCESS, "preprocess")
    reviews = [{"title": "<b>Great</b> fun", "body": "A film of 90 minutes"}, {"title": "x"}]
    assert preprocess(reviews) == [["great", "fun", "film", "minutes"]]
    assert inspect.getsource(preprocess).startswith("def preprocess(reviews):")
    tokenizer = craft.define(craft.BADLY_NAMED_TOKENIZER, "review_tokenizer")
    assert tokenizer.FromConfig({}).Tokenize("The film ran 90 minutes") == [
        "film",
        "ran",
        "minutes",
    ]
    with pytest.raises(ValueError, match="defines no"):
        craft.define("x = 1\n", "y")
