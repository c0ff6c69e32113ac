"""course_utils.rules: tokenization, negation scope, lexicon scoring, VADER, bad input."""

from __future__ import annotations

import pytest

from course_utils import rules
from course_utils.data import texts_and_labels
from course_utils.evaluation import accuracy


def test_tokenize_keeps_punctuation_and_contractions():
    assert rules.tokenize("It isn't GOOD, really!") == ["it", "isn't", "good", ",", "really", "!"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("not a good movie", [False, True, True, True]),
        ("not funny , but moving", [False, True, False, False, False]),
        ("it isn't very funny at all", [False, False, True, True, True, False]),
        ("never boring but dull", [False, True, False, False]),
        ("good", [False]),
        ("", []),
    ],
)
def test_negation_scope(sentence, expected):
    assert rules.negation_scope(rules.tokenize(sentence)) == expected


def test_negation_scope_rejects_negative_window():
    with pytest.raises(ValueError, match="window"):
        rules.negation_scope(["not"], window=-1)


def test_lexicon_classifier_scores_and_explains():
    classifier = rules.LexiconClassifier({"good": 1.0, "bad": -1.0}, name="toy")
    assert classifier.score("good good bad") == 1.0
    assert classifier.score("not good") == -1.0
    assert classifier.score("not good , bad") == -2.0
    fired = classifier.firings("not good , bad")
    assert [(f.text, f.weight, f.negated) for f in fired] == [
        ("good", -1.0, True),
        ("bad", -1.0, False),
    ]
    plain = rules.LexiconClassifier({"good": 1.0}, negation=False)
    assert plain.score("not good") == 1.0


def test_rules_add_weight_per_match():
    base = rules.LexiconClassifier({"good": 1.0})
    extended = base.with_rules(rules.Rule("question", r"\?", -0.5))
    assert extended.score("good? really?") == pytest.approx(0.0)
    assert [f.source for f in extended.firings("good?")] == ["lexicon", "rule:question"]
    assert base.rules == ()


def test_ties_get_the_documented_label():
    classifier = rules.LexiconClassifier({"good": 1.0, "bad": -1.0})
    assert rules.predict(classifier, ["good", "bad", "neither"]) == [1, 0, rules.TIE_LABEL]


def test_bad_rules_and_lexicons_are_refused():
    with pytest.raises(ValueError, match="raw strings"):
        rules.Rule("broken", r"(unclosed", 1.0)
    with pytest.raises(ValueError, match="both positive and negative"):
        rules.keyword_lexicon(["good"], ["good"])
    with pytest.raises(ValueError, match="non-empty lexicon"):
        rules.LexiconClassifier({})


def test_opinion_lexicon_is_hu_and_liu():
    lexicon = rules.opinion_lexicon()
    assert lexicon["good"] == 1.0 and lexicon["awful"] == -1.0
    assert 6700 < len(lexicon) < 6900
    assert "envious" not in lexicon  # listed on both sides by the lexicon itself


def test_vader_signs_and_heuristics():
    vader = rules.VaderClassifier()
    assert vader.score("a great movie") > 0 > vader.score("a terrible movie")
    assert vader.score("not good") < 0
    assert vader.score("VERY GOOD!!!") > vader.score("very good")
    assert any(f.text == "great" for f in vader.firings("a great movie"))


def test_lexicon_rules_beat_the_floor_on_mr_dev(mr_split):
    texts, labels = texts_and_labels(mr_split["dev"])
    hu_liu = rules.LexiconClassifier(rules.opinion_lexicon())
    assert 0.60 < accuracy(labels, rules.predict(hu_liu, texts)) < 0.70
