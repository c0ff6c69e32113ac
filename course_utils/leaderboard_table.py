"""Reading the leaderboard of notebook 11: rows sorted in course order, each era's best,
accuracy intervals, the Pareto front of cost against accuracy, and the formatted table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from course_utils.leaderboard import COST_MEASURES, ERAS, LeaderboardRow

if TYPE_CHECKING:
    pass

__all__ = [
    "TABLE_COLUMNS",
    "TableColumn",
    "accuracy_interval",
    "cheapest_within",
    "era_bests",
    "format_cost",
    "format_table",
    "pareto_front",
    "sort_rows",
]


def sort_rows(rows: Sequence[LeaderboardRow]) -> list[LeaderboardRow]:
    """Rows in course order: by era, then by notebook (a stable sort)."""
    return sorted(rows, key=lambda row: (row.era_index, row.notebook))


def era_bests(rows: Sequence[LeaderboardRow]) -> list[LeaderboardRow]:
    """The most accurate row of each era present, in era order (the first of equals)."""
    bests: dict[str, LeaderboardRow] = {}
    for row in rows:
        if row.era not in bests or row.test_accuracy > bests[row.era].test_accuracy:
            bests[row.era] = row
    return [bests[era] for era in ERAS if era in bests]


def accuracy_interval(test_accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Normal-approximation confidence interval of an accuracy measured on ``n`` examples
    (95% with z = 1.96): ``acc ± z * sqrt(acc * (1 - acc) / n)``, clipped to [0, 1]."""
    if n < 1:
        raise ValueError(f"n is the number of test examples, at least 1; got {n}.")
    if not 0.0 <= test_accuracy <= 1.0:
        raise ValueError(f"accuracy is a fraction in [0, 1], got {test_accuracy}.")
    half = z * math.sqrt(test_accuracy * (1 - test_accuracy) / n)
    return max(0.0, test_accuracy - half), min(1.0, test_accuracy + half)


def pareto_front(costs: Sequence[float], accuracies: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats: none is at most as costly and at least
    as accurate, and strictly better in one. Sorted by cost (then accuracy, best first)."""
    if len(costs) != len(accuracies):
        raise ValueError(f"{len(costs)} costs but {len(accuracies)} accuracies.")
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -accuracies[i], i))
    front, best = [], -math.inf
    for i in order:
        if accuracies[i] > best:
            front.append(i)
            best = accuracies[i]
        elif accuracies[i] == best and costs[i] == costs[front[-1]] and i != front[-1]:
            front.append(i)  # an exact duplicate of a front point is not beaten either
    return front


def cheapest_within(entries: Sequence[tuple[str, float, float]], tolerance: float) -> str:
    """Name of the cheapest of ``(name, cost, accuracy)`` whose accuracy is within
    ``tolerance`` of the best (ties on cost: the more accurate, then the first)."""
    if not entries:
        raise ValueError("no entries given.")
    if tolerance < 0:
        raise ValueError(f"tolerance cannot be negative, got {tolerance}.")
    best = max(acc for _, _, acc in entries)
    good = [(c, -acc, i) for i, (_, c, acc) in enumerate(entries) if acc >= best - tolerance]
    return entries[min(good)[2]][0]


@dataclass(frozen=True)
class TableColumn:
    header: str
    width: int
    render: Callable[[LeaderboardRow], str] = field(repr=False)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def format_cost(value: float | None, measure: str) -> str:
    """A cost as the table writes it: parameters as integers, seconds with their unit and
    one decimal below 100; "none" where the measure does not apply."""
    if measure not in COST_MEASURES:
        raise ValueError(f"unknown cost measure {measure!r}; choose from {list(COST_MEASURES)}.")
    if value is None:
        return "none"
    return f"{value:,.0f}" if measure == "parameters" else f"{_seconds(value)} s"


def _count(value: int) -> str:
    return f"{value:,}" if value else "-"


def _accuracy_cell(row: LeaderboardRow) -> str:
    spread = f" ± {100 * row.test_accuracy_std:.1f}" if row.seeds > 1 else ""
    return f"{100 * row.test_accuracy:.1f}{spread}"


TABLE_COLUMNS = (
    TableColumn("era", 30, lambda row: row.era),
    TableColumn("model", 52, lambda row: row.model),
    TableColumn("nb", 2, lambda row: row.notebook),
    TableColumn("test %", 10, _accuracy_cell),
    TableColumn("trained", 9, lambda row: f"{row.parameters:,}"),
    TableColumn("frozen", 9, lambda row: _count(row.frozen_parameters)),
    TableColumn("train s", 7, lambda row: _seconds(row.train_seconds)),
    TableColumn("upstream s", 10, lambda row: _seconds(row.upstream_seconds)),
)  # fmt: skip


def format_table(
    rows: Sequence[LeaderboardRow], *, with_costs: bool = True, numbered: bool = True
) -> str:
    """The rows as a plain-text table, numbered from 1 as the figure numbers its points
    (``with_costs=False`` leaves out the timings)."""
    columns = TABLE_COLUMNS if with_costs else TABLE_COLUMNS[:6]
    header = "  ".join(f"{column.header:<{column.width}}" for column in columns)
    lines = [(" #  " if numbered else "") + header.rstrip()]
    for number, row in enumerate(rows, start=1):
        cells = "  ".join(f"{column.render(row):<{column.width}}" for column in columns)
        lines.append((f"{number:2d}  " if numbered else "") + cells.rstrip())
    return "\n".join(lines)
