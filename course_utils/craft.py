"""Python craft, the appendix (notebook 12): code smells and PEP 8 names, found with ``ast``.

Learners write code in every exercise of the course. Notebook 12 shows them how to write
it well, and this module gives it two things:

- the examples it refactors, kept as **source text** (:data:`SMELLY_PREPROCESS`,
  :data:`BADLY_NAMED_TOKENIZER`), so that deliberately bad code is shown and run but is
  never part of the package that the linter checks;
- the ``ast`` analyses that its exercise checks and its explorer use: duplicated blocks,
  magic numbers, swallowed exceptions, dead code (commented-out code, variables never
  read, statements that cannot run), and names that break PEP 8's naming conventions.

The analyses are small and readable on purpose; real projects use ruff or pylint, which
notebook 12 runs too.
"""

from __future__ import annotations

import ast
import copy
import io
import itertools
import keyword
import linecache
import re
import textwrap
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "BADLY_NAMED_TOKENIZER",
    "CAMEL_STYLE",
    "CLASS_STYLE",
    "CLS",
    "CONSTANT_STYLE",
    "KIND_STYLES",
    "MIXED_STYLE",
    "SELF",
    "SMELLY_PREPROCESS",
    "SNAKE_STYLE",
    "STYLE_RULES",
    "NamingProblem",
    "Smell",
    "apply_renames",
    "broad_excepts",
    "commented_out_code",
    "define",
    "defined_names",
    "duplicated_blocks",
    "magic_numbers",
    "missing_docstrings",
    "name_style",
    "naming_problems",
    "smell_report",
    "split_words",
    "unreachable_statements",
    "unused_variables",
]

#: Exercise 1 of notebook 12: a function from a realistic preprocessing script, with a
#: duplicated block, magic numbers, a swallowed exception and dead code.
SMELLY_PREPROCESS = """\
import re


def preprocess(reviews):
    result = []
    n_reviews = len(reviews)
    for review in reviews:
        try:
            title = review["title"].lower()
            title = re.sub(r"<[^>]+>", " ", title)
            title = re.sub(r"[^a-z0-9']+", " ", title)
            title_tokens = [t for t in title.split() if len(t) > 2][:20]
            body = review["body"].lower()
            body = re.sub(r"<[^>]+>", " ", body)
            body = re.sub(r"[^a-z0-9']+", " ", body)
            body_tokens = [t for t in body.split() if len(t) > 2][:200]
            # body_tokens = [stemmer.stem(t) for t in body_tokens]
            result.append(title_tokens + body_tokens)
        except:
            pass
    return result
"""

#: Exercise 2 of notebook 12: a small class whose names break PEP 8 (the code itself works).
BADLY_NAMED_TOKENIZER = '''\
import re

maxTokens = 12


class review_tokenizer:
    """Split a review into lower-cased words, without stop words, at most a fixed number."""

    StopWords = frozenset({"a", "an", "and", "of", "or", "the"})

    def __init__(this, KeepNumbers=False):
        this.KeepNumbers = KeepNumbers
        this.Cache = {}  # text -> tokens, used only inside the class

    @classmethod
    def FromConfig(Klass, Config):
        return Klass(KeepNumbers=Config.get("keep_numbers", False))

    def Tokenize(this, Text):
        if Text not in this.Cache:
            Pattern = r"[a-z0-9']+" if this.KeepNumbers else r"[a-z']+"
            Words = re.findall(Pattern, Text.lower())
            this.Cache[Text] = [w for w in Words if w not in this.StopWords][:maxTokens]
        return this.Cache[Text]
'''

# ---------------------------------------------------------------------------
# Running example source text
# ---------------------------------------------------------------------------

_defined = itertools.count(1)


