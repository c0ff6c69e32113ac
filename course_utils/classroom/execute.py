"""Execute notebooks in place and lint their stored outputs.

``python -m course_utils execute`` (``make execute``): each notebook runs in a fresh kernel,
its outputs are checked for tracebacks, warnings and machine paths, and its run time is
stored in ``metadata.course.run_seconds`` for the teacher guide.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

from course_utils.classroom.student import NOTEBOOK_DIR, REPO_ROOT, add_colab_cells, write_notebook

__all__ = [
    "CELL_TIMEOUT_S",
    "FORBIDDEN_OUTPUT",
    "KERNEL_ENV_DROPPED",
    "execute_in_place",
    "execute_notebook",
    "kernel_environment",
    "machine_specific_strings",
    "merge_consecutive_streams",
    "notebook_problems",
]

CELL_TIMEOUT_S = 600
#: Text that must never appear in a stored output (errors, warnings a reader should not see).
FORBIDDEN_OUTPUT = ("Traceback (most recent call last)", "Warning:", "site-packages")
#: Variables a notebook's kernel must not inherit: MPLBACKEND=Agg (headless test runs) would
#: keep every figure out of the stored outputs.
KERNEL_ENV_DROPPED = frozenset({"MPLBACKEND"})


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


def merge_consecutive_streams(notebook: nbformat.NotebookNode) -> None:
    """Join, in place, each run of stream outputs of one name (stdout, stderr) in a cell.

    A kernel sends what a shell command prints in pieces, sometimes mid-line; stored as
    they came, the pieces render as separate blocks (on GitHub, on the course website).
    Only neighbours are joined, so text keeps its place around figures and widgets.
    """
    for cell in notebook.cells:
        merged: list[nbformat.NotebookNode] = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (
                previous is not None
                and output.output_type == previous.output_type == "stream"
                and output.name == previous.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def kernel_environment() -> dict[str, str]:
    """This process's environment for a notebook's kernel, minus :data:`KERNEL_ENV_DROPPED`."""
    return {name: value for name, value in os.environ.items() if name not in KERNEL_ENV_DROPPED}


def execute_notebook(
    notebook: nbformat.NotebookNode, cwd: Path = NOTEBOOK_DIR, timeout: int = CELL_TIMEOUT_S
) -> float:
    """Run every cell of ``notebook`` in place (in ``cwd``); return the wall time in seconds.

    The kernel gets :func:`kernel_environment`, so figures are stored even when this runs
    under ``MPLBACKEND=Agg`` (as ``.ci/run`` sets it).
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute(env=kernel_environment())
    return time.perf_counter() - start


def execute_in_place(paths: Sequence[Path]) -> dict[str, float]:
    """Execute notebooks and save them with outputs, refusing any with problems.

    The Colab badge and setup cell are added first if missing (:func:`add_colab_cells`);
    pieces of printed text are joined (:func:`merge_consecutive_streams`).
    The measured run time is stored in ``metadata.course.run_seconds`` (the teacher
    guide's table reads it). Returns ``{name: seconds}``.
    """
    timings = {}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        add_colab_cells(notebook, path.name)
        seconds = execute_notebook(notebook, cwd=path.parent)
        merge_consecutive_streams(notebook)
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
