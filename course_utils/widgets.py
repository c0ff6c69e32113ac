"""Interactive explorers for the notebooks, each with a static HTML fallback.

A live ipywidgets explorer needs a running kernel; the static fallback (plain HTML made
by the same rendering function) is what a reader sees on GitHub, in the course website
or in a notebook opened without a kernel. Notebooks 00 and 01.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as widgets
from IPython.display import HTML, display

from course_utils.data import Example
from course_utils.rules import Firing, SentimentClassifier, predict_label

POSITIVE_COLOR, NEGATIVE_COLOR, NEGATED_STYLE = (
    "#2ca02c",
    "#d62728",
    "text-decoration: underline wavy",
)
LABEL_NAMES = {1: "positive", 0: "negative"}
MAX_BROWSER_ROWS = 10


def show_with_fallback(widget: widgets.Widget, fallback_html: str, caption: str) -> None:
    """Display a static preview (visible everywhere) followed by the live widget."""
    display(HTML(f"<p><em>{html.escape(caption)}</em></p>{fallback_html}"))
    display(widget)


def _firing_html(firing: Firing) -> str:
    color = POSITIVE_COLOR if firing.weight > 0 else NEGATIVE_COLOR
    style = f"color: {color}; font-weight: bold;"
    if firing.negated:
        style += f" {NEGATED_STYLE};"
    note = " (negated)" if firing.negated else ""
    return (
        f'<span style="{style}" title="{html.escape(firing.source)}{note}">'
        f"{html.escape(firing.text)} {firing.weight:+g}</span>"
    )


def firings_table_html(sentence: str, classifiers: Sequence[SentimentClassifier]) -> str:
    """An HTML table: for each classifier, what fired on ``sentence``, its score and label."""
    rows = []
    for classifier in classifiers:
        fired = classifier.firings(sentence)
        score = classifier.score(sentence)
        evidence = ", ".join(_firing_html(f) for f in fired) or "<em>nothing fired</em>"
        label = LABEL_NAMES[predict_label(score)]
        if score == 0:
            label += " (tie: no evidence)"
        rows.append(
            f"<tr><td>{html.escape(classifier.name)}</td><td style='text-align:left'>"
            f"{evidence}</td><td>{score:+.3f}</td><td>{label}</td></tr>"
        )
    return (
        f"<p>Sentence: <code>{html.escape(sentence)}</code></p>"
        "<table><tr><th>classifier</th><th>what fired (underlined = in a negation scope)"
        "</th><th>score</th><th>prediction</th></tr>" + "".join(rows) + "</table>"
    )


def rule_explorer(
    classifiers: Sequence[SentimentClassifier], examples: Sequence[str]
) -> widgets.VBox:
    """Type a sentence, see which rules fire in each classifier (notebook 01)."""
    if not examples:
        raise ValueError("rule_explorer needs at least one example sentence to start from.")
    box = widgets.Text(value=examples[0], description="Sentence:", continuous_update=True,
                       layout=widgets.Layout(width="95%"))  # fmt: skip
    output = widgets.HTML(firings_table_html(examples[0], classifiers))

    def update(change: dict) -> None:
        output.value = firings_table_html(change["new"], classifiers)

    box.observe(update, names="value")
    explorer = widgets.VBox([box, output])
    fallback = "".join(firings_table_html(sentence, classifiers) for sentence in examples)
    show_with_fallback(explorer, fallback, "Static preview (type your own in the live box below):")
    return explorer


def examples_table_html(examples: Sequence[Example], limit: int = MAX_BROWSER_ROWS) -> str:
    """The first ``limit`` examples of a split as an HTML table."""
    rows = "".join(
        f"<tr><td>{LABEL_NAMES[label]}</td>"
        f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
        for text, label in examples[:limit]
    )
    return f"<table><tr><th>label</th><th>sentence</th></tr>{rows}</table>"


def split_browser(split: dict[str, list[Example]]) -> widgets.VBox:
    """Browse the MR split by part and label, optionally filtered by a word (notebook 00)."""
    part = widgets.Dropdown(options=list(split), description="Split:")
    label = widgets.Dropdown(options=[("both", None), ("positive", 1), ("negative", 0)],
                             description="Label:")  # fmt: skip
    word = widgets.Text(description="Contains:", placeholder="a word, e.g. boring")
    output = widgets.HTML()

    def refresh(_change: dict | None = None) -> None:
        chosen = [
            (text, lab)
            for text, lab in split[part.value]
            if (label.value is None or lab == label.value)
            and (not word.value.strip() or word.value.strip().lower() in text.split())
        ]
        output.value = f"<p>{len(chosen)} sentences</p>" + examples_table_html(chosen)

    for control in (part, label, word):
        control.observe(refresh, names="value")
    refresh()
    browser = widgets.VBox([widgets.HBox([part, label, word]), output])
    first = next(iter(split))
    show_with_fallback(browser, examples_table_html(split[first], limit=5),
                       f"Static preview: the first five {first} sentences.")  # fmt: skip
    return browser