def define(source: str, name: str) -> Any:
    """Execute ``source`` in a fresh namespace and return its object called ``name``.

    The source is registered with :mod:`linecache` under a made-up file name, so that
    ``inspect.getsource`` (and a traceback) can show it, as for a function defined in a
    notebook cell. Notebook 12 runs its examples this way.
    """
    filename = f"<course example {next(_defined)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"course_example_{name}"}
    exec(compile(source, filename, "exec"), namespace)
    if name not in namespace:
        raise ValueError(f"the source defines no {name!r}.")
    return namespace[name]


# ---------------------------------------------------------------------------
# Code smells
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Smell:
    """One code smell: its kind ("duplicated block", "magic number", ...), the line it is
    on, that line's code and what is wrong with it."""

    kind: str
    line: int
    detail: str
    code: str = ""

    def __str__(self) -> str:
        code = f" `{self.code}`" if self.code else ""
        return f"line {self.line}{code}\n    {self.kind}: {self.detail}"


#: Numbers that need no name: counting from 0, stepping by 1.
PLAIN_NUMBERS = frozenset({0, 1})
#: Exception classes so broad that catching them hides every bug.
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
#: How many different statements must repeat before they count as a duplicated block,
#: and how many AST nodes a statement needs to count (``x = []`` may well repeat).
DUPLICATE_STATEMENTS = 2
MIN_STATEMENT_NODES = 8
#: Statement lists inside a node (function and loop bodies, ``else`` and ``finally``).
BODY_FIELDS = ("body", "orelse", "finalbody")
#: What a comment must parse as to count as commented-out code (prose rarely does).
CODE_STATEMENTS = (
    ast.Assign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.Return,
    ast.Delete,
    ast.Raise,
)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _statement_lists(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(tree):
        for field in BODY_FIELDS:
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                yield statements


class _NamesErased(ast.NodeTransformer):
    """Replace every variable name by ``_`` (the name of a called function stays): steps
    that differ only in the variables they work on look alike."""

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(id="_", ctx=node.ctx), node)

    def visit_Call(self, node: ast.Call) -> ast.Call:
        node.args = [self.visit(arg) for arg in node.args]
        node.keywords = [self.visit(keyword) for keyword in node.keywords]
        if not isinstance(node.func, ast.Name):
            node.func = self.visit(node.func)
        return node


def _shape(statement: ast.stmt) -> str:
    return ast.dump(_NamesErased().visit(copy.deepcopy(statement)))


def duplicated_blocks(tree: ast.AST) -> list[tuple[int, int]]:
    """``(line, earlier line)`` for each statement that repeats an earlier one up to its
    variable names, when at least :data:`DUPLICATE_STATEMENTS` different statements
    repeat: the steps of a block written twice, even with the two copies interleaved.

    Only simple statements of :data:`MIN_STATEMENT_NODES` nodes or more count (``x = []``
    may well repeat). A loop or a function states such a block once. Notebook 12.
    """
    statements = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.stmt)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    first_line: dict[str, int] = {}
    repeats: list[tuple[int, int, str]] = []
    for statement in statements:
        if any(hasattr(statement, field) for field in BODY_FIELDS):
            continue  # a compound statement: its simple statements are compared instead
        if sum(1 for _ in ast.walk(statement)) < MIN_STATEMENT_NODES:
            continue
        shape = _shape(statement)
        if shape in first_line:
            repeats.append((statement.lineno, first_line[shape], shape))
        else:
            first_line[shape] = statement.lineno
    if len({shape for _, _, shape in repeats}) < DUPLICATE_STATEMENTS:
        return []
    return [(line, earlier) for line, earlier, _ in repeats]


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float | complex)
        and not isinstance(node.value, bool)
    )


def magic_numbers(tree: ast.AST) -> list[tuple[int, float]]:
    """``(line, value)`` of every number inside a function other than 0 and 1.

    Such a number says nothing about why it has its value; a named constant at the top
    of the module does. Notebook 12, exercise 1.
    """
    found = {
        (node.lineno, node.col_offset, node.value)
        for function in ast.walk(tree)
        if isinstance(function, (*FUNCTIONS, ast.Lambda))
        for node in ast.walk(function)
        if _is_number(node) and node.value not in PLAIN_NUMBERS
    }
    return [(line, value) for line, _, value in sorted(found)]


