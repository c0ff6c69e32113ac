"""course_utils.classroom.site: the static course website from two small fixture notebooks,
in course order, with working links between pages, embedded plots and visible widget fallbacks."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest

from course_utils.classroom import site

#: A 1x1 PNG, as a plot output would store it.
PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()
FALLBACK = "<p><em>Static preview</em></p><table><tr><td>fallback-cell</td></tr></table>"


def _title(number: str, name: str) -> str:
    return (
        f"# {number} · {name}\n\n**Era:** SW {number}, *by hand*. "
        "**Expected run time:** seconds.\n\n"
        "**Learning objectives.** After this notebook you can\n1. read a page.\n"
    )


def _fixture_notebooks(tmp_path):
    first = nbformat.v4.new_notebook()
    plot = nbformat.v4.new_code_cell("plot()", execution_count=1)
    plot.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": PIXEL_PNG, "text/plain": "<Figure>"}
        )
    ]
    explorer = nbformat.v4.new_code_cell("explorer()", execution_count=2)
    explorer.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": FALLBACK, "text/plain": "<HTML>"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {
                    "model_id": "abc",
                    "version_major": 2,
                    "version_minor": 0,
                },
                "text/plain": "VBox(...)",
            },
        ),
    ]
    first.cells = [
        nbformat.v4.new_markdown_cell(_title("01", "Rules")),
        plot,
        explorer,
        nbformat.v4.new_markdown_cell(
            "**Next:** [02 · Features](02_features.ipynb), "
            "see [its section](02_features.ipynb#bow)."
        ),
    ]
    first.metadata["course"] = {"run_seconds": 12.0}
    second = nbformat.v4.new_notebook()
    second.cells = [
        nbformat.v4.new_markdown_cell(_title("02", "Features")),
        nbformat.v4.new_markdown_cell(
            "Back to [01](01_rules.ipynb); ahead: [09](09_not_written.ipynb); "
            "[guide](TEACHING.md)."
        ),
    ]
    paths = [tmp_path / "01_rules.ipynb", tmp_path / "02_features.ipynb"]
    for notebook, path in zip((first, second), paths, strict=True):
        nbformat.write(notebook, path)
    guide = tmp_path / "TEACHING.md"
    guide.write_text("# Teacher guide\n\nStart with [01](01_rules.ipynb).\n", encoding="utf-8")
    return paths, guide


def test_site_has_index_pages_links_plots_and_fallbacks(tmp_path, capsys):
    paths, guide = _fixture_notebooks(tmp_path)
    out = tmp_path / "site"
    written = site.build_site(paths, out_dir=out, guide=guide)
    assert [p.name for p in written] == [
        "index.html",
        "01_rules.html",
        "02_features.html",
        "teaching.html",
    ]
    index = (out / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', index)
    assert hrefs == [("01_rules.html", "01 · Rules"), ("02_features.html", "02 · Features")]
    assert "SW 01, by hand; runs in about 12 s" in index and 'href="teaching.html"' in index

    first = (out / "01_rules.html").read_text(encoding="utf-8")
    assert 'href="02_features.html"' in first and 'href="02_features.html#bow"' in first
    assert re.findall(r'href="[^"]*\.ipynb', first) == []
    assert f"data:image/png;base64,{PIXEL_PNG}" in first, "plots are embedded, not linked"
    assert "fallback-cell" in first, "the static fallback of an explorer is on the page"
    assert 'href="index.html"' in first and "02 · Features →" in first

    second = (out / "02_features.html").read_text(encoding="utf-8")
    assert 'href="01_rules.html"' in second and "← 01 · Rules" in second
    assert 'href="09_not_written.ipynb"' in second, "a link to a missing page is left alone"
    assert 'href="teaching.html"' in second
    assert "02_features.ipynb links to 09_not_written.ipynb" in capsys.readouterr().out

    assert 'href="01_rules.html"' in (out / "teaching.html").read_text(encoding="utf-8")


def test_rewrite_links_only_touches_site_notebooks():
    page = '<a href="01_a.ipynb#x">a</a> <a href="https://example.org/02_b.ipynb">b</a>'
    rewritten, unresolved = site.rewrite_links(page + ' <a href="03_c.ipynb">c</a>', {"01_a"})
    assert rewritten.startswith('<a href="01_a.html#x">a</a> <a href="https://example.org/02_b')
    assert unresolved == ["03_c.ipynb"]


def test_an_empty_site_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no notebooks"):
        site.build_site([], out_dir=tmp_path)


def test_a_rebuild_drops_pages_of_notebooks_no_longer_in_the_site(tmp_path, capsys):
    paths, guide = _fixture_notebooks(tmp_path)
    out = tmp_path / "site"
    site.build_site(paths, out_dir=out, guide=guide)
    written = site.build_site(paths[:1], out_dir=out, guide=None)
    assert [p.name for p in written] == ["index.html", "01_rules.html"]
    assert not (out / "02_features.html").exists()
    assert "removed 02_features.html" in capsys.readouterr().out
    first = (out / "01_rules.html").read_text(encoding="utf-8")
    assert 'href="02_features.ipynb"' in first, "no page any more: the link is left alone"
    assert 'href="teaching.html"' not in (out / "index.html").read_text(encoding="utf-8")
