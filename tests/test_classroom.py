"""course_utils.classroom: solutions are stripped, student notebooks are built and still run,
stored outputs are linted."""

from __future__ import annotations

import time

import nbformat
import pytest

from course_utils import classroom

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
    stripped = classroom.strip_solutions(SOLVED)
    assert "return x + 1" not in stripped and "return y" not in stripped
    assert "    raise NotImplementedError" in stripped
    assert "        raise NotImplementedError" in stripped
    namespace: dict = {}
    exec(compile(stripped, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_strip_solutions_refuses_bad_markers():
    with pytest.raises(ValueError, match="Unbalanced"):
        classroom.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ValueError, match="inside a function body"):
        classroom.strip_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")


def test_markdown_answers_become_a_prompt():
    text = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\n"
    assert classroom.strip_solutions(text, markdown=True) == "Why?\n" + classroom.MARKDOWN_STUB


def test_course_notebooks_have_clean_stored_outputs():
    notebooks = classroom.course_notebooks()
    assert [p.name[:2] for p in notebooks][:2] == ["00", "01"]
    for path in notebooks:
        problems = classroom.notebook_problems(nbformat.read(path, as_version=4))
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
    problems = classroom.notebook_problems(notebook)
    assert any("error output" in p for p in problems)
    assert any("stderr" in p for p in problems)
    assert any("not executed" in p for p in problems)


@pytest.mark.slow
def test_student_notebooks_are_built_and_run_top_to_bottom(tmp_path):
    written = classroom.build_student_notebooks(out_dir=tmp_path)
    assert [p.name for p in written] == [p.name for p in classroom.course_notebooks()]
    for path in written:
        notebook = nbformat.read(path, as_version=4)
        sources = "\n".join(cell.source for cell in notebook.cells)
        assert not classroom.BEGIN_LINE.search(sources)
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        start = time.perf_counter()
        classroom.execute_notebook(notebook, cwd=classroom.NOTEBOOK_DIR)
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
