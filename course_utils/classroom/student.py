"""The student build: strip solutions, add the Colab cells, write student notebooks.

``python -m course_utils student`` (``make student``); spec section 5. Solutions sit between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` inside a function body; the student copy
replaces each block by a stub that raises ``NotImplementedError``, which the exercise
checks report as "not solved yet", so a student notebook still runs top to bottom. Every
notebook opens with an "Open in Colab" badge and a setup cell that installs the course on
Colab only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import nbformat

from course_utils.data import atomic_write_bytes

__all__ = [
    "BEGIN",
    "BEGIN_LINE",
    "COLAB_BADGE",
    "COLAB_BADGE_IMAGE",
    "COLAB_COURSE_DIR",
    "COLAB_SETUP",
    "COLAB_SETUP_SOURCE",
    "COLAB_URL",
    "COURSE_BRANCH",
    "COURSE_REPOSITORY",
    "END",
    "END_LINE",
    "MARKDOWN_STUB",
    "NOTEBOOK_DIR",
    "NOTEBOOK_GLOB",
    "REPO_ROOT",
    "SOLUTION_BLOCK",
    "STUB_LINES",
    "STUDENT_DIR",
    "add_colab_cells",
    "build_student_notebooks",
    "colab_badge_markdown",
    "colab_url",
    "course_notebooks",
    "strip_solutions",
    "student_version",
    "write_notebook",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
STUDENT_DIR = NOTEBOOK_DIR / "student"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
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
#: Where the course lives on GitHub (``owner/name``): the Colab badge and cell point here.
COURSE_REPOSITORY = "from-rules-to-gpt/course"
COURSE_BRANCH = "main"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_URL = "https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{name}"
#: ``metadata.course.colab`` of the two cells :func:`add_colab_cells` manages.
COLAB_BADGE, COLAB_SETUP = "badge", "setup"
#: Where the Colab cell clones the course on the Colab machine.
COLAB_COURSE_DIR = "/content/course"
COLAB_SETUP_SOURCE = f"""\
# On Google Colab only: fetch the course and install it. Anywhere else this cell does nothing.
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
    """Put the Colab badge and the Colab-only setup cell first in ``notebook``, in place.

    Idempotent: existing Colab cells (found by ``metadata.course.colab``) are updated
    and moved to the top, keeping their ids and outputs; nothing else changes. Returns
    whether the notebook changed. Any notebook of the course; the badge opens ``name``.
    """
    before = nbformat.writes(notebook)
    existing = {_colab_role(cell): cell for cell in notebook.cells if _colab_role(cell)}
    notebook.cells = [cell for cell in notebook.cells if not _colab_role(cell)]
    badge = existing.get(COLAB_BADGE) or nbformat.v4.new_markdown_cell()
    badge.source = colab_badge_markdown(name)
    setup = existing.get(COLAB_SETUP) or nbformat.v4.new_code_cell()
    setup.source = COLAB_SETUP_SOURCE
    for cell, role in ((badge, COLAB_BADGE), (setup, COLAB_SETUP)):
        cell.metadata.setdefault("course", {})["colab"] = role
    notebook.cells[:0] = [badge, setup]
    return nbformat.writes(notebook) != before


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
