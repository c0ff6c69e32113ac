"""Classroom tooling: execute notebooks in place, lint their stored outputs, build student copies.

``python -m course_utils execute`` (``make execute``) and ``python -m course_utils student``
(``make student``); spec section 5. Solutions sit between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` inside a function body; the student copy replaces each block by a
stub that raises ``NotImplementedError``, which the exercise checks report as
"not solved yet", so a student notebook still runs top to bottom. Every notebook opens
with an "Open in Colab" badge and a setup cell that installs the course on Colab only.
"""

from __future__ import annotations

import html
import os
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

#: Variables a notebook's kernel must not inherit: MPLBACKEND=Agg (headless test runs) would
#: keep every figure out of the stored outputs.
KERNEL_ENV_DROPPED = frozenset({"MPLBACKEND"})

#: A stored progress bar's width in characters, as tqdm draws it in a narrow cell.
PROGRESS_BAR_WIDTH = 10
#: The header's measured run time: "under 10 seconds", "about 30 seconds", "about 1.5 minutes".
RUN_TIME_LABEL = "**Expected run time:**"
RUN_TIME_HEADER = re.compile(
    re.escape(RUN_TIME_LABEL)
    + r"[^\n]*?on a (?:shared )?2-core CPU(?: that other jobs were sharing)?"
)
RUN_TIME_STEP_S = 10
RUN_TIME_IN_MINUTES_S = 90
SECONDS_PER_MINUTE = 60

#: Where the course lives on GitHub (``owner/name``): the Colab badge and cell point here.
COURSE_REPOSITORY = "from-rules-to-gpt/course"
COURSE_BRANCH = "main"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_URL = "https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{name}"
#: ``metadata.course.colab`` of the two cells :func:`add_colab_cells` manages.
COLAB_BADGE, COLAB_SETUP = "badge", "setup"
#: The setup cell shows only its title line: collapsed in JupyterLab, a form on Colab.
COLAB_SETUP_METADATA = {"jupyter": {"source_hidden": True}, "cellView": "form"}
COLAB_BADGE_NOTE = "On Colab, run the collapsed cell below first; anywhere else, skip it."
#: Where the Colab cell clones the course on the Colab machine.
COLAB_COURSE_DIR = "/content/course"
COLAB_SETUP_SOURCE = f"""\
# @title On Google Colab only: install the course (anywhere else this cell does nothing)
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    course = "{COLAB_COURSE_DIR}"
    if not os.path.isdir(course):
        url = "https://github.com/{COURSE_REPOSITORY}"
        subprocess.run(["git", "clone", "--depth=1", url, course], check=True)
    # Colab keeps its own (CUDA) torch and Jupyter; pip adds what pyproject.toml lists.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", course], check=True)
    sys.path.insert(0, course)
    os.chdir(f"{{course}}/notebooks")
    from google.colab import output

    output.enable_custom_widget_manager()"""


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


def colab_url(name: str, repository: str = COURSE_REPOSITORY) -> str:
    """Colab's address for notebook ``name`` of the course repository on GitHub."""
    return COLAB_URL.format(repository=repository, branch=COURSE_BRANCH, name=name)


def colab_badge_markdown(name: str, repository: str = COURSE_REPOSITORY) -> str:
    """The "Open in Colab" badge of notebook ``name``, as a markdown image link."""
    return f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({colab_url(name, repository)})"


def _colab_role(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("course", {}).get("colab")


def add_colab_cells(notebook: nbformat.NotebookNode, name: str) -> bool:
    """Put the Colab badge and the collapsed Colab-only setup cell after the title, in place.

    The title and learning objectives (the first markdown cell with a ``# `` heading) come
    first; a notebook without one gets the cells at the top. Idempotent: existing Colab
    cells (found by ``metadata.course.colab``) are updated and moved, keeping their ids and
    outputs; nothing else changes. Returns whether the notebook changed. Any notebook of
    the course; the badge opens ``name``.
    """
    before = nbformat.writes(notebook)
    existing = {_colab_role(cell): cell for cell in notebook.cells if _colab_role(cell)}
    notebook.cells = [cell for cell in notebook.cells if not _colab_role(cell)]
    badge = existing.get(COLAB_BADGE) or nbformat.v4.new_markdown_cell()
    badge.source = f"{colab_badge_markdown(name)} {COLAB_BADGE_NOTE}"
    setup = existing.get(COLAB_SETUP) or nbformat.v4.new_code_cell()
    setup.source = COLAB_SETUP_SOURCE
    setup.metadata.update(COLAB_SETUP_METADATA)
    for cell, role in ((badge, COLAB_BADGE), (setup, COLAB_SETUP)):
        cell.metadata.setdefault("course", {})["colab"] = role
    title = next(
        (
            index + 1
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and cell.source.startswith("# ")
        ),
        0,
    )
    notebook.cells[title:title] = [badge, setup]
    return nbformat.writes(notebook) != before


def add_colab_cells_in_place(paths: Iterable[Path]) -> list[Path]:
    """Add or update the Colab cells of each notebook file without executing it.

    Returns the files that changed (a second run changes none).
    """
    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if add_colab_cells(notebook, path.name):
            write_notebook(notebook, path)
            changed.append(path)
    return changed


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


def _widget_state(notebook: nbformat.NotebookNode) -> dict:
    stored = notebook.metadata.get("widgets", {})
    return stored.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})


