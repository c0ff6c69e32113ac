"""The teacher guide, ``notebooks/TEACHING.md``, generated from the notebooks themselves.

``python -m course_utils.classroom.teaching`` (``make teaching``; ``make execute`` runs it
too) reads
each course notebook's title, era, learning objectives, prerequisites and exercises from
its opening cell, and its measured run time from ``metadata.course.run_seconds``, which
``python -m course_utils execute`` records; a test checks that the committed guide is what
this module writes now, so it never goes stale. Spec section 5 (classroom use).

A notebook whose title starts "NN · Appendix" (notebook 12, Python craft) is optional
reading: the guide lists it for learners to read before the first exercise, and keeps it
out of the session plan.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_utils.classroom.student import BEGIN_LINE, NOTEBOOK_DIR, course_notebooks
from course_utils.data import atomic_write_bytes

__all__ = [
    "APPENDIX_TITLE",
    "ERA",
    "GOING_FURTHER",
    "GUIDE_PATH",
    "INTRO",
    "MINUTES_PER_CODE_CELL",
    "MINUTES_PER_EXERCISE",
    "NUMBERED_ITEM",
    "OBJECTIVES_HEADER",
    "PLAN_NOTE",
    "PRACTICAL",
    "PREREQUISITES",
    "RUN_TIME_NOTE",
    "SECONDS_PER_MINUTE",
    "SESSION_MINUTES",
    "SETUP_LABEL",
    "SETUP_MINUTES",
    "TITLE",
    "WORDS_PER_MINUTE",
    "WRAP_UP_MINUTES",
    "NotebookInfo",
    "Session",
    "core_cells",
    "main",
    "plan_sessions",
    "read_notebook_info",
    "render_guide",
    "write_guide",
]

GUIDE_PATH = NOTEBOOK_DIR / "TEACHING.md"
SESSION_MINUTES = 90
#: The session plan's assumptions (printed in the guide), applied to each notebook's core
#: path (everything before "## Going further"): words of text read and discussed per minute,
#: minutes per code cell run and read, minutes of work per exercise, and minutes for setup
#: in the first session and wrap-up in each.
WORDS_PER_MINUTE = 100
MINUTES_PER_CODE_CELL = 0.5
MINUTES_PER_EXERCISE = 10
#: The heading that starts a notebook's optional part, outside the session plan.
GOING_FURTHER = re.compile(r"^##\s+Going further\b", re.MULTILINE)
SETUP_MINUTES = 15
WRAP_UP_MINUTES = 5
SECONDS_PER_MINUTE = 60
SETUP_LABEL = "setup and environment check"

TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
ERA = re.compile(r"\*\*Era:\*\*\s*(.+?)\s*(?=\*\*|$)", re.MULTILINE)
PREREQUISITES = re.compile(r"\*\*Prerequisites\.\*\*\s*(.+?)\s*$", re.MULTILINE)
OBJECTIVES_HEADER = "**Learning objectives.**"
NUMBERED_ITEM = re.compile(r"^\s*\d+\.\s+(.+?)\s*$")
#: The title of an appendix: optional reading, outside the session plan.
APPENDIX_TITLE = re.compile(r"^\d+\s*·\s*Appendix\b")


@dataclass(frozen=True)
class NotebookInfo:
    """What the guide says about one notebook, read from the notebook file."""

    name: str
    title: str
    era: str
    objectives: tuple[str, ...]
    prerequisites: str
    exercises: int
    run_seconds: float | None
    appendix: bool = False
    words: int = 0
    code_cells: int = 0

    @property
    def planned_minutes(self) -> int:
        """Classroom minutes of the core path: its words, code cells and exercises at the
        guide's rates, plus one run of the notebook."""
        run_minutes = math.ceil((self.run_seconds or 0.0) / SECONDS_PER_MINUTE)
        reading = math.ceil(
            self.words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * self.code_cells
        )
        return reading + MINUTES_PER_EXERCISE * self.exercises + run_minutes


def core_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells of the core path: all of them up to a "## Going further" heading."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and GOING_FURTHER.search(cell.source):
            return notebook.cells[:index]
    return list(notebook.cells)


def _title_cell(notebook: nbformat.NotebookNode, name: str) -> tuple[str, str]:
    """``(source, title)`` of the first markdown cell with a level-1 heading."""
    for cell in notebook.cells:
        match = TITLE.search(cell.source) if cell.cell_type == "markdown" else None
        if match is not None:
            return cell.source, match.group(1)
    raise ValueError(f"{name} has no markdown cell with a '# Title' heading; add one first.")


