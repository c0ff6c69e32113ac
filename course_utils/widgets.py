"""Interactive explorers for the notebooks, each with a static HTML fallback.

A live ipywidgets explorer needs a running kernel; the static fallback (plain HTML made
by the same rendering function) is what a reader sees on GitHub, in the course website
or in a notebook opened without a kernel. Each explorer names the notebook that uses it.

"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets as widgets
from IPython.display import HTML, display

from course_utils.attention import apply_temperature
from course_utils.data import Example, tokenize_words
from course_utils.logistic import LinearTextModel
from course_utils.rules import Firing, SentimentClassifier, predict_label
from course_utils.seq2seq import AttentionMap
from course_utils.text.normalization import compare_normalizers
from course_utils.text.porter import porter_trace
from course_utils.text.tagging import PosTagger

if TYPE_CHECKING:
    import scipy.sparse as sp
    from gensim.models import KeyedVectors

    from course_utils.vectors.counts import Vocab

__all__ = [
    "CHANGED_FORM_STYLE",
    "CHIP_STYLE",
    "DARK_TEXT_WEIGHT",
    "HEAT_HEADER_STYLE",
    "HEAT_RGB",
    "HEAT_ROW_STYLE",
    "HEAT_TABLE_STYLE",
    "LABEL_NAMES",
    "MAX_BROWSER_ROWS",
    "MAX_CHIP_ALPHA",
    "MAX_NORMALIZED_WORDS",
    "NEGATED_STYLE",
    "NEGATIVE_COLOR",
    "NEGATIVE_RGB",
    "NEIGHBOURS_SHOWN",
    "NGRAM_NAMES",
    "POSITIVE_COLOR",
    "POSITIVE_RGB",
    "RATIO_MIN_WORDS",
    "RATIO_TELLING",
    "SHOWN_WEIGHT",
    "SLOT_WIDTH",
    "TEMPERATURE_PREVIEW",
    "TOKEN_BOX_STYLE",
    "TOKEN_STYLE",
    "UNKNOWN_TOKEN_STYLE",
    "Tokenizers",
    "WordVectors",
    "analogy_html",
    "attention_explorer",
    "attention_table_html",
    "contribution_explorer",
    "contributions_html",
    "examples_table_html",
    "firings_table_html",
    "neighbours_html",
    "normalizer_explorer",
    "normalizer_table_html",
    "ratio_explorer",
    "ratio_table_html",
    "rule_explorer",
    "show_with_fallback",
    "split_browser",
    "text_explorer",
    "tokenization_table_html",
    "tokenizer_explorer",
    "tokens_html",
    "word_vector_explorer",
]


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


def text_explorer(
    render: Callable[[str], str], examples: Sequence[str], *, description: str = "Sentence:"
) -> widgets.VBox:
    """A text box whose HTML view ``render(text)`` updates as you type; the static fallback
    shows ``render`` of each example. The shared shape of the course's explorers."""
    if not examples:
        raise ValueError("an explorer needs at least one example text to start from.")
    box = widgets.Text(value=examples[0], description=description, continuous_update=True,
                       layout=widgets.Layout(width="95%"))  # fmt: skip
    output = widgets.HTML(render(examples[0]))

    def update(change: dict) -> None:
        output.value = render(change["new"])

    box.observe(update, names="value")
    explorer = widgets.VBox([box, output])
    fallback = "".join(render(text) for text in examples)
    show_with_fallback(explorer, fallback, "Static preview (type your own in the live box below):")
    return explorer


def rule_explorer(
    classifiers: Sequence[SentimentClassifier], examples: Sequence[str]
) -> widgets.VBox:
    """Type a sentence, see which rules fire in each classifier (notebook 01)."""
    return text_explorer(lambda sentence: firings_table_html(sentence, classifiers), examples)


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


TOKEN_BOX_STYLE = "border-radius: 3px; padding: 0 3px; margin: 1px"
TOKEN_STYLE = f"background: #e8eef7; {TOKEN_BOX_STYLE}"
UNKNOWN_TOKEN_STYLE = f"background: #f4cccc; color: #a00000; font-weight: bold; {TOKEN_BOX_STYLE}"

#: What :func:`tokenizer_explorer` compares: a name and a function from text to tokens.
Tokenizers = Mapping[str, Callable[[str], Sequence[str]]]


def tokens_html(tokens: Sequence[str], *, unknown: str) -> str:
    """Tokens as boxes separated by spaces; the unknown token is red. Notebook 07."""
    boxes = []
    for token in tokens:
        style = UNKNOWN_TOKEN_STYLE if token == unknown else TOKEN_STYLE
        boxes.append(f'<span style="{style}">{html.escape(token)}</span>')
    return " ".join(boxes)


