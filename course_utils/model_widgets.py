"""Interactive explorers of the later notebooks, each with a static HTML fallback: decoding
strategies (09), fill-mask predictions (08), a temperature slider over a reliability
diagram (10), the leaderboard (11) and PEP 8 names (12).

The live explorer needs a running kernel; the static fallback is what a reader sees on
GitHub, on the course website or without a kernel (see :mod:`course_utils.widgets`).
"""

from __future__ import annotations

import base64
import html
import io
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils.evaluation import negative_log_likelihood, reliability_diagram, softmax
from course_utils.model_plots import reliability_plot
from course_utils.widgets import NEGATIVE_COLOR, POSITIVE_COLOR, show_with_fallback, text_explorer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from course_utils.leaderboard import LeaderboardRow

__all__ = [
    "BACKTICKS",
    "CALIBRATION_MAX_TEMPERATURE",
    "CALIBRATION_PREVIEW",
    "DECODING_PREVIEW",
    "DOES_NOT_FIT",
    "ERA_SWATCH_STYLE",
    "FILL_BAR_PIXELS",
    "FITS",
    "LEADERBOARD_START_MEASURE",
    "MAX_TOP_K",
    "TEMPERATURE_MAX",
    "TOP_K_OFF",
    "TOP_P_OFF",
    "FillMask",
    "Sampler",
    "calibration_explorer",
    "decoding_explorer",
    "figure_html",
    "fill_mask_explorer",
    "fill_mask_html",
    "generation_html",
    "leaderboard_explorer",
    "leaderboard_table_html",
    "leaderboard_view_html",
    "name_style_explorer",
    "name_style_html",
    "reliability_html",
]


#: (temperature, top_k, top_p) settings of the decoding explorer's static preview.
DECODING_PREVIEW = ((0.0, None, None), (0.5, None, None), (1.0, None, None),
                    (1.0, 10, None), (1.0, None, 0.9), (2.0, None, None))  # fmt: skip
#: Slider values that mean "off": top-k 0 keeps every token, top-p 1.0 keeps all the mass.
TOP_K_OFF, TOP_P_OFF = 0, 1.0
MAX_TOP_K = 65
TEMPERATURE_MAX = 2.0

Sampler = Callable[[str, float, "int | None", "float | None"], str]


def _setting_label(temperature: float, top_k: int | None, top_p: float | None) -> str:
    if temperature == 0:
        return "greedy (temperature 0)"
    parts = [f"temperature {temperature:g}"]
    if top_k is not None:
        parts.append(f"top-k {top_k}")
    if top_p is not None:
        parts.append(f"top-p {top_p:g}")
    return ", ".join(parts)


def generation_html(prompt: str, continuation: str, label: str) -> str:
    """A prompt (bold) and its continuation in a monospace block, under a label."""
    return (
        f"<div style='margin: 4px 0'><small>{html.escape(label)}</small><pre "
        f"style='margin: 2px 0; white-space: pre-wrap'><b>{html.escape(prompt)}</b>"
        f"{html.escape(continuation)}</pre></div>"
    )


