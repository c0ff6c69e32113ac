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
    assert [line.get_xdata()[0] for line in ax.lines] == [79.0, plots.CHANCE_PERCENT]
    assert ax.get_xlim()[0] == 0  # bars start at 0, with chance drawn as a line
    assert plots.era_timeline().axes


def test_pretraining_curves_show_loss_and_accuracies_in_percent():
    fig = plots.pretraining_curves_plot([1, 2], [7.0, 5.0], {"MLM": [0.1, 0.3], "NSP": [0.5, 0.8]})
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), [7.0, 5.0])
    np.testing.assert_allclose(right.lines[1].get_ydata(), [50.0, 80.0])
    with pytest.raises(ValueError, match="every step"):
        plots.pretraining_curves_plot([1, 2], [7.0], {"MLM": [0.1, 0.3]})


def test_label_budget_plot_has_one_panel_per_task():
    line = ([100, 500], [0.6, 0.7], [0.01, 0.02])
    fig = plots.label_budget_plot(
        {"MR": {"pre-trained": line, "random": line}, "POS": {"x": line}}
    )
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="at least one line"):
        plots.label_budget_plot({"MR": {}})


def test_shots_curve_has_a_line_per_task_the_mean_and_the_guess_line():
    from course_utils.plots import shots_curve_plot

    accuracy = {"copy": {0: 0.2, 1: 0.9, 8: 1.0}, "sort": {0: 0.6, 1: 1.0, 8: 1.0}}
    figure = shots_curve_plot(accuracy, chance=0.25)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    assert list(lines["mean"].get_ydata()) == pytest.approx([40.0, 95.0, 100.0])
    assert list(lines["copy"].get_ydata()) == pytest.approx([20.0, 90.0, 100.0])
    assert lines["guess one task for all"].get_ydata()[0] == pytest.approx(25.0)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["0", "1", "8"]
    with pytest.raises(ValueError, match="same numbers of shots"):
        shots_curve_plot({"copy": {0: 0.1}, "sort": {1: 0.2}})


def test_reliability_plot_draws_each_filled_bins_accuracy():
    from course_utils.evaluation import reliability_diagram

    probs = np.array([0.55, 0.6, 0.95, 0.97, 0.99])
    labels = np.array([1, 0, 1, 1, 0])
    diagram = reliability_diagram(probs, labels, n_bins=10)
    ax = plots.reliability_plot(diagram, title="toy")
    filled = diagram.counts > 0
    heights = [bar.get_height() for bar in ax.containers[0]]
    np.testing.assert_allclose(heights, diagram.accuracy[filled])
    assert ax.get_xlim()[0] == pytest.approx(0.5)  # binary: never below 50% confident
    assert f"ECE {100 * diagram.ece:.1f}%" in [text.get_text() for text in ax.texts]


def test_word_projection_labels_do_not_overlap():
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    groups = {f"g{g}": [f"word{g}{i}" for i in range(8)] for g in range(3)}
    kv = KeyedVectors(vector_size=20)
    centres = rng.normal(size=(3, 20))
    for g, words in enumerate(groups.values()):
        kv.add_vectors(words, centres[g] + 0.05 * rng.normal(size=(len(words), 20)))
    fig = plots.word_projection_plot(kv, groups)
    fig.canvas.draw()
    boxes = [text.get_window_extent() for text in fig.axes[0].texts]
    assert len(boxes) == 24
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not overlapping
