"""Shared figures: shapes are checked, and what is drawn is what was measured."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_matrix_panels_check_labels_and_draw_one_axis_per_panel():
    mask = np.tril(np.ones((3, 3), dtype=bool))
    panel = plots.MatrixPanel("causal", mask, list("abc"), list("abc"))
    fig = plots.matrix_panels([panel, panel], xlabel="key", ylabel="query")
    assert len(fig.axes) == 2
    assert fig.axes[0].images[0].get_clim() == (0, 1)
    with pytest.raises(ValueError, match="do not match"):
        plots.matrix_panels(
            [plots.MatrixPanel("bad", mask, list("ab"), list("abc"))], xlabel="k", ylabel="q"
        )
    with pytest.raises(ValueError, match="at least one"):
        plots.matrix_panels([], xlabel="k", ylabel="q")


def test_try_measure_keep_draws_the_best_so_far():
    trials = [0.5, 0.6, 0.55, 0.7, 0.65]
    ax = plots.try_measure_keep_plot(trials, 0.8)
    best_line = next(line for line in ax.lines if line.get_label() == "best try so far")
    np.testing.assert_allclose(best_line.get_ydata(), [50, 60, 60, 70, 70])
    with pytest.raises(ValueError, match="non-empty"):
        plots.try_measure_keep_plot([], 0.8)


def test_leaderboard_bars_are_the_accuracies_in_percent():
    fig = plots.leaderboard_plot({"rules": 0.6, "NB": 0.7833}, {"MNB (published)": 79.0})
    ax = fig.axes[0]
    assert [bar.get_width() for bar in ax.patches] == pytest.approx([60.0, 78.33])
    assert [line.get_xdata()[0] for line in ax.lines] == [79.0]
    assert plots.era_timeline().axes
