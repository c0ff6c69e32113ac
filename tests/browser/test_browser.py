"""The course in a real browser, as a learner meets it (``make test-browser``).

Each course notebook is opened in JupyterLab in headless Chromium; its outputs are
cleared and *Run > Run All Cells* runs it; every code cell must finish without an error
or stderr output. Then the explorers listed in :data:`INTERACTIONS` are used like a
learner would (typing into a text box, moving a slider with the keyboard), and each
interaction must change what the explorer shows: that proves the round trip browser ->
kernel -> browser. Screenshots land in ``build/browser-screenshots/``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_utils.classroom.student import course_notebooks

#: Timeouts, each multiplied by the ``slowdown`` fixture (``COURSE_BROWSER_SLOWDOWN``). Run all
#: cells: this many times the notebook's measured run time, but at least the minimum.
RUN_TIMEOUT_FACTOR = 10
MIN_RUN_TIMEOUT_S = 300
PAGE_TIMEOUT_S = 120
CHANGE_TIMEOUT_S = 60
POLL_INTERVAL_S = 0.5
TYPING_DELAY_MS = 30

#: The code cells as the kernel left them: execution count, and the errors and stderr text.
CELL_STATE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const cells = panel.content.widgets
    .filter((cell) => cell.model.type === "code" && cell.model.sharedModel.getSource().trim())
    .map((cell) => {
      const outputs = cell.model.outputs.toJSON();
      return {
        count: cell.model.executionCount,
        errors: outputs.filter((o) => o.output_type === "error")
          .map((o) => `${o.ename}: ${o.evalue}`),
        stderr: outputs.filter((o) => o.output_type === "stream" && o.name === "stderr")
          .map((o) => [].concat(o.text).join("")),
      };
    });
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {kernel: kernel ? kernel.status : "none", cells};
}"""


@dataclass(frozen=True)
class TypeText:
    """Type ``text`` into the explorer's text box labelled ``label`` ("Sentence:").

    ``expect``, when given, must appear in the explorer's output afterwards.
    """

    label: str
    text: str
    expect: str | None = None

    def control(self, page):
        """The text box, found by its label."""
        box = page.locator(".widget-text", has=page.locator(".widget-label", has_text=self.label))
        return box.first.locator("input")

    def act(self, control) -> None:
        """Select what is there and type over it, key by key."""
        control.click()
        control.press("ControlOrMeta+a")
        control.press_sequentially(self.text, delay=TYPING_DELAY_MS)


@dataclass(frozen=True)
class MoveSlider:
    """Move the slider labelled ``label`` by ``presses`` presses of an arrow key."""

    label: str
    presses: int = 2
    key: str = "ArrowRight"
    expect: str | None = None

    def control(self, page):
        """The slider's handle, found by the slider's label."""
        slider = page.locator(
            ".widget-slider", has=page.locator(".widget-label", has_text=self.label)
        )
        return slider.first.locator(".noUi-handle")

    def act(self, control) -> None:
        """Focus the handle and press the key, as a keyboard user would."""
        control.focus()
        for _ in range(self.presses):
            control.press(self.key)


Interaction = TypeText | MoveSlider

#: The explorers each notebook's test uses, by notebook stem; a notebook not listed is
#: still run and checked. Add a notebook's explorers when it gets one.
INTERACTIONS: dict[str, tuple[Interaction, ...]] = {
    "01_rule_based_classifiers": (
        TypeText(
            "Sentence:",
            "not bad at all , a truly wonderful film !",
            expect="a truly wonderful film",
        ),
    ),
    "03_word2vec_cbow_vs_skipgram": (
        TypeText("Word:", "king", expect="Nearest neighbours of king"),
    ),
    "06_attention": (
        TypeText("Input:", "97531024"),
        MoveSlider("Temperature:"),
    ),
    "08_bert_mlm_nsp": (TypeText("Text:", "the film was [MASK] and funny .", expect="[MASK] #1"),),
    "09_gpt_generation_and_prompting": (MoveSlider("Temperature:", presses=3),),
    "10_distillation_and_calibration": (MoveSlider("Temperature:", presses=4, expect="ECE"),),
    "12_appendix_python_craft": (TypeText("Name:", "maxLength", expect="camelCase"),),
}