def tokenization_table_html(text: str, tokenizers: Tokenizers, *, unknown: str) -> str:
    """An HTML table: how each tokenizer splits ``text``, with token and unknown counts.

    Notebook 07 compares word-level, BPE and WordPiece tokenizers with it.
    """
    rows = []
    for name, tokenize in tokenizers.items():
        tokens = list(tokenize(text))
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{len(tokens)}</td>"
            f"<td>{tokens.count(unknown)}</td>"
            f"<td style='text-align:left'>{tokens_html(tokens, unknown=unknown)}</td></tr>"
        )
    return (
        f"<p>Text: <code>{html.escape(text)}</code></p>"
        f"<table><tr><th>tokenizer</th><th>tokens</th><th>{html.escape(unknown)}</th>"
        "<th style='text-align:left'>pieces</th></tr>" + "".join(rows) + "</table>"
    )


def tokenizer_explorer(
    tokenizers: Tokenizers, examples: Sequence[str], *, unknown: str
) -> widgets.VBox:
    """Type text, see how each tokenizer splits it and what it cannot represent (notebook 07)."""
    if not tokenizers:
        raise ValueError("tokenizer_explorer needs at least one tokenizer to compare.")
    return text_explorer(
        lambda text: tokenization_table_html(text, tokenizers, unknown=unknown),
        examples,
        description="Text:",
    )


#: What :func:`word_vector_explorer` compares: a name and a gensim ``KeyedVectors``.
WordVectors = Mapping[str, "KeyedVectors"]
NEIGHBOURS_SHOWN = 5
SLOT_WIDTH = "120px"


def _ranked_table(title: str, columns: Mapping[str, list[tuple[str, float]] | str]) -> str:
    """One column per model: its ranked (word, cosine) list, or a message in place of it."""
    lengths = [len(ranked) for ranked in columns.values() if not isinstance(ranked, str)]
    depth = max(lengths, default=1)
    rows = []
    for rank in range(depth):
        cells = []
        for ranked in columns.values():
            if isinstance(ranked, str):
                cell = f"<em>{html.escape(ranked)}</em>" if rank == 0 else ""
            elif rank < len(ranked):
                cell = f"{html.escape(ranked[rank][0])} <small>{ranked[rank][1]:.2f}</small>"
            else:
                cell = ""
            cells.append(f"<td style='text-align:left'>{cell}</td>")
        rows.append(f"<tr><td>{rank + 1}</td>{''.join(cells)}</tr>")
    header = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
    return f"<p>{title}</p><table><tr><th>#</th>{header}</tr>{''.join(rows)}</table>"


def neighbours_html(models: WordVectors, word: str, topn: int = NEIGHBOURS_SHOWN) -> str:
    """Nearest neighbours (cosine) of ``word`` in each model, side by side. Notebook 03."""
    word = word.strip().lower()
    columns: dict[str, list[tuple[str, float]] | str] = {
        name: kv.most_similar(word, topn=topn) if word in kv.key_to_index else "not in vocabulary"
        for name, kv in models.items()
    }
    return _ranked_table(f"Nearest neighbours of <code>{html.escape(word)}</code>", columns)


def analogy_html(models: WordVectors, a: str, b: str, c: str, topn: int = NEIGHBOURS_SHOWN) -> str:
    """Answers to "a is to b as c is to ?" (nearest to b - a + c) in each model. Notebook 03."""
    from course_utils.vectors.benchmarks import analogy

    a, b, c = (word.strip().lower() for word in (a, b, c))
    columns: dict[str, list[tuple[str, float]] | str] = {}
    for name, kv in models.items():
        try:
            columns[name] = analogy(kv, a, b, c, topn=topn)
        except ValueError as error:  # an unknown word: say which one
            columns[name] = str(error)
    question = html.escape(f"{a} : {b} :: {c} : ?  (nearest to {b} − {a} + {c})")
    return _ranked_table(f"Analogy <code>{question}</code>", columns)