def decoding_explorer(sample: Sampler, prompt: str) -> widgets.VBox:
    """Type a prompt, move the temperature, top-k and top-p sliders, read the text (nb 09).

    ``sample(prompt, temperature, top_k, top_p)`` returns the continuation (seeded, so a
    setting always gives the same text); bad input shows its error message. The static
    preview shows the same prompt at several settings.
    """
    box = widgets.Textarea(value=prompt, description="Prompt:", continuous_update=False)
    settings = {"continuous_update": False, "style": {"description_width": "initial"}}
    temperature = widgets.FloatSlider(
        value=0.8, min=0.0, max=TEMPERATURE_MAX, step=0.1, description="Temperature:", **settings
    )
    top_k = widgets.IntSlider(
        value=TOP_K_OFF, min=TOP_K_OFF, max=MAX_TOP_K, description="Top-k (0 = off):", **settings
    )
    top_p = widgets.FloatSlider(
        value=TOP_P_OFF,
        min=0.05,
        max=TOP_P_OFF,
        step=0.05,
        description="Top-p (1 = off):",
        **settings,
    )
    output = widgets.HTML()

    def refresh(_change: dict | None = None) -> None:
        k = None if top_k.value == TOP_K_OFF else top_k.value
        p = None if top_p.value >= TOP_P_OFF else top_p.value
        try:
            text = sample(box.value, temperature.value, k, p)
        except ValueError as error:
            output.value = f"<p style='color: {NEGATIVE_COLOR}'>{html.escape(str(error))}</p>"
            return
        output.value = generation_html(box.value, text, _setting_label(temperature.value, k, p))

    for control in (box, temperature, top_k, top_p):
        control.observe(refresh, names="value")
    refresh()
    explorer = widgets.VBox([box, widgets.HBox([temperature, top_k, top_p]), output])
    fallback = "".join(
        generation_html(prompt, sample(prompt, t, k, p), _setting_label(t, k, p))
        for t, k, p in DECODING_PREVIEW
    )
    show_with_fallback(explorer, fallback,
                       f"Static preview: the prompt {prompt!r} continued with each decoding "
                       "setting.")  # fmt: skip
    return explorer


#: ``text -> [[(token, probability), ...] per [MASK]]``, e.g. ``course_utils.bert.fill_mask``.
FillMask = Callable[[str], Sequence[Sequence[tuple[str, float]]]]
FILL_BAR_PIXELS = 120


def fill_mask_html(text: str, fill: FillMask) -> str:
    """One table per [MASK] in ``text``: the model's top guesses with probability bars; a
    clear message (from ``fill``'s ValueError) when the text has no [MASK]."""
    try:
        guesses = fill(text)
    except ValueError as error:
        return f"<p style='color: {NEGATIVE_COLOR}'>{html.escape(str(error))}</p>"
    tables = []
    for number, row in enumerate(guesses, start=1):
        cells = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(token)}</code></td>"
            f"<td style='text-align:left'><span style='display:inline-block; background:"
            f"{POSITIVE_COLOR}; width:{round(FILL_BAR_PIXELS * p)}px; height:10px'></span> "
            f"{100 * p:.1f}%</td></tr>"
            for token, p in row
        )
        tables.append(
            f"<table style='display:inline-block; margin-right:16px; vertical-align:top'>"
            f"<tr><th>[MASK] #{number}</th><th>probability</th></tr>{cells}</table>"
        )
    return f"<p>Text: <code>{html.escape(text)}</code></p>" + "".join(tables)


def fill_mask_explorer(fill: FillMask, examples: Sequence[str]) -> widgets.VBox:
    """Type a sentence with [MASK], see the model's top guesses for each (notebook 08)."""
    return text_explorer(lambda text: fill_mask_html(text, fill), examples, description="Text:")


#: Temperatures of the calibration explorer's static preview (1 = the model as trained).
CALIBRATION_PREVIEW = (0.5, 1.0, 2.0)
CALIBRATION_MAX_TEMPERATURE = 4.0