def _run_timeout_s(path: Path) -> float:
    measured = nbformat.read(path, as_version=4).metadata.get("course", {}).get("run_seconds")
    return max(MIN_RUN_TIMEOUT_S, RUN_TIMEOUT_FACTOR * float(measured or 0.0))


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def _cell_state(page) -> dict:
    state = page.evaluate(CELL_STATE_JS)
    assert state is not None, "the notebook panel is not the current JupyterLab widget"
    return state


def _wait_for_kernel(page, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _cell_state(page)["kernel"] != "idle":
        assert time.monotonic() < deadline, f"the kernel did not start in {timeout_s:.0f} s"
        time.sleep(POLL_INTERVAL_S)


def _run_all(page, timeout_s: float, failure_shot: Path) -> dict:
    """Clear every output, then Run > Run All Cells; wait until every cell ran.

    On a timeout the page is saved to ``failure_shot`` before the test fails.
    """
    _menu(page, "Edit", "Clear Outputs of All Cells")
    assert all(cell["count"] is None for cell in _cell_state(page)["cells"])
    _menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout_s
    while True:
        state = _cell_state(page)
        done = all(cell["count"] is not None for cell in state["cells"])
        failed = any(cell["errors"] for cell in state["cells"])
        if (done or failed) and state["kernel"] == "idle":
            return state
        if time.monotonic() > deadline:
            pending = sum(cell["count"] is None for cell in state["cells"])
            page.screenshot(path=str(failure_shot))
            pytest.fail(
                f"{pending} cells still not run after {timeout_s:.0f} s (kernel "
                f"{state['kernel']}; page saved as {failure_shot.name}); on a busy machine "
                "set COURSE_BROWSER_SLOWDOWN"
            )
        time.sleep(POLL_INTERVAL_S)


def _output_text(output_area) -> str:
    """What the explorer shows: the text of its live HTML views (not the static preview)."""
    return "\n".join(output_area.locator(".widget-html-content").all_inner_texts())


def _wait_for_change(output_area, before: str, expect: str | None, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        after = _output_text(output_area)
        if after != before and (expect is None or expect in after):
            return after
        time.sleep(POLL_INTERVAL_S)
    return _output_text(output_area)


def _shot(page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"))


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda path: path.stem)
def test_notebook_runs_and_its_explorers_respond(path, lab, page, screenshot_dir, slowdown):
    page.set_default_timeout(PAGE_TIMEOUT_S * slowdown * 1000)
    page.goto(lab.notebook_url(path.name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    _wait_for_kernel(page, PAGE_TIMEOUT_S * slowdown)
    start = time.perf_counter()
    failure_shot = screenshot_dir / f"{path.stem}_timeout.png"
    state = _run_all(page, _run_timeout_s(path) * slowdown, failure_shot)
    seconds = time.perf_counter() - start
    print(f"{path.name}: Run All Cells took {seconds:.1f} s in the browser")
    _shot(page, screenshot_dir, f"{path.stem}_0_ran")
    errors = [error for cell in state["cells"] for error in cell["errors"]]
    assert not errors, f"{path.name} raised in the browser: {errors}"
    stderr = [text for cell in state["cells"] for text in cell["stderr"]]
    assert not stderr, f"{path.name} wrote to stderr in the browser: {stderr}"

    for step, interaction in enumerate(INTERACTIONS.get(path.stem, ()), 1):
        control = interaction.control(page)
        control.scroll_into_view_if_needed()
        output_area = control.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea')][1]")
        before = _output_text(output_area)
        assert before, f"{interaction} found no live output next to its control"
        interaction.act(control)
        after = _wait_for_change(
            output_area, before, interaction.expect, CHANGE_TIMEOUT_S * slowdown
        )
        control.scroll_into_view_if_needed()
        _shot(page, screenshot_dir, f"{path.stem}_{step}_{type(interaction).__name__}")
        assert after != before, f"{interaction}: the explorer's output did not change"
        if interaction.expect is not None:
            assert interaction.expect in after, f"{interaction}: {after[:300]!r}"
        assert "Traceback" not in after
    assert not [e for cell in _cell_state(page)["cells"] for e in cell["errors"]]