def _objectives(source: str, name: str) -> tuple[str, ...]:
    _, found, after = source.partition(OBJECTIVES_HEADER)
    items = []
    for line in after.splitlines()[1:] if found else []:
        match = NUMBERED_ITEM.match(line)
        if match is None:
            if items:
                break
            continue
        items.append(match.group(1))
    if not items:
        raise ValueError(
            f"{name}: no numbered list after {OBJECTIVES_HEADER!r} in the title cell; every "
            "notebook states its learning objectives there (COURSE_SPEC.md, section 2)."
        )
    return tuple(items)


def read_notebook_info(path: Path) -> NotebookInfo:
    """Title, era, objectives, prerequisites, exercises and measured run time of a notebook."""
    notebook = nbformat.read(path, as_version=4)
    source, title = _title_cell(notebook, path.name)
    era = ERA.search(source)
    prerequisites = PREREQUISITES.search(source)
    run_seconds = notebook.metadata.get("course", {}).get("run_seconds")
    core = core_cells(notebook)
    return NotebookInfo(
        name=path.name,
        title=title,
        era=era.group(1).rstrip(".") if era else "",
        objectives=_objectives(source, path.name),
        prerequisites=prerequisites.group(1) if prerequisites else "",
        exercises=sum(bool(BEGIN_LINE.search(cell.source)) for cell in core),
        run_seconds=None if run_seconds is None else float(run_seconds),
        appendix=APPENDIX_TITLE.match(title) is not None,
        words=sum(len(cell.source.split()) for cell in core if cell.cell_type == "markdown"),
        code_cells=sum(cell.cell_type == "code" for cell in core),
    )


@dataclass(frozen=True)
class Session:
    """One classroom session of the plan: notebooks (a long one may span two) and minutes."""

    number: int
    notebooks: tuple[str, ...]
    minutes: int


def plan_sessions(
    infos: Sequence[NotebookInfo], session_minutes: int = SESSION_MINUTES
) -> list[Session]:
    """Pack the notebooks, in course order, into sessions of at most ``session_minutes``.

    The first session starts with setup; each ends with a wrap-up. A notebook moves to a
    new session when it does not fit; one longer than a whole session is split ("part 1",
    "part 2", ...).
    """
    if session_minutes <= SETUP_MINUTES + WRAP_UP_MINUTES:
        raise ValueError(
            f"session_minutes must exceed setup + wrap-up ({SETUP_MINUTES + WRAP_UP_MINUTES}), "
            f"got {session_minutes}."
        )
    sessions: list[Session] = []
    names: list[str] = [SETUP_LABEL]
    used = SETUP_MINUTES + WRAP_UP_MINUTES
    holds_notebook = False

    def close() -> None:
        nonlocal names, used, holds_notebook
        sessions.append(Session(len(sessions) + 1, tuple(names), used))
        names, used, holds_notebook = [], WRAP_UP_MINUTES, False

    for info in infos:
        remaining = info.planned_minutes
        if holds_notebook and used + remaining > session_minutes:
            close()
        part = 1
        while used + remaining > session_minutes:
            fits = session_minutes - used
            names.append(f"{info.title} (part {part})")
            used += fits
            remaining -= fits
            part += 1
            close()
        names.append(info.title if part == 1 else f"{info.title} (part {part})")
        used += remaining
        holds_notebook = True
    close()
    return sessions


def _format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "not measured yet (run `make execute`)"
    minutes, rest = divmod(round(seconds), SECONDS_PER_MINUTE)
    return f"{seconds:.0f} s" if not minutes else f"{seconds:.0f} s ({minutes} min {rest:02d} s)"


def _run_time_table(infos: Sequence[NotebookInfo]) -> list[str]:
    lines = [
        "| notebook | era | measured run time | core words | core code cells | exercises "
        "| planned minutes |",
        "|---|---|---|---|---|---|---|",
    ]
    for info in infos:
        lines.append(
            f"| {_link(info)} | {info.era} | {_format_seconds(info.run_seconds)} "
            f"| {info.words:,} | {info.code_cells} | {info.exercises} | {info.planned_minutes} |"
        )
    measured = [info.run_seconds for info in infos if info.run_seconds is not None]
    total = _format_seconds(sum(measured))
    if len(measured) < len(infos):
        total += f", {len(measured)} of {len(infos)} measured"
    lines.append(
        f"| **all {len(infos)} notebooks** | | **{total}** | "
        f"{sum(i.words for i in infos):,} | {sum(i.code_cells for i in infos)} | "
        f"{sum(i.exercises for i in infos)} | "
        f"{sum(i.planned_minutes for i in infos)} |"
    )
    return lines


