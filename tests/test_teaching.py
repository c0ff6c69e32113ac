"""course_utils.classroom.teaching: the committed teacher guide is exactly what the generator
writes from the notebooks now, lists every notebook, and its session plan adds up."""

from __future__ import annotations

import math

import nbformat
import pytest

from course_utils.classroom import student, teaching

TITLE_CELL = """# 42 · A tiny lesson

**Era:** SW 1.0, a person writes the rules. **Expected run time:** seconds.

**Learning objectives.** After this notebook you can
1. write a regular expression;
2. measure accuracy.

**Prerequisites.** [41 · The one before](41_before.ipynb)."""


def _notebook(tmp_path, title_cell=TITLE_CELL, run_seconds=75.0, name="42_tiny.ipynb"):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("[![Open In Colab](badge.svg)](colab)"),
        nbformat.v4.new_markdown_cell(title_cell),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
        ),
        nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ]
    if run_seconds is not None:
        notebook.metadata["course"] = {"run_seconds": run_seconds}
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def test_the_committed_guide_is_what_the_generator_writes_now():
    committed = teaching.GUIDE_PATH.read_text(encoding="utf-8")
    assert committed == teaching.render_guide(), (
        "notebooks/TEACHING.md is stale (a notebook's objectives or measured run time "
        "changed): run `make teaching` and commit the result."
    )


def test_the_guide_lists_every_course_notebook_with_its_objectives():
    guide = teaching.GUIDE_PATH.read_text(encoding="utf-8")
    for path in student.course_notebooks():
        info = teaching.read_notebook_info(path)
        assert f"[{info.title}]({path.name})" in guide
        assert all(objective in guide for objective in info.objectives), path.name
        assert info.run_seconds is None or f"{info.run_seconds:.0f} s" in guide


def test_notebook_info_is_read_from_the_title_cell(tmp_path):
    info = teaching.read_notebook_info(_notebook(tmp_path))
    assert info.title == "42 · A tiny lesson"
    assert info.era == "SW 1.0, a person writes the rules"
    assert info.objectives == ("write a regular expression;", "measure accuracy.")
    assert info.prerequisites == "[41 · The one before](41_before.ipynb)."
    assert info.exercises == 2 and info.run_seconds == 75.0
    assert info.code_cells == 1 and info.words > 0
    reading = math.ceil(
        info.words / teaching.WORDS_PER_MINUTE + teaching.MINUTES_PER_CODE_CELL * 1
    )
    rates = reading + teaching.MINUTES_PER_EXERCISE * 2
    assert info.planned_minutes == rates + 2  # 75 s of running is rounded up to 2 minutes


def test_going_further_is_outside_the_plan(tmp_path):
    path = _notebook(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    core = teaching.read_notebook_info(path)
    notebook.cells += [
        nbformat.v4.new_markdown_cell("## Going further\n\n" + "word " * 500),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"
        ),
    ]
    nbformat.write(notebook, path)
    assert teaching.read_notebook_info(path) == core


def test_missing_objectives_and_titles_are_clear_errors(tmp_path):
    no_objectives = TITLE_CELL.replace("**Learning objectives.**", "**Goals.**")
    with pytest.raises(ValueError, match="Learning objectives"):
        teaching.read_notebook_info(_notebook(tmp_path, no_objectives))
    with pytest.raises(ValueError, match="Title"):
        teaching.read_notebook_info(_notebook(tmp_path, "no heading here"))


def test_an_unmeasured_notebook_says_so(tmp_path):
    guide = teaching.render_guide([_notebook(tmp_path, run_seconds=None)])
    assert "not measured yet (run `make execute`)" in guide
    assert "0 of 1 measured" in guide


def _info(name, minutes):
    """A NotebookInfo whose planned time is exactly ``minutes`` (run time zero)."""
    words = minutes * teaching.WORDS_PER_MINUTE
    info = teaching.NotebookInfo(name, name, "", ("x",), "", 0, 0.0, words=words)
    assert info.planned_minutes == minutes
    return info


def test_the_plan_keeps_order_fits_sessions_and_splits_only_what_cannot_fit():
    infos = [_info(f"nb{i}", minutes) for i, minutes in enumerate((40, 32, 56, 200, 16))]
    sessions = teaching.plan_sessions(infos)
    assert [s.number for s in sessions] == list(range(1, len(sessions) + 1))
    assert all(s.minutes <= teaching.SESSION_MINUTES for s in sessions)
    names = [name for s in sessions for name in s.notebooks]
    assert names[0] == teaching.SETUP_LABEL
    assert names[1:4] == ["nb0", "nb1", "nb2"]
    assert [n for n in names if n.startswith("nb3")] == [
        "nb3 (part 1)",
        "nb3 (part 2)",
        "nb3 (part 3)",
    ]
    assert names[-1] == "nb4"
    total = sum(i.planned_minutes for i in infos)
    overhead = teaching.SETUP_MINUTES + teaching.WRAP_UP_MINUTES * len(sessions)
    assert sum(s.minutes for s in sessions) == total + overhead
    with pytest.raises(ValueError, match="session_minutes"):
        teaching.plan_sessions(infos, session_minutes=10)


def test_write_guide_writes_the_rendered_text(tmp_path):
    notebook = _notebook(tmp_path)
    out = teaching.write_guide(tmp_path / "GUIDE.md", [notebook])
    assert out.read_text(encoding="utf-8") == teaching.render_guide([notebook])


APPENDIX_TITLE_CELL = """# 43 · Appendix: craft

**Era:** none, an appendix. **Expected run time:** seconds.

**Learning objectives.** After this notebook you can
1. name things well."""


def test_an_appendix_is_optional_reading_before_the_first_exercise_and_not_planned(tmp_path):
    lesson = _notebook(tmp_path)
    appendix = _notebook(tmp_path, APPENDIX_TITLE_CELL, name="43_appendix_craft.ipynb")
    infos = [teaching.read_notebook_info(path) for path in (lesson, appendix)]
    assert [info.appendix for info in infos] == [False, True]
    guide = teaching.render_guide([lesson, appendix])
    plan = guide.split("## A plan for")[1].split("**How the plan is computed.**")[0]
    table_rows = [line for line in plan.splitlines() if line.startswith("| 1 ")]
    assert table_rows and "43 · Appendix" not in table_rows[0]
    reading = (
        "optional reading before the first exercise (in [42 · A tiny lesson](42_tiny.ipynb)), "
        "not part of the session plan"
    )
    assert "**Optional reading: [43 · Appendix: craft](43_appendix_craft.ipynb).**" in plan
    assert reading in plan
    assert f"*An appendix:* {reading}." in guide.split("## Learning objectives")[1]
    assert "[43 · Appendix: craft](43_appendix_craft.ipynb)" in guide.split("## A plan")[0]
