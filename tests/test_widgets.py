"""The explorers' HTML views (what a reader sees without a kernel) and their live update."""

from __future__ import annotations

import re

import pytest
import torch

from course_utils import features as fx
from course_utils import logistic, model_widgets, widgets
from course_utils.seq2seq import AttentionMap

UNK = "[UNK]"


def test_tokens_html_marks_only_the_unknown_token_and_escapes():
    out = widgets.tokens_html(["<b>", UNK, "ok"], unknown=UNK)
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert out.count(widgets.UNKNOWN_TOKEN_STYLE) == 1


def test_tokenization_table_counts_tokens_and_unknowns():
    tokenizers = {
        "chars": list,
        "words": lambda text: [UNK if w == "zz" else w for w in text.split()],
    }
    out = widgets.tokenization_table_html("ab zz", tokenizers, unknown=UNK)
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>(\d+)</td>", out)
    assert rows == [("chars", "5", "0"), ("words", "2", "1")]


def test_contributions_sum_with_the_bias_to_the_score():
    texts = ["a good film", "a bad film", "good good", "bad acting", "good acting", "bad bad"]
    labels = [1, 0, 1, 0, 1, 0]
    vectorizer = fx.CountVectorizer(ngram_range=(1, 2))
    model = fx.MultinomialNB().fit(vectorizer.fit_transform(texts), labels)
    linear = logistic.LinearTextModel.from_naive_bayes(vectorizer, model, name="NB")
    sentence = "a good film, not bad"
    total = linear.bias + sum(part.contribution for part in linear.explain(sentence))
    assert total == pytest.approx(linear.decision_function([sentence])[0])
    out = widgets.contributions_html(sentence, [linear])
    assert f"{total:+.2f}" in out and "positive" in out and "good" in out


def test_attention_table_follows_the_temperature():
    weights = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    attention_map = AttentionMap("demo", ("x", "y"), ("a", "b", "c"), weights)
    sharp = widgets.attention_table_html(attention_map, temperature=0.5)
    flat = widgets.attention_table_html(attention_map, temperature=4.0)

    def mean_largest(out: str) -> float:
        return float(re.search(r"mean largest weight per row: ([\d.]+)", out).group(1))

    assert mean_largest(sharp) > mean_largest(widgets.attention_table_html(attention_map))
    assert mean_largest(flat) < mean_largest(widgets.attention_table_html(attention_map))


def test_normalizer_table_shows_every_normalizer():
    out = widgets.normalizer_table_html("running geese")
    assert re.search(r"<td[^>]*>run</td>", out) and re.search(r"<td[^>]*>gees</td>", out)
    for name in ("Porter", "Snowball", "Lancaster"):
        assert name.lower() in out.lower()
    assert widgets.normalizer_table_html("  ") == "<p><em>Type some words.</em></p>"


def test_text_explorer_updates_as_you_type_and_needs_examples():
    explorer = widgets.text_explorer(str.upper, ["first"])
    box, output = explorer.children
    assert output.value == "FIRST"
    box.value = "typed"
    assert output.value == "TYPED"
    with pytest.raises(ValueError, match="at least one example"):
        widgets.text_explorer(str.upper, [])


def test_explorers_refuse_to_compare_nothing():
    with pytest.raises(ValueError, match="tokenizer"):
        widgets.tokenizer_explorer({}, ["text"], unknown=UNK)
    with pytest.raises(ValueError, match="LinearTextModel"):
        widgets.contribution_explorer([], ["text"])


def test_fill_mask_table_shows_each_mask_and_explains_a_missing_one():
    def fill(text):
        if "[MASK]" not in text:
            raise ValueError("the text has no [MASK] token")
        return [[("good", 0.5), ("bad", 0.25)]] * text.count("[MASK]")

    out = model_widgets.fill_mask_html("a [MASK] and [MASK] <film>", fill)
    assert out.count("<table") == 2 and "50.0%" in out and "&lt;film&gt;" in out
    assert "no [MASK] token" in model_widgets.fill_mask_html("no mask", fill)
    explorer = model_widgets.fill_mask_explorer(fill, ["the [MASK]"])
    box, output = explorer.children
    box.value = "plain"
    assert "no [MASK]" in output.value


def test_decoding_explorer_redraws_when_a_slider_moves_and_reports_bad_prompts():
    calls = []

    def sample(prompt, temperature, top_k, top_p):
        calls.append((prompt, temperature, top_k, top_p))
        if "€" in prompt:
            raise ValueError("characters ['€'] are not in this model's alphabet")
        return f"<{temperature}|{top_k}|{top_p}>"

    explorer = model_widgets.decoding_explorer(sample, "ROMEO:")
    box, sliders, output = explorer.children
    temperature, top_k, top_p = sliders.children
    assert len(calls) == 1 + len(model_widgets.DECODING_PREVIEW)  # live view + static preview
    assert "&lt;0.8|None|None&gt;" in output.value and "<b>ROMEO:</b>" in output.value
    top_k.value = 5
    assert calls[-1] == ("ROMEO:", 0.8, 5, None) and "top-k 5" in output.value
    top_p.value = 0.5
    temperature.value = 0.0
    assert calls[-1] == ("ROMEO:", 0.0, 5, 0.5) and "greedy" in output.value
    box.value = "€"
    assert "are not in this model" in output.value


def test_calibration_explorer_redraws_at_the_slider_temperature():
    import numpy as np

    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(200, 2))
    labels = rng.integers(0, 2, 200)
    explorer = model_widgets.calibration_explorer(logits, labels)
    slider, output = explorer.children
    first = output.value
    assert "T = 1.00: ECE" in first and "<img src='data:image/png;base64," in first
    slider.value = 2.0
    assert output.value != first and "T = 2.00: ECE" in output.value
    assert output.value == model_widgets.reliability_html(logits, labels, 2.0)


def test_name_style_view_says_which_kinds_a_name_fits():
    fits = re.compile(r"<td style='text-align:left'>([^<]+)</td><td>([^<]+)</td>.*?<td>(.)</td>")
    rows = {
        kinds: mark for kinds, _, mark in fits.findall(model_widgets.name_style_html("MAX_LENGTH"))
    }
    assert rows["constant"] == model_widgets.FITS and rows["class"] == model_widgets.DOES_NOT_FIT
    assert "camelCase" in model_widgets.name_style_html("wordCount")
    assert "private" in model_widgets.name_style_html("_cache")
    assert "keyword" in model_widgets.name_style_html("class")
    assert "not a valid Python name" in model_widgets.name_style_html("2fast")
    assert "&lt;b&gt;" in model_widgets.name_style_html("<b>")


def test_name_style_explorer_updates_as_you_type():
    box, output = model_widgets.name_style_explorer(["word_count"]).children
    box.value = "WordCount"
    assert "PascalCase" in output.value
