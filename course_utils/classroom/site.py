"""The course website: the executed notebooks as static HTML, with a table of contents.

``python -m course_utils.classroom.site`` (``make site``) converts every course notebook, as
committed (executed, outputs in), with nbconvert into ``build/site/``: one page per
notebook, an ``index.html`` listing them in course order, and the teacher guide. Plots
are PNGs embedded in the pages and every explorer has a static HTML fallback, so the site
reads the same offline (only math typesetting and live widgets would need the network).
Links between notebooks (``NN_name.ipynb``) are rewritten to the pages. Course tooling
for readers and teachers (README, "Course website"); no notebook teaches it.
"""

from __future__ import annotations

import argparse
import html
import re
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

from course_utils.classroom.student import REPO_ROOT, course_notebooks
from course_utils.classroom.teaching import GUIDE_PATH, NotebookInfo, read_notebook_info
from course_utils.data import atomic_write_bytes

__all__ = [
    "BODY_TAG",
    "GUIDE_LINK",
    "GUIDE_PAGE",
    "INDEX_LINK",
    "INDEX_PAGE",
    "MARKDOWN_MARKS",
    "NOTEBOOK_LINK",
    "SITE_DIR",
    "SITE_TITLE",
    "STALE_PAGES",
    "STYLE",
    "build_site",
    "main",
    "page_name",
    "rewrite_links",
]

SITE_DIR = REPO_ROOT / "build" / "site"
SITE_TITLE = "From rules to GPT"
GUIDE_PAGE = "teaching.html"
INDEX_PAGE = "index.html"
INDEX_LINK = f'<a href="{INDEX_PAGE}">{html.escape(SITE_TITLE)}: contents</a>'
#: Pages of notebooks; one whose notebook is gone is removed when the site is rebuilt.
STALE_PAGES = "[0-9][0-9]_*.html"
#: An ``href`` to a notebook next to the page: the stem, then an optional #anchor.
NOTEBOOK_LINK = re.compile(r'href="(?P<stem>[^"/#:]+)\.ipynb(?P<anchor>#[^"]*)?"')
GUIDE_LINK = re.compile(r'href="(?:\.\./notebooks/)?TEACHING\.md(?P<anchor>#[^"]*)?"')
BODY_TAG = re.compile(r"<body[^>]*>")
#: Markdown emphasis and code marks, dropped where a title or era is shown as plain text.
MARKDOWN_MARKS = re.compile(r"[*`]")
STYLE = """
body.course-page { margin: 0; }
nav.course-nav { font: 14px/1.5 system-ui, sans-serif; padding: 8px 16px;
  border-bottom: 1px solid #ddd; background: #f7f7f7; display: flex; gap: 16px; }
nav.course-nav a { color: #1f5fa8; text-decoration: none; }
main.course-index { font: 16px/1.5 system-ui, sans-serif; max-width: 60em;
  margin: 2em auto; padding: 0 1em; }
main.course-index li { margin: 0.6em 0; }
main.course-index .meta { color: #555; font-size: 90%; }
"""


def page_name(notebook: Path) -> str:
    """The site page of a notebook: ``01_rules.ipynb`` -> ``01_rules.html``."""
    return f"{notebook.stem}.html"


def rewrite_links(page: str, stems: set[str], guide: bool = True) -> tuple[str, list[str]]:
    """Point links to the site's notebooks (``NN_name.ipynb#x``) at their pages, and links
    to ``TEACHING.md`` at the guide's page when the site has one (``guide``).

    Returns the new HTML and the notebook links that have no page in the site (left as
    they are), so a broken link is reported rather than silently produced.
    """
    unresolved: list[str] = []

    def replace(match: re.Match[str]) -> str:
        stem, anchor = match.group("stem"), match.group("anchor") or ""
        if stem not in stems:
            unresolved.append(f"{stem}.ipynb")
            return match.group(0)
        return f'href="{stem}.html{anchor}"'

    page = NOTEBOOK_LINK.sub(replace, page)
    if guide:
        page = GUIDE_LINK.sub(lambda m: f'href="{GUIDE_PAGE}{m.group("anchor") or ""}"', page)
    return page, unresolved


def _nav(previous: NotebookInfo | None, following: NotebookInfo | None) -> str:
    links = [INDEX_LINK]
    if previous is not None:
        links.append(
            f'<a href="{page_name(Path(previous.name))}">← {html.escape(previous.title)}</a>'
        )
    if following is not None:
        links.append(
            f'<a href="{page_name(Path(following.name))}">{html.escape(following.title)} →</a>'
        )
    return f'<nav class="course-nav">{"".join(links)}</nav>'