def _caught_names(handler: ast.ExceptHandler) -> list[str]:
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [node.id for node in caught if isinstance(node, ast.Name)]


def broad_excepts(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, what)`` of every handler that swallows errors: a bare ``except:``, or an
    ``except Exception`` that does not raise again. Notebook 12, exercise 1."""
    found = []
    for handler in ast.walk(tree):
        if not isinstance(handler, ast.ExceptHandler):
            continue
        if handler.type is None:
            found.append((handler.lineno, "a bare `except:` catches every error"))
            continue
        broad = BROAD_EXCEPTIONS.intersection(_caught_names(handler))
        raises = any(isinstance(node, ast.Raise) for node in ast.walk(handler))
        if broad and not raises:
            found.append((handler.lineno, f"`except {min(broad)}` catches every error"))
    return found


def _comments(source: str) -> Iterator[tuple[int, str]]:
    readline = io.StringIO(source).readline
    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string.lstrip("#").strip()


def _parses_as_code(text: str) -> bool:
    try:
        statements = ast.parse(text).body
    except SyntaxError:
        return False
    return len(statements) == 1 and (
        isinstance(statements[0], CODE_STATEMENTS)
        or (isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Call))
    )


def commented_out_code(source: str) -> list[tuple[int, str]]:
    """``(line, comment)`` of every comment that is a line of code (an assignment, a call,
    an import, ...): dead code that version control already remembers. Notebook 12."""
    return [(line, text) for line, text in _comments(source) if _parses_as_code(text)]


def _names(node: ast.AST, context: type[ast.expr_context]) -> Iterator[ast.Name]:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, context):
            yield child


def unused_variables(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, name)`` of every local variable that a function assigns but never reads
    (names starting with ``_`` say "unused on purpose"). Notebook 12."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, FUNCTIONS):
            continue
        read = {name.id for name in _names(function, ast.Load)}
        first_store: dict[str, int] = {}
        for name in _names(function, ast.Store):
            first_store.setdefault(name.id, name.lineno)
        found += [
            (line, name)
            for name, line in first_store.items()
            if name not in read and not name.startswith("_")
        ]
    return sorted(found)


def unreachable_statements(tree: ast.AST) -> list[int]:
    """First lines of statements that follow a ``return``, ``raise``, ``break`` or
    ``continue`` in the same block, so never run. Notebook 12."""
    jumps = (ast.Return, ast.Raise, ast.Break, ast.Continue)
    found = []
    for statements in _statement_lists(tree):
        for before, after in itertools.pairwise(statements):
            if isinstance(before, jumps):
                found.append(after.lineno)
                break
    return sorted(found)


def missing_docstrings(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, name)`` of every public function or class without a docstring: code with
    too little explanation. Notebook 12."""
    return [
        (node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, (*FUNCTIONS, ast.ClassDef))
        and not node.name.startswith("_")
        and ast.get_docstring(node) is None
    ]


def smell_report(source: str) -> list[Smell]:
    """Every smell the analyses of this module find in ``source``, by line. Notebook 12."""
    tree = ast.parse(textwrap.dedent(source))
    smells = [
        Smell("duplicated block", line, f"repeats line {earlier}, only the variable names differ")
        for line, earlier in duplicated_blocks(tree)
    ]
    by_line: dict[int, list[str]] = {}
    for line, value in magic_numbers(tree):
        by_line.setdefault(line, []).append(repr(value))
    smells += [
        Smell("magic number", line, f"{', '.join(values)}: what does each mean?")
        for line, values in by_line.items()
    ]
    smells += [Smell("swallowed exception", line, what) for line, what in broad_excepts(tree)]
    smells += [
        Smell("dead code", line, "a line of code kept as a comment")
        for line, _ in commented_out_code(source)
    ]
    smells += [
        Smell("dead code", line, f"`{name}` is assigned but never read")
        for line, name in unused_variables(tree)
    ]
    smells += [
        Smell("dead code", line, "cannot run (after a return, raise, break or continue)")
        for line in unreachable_statements(tree)
    ]
    smells += [
        Smell("too little explanation", line, f"`{name}` has no docstring")
        for line, name in missing_docstrings(tree)
    ]
    lines = textwrap.dedent(source).splitlines()
    return sorted(
        (replace(smell, code=lines[smell.line - 1].strip()) for smell in smells),
        key=lambda smell: (smell.line, smell.kind),
    )


