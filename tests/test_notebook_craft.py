"""What a learner sees in the committed notebooks: no test plumbing in the source, no frozen
progress bar, a header run time that is the measured one, no acceptance-target wording."""

from __future__ import annotations

import re

import nbformat
import pytest

from course_utils.classroom import execute, student

NOTEBOOKS = student.course_notebooks()
#: An nbval comment marker; nbval reads cell tags (nbval-check-output, ...) instead.
NBVAL_MARKER = re.compile(r"#\s*NBVAL_[A-Z_]+")
#: A stored progress bar that never moved: "0%|          | 0/600".
FROZEN_BAR = re.compile(r"(?<!\d)0%\|")
#: Wording of acceptance targets and issues; a notebook compares with published results
#: and with chance, in words for a learner.
TARGET_WORDING = re.compile(
    r"\(target|targets? (?:met|missed|reached)|targets? (?:<|>|≤|≥)=?|all targets|"
    r"(?:course's|issue's) (?:target|goal)|\d target\b|short of the target|"
    r"the targets this course set",
    re.IGNORECASE,
)


def _read(path):
    return nbformat.read(path, as_version=4)


def _learner_text(notebook):
    """(cell index, text) of every markdown source and every stored text output."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            yield index, cell.source
        for output in cell.get("outputs", []):
            yield index, execute._output_text(output)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_nbval_comment_marker_in_a_source_cell(path):
    found = [
        index
        for index, cell in enumerate(_read(path).cells)
        if cell.cell_type == "code" and NBVAL_MARKER.search(cell.source)
    ]
    assert not found, f"{path.name} cells {found}: use the cell tag nbval-check-output instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_stored_progress_bar_shows_zero_percent(path):
    frozen = [index for index, text in _learner_text(_read(path)) if FROZEN_BAR.search(text)]
    assert not frozen, (
        f"{path.name} cells {frozen}: re-execute with python -m course_utils execute"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_header_run_time_is_the_measured_one(path):
    notebook = _read(path)
    seconds = notebook.metadata["course"]["run_seconds"]
    header = next(cell.source for cell in notebook.cells if execute.RUN_TIME_LABEL in cell.source)
    stated = f"{execute.RUN_TIME_LABEL} {execute.run_time_phrase(seconds)} on a 2-core CPU"
    assert stated in header, f"{path.name}: run_seconds is {seconds}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_acceptance_target_wording(path):
    found = [
        (index, match.group(0))
        for index, text in _learner_text(_read(path))
        for match in TARGET_WORDING.finditer(text)
    ]
    assert not found, f"{path.name}: {found}"


def test_target_wording_pattern_catches_the_old_phrasings_and_spares_ml_targets():
    for phrase in (
        "(target >= 78%: True)",
        "-> not all targets met",
        "the course's target: within 0.10",
        "validation loss 2.001 (target <= 2.1: met)",
        "the issue's goal",
    ):
        assert TARGET_WORDING.search(phrase), phrase
    for phrase in ("soft targets", "the target word", "targets as text", "model input  target"):
        assert not TARGET_WORDING.search(phrase), phrase


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [(5.6, "under 10 seconds"), (31.9, "about 30 seconds"), (87.8, "about 90 seconds"),
     (119.0, "about 2 minutes"), (140.0, "about 2.5 minutes")],
)  # fmt: skip
def test_run_time_phrase(seconds, phrase):
    assert execute.run_time_phrase(seconds) == phrase


def test_stamp_run_time_rewrites_only_the_phrase():
    notebook = nbformat.v4.new_notebook(metadata={"course": {"run_seconds": 31.9}})
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "# 42 · T\n\n**Expected run time:** about 70 seconds, measured on a 2-core CPU "
            "that other jobs were sharing (the model ships)."
        )
    ]
    assert execute.stamp_run_time(notebook) is True
    assert notebook.cells[0].source.endswith(
        "**Expected run time:** about 30 seconds on a 2-core CPU (the model ships)."
    )


def _bar_notebook(value, total):
    """A notebook whose one output is a tqdm widget stored at creation, ending at ``value``."""
    models = {
        "box": ("HBoxModel", {"children": ["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]}),
        "l": ("HTMLModel", {"value": "GloVe:\u2007100%"}),
        "p": ("FloatProgressModel", {"value": value, "max": total}),
        "r": ("HTMLModel", {"value": f"\u2007{value}/{total}\u2007[00:01&lt;00:00]"}),
    }
    state = {key: {"model_name": name, "state": s} for key, (name, s) in models.items()}
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    output = nbformat.v4.new_output(
        "display_data",
        data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "box"},
            "text/plain": "GloVe:   0%|          | 0/245 [00:00<?, ?step/s]",
        },
    )
    notebook.cells = [nbformat.v4.new_code_cell("train()", outputs=[output])]
    return notebook


def test_finish_progress_bars_stores_the_final_bar():
    notebook = _bar_notebook(245, 245)
    assert execute.finish_progress_bars(notebook) == 1
    text = notebook.cells[0].outputs[0].data["text/plain"]
    assert text == "GloVe: 100%|██████████| 245/245 [00:01<00:00]"
    assert not FROZEN_BAR.search(text)
    assert execute.finish_progress_bars(notebook) == 0  # idempotent