def _progress_bar_text(model_id: str, state: dict) -> str | None:
    """The final text of a tqdm bar widget (HTML, FloatProgress, HTML), or None if not one."""
    children = state.get(model_id, {}).get("state", {}).get("children", [])
    parts = [state.get(child.removeprefix("IPY_MODEL_"), {}) for child in children]
    names = [part.get("model_name") for part in parts]
    if names != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    left, bar, right = (part["state"] for part in parts)
    done = bar.get("value", 0) / bar["max"] if bar.get("max") else 1.0
    filled = round(PROGRESS_BAR_WIDTH * min(max(done, 0.0), 1.0))
    drawn = "█" * filled + " " * (PROGRESS_BAR_WIDTH - filled)
    text = f"{left.get('value', '')}|{drawn}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")


def finish_progress_bars(notebook: nbformat.NotebookNode) -> int:
    """Store each progress bar's final state as its plain text, in place; return how many.

    A tqdm bar in a notebook is a widget whose plain-text copy is taken when it appears
    ("0%| | 0/600"); GitHub and the course website show that copy, so training would
    look as if it never ran. The saved widget state holds the finished bar.
    """
    state = _widget_state(notebook)
    finished = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            text = _progress_bar_text(view["model_id"], state) if view else None
            if text is not None and output.data.get("text/plain") != text:
                output.data["text/plain"] = text
                finished += 1
    return finished


def run_time_phrase(seconds: float) -> str:
    """How a notebook's header states its measured run time, e.g. "about 30 seconds"."""
    if seconds < RUN_TIME_STEP_S:
        return f"under {RUN_TIME_STEP_S} seconds"
    if seconds < RUN_TIME_IN_MINUTES_S:
        return f"about {round(seconds / RUN_TIME_STEP_S) * RUN_TIME_STEP_S} seconds"
    return f"about {round(seconds / SECONDS_PER_MINUTE * 2) / 2:g} minutes"


def stamp_run_time(notebook: nbformat.NotebookNode) -> bool:
    """Write ``metadata.course.run_seconds`` into the header's run time, in place.

    The header says "**Expected run time:** <phrase> on a 2-core CPU"; returns whether a
    header was found.
    """
    seconds = notebook.metadata.get("course", {}).get("run_seconds")
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and RUN_TIME_HEADER.search(cell.source):
            if seconds is not None:
                phrase = f"{RUN_TIME_LABEL} {run_time_phrase(seconds)} on a 2-core CPU"
                cell.source = RUN_TIME_HEADER.sub(phrase, cell.source, count=1)
            return True
    return False


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
    pieces of printed text are joined (:func:`merge_consecutive_streams`) and progress bars
    show their final state (:func:`finish_progress_bars`).
    The measured run time is stored in ``metadata.course.run_seconds`` (the teacher
    guide's table reads it). Returns ``{name: seconds}``.
    """
    timings = {}
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        add_colab_cells(notebook, path.name)
        seconds = execute_notebook(notebook, cwd=path.parent)
        merge_consecutive_streams(notebook)
        finish_progress_bars(notebook)
        problems = notebook_problems(notebook)
        if problems:
            raise RuntimeError(
                f"{path.name} was not saved; its outputs have problems:\n  "
                + "\n  ".join(problems)
            )
        notebook.metadata.setdefault("course", {})["run_seconds"] = round(seconds, 1)
        stamp_run_time(notebook)
        finish_progress_bars(notebook)
        write_notebook(notebook, path)
        timings[path.name] = seconds
        print(f"{path.name}: executed in {seconds:.1f} s")
    return timings