def word_vector_explorer(
    models: WordVectors,
    words: Sequence[str],
    analogies: Sequence[tuple[str, str, str]],
    topn: int = NEIGHBOURS_SHOWN,
) -> widgets.VBox:
    """Type a word for its neighbours, or three words for an analogy, in each model (nb 03)."""
    if not models or not words or not analogies:
        raise ValueError("word_vector_explorer needs models, example words and analogies.")
    word = widgets.Text(value=words[0], description="Word:")
    slots = [
        widgets.Text(value=value, layout=widgets.Layout(width=SLOT_WIDTH))
        for value in analogies[0]
    ]
    neighbours_out = widgets.HTML(neighbours_html(models, words[0], topn))
    analogy_out = widgets.HTML(analogy_html(models, *analogies[0], topn=topn))

    def update_neighbours(change: dict) -> None:
        neighbours_out.value = neighbours_html(models, change["new"], topn)

    def update_analogy(_change: dict) -> None:
        analogy_out.value = analogy_html(models, *(slot.value for slot in slots), topn=topn)

    word.observe(update_neighbours, names="value")
    for slot in slots:
        slot.observe(update_analogy, names="value")
    labels = [widgets.Label("is to"), widgets.Label("as"), widgets.Label("is to ?")]
    row = [item for pair in zip(slots, labels, strict=True) for item in pair]
    explorer = widgets.VBox([word, neighbours_out, widgets.HBox(row), analogy_out])
    fallback = "".join(neighbours_html(models, w, topn) for w in words) + "".join(
        analogy_html(models, *question, topn=topn) for question in analogies
    )
    show_with_fallback(
        explorer, fallback, "Static preview (type your own in the live boxes below):"
    )
    return explorer


#: Background of a contribution chip: colour by sign, opacity up to this at the largest |value|.
MAX_CHIP_ALPHA = 0.8
POSITIVE_RGB, NEGATIVE_RGB = "44, 160, 44", "214, 39, 40"
CHIP_STYLE = "border-radius: 3px; padding: 0 3px; margin: 1px; display: inline-block"
NGRAM_NAMES = {1: "words", 2: "word pairs"}


def _contribution_chip(feature: str, value: float, scale: float) -> str:
    rgb = POSITIVE_RGB if value > 0 else NEGATIVE_RGB
    alpha = MAX_CHIP_ALPHA * abs(value) / scale if scale > 0 else 0.0
    return (
        f'<span style="{CHIP_STYLE}; background: rgba({rgb}, {alpha:.2f})" '
        f'title="{value:+.4f}">{html.escape(feature)} <sub>{value:+.2f}</sub></span>'
    )


def contributions_html(sentence: str, models: Sequence[LinearTextModel]) -> str:
    """An HTML table: each model's n-gram contributions to the score of ``sentence``.

    Contributions (green: towards positive, red: towards negative) plus the bias sum to
    the score; the prediction is positive when the score is above 0. Notebook 02.
    """
    rows = []
    for model in models:
        parts = model.explain(sentence)
        scale = max((abs(part.contribution) for part in parts), default=0.0)
        groups: dict[int, list[str]] = {}
        for part in parts:
            groups.setdefault(part.order, []).append(
                _contribution_chip(part.feature, part.contribution, scale)
            )
        chips = "<br>".join(
            f"{NGRAM_NAMES.get(size, f'{size}-grams')}: {' '.join(group)}"
            for size, group in sorted(groups.items())
        )
        score = model.decision_function([sentence])[0]
        probability = model.predict_proba([sentence])[0]
        label = LABEL_NAMES[int(model.predict([sentence])[0])]
        rows.append(
            f"<tr><td>{html.escape(model.name)}</td><td style='text-align:left'>"
            f"{chips or '<em>no n-gram the model knows</em>'}</td><td>{model.bias:+.2f}</td>"
            f"<td>{score:+.2f}</td><td>{label} ({100 * probability:.0f}%)</td></tr>"
        )
    return (
        f"<p>Sentence: <code>{html.escape(sentence)}</code></p>"
        "<table><tr><th>model</th><th style='text-align:left'>contribution of each n-gram "
        "(green: towards positive, red: towards negative)</th><th>bias</th><th>score</th>"
        "<th>prediction (P positive)</th></tr>" + "".join(rows) + "</table>"
    )


def contribution_explorer(
    models: Sequence[LinearTextModel], examples: Sequence[str]
) -> widgets.VBox:
    """Type a sentence, see each word's and word pair's push towards positive or negative
    in each model (notebook 02)."""
    if not models:
        raise ValueError("contribution_explorer needs at least one LinearTextModel.")
    return text_explorer(lambda sentence: contributions_html(sentence, models), examples)