def _link(info: NotebookInfo) -> str:
    return f"[{info.title}]({info.name})"


def _first_exercise(infos: Sequence[NotebookInfo]) -> NotebookInfo | None:
    """The first notebook of the course (appendices aside) that has an exercise."""
    return next((info for info in infos if info.exercises and not info.appendix), None)


def _optional_reading(infos: Sequence[NotebookInfo]) -> str:
    """Where the guide places an appendix: before the first exercise, if there is one."""
    first = _first_exercise(infos)
    where = f" (in {_link(first)})" if first is not None else ""
    return f"optional reading before the first exercise{where}, not part of the session plan"


def _objectives_section(infos: Sequence[NotebookInfo]) -> list[str]:
    lines = []
    for info in infos:
        lines += ["", f"### {_link(info)}", ""]
        if info.era:
            lines.append(f"*Era:* {info.era}. *Run time:* {_format_seconds(info.run_seconds)}.")
        if info.appendix:
            lines.append(f"*An appendix:* {_optional_reading(infos)}.")
        if info.prerequisites:
            lines.append(f"*Prerequisites:* {info.prerequisites}")
        lines += ["", "After this notebook a learner can", ""]
        lines += [f"{number}. {text}" for number, text in enumerate(info.objectives, 1)]
    return lines


def _plan_section(sessions: Sequence[Session]) -> list[str]:
    lines = [
        "| session | what | planned minutes |",
        "|---|---|---|",
    ]
    lines += [
        f"| {session.number} | {'; '.join(session.notebooks)} | {session.minutes} |"
        for session in sessions
    ]
    return lines


def _appendix_section(infos: Sequence[NotebookInfo]) -> list[str]:
    """A paragraph per appendix: what to do with it, since the plan leaves it out."""
    lines = []
    for info in infos:
        if info.appendix:
            lines += [
                "",
                f"**Optional reading: {_link(info)}.** An appendix, "
                f"{_optional_reading(infos)}. Hand it out with that notebook for learners to "
                f"read on their own (about {info.planned_minutes} minutes at the rates below), "
                "or give it a session of its own for a group new to writing Python.",
            ]
    return lines


INTRO = """\
# Teacher guide

*Generated by `python -m course_utils.classroom.teaching` (`make teaching`) from the notebooks
themselves: their opening cells and their measured run times. Do not edit by hand; a test
fails when this file differs from what the generator writes.*

The course is a sequence of notebooks, each a self-contained lesson with learning
objectives, a live explorer, 2-4 exercises with automatic checks, a summary and
references; an appendix is optional reading. This guide gives the measured run times,
the objectives, a plan for {session}-minute sessions, and the practical steps for a
classroom: student copies, a lab without network, resetting a notebook."""

RUN_TIME_NOTE = """\
**How the run times were measured.** Each is the wall time of one execution of the whole
notebook, top to bottom in a fresh kernel, by `python -m course_utils execute` (`make
execute`, which uses nbclient), on the course's reference machine: a 2-core CPU shared
with other work, no GPU. The value is stored in the notebook (`metadata.course.run_seconds`)
each time it is executed, and this table is regenerated from it. `make test` prints the
same measurement under nbval at its end ("notebook execution time"); the two agree within
the noise of a shared machine."""

PLAN_NOTE = """\
**How the plan is computed.** From each notebook's measured content, on its core path
(everything before its "Going further" section, which learners may skip): {words} words of
text read and discussed per minute, {cell} minutes per code cell, {exercise} minutes per
exercise, and its measured run time once, rounded up to whole minutes; the first session
starts with {setup} minutes of setup (`make lab`, `make doctor`), and every session keeps
{wrap_up} minutes for a wrap-up. Notebooks keep their order; one that does not fit moves to
the next session, and one longer than a session is split into parts at a section boundary
of your choice. Adjust the rates to your group: the plan is a starting point, not a
timetable."""