def figure_html(figure: Figure) -> str:
    """A matplotlib figure as an inline PNG (visible without a kernel); closes the figure."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img src='data:image/png;base64,{encoded}'/>"


def reliability_html(logits: np.ndarray, labels: Sequence[int], temperature: float) -> str:
    """The reliability diagram of ``softmax(logits / temperature)``, with its ECE, NLL and
    accuracy in a line of text above it."""
    probs = softmax(logits, temperature)
    diagram = reliability_diagram(probs, labels)
    nll = negative_log_likelihood(logits, labels, temperature)
    right = float(np.mean(probs.argmax(1) == np.asarray(labels)))
    fig, ax = plt.subplots(figsize=(3.6, 3.6))
    reliability_plot(diagram, title=f"T = {temperature:.2f}", ax=ax)
    summary = (
        f"T = {temperature:.2f}: ECE {100 * diagram.ece:.1f}%, NLL {nll:.3f}, "
        f"mean confidence {100 * probs.max(1).mean():.1f}%, accuracy {100 * right:.1f}%"
    )
    return f"<div style='display:inline-block'><p>{summary}</p>{figure_html(fig)}</div>"


def calibration_explorer(logits: np.ndarray, labels: Sequence[int]) -> widgets.VBox:
    """Move the temperature, watch confidence and the reliability diagram change while
    accuracy stays put (notebook 10). The static preview shows a few temperatures."""
    slider = widgets.FloatSlider(
        value=1.0,
        min=0.1,
        max=CALIBRATION_MAX_TEMPERATURE,
        step=0.05,
        description="Temperature:",
        continuous_update=False,
        style={"description_width": "initial"},
    )
    output = widgets.HTML()

    def refresh(_change: dict | None = None) -> None:
        output.value = reliability_html(logits, labels, slider.value)

    slider.observe(refresh, names="value")
    refresh()
    explorer = widgets.VBox([slider, output])
    fallback = "".join(reliability_html(logits, labels, t) for t in CALIBRATION_PREVIEW)
    show_with_fallback(explorer, fallback,
                       "Static preview: the same predictions at temperatures "
                       f"{', '.join(str(t) for t in CALIBRATION_PREVIEW)}.")  # fmt: skip
    return explorer


#: What the leaderboard explorer shows first (and its static preview): the cost on MR alone.
LEADERBOARD_START_MEASURE = "train_seconds"
ERA_SWATCH_STYLE = "display: inline-block; width: 10px; height: 10px; margin-right: 4px"


def leaderboard_table_html(
    rows: Sequence[LeaderboardRow], measure: str, numbers: Sequence[int] | None = None
) -> str:
    """The rows as an HTML table, most accurate first: number, era (in its colour), model,
    test accuracy and the cost ``measure`` (notebook 11)."""
    from course_utils.leaderboard import COST_MEASURES, cost
    from course_utils.leaderboard_table import format_cost
    from course_utils.plots import ERA_COLORS

    numbers = list(range(1, len(rows) + 1)) if numbers is None else list(numbers)
    label = COST_MEASURES[measure][0].replace(" (log scale)", "")
    body = []
    for number, row in sorted(zip(numbers, rows, strict=True), key=lambda p: -p[1].test_accuracy):
        color = ERA_COLORS[row.era_index % len(ERA_COLORS)]
        spread = f" ± {100 * row.test_accuracy_std:.1f}" if row.seeds > 1 else ""
        body.append(
            f"<tr><td>{number}</td><td style='text-align:left'><span style='{ERA_SWATCH_STYLE}; "
            f"background: {color}'></span>{html.escape(row.era)}</td>"
            f"<td style='text-align:left'>{html.escape(row.model)}</td>"
            f"<td>{100 * row.test_accuracy:.1f}{spread}</td>"
            f"<td>{format_cost(cost(row, measure), measure)}</td></tr>"
        )
    return (
        f"<table><tr><th>#</th><th>era</th><th>model</th><th>MR test %</th>"
        f"<th>{html.escape(label)}</th></tr>{''.join(body)}</table>"
    )


def leaderboard_view_html(
    rows: Sequence[LeaderboardRow],
    references: Mapping[str, float],
    measure: str,
    eras: Sequence[str],
    floor: float | None = None,
) -> str:
    """The explorer's view: the rows of ``eras`` against one cost, figure and table."""
    from course_utils.model_plots import leaderboard_cost_plot

    chosen = [(n, row) for n, row in enumerate(rows, start=1) if row.era in eras]
    if not chosen:
        return "<p><em>Tick at least one era.</em></p>"
    numbers, selected = zip(*chosen, strict=True)
    figure = leaderboard_cost_plot(selected, references, measures=(measure,), floor=floor,
                                   numbers=numbers)  # fmt: skip
    return figure_html(figure) + leaderboard_table_html(selected, measure, numbers)


