"""Classroom tooling: execute notebooks in place, lint their stored outputs, build student copies.

``python -m course_utils execute`` (``make execute``) and ``python -m course_utils student``
(``make student``); spec section 5. Solutions sit between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` inside a function body; the student copy replaces each block by a
stub that raises ``NotImplementedError``, which the exercise checks report as
"not solved yet", so a student notebook still runs top to bottom.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

from course_utils.data import atomic_write_bytes

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
STUDENT_DIR = NOTEBOOK_DIR / "student"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
CELL_TIMEOUT_S = 600
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
#: Markers count only at the start of a line (prose may mention them inline).
BEGIN_LINE = re.compile(rf"^[ \t]*{re.escape(BEGIN)}", re.MULTILINE)
END_LINE = re.compile(rf"^[ \t]*{re.escape(END)}", re.MULTILINE)
SOLUTION_BLOCK = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*(?:\n|$)",
    re.MULTILINE | re.DOTALL,
)
STUB_LINES = (
    "# YOUR CODE HERE",
    'raise NotImplementedError("Exercise not solved yet: replace this line with your code.")',
)
MARKDOWN_STUB = "*Your answer here.*\n"
#: Text that must never appear in a stored output (errors, warnings a reader should not see).
FORBIDDEN_OUTPUT = ("Traceback (most recent call last)", "Warning:", "site-packages")


def course_notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The course's notebooks in course order (``NN_name.ipynb``)."""
    return sorted(directory.glob(NOTEBOOK_GLOB))


def strip_solutions(source: str, *, markdown: bool = False) -> str:
    """Replace every solution block by a stub with the block's indentation.

    Code solutions must sit inside a function body (indented), so that the stub raises
    only when the learner's function is called, never when the cell defines it.
    """
    if len(BEGIN_LINE.findall(source)) != len(END_LINE.findall(source)):
        raise ValueError(f"Unbalanced solution markers: every {BEGIN!r} needs an {END!r}.")

    def stub(match: re.Match[str]) -> str:
        indent = match.group("indent")
        if markdown:
            return MARKDOWN_STUB
        if not indent:
            raise ValueError(
                "A code solution block is at the top level of a cell; put it inside a "
                "function body so the student version still runs:\n" + match.group(0)
            )
        return "".join(f"{indent}{line}\n" for line in STUB_LINES)

    return SOLUTION_BLOCK.sub(stub, source)


def student_version(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with solutions replaced by stubs and all outputs cleared."""
    copy = nbformat.from_dict(notebook)
    for cell in copy.cells:
        if BEGIN_LINE.search(cell.source):
            cell.source = strip_solutions(cell.source, markdown=cell.cell_type == "markdown")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    copy.metadata.pop("widgets", None)
    return copy


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Validate and write a notebook atomically."""
    nbformat.validate(notebook)
    atomic_write_bytes(path, nbformat.writes(notebook).encode("utf-8"))


def build_student_notebooks(
    sources: Iterable[Path] | None = None, out_dir: Path = STUDENT_DIR
) -> list[Path]:
    """Write the student copy of each notebook into ``out_dir``; return the paths written."""
    written = []
    for path in sources if sources is not None else course_notebooks():
        target = out_dir / path.name
        write_notebook(student_version(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def _output_text(output: nbformat.NotebookNode) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    return "\n".join(
        value if isinstance(value, str) else "".join(value)
        for mime, value in output.get("data", {}).items()
        if mime.startswith("text/")
    )


def machine_specific_strings() -> tuple[str, ...]:
    """Paths of this machine that must not leak into committed outputs."""
    return (str(Path.home()), sys.prefix, str(REPO_ROOT), "/tmp/")


def notebook_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What is wrong with a notebook's stored outputs (empty list = clean).

    Unexecuted code cells, error outputs, tracebacks, warnings, stderr output and
    machine-specific paths are all reported.
    """
    problems = []
    forbidden = FORBIDDEN_OUTPUT + machine_specific_strings()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.execution_count is None:
            problems.append(f"cell {index}: not executed")
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"cell {index}: error output ({output.ename})")
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index}: stderr output: {output.text[:120]!r}")
            text = _output_text(output)
            problems.extend(
                f"cell {index}: output contains {marker!r}"
                for marker in forbidden
                if marker in text
            )
    return problems


def execute_notebook(
    notebook: nbformat.NotebookNode, cwd: Path = NOTEBOOK_DIR, timeout: int = CELL_TIMEOUT_S
) -> float:
    """Run every cell of ``notebook`` in place (in ``cwd``); return the wall time in seconds."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def execute_in_place(paths: Sequence[Path]) -> dict[str, float]:
    """Execute notebooks and save them with outputs, refusing any with problems.

    The measured run time is stored in ``metadata.course.run_seconds`` (the teacher
    guide's table reads it). Returns ``{name: seconds}``.
    """
    timings = {}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        seconds = execute_notebook(notebook, cwd=path.parent)
        problems = notebook_problems(notebook)
        if problems:
            raise RuntimeError(
                f"{path.name} was not saved; its outputs have problems:\n  "
                + "\n  ".join(problems)
            )
        notebook.metadata.setdefault("course", {})["run_seconds"] = round(seconds, 1)
        write_notebook(notebook, path)
        timings[path.name] = seconds
        print(f"{path.name}: executed in {seconds:.1f} s")
    return timings
