"""course_utils.classroom.student and .execute: solutions are stripped, student notebooks
are built and still run, stored outputs are linted."""

from __future__ import annotations

import sys
import time
import types

import nbformat
import pytest

from course_utils.classroom import execute, student

SOLVED = """def f(x):
    ### BEGIN SOLUTION
    return x + 1
    ### END SOLUTION


def g(y):
        ### BEGIN SOLUTION
        if y:
            return y
        ### END SOLUTION
"""


def test_strip_solutions_keeps_indentation_and_definitions():
    stripped = student.strip_solutions(SOLVED)
    assert "return x + 1" not in stripped and "return y" not in stripped
    assert "    raise NotImplementedError" in stripped
    assert "        raise NotImplementedError" in stripped
    namespace: dict = {}
    exec(compile(stripped, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_strip_solutions_refuses_bad_markers():
    with pytest.raises(ValueError, match="Unbalanced"):
        student.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ValueError, match="inside a function body"):
        student.strip_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")


def test_markdown_answers_become_a_prompt():
    text = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\n"
    assert student.strip_solutions(text, markdown=True) == "Why?\n" + student.MARKDOWN_STUB


def test_course_notebooks_have_clean_stored_outputs():
    notebooks = student.course_notebooks()
    assert [p.name[:2] for p in notebooks][:2] == ["00", "01"]
    for path in notebooks:
        problems = execute.notebook_problems(nbformat.read(path, as_version=4))
        assert not problems, f"{path.name}: {problems}"


def test_problems_are_detected():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.execution_count = 1
    cell.outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[]),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\n"),
    ]
    notebook.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    problems = execute.notebook_problems(notebook)
    assert any("error output" in p for p in problems)
    assert any("stderr" in p for p in problems)
    assert any("not executed" in p for p in problems)


@pytest.mark.slow
def test_student_notebooks_are_built_and_run_top_to_bottom(tmp_path):
    written = student.build_student_notebooks(out_dir=tmp_path)
    assert [p.name for p in written] == [p.name for p in student.course_notebooks()]
    for path in written:
        notebook = nbformat.read(path, as_version=4)
        sources = "\n".join(cell.source for cell in notebook.cells)
        assert not student.BEGIN_LINE.search(sources)
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        start = time.perf_counter()
        execute.execute_notebook(notebook, cwd=student.NOTEBOOK_DIR)
        print(f"student {path.name}: ran in {time.perf_counter() - start:.1f} s")
        errors = [
            o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "error"
        ]  # fmt: skip
        assert not errors, f"{path.name} crashed: {errors[0].ename}: {errors[0].evalue}"
        stdout = "".join(
            o.text for c in notebook.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "stream"
        )  # fmt: skip
        assert "not solved yet" in stdout


def test_every_course_notebook_opens_with_the_colab_badge_and_setup_cell():
    for path in student.course_notebooks():
        badge, setup = nbformat.read(path, as_version=4).cells[:2]
        assert badge.cell_type == "markdown", path.name
        assert badge.source == student.colab_badge_markdown(path.name), path.name
        assert student.colab_url(path.name).endswith(f"/blob/main/notebooks/{path.name}")
        assert setup.cell_type == "code" and setup.source == student.COLAB_SETUP_SOURCE


def test_colab_cells_are_added_once_and_kept_first():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 42 · Title"),
        nbformat.v4.new_code_cell("1"),
    ]
    assert student.add_colab_cells(notebook, "42_title.ipynb") is True
    once = nbformat.writes(notebook)
    assert student.add_colab_cells(notebook, "42_title.ipynb") is False
    assert nbformat.writes(notebook) == once
    assert [cell.source for cell in notebook.cells[2:]] == ["# 42 · Title", "1"]
    notebook.cells.append(notebook.cells.pop(0))  # a badge that wandered off moves back up
    assert student.add_colab_cells(notebook, "42_title.ipynb") is True
    assert nbformat.writes(notebook) == once


def _run_colab_cell(monkeypatch, calls):
    """Execute the Colab cell with subprocess.run, os.chdir and os.path.isdir recorded."""
    import os
    import subprocess

    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append(args[0]))
    monkeypatch.setattr(os, "chdir", lambda path: calls.append(["chdir", path]))
    monkeypatch.setattr(os.path, "isdir", lambda path: False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(student.COLAB_SETUP_SOURCE, "<colab cell>", "exec"), {})


def test_the_colab_cell_does_nothing_outside_colab(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls: list = []
    path_before = list(sys.path)
    _run_colab_cell(monkeypatch, calls)
    assert calls == [] and sys.path == path_before
    assert capsys.readouterr() == ("", "")


def test_the_colab_cell_installs_the_course_on_colab(monkeypatch):
    enabled = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(True))
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    calls: list = []
    _run_colab_cell(monkeypatch, calls)
    clone, install, chdir = calls
    assert clone[:2] == ["git", "clone"] and clone[-2].endswith(student.COURSE_REPOSITORY)
    assert install[1:] == [
        "-m",
        "pip",
        "install",
        "--quiet",
        "-e",
        student.COLAB_COURSE_DIR,
    ]
    assert chdir == ["chdir", f"{student.COLAB_COURSE_DIR}/notebooks"]
    assert enabled == [True]


def test_executed_notebooks_keep_their_figures_under_a_headless_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # .ci/run sets it; a saved notebook needs its plots
    assert "MPLBACKEND" not in execute.kernel_environment()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n\nplt.plot([1, 2]);")
    ]
    execute.execute_notebook(notebook)
    mimes = {mime for output in notebook.cells[0].outputs for mime in output.get("data", {})}
    assert "image/png" in mimes


def test_consecutive_stream_pieces_are_joined_around_other_outputs():
    def stream(text, name="stdout"):
        return nbformat.v4.new_output("stream", name=name, text=text)

    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})
    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [stream("rev"), stream("iew\n"), figure, stream("a\n"), stream("b\n", "stderr")]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [cell, nbformat.v4.new_markdown_cell("text")]
    execute.merge_consecutive_streams(notebook)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stream", "stdout", "review\n"),
        ("display_data", None, None),
        ("stream", "stdout", "a\n"),
        ("stream", "stderr", "b\n"),
    ]
