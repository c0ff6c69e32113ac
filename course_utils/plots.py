"""Shared figures: the era timeline, confusion matrices, the leaderboard.

Used by notebooks 00, 01 and every notebook that adds a leaderboard row. Sits on top of
the core (may import any module; no core module imports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

FIGURE_DPI = 110
ERA_COLORS = ("#8c564b", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#7f7f7f")


def setup_matplotlib() -> None:
    """One consistent look for every notebook's figures."""
    plt.rcParams.update(
        {
            "figure.dpi": FIGURE_DPI,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "font.size": 10,
        }
    )


@dataclass(frozen=True)
class Era:
    """One era of the course's story, with its span on the timeline and its milestones."""

    name: str
    idea: str
    start: int
    end: int
    notebooks: str
    milestones: tuple[tuple[int, str], ...]


#: The five eras (spec section 1) plus the closing notebooks, with dated milestones.
ERAS = (
    Era("SW 1.0 rules", "a person writes\nthe rules", 1960, 2014, "01",
        ((1966, "ELIZA"), (2004, "Hu & Liu lexicon"), (2014, "VADER"))),
    Era("SW 1.5 features\n+ learning", "a person designs features,\nthe machine learns weights",
        1995, 2012, "02", ((2002, "Pang et al.: NB, SVM"), (2012, "NBSVM"))),
    Era("SW 2.0 learned\nrepresentations", "the machine learns\nthe features", 2013, 2018,
        "03-07", ((2013, "Word2Vec"), (2014, "GloVe"), (2015, "attention"),
                  (2016, "BPE subwords"), (2017, "Transformer"))),
    Era("pre-train,\nthen fine-tune", "self-supervised pre-training\n+ a little labelled data",
        2018, 2020, "08", ((2018, "BERT, GPT-1"), (2019, "GPT-2"))),
    Era("SW 3.0\nprompting", "one generative model,\nno weight updates", 2020, 2024, "09",
        ((2020, "GPT-3: few-shot"),)),
)  # fmt: skip


def era_timeline(eras: Sequence[Era] = ERAS) -> Figure:
    """The course map: one column per era, left to right, with dated milestones (notebook 00).

    Columns have equal width (the recent eras are short but dense), so the span of each
    era is written under its title rather than drawn to scale.
    """
    fig, ax = plt.subplots(figsize=(11, 3.1))
    width, gap = 1.0, 0.12
    for column, (era, color) in enumerate(zip(eras, ERA_COLORS, strict=False)):
        left = column * (width + gap)
        ax.add_patch(plt.Rectangle((left, 0), width, 1, color=color, alpha=0.15))
        ax.text(
            left + 0.05,
            0.93,
            era.name,
            fontsize=9,
            fontweight="bold",
            color=color,
            va="top",
            wrap=True,
        )
        ax.text(
            left + 0.05,
            0.80,
            f"{era.start}-{era.end}  ·  notebook {era.notebooks}",
            fontsize=7.5,
            color=color,
            va="top",
        )
        ax.text(left + 0.05, 0.70, era.idea, fontsize=7.5, va="top", style="italic", wrap=True)
        milestones = "\n".join(f"{year}  {label}" for year, label in era.milestones)
        ax.text(left + 0.05, 0.45, milestones, fontsize=7.5, va="top", family="monospace")
        if column < len(eras) - 1:
            ax.annotate(
                "",
                xy=(left + width + gap, 0.5),
                xytext=(left + width, 0.5),
                arrowprops={"arrowstyle": "->", "color": "grey"},
            )
    ax.set_xlim(-0.02, len(eras) * (width + gap))
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title("From rules to GPT: each era moves work from a person to the machine")
    fig.tight_layout()
    return fig  # fmt: skip


def confusion_matrix_plot(
    matrix: np.ndarray,
    class_names: Sequence[str] = ("negative", "positive"),
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """A confusion matrix with counts and row percentages in each cell."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.4, 3.0))
    ax.imshow(matrix, cmap="Blues")
    row_totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    for (i, j), count in np.ndenumerate(matrix):
        share = 100 * count / row_totals[i, 0]
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, f"{count}\n{share:.0f}%", ha="center", va="center", color=color)
    ax.set_xticks(range(len(class_names)), class_names)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return ax


def leaderboard_plot(
    ours: Mapping[str, float], published: Mapping[str, float], title: str = "MR test accuracy"
) -> Figure:
    """Horizontal bars for our models' accuracies, dashed lines for published references."""
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(ours) + 1.4))
    names = list(ours)
    ax.barh(names, [100 * ours[name] for name in names], color="#1f77b4")
    for name in names:
        ax.text(100 * ours[name] + 0.5, name, f"{100 * ours[name]:.1f}", va="center", fontsize=8)
    styles = ("--", ":", "-.")
    for (label, value), style in zip(published.items(), styles * len(published), strict=False):
        ax.axvline(value, linestyle=style, color="grey", linewidth=1, label=f"{label}: {value}")
    if published:
        ax.legend(loc="lower right", fontsize=7, title="published", title_fontsize=7)
    ax.set_xlim(40, 100)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (%)")
    ax.set_title(title)
    fig.tight_layout()
    return fig  # fmt: skip