HEAT_RGB = "31, 119, 180"
HEAT_TABLE_STYLE = "border-collapse: collapse; font-size: 10px; text-align: center"
HEAT_HEADER_STYLE = "width: 24px; padding: 0"
HEAT_ROW_STYLE = "height: 22px"
#: Weights shown as numbers in the cells from this size up (smaller ones stay blank).
SHOWN_WEIGHT = 0.05
DARK_TEXT_WEIGHT = 0.6
TEMPERATURE_PREVIEW = (0.5, 1.0, 2.0)


def attention_table_html(attention_map: AttentionMap, temperature: float = 1.0) -> str:
    """One attention map as an HTML heatmap at softmax ``temperature`` (notebook 06).

    Rows are queries, columns keys; a cell's shade and number are its weight in percent.
    """
    weights = apply_temperature(attention_map.weights, temperature)
    header = "".join(
        f"<th style='{HEAT_HEADER_STYLE}'>{html.escape(key)}</th>" for key in attention_map.keys
    )
    rows = []
    for query, row in zip(attention_map.queries, weights.tolist(), strict=True):
        cells = "".join(
            f"<td style='background: rgba({HEAT_RGB}, {w:.2f})"
            f"{'; color: white' if w > DARK_TEXT_WEIGHT else ''}'>"
            f"{round(100 * w) if w >= SHOWN_WEIGHT else ''}</td>"
            for w in row
        )
        rows.append(f"<tr style='{HEAT_ROW_STYLE}'><th>{html.escape(query)}</th>{cells}</tr>")
    sharpness = float(weights.max(dim=-1).values.mean()) if rows else 0.0
    return (
        "<div style='display: inline-block; margin: 0 14px 8px 0; vertical-align: top'>"
        f"<p style='margin: 2px 0'><b>{html.escape(attention_map.title)}</b>, "
        f"temperature {temperature:g}<br><small>mean largest weight per row: "
        f"{sharpness:.2f}</small></p>"
        f"<table style='{HEAT_TABLE_STYLE}'><tr><th></th>{header}</tr>"
        + "".join(rows)
        + "</table></div>"
    )


def attention_explorer(
    compute: Callable[[str], Sequence[AttentionMap]], examples: Sequence[str]
) -> widgets.VBox:
    """Type an input, pick a layer and head, slide the softmax temperature (notebook 06).

    ``compute(text)`` returns every attention map of a model on ``text`` (for instance
    :func:`course_utils.seq2seq.attention_maps`); bad input shows its error message.
    The static fallback shows every map of the first example, then one map at several
    temperatures.
    """
    if not examples:
        raise ValueError("attention_explorer needs at least one example input to start from.")
    first = list(compute(examples[0]))
    if not first:
        raise ValueError(f"compute({examples[0]!r}) returned no attention maps to show.")
    titles = [attention_map.title for attention_map in first]
    box = widgets.Text(value=examples[0], description="Input:", continuous_update=True)
    choice = widgets.Dropdown(options=titles, description="Map:")
    temperature = widgets.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=0.25,
                                         description="Temperature:")  # fmt: skip
    output = widgets.HTML()

    def refresh(_change: dict | None = None) -> None:
        try:
            maps = {attention_map.title: attention_map for attention_map in compute(box.value)}
        except ValueError as error:
            output.value = f"<p style='color: {NEGATIVE_COLOR}'>{html.escape(str(error))}</p>"
            return
        if choice.value not in maps:
            output.value = f"<p>no map called {html.escape(str(choice.value))} for this input</p>"
            return
        output.value = attention_table_html(maps[choice.value], temperature.value)

    for control in (box, choice, temperature):
        control.observe(refresh, names="value")
    refresh()
    explorer = widgets.VBox([widgets.HBox([box, choice]), temperature, output])
    fallback = "".join(attention_table_html(attention_map) for attention_map in first)
    fallback += "<br>" + "".join(
        attention_table_html(first[-1], value) for value in TEMPERATURE_PREVIEW
    )
    show_with_fallback(explorer, fallback,
                       f"Static preview: every attention map for input {examples[0]!r}, then "
                       "the last one at three temperatures.")  # fmt: skip
    return explorer


CHANGED_FORM_STYLE = "font-weight: bold; color: #1f77b4"
#: The explorer shows at most this many words of the typed text.
MAX_NORMALIZED_WORDS = 12


def _form_cell(word: str, form: str) -> str:
    style = f" style='{CHANGED_FORM_STYLE}'" if form != word else ""
    return f"<td{style}>{html.escape(form)}</td>"


def _porter_rules_cell(word: str) -> str:
    fired = [f"{step.step}: {step.rule}" for step in porter_trace(word) if step.fired]
    return f"<td style='font-size: 80%'>{'<br>'.join(map(html.escape, fired))}</td>"


