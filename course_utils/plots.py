"""Shared figures: the era timeline, confusion matrices, the leaderboard, and each
notebook's own figures (every function's docstring names its notebook).

Sits on top of the core (may import any module; no core module imports it).

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_utils.text.normalization import HEAPS_MIN_TOKENS

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

__all__ = [
    "ACCURACY_TARGET",
    "CHANCE_PERCENT",
    "CURVE_COLORS",
    "CURVE_METRICS",
    "ERAS",
    "ERA_COLORS",
    "FIGURE_DPI",
    "GROUP_COLORS",
    "MIN_PROJECTED_WORDS",
    "NEGATIVE_WEIGHT_COLOR",
    "PANEL_CELL_INCHES",
    "PANEL_LABEL_INCHES",
    "POSITIVE_WEIGHT_COLOR",
    "WEIGHTING_COUNT_RANGE",
    "WEIGHTING_POINTS",
    "Era",
    "MatrixPanel",
    "accuracy_by_length_plot",
    "attention_heatmap",
    "confusion_matrix_plot",
    "dev_sweep_plot",
    "era_timeline",
    "feature_weights_plot",
    "glove_weighting_plot",
    "heaps_law_plot",
    "leaderboard_plot",
    "learning_curve_plot",
    "matrix_panels",
    "positional_encoding_plot",
    "setup_matplotlib",
    "softmax_saturation_plot",
    "training_curves_plot",
    "try_measure_keep_plot",
    "word_projection_plot",
]


FIGURE_DPI = 110
#: One colour per line of a many-line figure (matplotlib's ten-colour table).
CURVE_COLORS = plt.get_cmap("tab10")
#: One colour per era of the leaderboard (leaderboard.ERAS), in its order.
ERA_COLORS = ("#8c564b", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#7f7f7f", "#ff7f0e")


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


#: A balanced binary task's chance accuracy, drawn on :func:`leaderboard_plot`.
CHANCE_PERCENT = 50


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
    ax.axvline(CHANCE_PERCENT, color="black", linewidth=1, label=f"chance: {CHANCE_PERCENT}")
    ax.legend(loc="lower right", fontsize=7, title="references", title_fontsize=7)
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (%)")
    ax.set_title(title)
    fig.tight_layout()
    return fig  # fmt: skip


#: Default size of one matrix cell in :func:`matrix_panels`, in inches.
PANEL_CELL_INCHES = 0.3
#: Room around each panel of :func:`matrix_panels` for tick labels and titles, in inches.
PANEL_LABEL_INCHES = 1.0


@dataclass(frozen=True)
class MatrixPanel:
    """One panel of :func:`matrix_panels`: a (rows, columns) matrix with its tick labels."""

    title: str
    values: np.ndarray
    row_labels: Sequence[str]
    column_labels: Sequence[str]


def matrix_panels(
    panels: Sequence[MatrixPanel],
    *,
    xlabel: str,
    ylabel: str,
    title: str = "",
    cmap: str = "Blues",
    value_range: tuple[float, float] | None = None,
    cell_inches: float = PANEL_CELL_INCHES,
) -> Figure:
    """Matrices side by side with square cells, e.g. who may attend to whom. Notebook 07.

    Boolean matrices are drawn on a 0-1 scale (True = dark); ``value_range`` fixes the
    colour scale of all panels (default: each panel's own minimum and maximum).
    """
    if not panels:
        raise ValueError("matrix_panels needs at least one MatrixPanel.")
    for panel in panels:
        expected = (len(panel.row_labels), len(panel.column_labels))
        if np.shape(panel.values) != expected:
            raise ValueError(
                f"panel {panel.title!r}: values of shape {np.shape(panel.values)} do not match "
                f"its {expected[0]} row labels and {expected[1]} column labels."
            )
    widths = [len(panel.column_labels) for panel in panels]
    rows = max(len(panel.row_labels) for panel in panels)
    size = (
        cell_inches * sum(widths) + PANEL_LABEL_INCHES * len(panels),
        cell_inches * rows + 2 * PANEL_LABEL_INCHES,
    )
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=size,
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
        layout="constrained",
    )
    for ax, panel in zip(axes[0], panels, strict=True):
        values = np.asarray(panel.values)
        vmin, vmax = value_range or ((0, 1) if values.dtype == bool else (None, None))
        ax.imshow(values.astype(float), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks(range(len(panel.column_labels)), panel.column_labels, rotation=90)
        ax.set_yticks(range(len(panel.row_labels)), panel.row_labels)
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel(xlabel)
    axes[0, 0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title)
    return fig


#: Bar colours of :func:`feature_weights_plot`: weights towards positive / negative.
POSITIVE_WEIGHT_COLOR, NEGATIVE_WEIGHT_COLOR = "#2ca02c", "#d62728"


def try_measure_keep_plot(
    trial_accuracy: Sequence[float],
    trained_accuracy: float,
    *,
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Learning as search: every random try's accuracy (dots), the best so far (line) and
    what gradient training reaches (dashed). Notebook 02."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    tries = 100 * np.asarray(trial_accuracy, dtype=float)
    if tries.ndim != 1 or tries.size == 0:
        raise ValueError(f"trial_accuracy must be a non-empty 1-D sequence, got {tries.shape}.")
    steps = np.arange(1, tries.size + 1)
    ax.scatter(steps, tries, s=6, color="#7f7f7f", alpha=0.5, label="one random try")
    ax.plot(steps, np.maximum.accumulate(tries), color="#1f77b4", label="best try so far")
    ax.axhline(100 * trained_accuracy, color="#d62728", linestyle="--", label="trained weights")
    ax.set_xlabel("try")
    ax.set_ylabel("training accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return ax


def training_curves_plot(
    train_loss: Sequence[float],
    dev_accuracy: Sequence[float],
    best_epoch: int,
    *,
    title: str = "",
) -> Figure:
    """Training loss and dev accuracy per epoch, with the kept (best dev) epoch marked.

    Notebook 02's first training loop; any per-epoch history fits.
    """
    if len(train_loss) != len(dev_accuracy) or not train_loss:
        raise ValueError(
            f"need one training loss and one dev accuracy per epoch, got {len(train_loss)} "
            f"and {len(dev_accuracy)}."
        )
    epochs = np.arange(1, len(train_loss) + 1)
    fig, (loss_ax, dev_ax) = plt.subplots(1, 2, figsize=(9, 3))
    loss_ax.plot(epochs, train_loss, marker="o", markersize=3)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss (cross-entropy)")
    dev_ax.plot(epochs, 100 * np.asarray(dev_accuracy), marker="o", markersize=3)
    dev_ax.set_xlabel("epoch")
    dev_ax.set_ylabel("dev accuracy (%)")
    for ax in (loss_ax, dev_ax):
        ax.axvline(best_epoch, color="#d62728", linestyle="--", linewidth=1, label="kept epoch")
    dev_ax.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def dev_sweep_plot(
    values: Sequence[float],
    accuracies: Mapping[str, Sequence[float]],
    *,
    xlabel: str,
    chosen: tuple[str, float] | None = None,
    log_x: bool = True,
    title: str = "",
) -> Axes:
    """Dev accuracy against one hyperparameter, one line per setting of the others.

    ``chosen`` = (line, value) is circled: the setting the notebook keeps. Notebook 02.
    """
    _, ax = plt.subplots(figsize=(8, 3.2))
    for label, scores in accuracies.items():
        if len(scores) != len(values):
            raise ValueError(
                f"line {label!r} has {len(scores)} accuracies for {len(values)} values."
            )
        ax.plot(values, 100 * np.asarray(scores), marker="o", markersize=3, label=label)
    if chosen is not None:
        label, value = chosen
        best = 100 * accuracies[label][list(values).index(value)]
        ax.scatter([value], [best], s=120, facecolors="none", edgecolors="black", zorder=3,
                   label=f"chosen: {label}, {value:g}")  # fmt: skip
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("dev accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.figure.tight_layout()
    return ax


def feature_weights_plot(
    panels: Mapping[str, Sequence[tuple[str, float]]], *, xlabel: str, title: str = ""
) -> Figure:
    """One horizontal bar chart per panel of (feature, weight) pairs, largest at the top.

    Notebook 02 shows the most informative n-grams of each class with it.
    """
    if not panels:
        raise ValueError("feature_weights_plot needs at least one panel of (feature, weight).")
    rows = max(len(pairs) for pairs in panels.values())
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 0.28 * rows + 1.2), squeeze=False
    )
    for ax, (name, pairs) in zip(axes[0], panels.items(), strict=True):
        weights = [weight for _, weight in pairs]
        colors = [
            POSITIVE_WEIGHT_COLOR if weight > 0 else NEGATIVE_WEIGHT_COLOR for weight in weights
        ]
        ax.barh([feature for feature, _ in pairs], weights, color=colors)
        ax.invert_yaxis()
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


#: One colour per word group or per model (matplotlib's tab10 cycle).
GROUP_COLORS = tuple(plt.get_cmap("tab10").colors)
#: Fewer words than this give no meaningful 2-D projection.
MIN_PROJECTED_WORDS = 3
#: The benchmarks a learning-curve plot shows: (key of each point, axis label).
CURVE_METRICS = (
    ("wordsim353", "WordSim-353 (Spearman)"),
    ("simlex999", "SimLex-999 (Spearman)"),
    ("analogy_total", "Google analogies (accuracy)"),
)


#: Label size in :func:`word_projection_plot`, as a share of the data's range: one character's
#: width and one line's height at font size 8 on the 7 x 5 inch figure.
LABEL_CHAR_WIDTH, LABEL_LINE_HEIGHT = 0.014, 0.05
#: How many lines above or below its point a label may move before it gives up.
LABEL_MAX_LINES = 12


def word_projection_plot(
    kv: KeyedVectors, groups: Mapping[str, Sequence[str]], title: str = ""
) -> Figure:
    """Words of a few groups on the first two principal components of their unit vectors.

    A PCA (by SVD) of the listed words only, so the picture shows how the groups differ;
    words missing from ``kv`` are skipped and named under the plot. Notebook 03.
    """
    known = [(group, w) for group, words in groups.items() for w in words if w in kv.key_to_index]
    missing = [w for words in groups.values() for w in words if w not in kv.key_to_index]
    if len(known) < MIN_PROJECTED_WORDS:
        raise ValueError(
            f"only {len(known)} of the words are in the vocabulary; a projection needs at "
            f"least {MIN_PROJECTED_WORDS}. Missing: {missing}."
        )
    vectors = np.stack([kv[word] for _, word in known]).astype(float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    u, s, _ = np.linalg.svd(vectors - vectors.mean(axis=0), full_matrices=False)
    points, explained = u[:, :2] * s[:2], s[:2] ** 2 / np.sum(s**2)
    fig, ax = plt.subplots(figsize=(7, 5))
    colors = dict(zip(groups, GROUP_COLORS * len(groups), strict=False))
    for group, color in colors.items():
        rows = [i for i, (name, _) in enumerate(known) if name == group]
        ax.scatter(points[rows, 0], points[rows, 1], color=color, label=group, s=18)
    # Each label takes the first free spot among right, left, above-right, below-right...
    # of its point (a box of LABEL_CHAR_WIDTH per character by LABEL_LINE_HEIGHT).
    char, line = LABEL_CHAR_WIDTH * np.ptp(points[:, 0]), LABEL_LINE_HEIGHT * np.ptp(points[:, 1])
    boxes: list[tuple[float, float, float, float]] = []
    low, high = points[:, 1].min(), points[:, 1].max()
    ax.margins(y=LABEL_LINE_HEIGHT * 2)
    for (group, word), (x, y) in zip(known, points, strict=True):
        width = char * len(word)
        spots = [(x + char / 2, y - line / 2, "left"), (x - char / 2, y - line / 2, "right")]
        offsets = [1] + [sign * k for k in range(3, 2 * LABEL_MAX_LINES, 2) for sign in (-1, 1)]
        spots += [(x + char / 2, y + k * line / 2, "left") for k in offsets]
        for tx, ty, align in spots:
            left = tx if align == "left" else tx - width
            box = (left, ty, left + width, ty + line)
            inside = low - line / 2 <= box[1] and box[3] <= high + line / 2
            if inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes
            ):
                break
        boxes.append(box)
        ax.text(tx, ty + line / 2, word, fontsize=8, color=colors[group], ha=align, va="center")
    ax.set_xlabel(f"principal component 1 ({100 * explained[0]:.0f}% of the variance)")
    ax.set_ylabel(f"principal component 2 ({100 * explained[1]:.0f}%)")
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title)
    if missing:
        fig.text(0.01, 0.01, f"not in the vocabulary: {', '.join(missing)}", fontsize=7)
    fig.tight_layout()
    return fig


def learning_curve_plot(
    points: Sequence[Mapping[str, float | int | str]],
    metrics: Sequence[tuple[str, str]] = CURVE_METRICS,
) -> Figure:
    """Benchmark scores against training tokens (log scale), one line per architecture.

    ``points`` as :func:`course_utils.experiments.vectors.load_learning_curve` returns them.
    Notebook 03.
    """
    architectures = list(dict.fromkeys(str(point["architecture"]) for point in points))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False)
    for ax, (key, label) in zip(axes[0], metrics, strict=True):
        for color, architecture in zip(GROUP_COLORS, architectures, strict=False):
            chosen = sorted(
                (p for p in points if p["architecture"] == architecture),
                key=lambda point: float(point["tokens"]),
            )
            tokens = [float(point["tokens"]) for point in chosen]
            ax.plot(tokens, [float(point[key]) for point in chosen], marker="o",
                    color=color, label=architecture)  # fmt: skip
        ax.set_xscale("log")
        ax.minorticks_off()
        sizes = sorted({float(point["tokens"]) for point in points})
        ax.set_xticks(sizes, [f"{size / 1e6:.1f}M" for size in sizes])
        ax.set_xlabel("training tokens")
        ax.set_title(label, fontsize=9)
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


#: The target of notebook 06's attention model, drawn as a dashed line.
ACCURACY_TARGET = 0.95


def accuracy_by_length_plot(
    results: Mapping[str, Mapping[int, float]],
    trained_max: int,
    title: str = "Reversing digit strings: whole-sequence accuracy",
) -> Figure:
    """Sequence accuracy against length, one line per model; lengths beyond training shaded.

    The fixed-vector bottleneck in one picture (notebook 06).
    """
    fig, ax = plt.subplots(figsize=(7, 3.4))
    longest = max(max(row) for row in results.values())
    if longest > trained_max:
        ax.axvspan(trained_max + 0.5, longest + 0.5, color="grey", alpha=0.12)
        ax.text(trained_max + 0.7, 50, "longer than\nany training\nstring", fontsize=8,
                color="dimgrey")  # fmt: skip
    for color, (name, row) in zip(GROUP_COLORS, results.items(), strict=False):
        lengths = sorted(row)
        ax.plot(lengths, [100 * row[n] for n in lengths], marker="o", color=color, label=name)
    ax.axhline(100 * ACCURACY_TARGET, linestyle="--", color="grey", linewidth=1)
    ax.set_xlabel("length of the digit string")
    ax.set_ylabel("sequences fully right (%)")
    ax.set_ylim(-3, 103)
    ax.set_xlim(0.5, longest + 0.5)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def attention_heatmap(
    weights: np.ndarray | Sequence[Sequence[float]],
    queries: Sequence[str],
    keys: Sequence[str],
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """One attention matrix: rows are queries (what is produced), columns keys (notebook 06)."""
    matrix = np.asarray(weights, dtype=float)
    if matrix.shape != (len(queries), len(keys)):
        raise ValueError(
            f"weights of shape {matrix.shape} do not match {len(queries)} queries and "
            f"{len(keys)} keys; pass one label per row and per column."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(0.3 * len(keys) + 1.5, 0.3 * len(queries) + 1.2))
    ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(keys)), keys, fontsize=8)
    ax.set_yticks(range(len(queries)), queries, fontsize=8)
    ax.set_xlabel("attends to (keys)")
    ax.set_ylabel("query")
    ax.set_title(title, fontsize=9)
    return ax


def positional_encoding_plot(encoding: np.ndarray) -> Figure:
    """Sinusoidal position encodings and how similar positions are to each other (notebook 06).

    Left: the (positions, dimensions) matrix; right: dot products between the encodings
    of every pair of positions, which depend mainly on their distance.
    """
    matrix = np.asarray(encoding, dtype=float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    image = left.imshow(matrix, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    left.set_xlabel("dimension")
    left.set_ylabel("position")
    left.set_title("PE[position, dimension]")
    fig.colorbar(image, ax=left, fraction=0.046)
    similarity = right.imshow(matrix @ matrix.T, cmap="viridis")
    right.set_xlabel("position")
    right.set_ylabel("position")
    right.set_title("PE[i] · PE[j]: largest near the diagonal")
    fig.colorbar(similarity, ax=right, fraction=0.046)
    fig.tight_layout()
    return fig


def softmax_saturation_plot(
    dims: Sequence[int], unscaled: Sequence[float], scaled: Sequence[float]
) -> Figure:
    """The average largest attention weight against d_k, with and without 1/√d_k (notebook 06)."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(dims, unscaled, marker="o", color=GROUP_COLORS[3], label="softmax(q·k)")
    ax.plot(dims, scaled, marker="o", color=GROUP_COLORS[0], label="softmax(q·k / √d_k)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(dims), [str(d) for d in dims])
    ax.set_xlabel("d_k (dimensions of queries and keys)")
    ax.set_ylabel("largest weight in a row (mean)")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    ax.set_title("Without scaling, softmax saturates as d_k grows")
    fig.tight_layout()
    return fig


def heaps_law_plot(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    fits: Mapping[str, tuple[float, float]],
    min_tokens: int = HEAPS_MIN_TOKENS,
) -> Figure:
    """Distinct words against tokens read, log-log, each with its Heaps' law fit (notebook 05).

    ``curves`` maps a label to :func:`course_utils.text.normalization.type_token_curve`'s
    output, ``fits`` the same labels to ``(K, beta)``; a fit is a straight line of slope beta
    on these axes, drawn from ``min_tokens`` on (the range it was fitted on).
    """
    missing = [label for label in curves if label not in fits]
    if missing:
        raise ValueError(f"no (K, beta) fit for {missing}; pass one per curve in fits.")
    fig, ax = plt.subplots(figsize=(5.8, 3.6))
    for color, (label, (num_tokens, num_types)) in zip(GROUP_COLORS, curves.items(), strict=False):
        k, beta = fits[label]
        ax.plot(num_tokens, num_types, marker="o", markersize=3, linestyle="none",
                color=color, label=f"{label} (measured)")  # fmt: skip
        fitted = np.asarray(num_tokens, dtype=float)
        fitted = fitted[fitted >= min_tokens]
        ax.plot(fitted, k * fitted**beta, color=color, linestyle="--",
                label=rf"fit $V = {k:.1f}\,n^{{{beta:.2f}}}$")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tokens read, n")
    ax.set_ylabel("distinct words (types), V")
    ax.legend(fontsize=8)
    ax.set_title("Heaps' law: the vocabulary never stops growing")
    fig.tight_layout()
    return fig


#: Counts shown by :func:`glove_weighting_plot`, from rare (0.1) to frequent (10,000) pairs.
WEIGHTING_COUNT_RANGE = (0.1, 10_000.0)
WEIGHTING_POINTS = 400


def glove_weighting_plot(
    settings: Sequence[tuple[float, float]],
    count_range: tuple[float, float] = WEIGHTING_COUNT_RANGE,
) -> Figure:
    """GloVe's weighting f(x) for each (x_max, alpha) setting on a log count axis. Notebook 04."""
    from course_utils.vectors.glove import glove_weight

    if not settings:
        raise ValueError("give at least one (x_max, alpha) setting to plot.")
    counts = np.geomspace(*count_range, WEIGHTING_POINTS)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for color, (x_max, alpha) in zip(GROUP_COLORS * len(settings), settings, strict=False):
        ax.plot(counts, glove_weight(counts, x_max=x_max, alpha=alpha), color=color,
                label=f"x_max = {x_max:g}, α = {alpha:g}")  # fmt: skip
        ax.axvline(x_max, color=color, linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("co-occurrence count X_ij (log scale)")
    ax.set_ylabel("weight f(X_ij)")
    ax.set_title("GloVe's weighting: rare pairs count little, frequent ones are capped at 1")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