def leaderboard_explorer(
    rows: Sequence[LeaderboardRow],
    references: Mapping[str, float],
    floor: float | None = None,
) -> widgets.VBox:
    """Choose the cost on the x axis and which eras to show; the figure and the table of
    the chosen rows follow (notebook 11). The static preview shows every era against
    :data:`LEADERBOARD_START_MEASURE`."""
    from course_utils.leaderboard import COST_MEASURES

    if not rows:
        raise ValueError("the explorer needs at least one leaderboard row.")
    measure = widgets.Dropdown(
        options=[(label.replace(" (log scale)", ""), name)
                 for name, (label, _) in COST_MEASURES.items()],
        value=LEADERBOARD_START_MEASURE,
        description="x axis:",
        layout=widgets.Layout(width="60%"),
    )  # fmt: skip
    eras = list(dict.fromkeys(row.era for row in rows))
    boxes = [widgets.Checkbox(value=True, description=era, indent=False) for era in eras]
    output = widgets.HTML()

    def refresh(_change: dict | None = None) -> None:
        ticked = [box.description for box in boxes if box.value]
        output.value = leaderboard_view_html(rows, references, measure.value, ticked, floor)

    for control in (measure, *boxes):
        control.observe(refresh, names="value")
    refresh()
    era_row = widgets.HBox(boxes, layout=widgets.Layout(flex_flow="row wrap"))
    explorer = widgets.VBox([measure, era_row, output])
    show_with_fallback(
        explorer,
        leaderboard_view_html(rows, references, LEADERBOARD_START_MEASURE, eras, floor),
        "Static preview: every era against the CPU seconds of training on MR alone "
        "(choose the axis and the eras in the live explorer below).",
    )
    return explorer


FITS, DOES_NOT_FIT = "✓", "✗"
BACKTICKS = re.compile(r"`([^`]+)`")


def _inline_code(text: str) -> str:
    """Escape ``text`` for HTML, showing its `backticked` parts as code."""
    return BACKTICKS.sub(r"<code>\1</code>", html.escape(text))


def name_style_html(name: str) -> str:
    """What PEP 8 makes of ``name``: its words, the style it is written in, and for each
    kind of name (class, constant, function, ...) whether that style suits it. Notebook 12."""
    from course_utils.craft import KIND_STYLES, STYLE_RULES, name_style, split_words

    name = name.strip()
    shown = f"<code>{html.escape(name)}</code>"
    if not name:
        return "<p><em>Type a name.</em></p>"
    if not name.isidentifier():
        return (
            f"<p>{shown} is not a valid Python name: letters, digits and underscores, "
            "not starting with a digit.</p>"
        )
    if keyword.iskeyword(name):
        return f"<p>{shown} is a Python keyword: it cannot name anything.</p>"
    style = name_style(name)
    if name.startswith("__") and name.endswith("__"):
        note = "; a special name, which belongs to Python (like <code>__init__</code>)"
    elif name.startswith("_"):
        note = "; the leading underscore marks it private"
    else:
        note = ""
    kinds_by_style: dict[str, list[str]] = {}
    for kind, wanted in KIND_STYLES.items():
        kinds_by_style.setdefault(wanted, []).append(kind)
    rows = "".join(
        f"<tr><td style='text-align:left'>{', '.join(kinds)}</td><td>{wanted}</td>"
        f"<td style='text-align:left'>{_inline_code(STYLE_RULES[wanted])}</td>"
        f"<td>{FITS if style == wanted else DOES_NOT_FIT}</td></tr>"
        for wanted, kinds in kinds_by_style.items()
    )
    return (
        f"<p>{shown}: words <em>{html.escape(', '.join(split_words(name)))}</em>, written in "
        f"<b>{html.escape(style)}</b>{note}</p>"
        "<table><tr><th style='text-align:left'>as the name of a</th><th>PEP 8 asks for</th>"
        f"<th style='text-align:left'>which is</th><th>fits?</th></tr>{rows}</table>"
    )


def name_style_explorer(examples: Sequence[str]) -> widgets.VBox:
    """Type a name, see its style and which kinds of name PEP 8 lets it be (notebook 12)."""
    return text_explorer(name_style_html, examples, description="Name:")