def normalizer_table_html(text: str, tagger: PosTagger | None = None) -> str:
    """Each word of ``text`` under every stemmer and the WordNet lemmatizer (notebook 05).

    Changed forms are bold; with a tagger, the predicted tags and the lemmas they give
    are added; the last row lists the Porter rules that fired on each word.
    """
    words = tokenize_words(text)[:MAX_NORMALIZED_WORDS]
    if not words:
        return "<p><em>Type some words.</em></p>"
    rows = compare_normalizers(" ".join(words), tagger)
    header = "".join(f"<th>{html.escape(word)}</th>" for word in words)
    body = []
    if tagger is not None:
        tags = "".join(f"<td>{html.escape(tag)}</td>" for _, tag in tagger.tag(words))
        body.append(f"<tr><td><em>POS tag</em></td>{tags}</tr>")
    for name, forms in rows.items():
        cells = "".join(_form_cell(w, f) for w, f in zip(words, forms, strict=True))
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    steps = "".join(_porter_rules_cell(word) for word in words)
    body.append(f"<tr><td><em>Porter rules fired</em></td>{steps}</tr>")
    return (
        f"<p>Text: <code>{html.escape(text)}</code></p><table><tr><th>normalizer</th>"
        f"{header}</tr>" + "".join(body) + "</table>"
    )


def normalizer_explorer(tagger: PosTagger | None, examples: Sequence[str]) -> widgets.VBox:
    """Type text, compare Porter, Snowball, Lancaster and WordNet lemmas (notebook 05)."""
    return text_explorer(lambda typed: normalizer_table_html(typed, tagger), examples,
                         description="Text:")  # fmt: skip


#: The ratio explorer reads "i j probe ...": two words, then at least one probe word.
RATIO_MIN_WORDS = 3
#: Ratios beyond this factor from 1 (either way) are highlighted as telling probes.
RATIO_TELLING = 3.0


def _ratio_cell(ratio: float) -> str:
    if ratio != ratio:  # NaN: the probe never meets either word
        return "<td>–</td>"
    telling = ratio >= RATIO_TELLING or ratio <= 1 / RATIO_TELLING
    text = "∞" if ratio == float("inf") else f"{ratio:.3g}"
    return f"<td><b>{text}</b></td>" if telling else f"<td>{text}</td>"


def ratio_table_html(
    cooc: sp.spmatrix, vocab: Vocab, text: str, models: WordVectors | None = None
) -> str:
    """GloVe's Table 1 for a typed line "i j probe ...": P(k|i), P(k|j), ratio (notebook 04).

    Ratios far from 1 are bold; with ``models``, the nearest neighbours of i and j follow.
    """
    from course_utils.vectors.glove import cooccurrence_ratios

    words = text.lower().split()
    if len(words) < RATIO_MIN_WORDS:
        return (
            "<p><em>Type two words, then one or more probe words, e.g. "
            "<code>he she himself herself the</code>.</em></p>"
        )
    word_i, word_j, probes = words[0], words[1], words[2:]
    try:
        rows = cooccurrence_ratios(cooc, vocab, word_i, word_j, probes)
    except ValueError as error:  # an unknown word: say which one
        return f"<p><em>{html.escape(str(error))}</em></p>"
    i, j = html.escape(word_i), html.escape(word_j)
    body = "".join(
        f"<tr><td>{html.escape(row.probe)}</td><td>{row.count_i:.1f}</td>"
        f"<td>{row.count_j:.1f}</td><td>{row.p_given_i:.2e}</td><td>{row.p_given_j:.2e}</td>"
        f"{_ratio_cell(row.ratio)}</tr>"
        for row in rows
    )
    table = (
        f"<p>Probe words k for i = <code>{i}</code>, j = <code>{j}</code></p><table><tr>"
        f"<th>k</th><th>X(k, {i})</th><th>X(k, {j})</th><th>P(k | {i})</th>"
        f"<th>P(k | {j})</th><th>ratio</th></tr>{body}</table>"
    )
    if not models:
        return table
    return table + neighbours_html(models, word_i) + neighbours_html(models, word_j)


def ratio_explorer(
    cooc: sp.spmatrix, vocab: Vocab, examples: Sequence[str], models: WordVectors | None = None
) -> widgets.VBox:
    """Type "i j probe ...", see GloVe's co-occurrence ratios and neighbours (notebook 04)."""
    return text_explorer(lambda typed: ratio_table_html(cooc, vocab, typed, models), examples,
                         description="i j probes:")  # fmt: skip
