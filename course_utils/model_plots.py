"""Figures of trained models and measured results: loss curves (notebooks 06-09), in-context
learning shots (09), pre-training curves and label budgets (08, 11), label efficiency (11),
reliability diagrams (10) and the leaderboard's cost (11).

Sits on top of the core, like :mod:`course_utils.plots` (no core module imports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from course_utils.evaluation import ReliabilityDiagram
from course_utils.plots import CURVE_COLORS, ERA_COLORS, GROUP_COLORS

if TYPE_CHECKING:
    from course_utils.leaderboard import LeaderboardRow

__all__ = [
    "LEADERBOARD_YLIM",
    "NO_COST_FACTOR",
    "REFERENCE_STYLES",
    "THOUSAND",
    "LabelCurve",
    "label_budget_plot",
    "label_efficiency_plot",
    "leaderboard_cost_plot",
    "loss_curves_plot",
    "pretraining_curves_plot",
    "reliability_plot",
    "shots_curve_plot",
]


def loss_curves_plot(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str = "optimizer step",
    ylabel: str = "training loss",
    title: str = "",
) -> Figure:
    """One training-loss line per run, from ``{name: (steps, losses)}``. Notebook 04."""
    if not curves:
        raise ValueError("give at least one curve as {name: (steps, losses)}.")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for color, (name, (steps, losses)) in zip(GROUP_COLORS * len(curves), curves.items(),
                                              strict=False):  # fmt: skip
        if len(steps) != len(losses):
            raise ValueError(
                f"curve {name!r}: {len(steps)} steps but {len(losses)} losses; give one each."
            )
        ax.plot(steps, losses, color=color, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def shots_curve_plot(
    accuracy: Mapping[str, Mapping[int, float]],
    *,
    chance: float | None = None,
    title: str = "",
) -> Figure:
    """Accuracy against the number of examples in the prompt, one line per task plus the
    mean (the shape of GPT-3's Figure 1.2). Notebook 09."""
    if not accuracy or any(not row for row in accuracy.values()):
        raise ValueError("give {task: {shots: accuracy}} with at least one task and one k.")
    shots = sorted(next(iter(accuracy.values())))
    if any(sorted(row) != shots for row in accuracy.values()):
        raise ValueError(f"every task needs the same numbers of shots {shots}.")
    positions = np.arange(len(shots))
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for color, (task, row) in zip(GROUP_COLORS * len(accuracy), accuracy.items(), strict=False):
        ax.plot(positions, [100 * row[k] for k in shots], marker="o", markersize=3,
                color=color, alpha=0.6, linewidth=1, label=task)  # fmt: skip
    mean = [100 * np.mean([row[k] for row in accuracy.values()]) for k in shots]
    ax.plot(positions, mean, marker="o", color="black", linewidth=2.5, label="mean")
    if chance is not None:
        ax.axhline(100 * chance, color="gray", linestyle=":", linewidth=1,
                   label="guess one task for all")  # fmt: skip
    ax.set_xticks(positions, [str(k) for k in shots])
    ax.set_xlabel("examples in the prompt (k)")
    ax.set_ylabel("exact-match accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


THOUSAND = 1000


def pretraining_curves_plot(
    steps: Sequence[int],
    mlm_loss: Sequence[float],
    accuracies: Mapping[str, Sequence[float]],
    *,
    title: str = "",
) -> Figure:
    """Held-out MLM loss (left) and accuracies (right) against pre-training steps: the
    plateau and the break from it. Notebook 08."""
    if any(len(values) != len(steps) for values in (mlm_loss, *accuracies.values())):
        raise ValueError("give one MLM loss and one value per accuracy for every step.")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(steps, mlm_loss, color=GROUP_COLORS[0])
    left.set_xlabel("pre-training step")
    left.set_ylabel("held-out MLM loss (nats)")
    for color, (name, values) in zip(GROUP_COLORS[1:] * len(accuracies), accuracies.items(),
                                     strict=False):  # fmt: skip
        right.plot(steps, [100 * value for value in values], color=color, label=name)
    right.axhline(50, color="gray", linestyle=":", linewidth=1, label="NSP chance")
    for ax in (left, right):
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x >= THOUSAND else f"{x:g}")
        )
    right.set_xlabel("pre-training step")
    right.set_ylabel("held-out accuracy (%)")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def label_budget_plot(
    panels: Mapping[str, Mapping[str, tuple[Sequence[int], Sequence[float], Sequence[float]]]],
    *,
    title: str = "",
) -> Figure:
    """Test accuracy against the number of labelled examples (log scale), one panel per
    task and one line per initialisation, ``{task: {init: (sizes, means, stds)}}`` with
    standard deviations over seeds as error bars. Notebook 08."""
    if not panels or any(not lines for lines in panels.values()):
        raise ValueError("give {task: {init: (sizes, means, stds)}} with at least one line.")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4), squeeze=False)
    for ax, (task, lines) in zip(axes[0], panels.items(), strict=True):
        for color, (init, (sizes, means, stds)) in zip(GROUP_COLORS * len(lines), lines.items(),
                                                       strict=False):  # fmt: skip
            ax.errorbar(sizes, [100 * m for m in means], yerr=[100 * s for s in stds],
                        marker="o", capsize=3, color=color, label=init)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("labelled training examples (log scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(task, fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class LabelCurve:
    """One line of :func:`label_efficiency_plot`: mean test accuracy per number of labels
    with the half-width of its 95% interval; ``flat`` rows learn nothing from labels."""

    name: str
    sizes: Sequence[int]
    means: Sequence[float]
    ci95: Sequence[float]
    flat: bool = False


def label_efficiency_plot(
    curves: Sequence[LabelCurve], *, title: str = "", ax: Axes | None = None
) -> Axes:
    """Test accuracy against the number of labels (log scale), one line per model with a
    shaded 95% interval; models that use no labels are dashed horizontal lines. Notebooks
    08 and 11."""
    if not curves:
        raise ValueError("give at least one LabelCurve.")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 4.2))
    labelled = [curve for curve in curves if not curve.flat]
    span = (
        [min(min(c.sizes) for c in labelled), max(max(c.sizes) for c in labelled)]
        if labelled
        else [1, 2]
    )
    for index, curve in enumerate(curves):
        color = CURVE_COLORS(index % CURVE_COLORS.N)
        means = 100 * np.asarray(curve.means, dtype=float)
        if curve.flat:
            ax.plot(span, [means[0]] * 2, linestyle="--", color=color, label=curve.name)
            continue
        low, high = means - 100 * np.asarray(curve.ci95), means + 100 * np.asarray(curve.ci95)
        ax.plot(curve.sizes, means, marker="o", markersize=4, color=color, label=curve.name)
        ax.fill_between(curve.sizes, low, high, color=color, alpha=0.15, linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel("labelled MR training sentences (log scale)")
    ax.set_ylabel("MR test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=10)
    return ax


def reliability_plot(
    diagram: ReliabilityDiagram, *, title: str = "", ax: Axes | None = None
) -> Axes:
    """A reliability diagram (Guo et al. 2017, Figure 1): accuracy per confidence bin as
    bars, the diagonal of perfect calibration, the gap shaded, ECE in the corner, and the
    share of predictions per bin as a line. The x axis starts at the lowest filled bin
    (a binary model is never less than 50% confident). Notebook 10."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    widths = np.diff(diagram.edges)
    lefts = diagram.edges[:-1]
    filled = diagram.counts > 0
    ax.bar(lefts[filled], diagram.accuracy[filled], width=widths[filled], align="edge",
           color="#1f77b4", edgecolor="white", label="accuracy")  # fmt: skip
    gap_bottom = np.minimum(diagram.accuracy[filled], diagram.confidence[filled])
    gap_height = np.abs(diagram.accuracy[filled] - diagram.confidence[filled])
    ax.bar(lefts[filled], gap_height, bottom=gap_bottom, width=widths[filled], align="edge",
           facecolor="none", edgecolor="#d62728", hatch="///", linewidth=0.5,
           label="gap to mean confidence")  # fmt: skip
    start = float(lefts[filled][0]) if filled.any() else 0.0
    ax.plot([start, 1], [start, 1], color="gray", linestyle="--", linewidth=1, label="calibrated")
    share = diagram.counts / max(diagram.counts.sum(), 1)
    ax.step(diagram.edges, np.append(share, share[-1]), where="post", color="black",
            linewidth=0.8, label="share of predictions")  # fmt: skip
    ax.text(0.03, 0.97, f"ECE {100 * diagram.ece:.1f}%", transform=ax.transAxes, va="top")
    ax.set_xlim(start, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return ax


#: Accuracy range (%) of the leaderboard figure: the floor (50%) to above the references.
LEADERBOARD_YLIM = (45.0, 86.0)
#: Where a row without the cost (no training at all) sits: this factor left of the
#: cheapest measured row, beyond a dotted line, on a tick labelled "none".
NO_COST_FACTOR = 10.0
#: Line styles of the published references (in the order given).
REFERENCE_STYLES = ("--", "-.", (0, (5, 1)), (0, (3, 1, 1, 1)))


def leaderboard_cost_plot(
    rows: Sequence[LeaderboardRow],
    references: Mapping[str, float],
    *,
    measures: Sequence[str] = ("parameters", "total_seconds"),
    floor: float | None = None,
    numbers: Sequence[int] | None = None,
    title: str = "",
) -> Figure:
    """MR test accuracy against cost, one panel per cost measure (log x axis; see
    ``course_utils.leaderboard.COST_MEASURES``): one point per row in its era's colour,
    numbered as in the table (``numbers``, default 1, 2, ...), error bars over seeds, the
    Pareto front (no other row is both cheaper and more accurate) as a grey step line,
    published references (fractions) as dashed lines and ``floor`` (the majority
    baseline) as a dotted one. Rows without the cost sit left of a dotted line. Notebook 11.
    """
    from course_utils.leaderboard import COST_MEASURES, ERAS, cost
    from course_utils.leaderboard_table import pareto_front

    if not rows:
        raise ValueError("give at least one leaderboard row.")
    unknown = [measure for measure in measures if measure not in COST_MEASURES]
    if not measures or unknown:
        raise ValueError(f"measures must name some of {list(COST_MEASURES)}; got {measures}.")
    numbers = list(range(1, len(rows) + 1)) if numbers is None else list(numbers)
    if len(numbers) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(numbers)} numbers.")
    fig, axes = plt.subplots(1, len(measures), figsize=(5.4 * len(measures), 4.2),
                             squeeze=False, sharey=True)  # fmt: skip
    accuracies = [100 * row.test_accuracy for row in rows]
    for ax, measure in zip(axes[0], measures, strict=True):
        values = [cost(row, measure) for row in rows]
        known = [value for value in values if value is not None]
        if not known:
            raise ValueError(f"no row has a value for {measure!r}.")
        none_x = min(known) / NO_COST_FACTOR
        xs = [none_x if value is None else value for value in values]
        for row, x, y, number in zip(rows, xs, accuracies, numbers, strict=True):
            color = ERA_COLORS[row.era_index % len(ERA_COLORS)]
            ax.errorbar(x, y, yerr=100 * row.test_accuracy_std if row.seeds > 1 else None,
                        marker="o", markersize=6, color=color, capsize=2, zorder=3)  # fmt: skip
            ax.annotate(str(number), (x, y), textcoords="offset points", fontsize=7, color=color,
                        xytext=(4, 2) if number % 2 else (-5, -9), ha="left" if number % 2
                        else "right")  # fmt: skip
        front = pareto_front([0.0 if v is None else v for v in values], accuracies)
        ax.step([xs[i] for i in front], [accuracies[i] for i in front], where="post",
                color="gray", linewidth=1, alpha=0.6, zorder=1)  # fmt: skip
        ax.set_xscale("log")
        if len(known) < len(values):
            separator = none_x * np.sqrt(NO_COST_FACTOR)
            ax.axvline(separator, color="gray", linestyle=":", linewidth=1)
            ticks = [t for t in ax.get_xticks() if separator < t <= 2 * max(known)]
            labels = [f"$10^{{{np.log10(t):.0f}}}$" for t in ticks]
            ax.set_xticks([none_x, *ticks], ["none", *labels])
            ax.minorticks_off()
        ax.set_xlim(none_x / 3, max(known) * 3)
        ax.set_xlabel(COST_MEASURES[measure][0])
        styles = REFERENCE_STYLES * len(references)
        for value, style in zip(references.values(), styles, strict=False):
            ax.axhline(100 * value, color="gray", linestyle=style, linewidth=0.8)
        if floor is not None:
            ax.axhline(100 * floor, color="black", linestyle=":", linewidth=1)
    axes[0][0].set_ylabel("MR test accuracy (%)")
    axes[0][0].set_ylim(*LEADERBOARD_YLIM)
    present = sorted({row.era_index for row in rows})
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=ERA_COLORS[i % len(ERA_COLORS)],
                          label=ERAS[i]) for i in present]  # fmt: skip
    handles.append(plt.Line2D([], [], color="gray", alpha=0.6, label="Pareto front (ours)"))
    styles = REFERENCE_STYLES * len(references)
    handles += [
        plt.Line2D([], [], color="gray", linestyle=style, linewidth=0.8,
                   label=f"{name}: {100 * value:.1f}")
        for (name, value), style in zip(references.items(), styles, strict=False)
    ]  # fmt: skip
    if floor is not None:
        handles.append(plt.Line2D([], [], color="black", linestyle=":", linewidth=1,
                                  label=f"majority baseline: {100 * floor:.1f}"))  # fmt: skip
    columns = 3 if len(measures) > 1 else 2
    fig.legend(handles=handles, loc="lower center", ncol=columns, fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, 0.0))  # fmt: skip
    if title:
        fig.suptitle(title)
    legend_rows = -(-len(handles) // columns)
    fig.tight_layout(rect=(0, (0.15 * legend_rows + 0.1) / fig.get_figheight(), 1, 1))
    return fig
