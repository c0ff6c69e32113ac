"""Imports point one way: the course's machinery (course_utils/experiments, the commands
that train and ship records, and course_utils/classroom, the notebook execution, student
build, teacher guide and site) may import the learning modules, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import course_utils

PACKAGE = Path(course_utils.__file__).parent
MACHINERY = ("course_utils.experiments", "course_utils.classroom")
MACHINERY_DIRS = {"experiments", "classroom"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_learning_modules_never_import_the_machinery():
    learning = [
        path
        for path in PACKAGE.rglob("*.py")
        if not MACHINERY_DIRS & set(path.relative_to(PACKAGE).parts) and path.name != "__main__.py"
    ]
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in _imported_modules(path) if name.startswith(MACHINERY)
        )
        for path in learning
    }
    assert len(learning) > 20
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_check_sees_an_import_of_the_machinery(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text(
        "from course_utils.experiments import label_curves\nimport course_utils.classroom.site\n",
        encoding="utf-8",
    )
    imported = _imported_modules(module)
    assert "course_utils.experiments.label_curves" in imported
    assert any(name.startswith(MACHINERY) for name in imported - {"course_utils.experiments"})
    assert "course_utils.classroom.site" in imported


def test_every_module_states_its_public_api():
    """``__all__`` in every module, naming only what the module defines or imports."""
    missing, unknown = [], {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        declared = [
            node
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            and any(
                isinstance(target, ast.Name) and target.id == "__all__"
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ]
        name = str(path.relative_to(PACKAGE))
        if not declared:
            missing.append(name)
            continue
        bound = {
            name.id
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            for name in ast.walk(target)
            if isinstance(name, ast.Name)
        }
        bound |= {
            alias.asname or alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        bound |= {
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        value = declared[0].value
        listed = [
            item.value for item in getattr(value, "elts", []) if isinstance(item, ast.Constant)
        ]
        if set(listed) - bound:
            unknown[name] = sorted(set(listed) - bound)
    assert missing == [] and unknown == {}