def _with_nav(page: str, nav: str) -> str:
    """Insert the navigation bar and the site's style right after ``<body>``."""
    match = BODY_TAG.search(page)
    if match is None:
        raise ValueError("nbconvert produced a page without a <body> tag; cannot add navigation.")
    insert = f"<style>{STYLE}</style>{nav}"
    return page[: match.end()] + insert + page[match.end() :]


def _standalone(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f'<body class="course-page">{body}</body></html>\n'
    )


def _index_html(infos: Sequence[NotebookInfo], has_guide: bool) -> str:
    items = []
    for info in infos:
        run = "" if info.run_seconds is None else f"; runs in about {info.run_seconds:.0f} s"
        items.append(
            f'<li><a href="{page_name(Path(info.name))}">{html.escape(info.title)}</a><br>'
            f'<span class="meta">{html.escape(MARKDOWN_MARKS.sub("", info.era))}{run}</span></li>'
        )
    guide = (
        f'<p>Teaching with it? See the <a href="{GUIDE_PAGE}">teacher guide</a>.</p>'
        if has_guide
        else ""
    )
    body = (
        f'<main class="course-index"><h1>{html.escape(SITE_TITLE)}</h1>'
        "<p>How language models evolved, on one task: the course notebooks, executed, in "
        "course order. To run them, clone the repository and run <code>make lab</code>.</p>"
        f"<ol>{''.join(items)}</ol>{guide}</main>"
    )
    return _standalone(f"{SITE_TITLE}: contents", body)


def _guide_html(guide: Path, stems: set[str]) -> tuple[str, list[str]]:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = markdown2html_mistune(guide.read_text(encoding="utf-8"))
    nav = f'<nav class="course-nav">{INDEX_LINK}</nav>'
    page = _standalone(
        f"{SITE_TITLE}: teacher guide", f'{nav}<main class="course-index">{body}</main>'
    )
    return rewrite_links(page, stems)


def _write_page(target: Path, page: str, unresolved: Sequence[str], source: str) -> Path:
    """Write one page; report the links that point to notebooks outside the site."""
    atomic_write_bytes(target, page.encode("utf-8"))
    for link in sorted(set(unresolved)):
        print(f"  ! {source} links to {link}, which is not in the site (left as it is)")
    return target


def build_site(
    notebooks: Sequence[Path] | None = None,
    out_dir: Path = SITE_DIR,
    guide: Path | None = GUIDE_PATH,
) -> list[Path]:
    """Write the static site into ``out_dir``; return the pages written, index first.

    Converts the notebooks as they are stored (nothing is executed); prints one line per
    page and every link to a notebook that is not part of the site.
    """
    from nbconvert import HTMLExporter

    paths = list(notebooks) if notebooks is not None else course_notebooks()
    if not paths:
        raise ValueError("no notebooks to build a site from: pass NN_name.ipynb files.")
    infos = [read_notebook_info(path) for path in paths]
    stems = {path.stem for path in paths}
    guide = guide if guide is not None and guide.is_file() else None
    written = [_write_page(out_dir / INDEX_PAGE, _index_html(infos, guide is not None), [], "")]
    exporter = HTMLExporter(template_name="lab")
    for position, (path, info) in enumerate(zip(paths, infos, strict=True)):
        start = time.perf_counter()
        notebook = nbformat.read(path, as_version=4)
        body, _ = exporter.from_notebook_node(
            notebook, resources={"metadata": {"name": info.title}}
        )
        previous = infos[position - 1] if position > 0 else None
        following = infos[position + 1] if position + 1 < len(infos) else None
        page, unresolved = rewrite_links(
            _with_nav(body, _nav(previous, following)), stems, guide=guide is not None
        )
        written.append(_write_page(out_dir / page_name(path), page, unresolved, path.name))
        print(
            f"{page_name(path)}: {len(page) / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s"
        )
    if guide is not None:
        page, unresolved = _guide_html(guide, stems)
        written.append(_write_page(out_dir / GUIDE_PAGE, page, unresolved, guide.name))
    for stale in sorted(set(out_dir.glob(STALE_PAGES)) - set(written)):
        stale.unlink()
        print(f"removed {stale.name}: its notebook is no longer part of the course")
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m course_utils.classroom.site [--out DIR]``: build the course website."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE_DIR, help="output folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = build_site(out_dir=args.out)
    print(f"{len(pages)} pages in {time.perf_counter() - start:.1f} s; open {pages[0]}")


if __name__ == "__main__":
    main()