PRACTICAL = """\
## Student notebooks: build and hand out

The notebooks in `notebooks/` are the instructor version: solutions are in, between
`### BEGIN SOLUTION` and `### END SOLUTION` (the nbgrader convention), and outputs are stored.

```bash
make student                     # or: python -m course_utils student
```

writes `notebooks/student/`: every solution replaced by a stub that raises
`NotImplementedError`, every output cleared. A student notebook still runs top to bottom:
an unsolved exercise's check prints "not solved yet", and the cells after it keep working.
Students need the whole repository (`course_utils`, `requirements.txt`, `data/`) with the
student copies in place of the solved notebooks:

```bash
make student
mkdir handout && git archive HEAD | tar -x -C handout   # the committed repository
cp notebooks/student/*.ipynb handout/notebooks/         # student copies replace the solved ones
rm handout/notebooks/TEACHING.md
tar -czf course-handout.tar.gz -C handout .
```

Students set up with `make lab`. On Google Colab they open a notebook with the badge under
its title: the collapsed cell after it installs the course there, and does nothing anywhere
else. (Colab
opens the repository's instructor notebooks; for a class that must not see solutions,
publish the handout as a repository of its own and set `COURSE_REPOSITORY` in
`course_utils/classroom.py` to it before `make execute`.)

## A lab without network

Nothing is downloaded during a lesson if the machines have the packages and a data mirror.

1. On a machine with network (and the lab's operating system), prepare once:
   ```bash
   pip download -r requirements.txt "setuptools>=68" -d wheelhouse   # every pinned wheel
   python -m course_utils data                  # NLTK corpora + Tiny Shakespeare
   ```
   (for Linux labs without a GPU, download `torch` from PyTorch's CPU wheel index instead,
   as the README explains), and copy `wheelhouse/` and a data mirror to the lab: a folder
   `course-data/` holding `nltk_data/` (NLTK's data folder) and `tinyshakespeare/input.txt`,
   the layout of `../shared/course-data` beside the repository.
2. On each lab machine, point pip at the wheelhouse and the course at the mirror:
   ```bash
   export PIP_NO_INDEX=1 PIP_FIND_LINKS=/path/to/wheelhouse
   export NLTK_DATA=/path/to/course-data/nltk_data
   export COURSE_DATA_MIRROR=/path/to/course-data
   export COURSE_OFFLINE=1 HF_HUB_OFFLINE=1   # never wait on a network timeout
   make doctor   # sets up .venv from the wheelhouse, then checks: no line may show ✗
   make lab
   ```
   Put the `export` lines in the lab's login profile so every terminal and kernel has them.
   A missing data set raises `DataUnavailableError` with both fixes in its message.

## Reset and rerun

- **A notebook in a strange state** (cells run out of order, variables overwritten):
  *Kernel → Restart Kernel and Run All Cells…* in JupyterLab. Every notebook is seeded, so
  the numbers come back the same.
- **A student's copy damaged beyond repair:** rebuild the student notebooks with
  `make student` and hand out that file again (it overwrites `notebooks/student/`: copy a
  student's work elsewhere first).
- **The instructor notebooks:** `git checkout -- notebooks/` restores the committed, executed
  versions; `make execute` re-executes them all and saves them with fresh outputs, run times
  and this guide.
- **Generated files:** `make clean` removes `notebooks/student/` and the caches;
  `make site` rebuilds the course website in `build/site/`.
- **Training runs:** the long runs ship as checkpoints under `data/`; a notebook retrains
  one when its flag is flipped, and every training command takes `--device cuda` (or `mps`)
  on a machine with a GPU."""


def render_guide(paths: Sequence[Path] | None = None) -> str:
    """The whole teacher guide as markdown, for the given notebooks (default: the course's)."""
    infos = [read_notebook_info(path) for path in (paths or course_notebooks())]
    sessions = plan_sessions([info for info in infos if not info.appendix])
    lines = [
        INTRO.format(session=SESSION_MINUTES),
        "",
        "## Notebooks and measured run times",
        "",
        *_run_time_table(infos),
        "",
        RUN_TIME_NOTE,
        "",
        f"## A plan for {SESSION_MINUTES}-minute sessions",
        "",
        *_plan_section(sessions),
        *_appendix_section(infos),
        "",
        PLAN_NOTE.format(
            words=WORDS_PER_MINUTE,
            cell=MINUTES_PER_CODE_CELL,
            exercise=MINUTES_PER_EXERCISE,
            setup=SETUP_MINUTES,
            wrap_up=WRAP_UP_MINUTES,
        ),
        "",
        "## Learning objectives, notebook by notebook",
        *_objectives_section(infos),
        "",
        PRACTICAL,
    ]
    return "\n".join(lines) + "\n"


def write_guide(path: Path = GUIDE_PATH, notebooks: Sequence[Path] | None = None) -> Path:
    """Write the guide (atomically) and return its path."""
    atomic_write_bytes(path, render_guide(notebooks).encode("utf-8"))
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m course_utils.classroom.teaching [--out PATH]``: regenerate the teacher guide."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GUIDE_PATH, help="where to write it")
    args = parser.parse_args(argv)
    print(f"wrote {write_guide(args.out)}")


if __name__ == "__main__":
    main()