# ---------------------------------------------------------------------------
# PEP 8 names
# ---------------------------------------------------------------------------

SNAKE_STYLE = "lower_snake_case"
CONSTANT_STYLE = "UPPER_SNAKE_CASE"
CLASS_STYLE = "PascalCase"
CAMEL_STYLE = "camelCase"
MIXED_STYLE = "none of the four"
STYLE_PATTERNS = (
    (SNAKE_STYLE, re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")),
    (CONSTANT_STYLE, re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")),
    (CLASS_STYLE, re.compile(r"[A-Z][a-zA-Z0-9]*")),
    (CAMEL_STYLE, re.compile(r"[a-z][a-zA-Z0-9]*")),
)
#: How each style is written, and an example of it (not taken from the exercises).
STYLE_RULES = {
    SNAKE_STYLE: "lower case, words joined by underscores, like `word_count`",
    CONSTANT_STYLE: "capitals, words joined by underscores, like `MAX_LENGTH`",
    CLASS_STYLE: "each word capitalised, no underscores, like `WordPieceTokenizer`",
    CAMEL_STYLE: "like PascalCase but starting lower case, like `wordCount` (not used by PEP 8)",
}
#: PEP 8's style for each kind of name (a module is lower case too, underscores allowed).
KIND_STYLES = {
    "module": SNAKE_STYLE,
    "class": CLASS_STYLE,
    "constant": CONSTANT_STYLE,
    "function": SNAKE_STYLE,
    "method": SNAKE_STYLE,
    "argument": SNAKE_STYLE,
    "variable": SNAKE_STYLE,
    "attribute": SNAKE_STYLE,
}
#: The first argument of a method, and of a classmethod.
SELF, CLS = "self", "cls"
WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: Calls whose result is still a constant when their arguments are.
CONSTANT_CALLS = frozenset({"frozenset", "tuple", "compile"})


def name_style(name: str) -> str:
    """Which of the four styles ``name`` is written in, leading underscores aside.

    One lower-case word is lower_snake_case and one capitalised word PascalCase; a name
    that fits none (``Review_tokenizer``) gets :data:`MIXED_STYLE`. Notebook 12.
    """
    core = name.strip("_")
    for style, pattern in STYLE_PATTERNS:
        if pattern.fullmatch(core):
            return style
    return MIXED_STYLE


def split_words(name: str) -> list[str]:
    """The words of a name in any style, lower-cased: ``maxTokens`` -> ``["max", "tokens"]``,
    ``HTTPServer`` -> ``["http", "server"]``. Renaming by PEP 8 keeps these. Notebook 12."""
    return [word.lower() for part in name.split("_") for word in WORD.findall(part)]


@dataclass(frozen=True)
class NamingProblem:
    """A name that breaks PEP 8: the name, its kind, its line and what PEP 8 asks for."""

    name: str
    kind: str
    line: int
    expected: str

    def __str__(self) -> str:
        return f"line {self.line:2d}: {self.kind} `{self.name}` should be {self.expected}"


def _is_constant_value(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_constant_value(element) for element in node.elts)
    if isinstance(node, ast.Call):
        function = node.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        return name in CONSTANT_CALLS and all(_is_constant_value(arg) for arg in node.args)
    return False


def _style_problem(name: str, kind: str, line: int) -> list[NamingProblem]:
    if name.startswith("__") and name.endswith("__"):
        return []  # special names (__init__) belong to Python
    expected = KIND_STYLES[kind]
    return [] if name_style(name) == expected else [NamingProblem(name, kind, line, expected)]


def _first_argument_problem(function: ast.FunctionDef) -> list[NamingProblem]:
    decorators = {node.id for node in function.decorator_list if isinstance(node, ast.Name)}
    if "staticmethod" in decorators or not function.args.args:
        return []
    wanted = CLS if "classmethod" in decorators else SELF
    first = function.args.args[0].arg
    if first == wanted:
        return []
    return [NamingProblem(first, "first argument", function.lineno, f"`{wanted}`")]


def _function_problems(function: ast.FunctionDef, kind: str) -> list[NamingProblem]:
    problems = _style_problem(function.name, kind, function.lineno)
    arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    if kind == "method":
        problems += _first_argument_problem(function)
        arguments = arguments[1:]
    for argument in arguments:
        problems += _style_problem(argument.arg, "argument", argument.lineno)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            problems += _style_problem(node.id, "variable", node.lineno)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            problems += _style_problem(node.attr, "attribute", node.lineno)
    return problems


def _block_problems(statements: list[ast.stmt], in_class: bool) -> list[NamingProblem]:
    problems = []
    for statement in statements:
        if isinstance(statement, ast.ClassDef):
            problems += _style_problem(statement.name, "class", statement.lineno)
            problems += _block_problems(statement.body, in_class=True)
        elif isinstance(statement, FUNCTIONS):
            problems += _function_problems(statement, "method" if in_class else "function")
        elif isinstance(statement, ast.Assign):
            kind = "constant" if _is_constant_value(statement.value) else "variable"
            for target in statement.targets:
                problems += [
                    problem
                    for name in _names(target, ast.Store)
                    for problem in _style_problem(name.id, kind, name.lineno)
                ]
    return problems


def naming_problems(source: str) -> list[NamingProblem]:
    """Every name in ``source`` that breaks PEP 8's naming conventions, by line.

    Classes are PascalCase; constants (a fixed value bound at module or class level)
    UPPER_SNAKE_CASE; functions, methods, arguments, variables and attributes
    lower_snake_case, a leading ``_`` allowed (it marks a private name); a method's first
    argument is ``self``, a classmethod's ``cls``. Notebook 12, exercise 2.
    """
    tree = ast.parse(textwrap.dedent(source))
    problems = {(p.line, p.name, p.kind): p for p in _block_problems(tree.body, in_class=False)}
    return [problems[key] for key in sorted(problems)]


def defined_names(source: str) -> set[str]:
    """Every name that ``source`` itself defines: classes, functions, their arguments, and
    the variables and attributes it assigns (what a rename of its names may touch; the
    names of other code it uses, such as ``re.findall`` or ``dict.get``, are not its own)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (*FUNCTIONS, ast.ClassDef)):
            found.add(node.name)
    return found


class _Renamer(ast.NodeTransformer):
    def __init__(self, renames: Mapping[str, str]) -> None:
        self.renames = renames

    def _new(self, name: str) -> str:
        return self.renames.get(name, name)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("id", "arg", "name", "attr"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                setattr(node, field, self._new(value))
        return super().generic_visit(node)


def apply_renames(source: str, renames: Mapping[str, str]) -> str:
    """``source`` with every name in ``renames`` replaced, everywhere it occurs (what an
    editor's "rename symbol" does); comments and strings stay as they are. Notebook 12."""
    bad = [new for new in renames.values() if not new.isidentifier() or keyword.iskeyword(new)]
    if bad:
        raise ValueError(f"not a valid Python name: {bad[0]!r}")
    return ast.unparse(_Renamer(renames).visit(ast.parse(source)))
