"""course_utils.leaderboard: rows are valid and refuse bad values, each era's rows equal
what its notebook's code measures, the zero-shot scorer picks the more likely
continuation, and the decision helpers (interval, Pareto front, cheapest good model) are
right; the figure and the explorer show the rows they are given."""

from __future__ import annotations

import dataclasses
import random

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from course_utils import leaderboard as lb
from course_utils import leaderboard_table, rules
from course_utils import prompting as course_utils_prompting
from course_utils.evaluation import PUBLISHED_MR_ACCURACY


def make_row(**changes):
    fields = {
        "era": lb.SW15,
        "model": "a model",
        "notebook": "02",
        "test_accuracy": 0.75,
        "parameters": 100,
        "train_seconds": 1.5,
        "source": lb.LIVE,
    }
    return lb.LeaderboardRow(**{**fields, **changes})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------
# The row
# ---------------------------------------------------------------------------


def test_row_totals_add_trained_and_frozen_parameters_and_upstream_seconds():
    row = make_row(frozen_parameters=2_000, upstream_seconds=300.0)
    assert row.total_parameters == 2_100
    assert row.total_seconds == pytest.approx(301.5)
    assert make_row(train_seconds=None).total_seconds is None
    assert make_row(train_seconds=None, upstream_seconds=60.0).total_seconds == 60.0
    assert make_row(era=lb.SW30).era_index == lb.ERAS.index(lb.SW30)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.test_accuracy = 0.9


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"era": "SW 4.0"}, "era must be one of"),
        ({"test_accuracy": 78.3}, "divide a percentage by 100"),
        ({"test_accuracy": -0.1}, "fraction in"),
        ({"parameters": -1}, "cannot be negative"),
        ({"frozen_parameters": -5}, "cannot be negative"),
        ({"train_seconds": -2.0}, "train_seconds must be None or >= 0"),
        ({"upstream_seconds": float("nan")}, "upstream_seconds must be None or >= 0"),
        ({"notebook": "2"}, "two digits"),
        ({"source": " "}, "needs a model name and a source"),
        ({"seeds": 0}, "seeds must be >= 1"),
    ],
)
def test_row_refuses_bad_fields_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        make_row(**changes)


def test_costs_by_measure_and_their_formatting():
    rule_like = make_row(era=lb.SW10, notebook="01", train_seconds=None)
    assert lb.cost(rule_like, "parameters") == 100
    assert lb.cost(rule_like, "total_seconds") is None
    assert leaderboard_table.format_cost(None, "train_seconds") == "none"
    assert leaderboard_table.format_cost(1_355_845, "parameters") == "1,355,845"
    assert leaderboard_table.format_cost(3520.6, "total_seconds") == "3,521 s"
    assert leaderboard_table.format_cost(0.25, "train_seconds") == "0.2 s"
    for bad in (
        lambda: lb.cost(rule_like, "watts"),
        lambda: leaderboard_table.format_cost(1.0, "watts"),
    ):
        with pytest.raises(ValueError, match="unknown cost measure"):
            bad()


def test_table_numbers_every_row_and_can_leave_out_the_timings():
    rows = [make_row(model="first"), make_row(model="second", train_seconds=None)]
    table = leaderboard_table.format_table(rows)
    lines = table.splitlines()
    assert len(lines) == 3 and lines[1].startswith(" 1  ") and "second" in lines[2]
    assert "train s" in lines[0]
    assert "train s" not in leaderboard_table.format_table(rows, with_costs=False)


def test_era_bests_keeps_the_most_accurate_row_of_each_era_in_era_order():
    rows = [
        make_row(era=lb.SW20, notebook="03", model="v", test_accuracy=0.7),
        make_row(model="nb", test_accuracy=0.78),
        make_row(model="nbsvm", test_accuracy=0.80),
        make_row(era=lb.SW10, notebook="01", model="rules", test_accuracy=0.6),
        make_row(era=lb.SW20, notebook="05", model="stem", test_accuracy=0.77),
    ]
    assert [row.model for row in leaderboard_table.era_bests(rows)] == ["rules", "nbsvm", "stem"]
    assert [row.model for row in leaderboard_table.sort_rows(rows)][:2] == ["rules", "nb"]


# ---------------------------------------------------------------------------
# The floor, the references, and the eras
# ---------------------------------------------------------------------------


def test_majority_baseline_predicts_the_most_common_training_label(mr_split):
    assert lb.majority_baseline(mr_split) == pytest.approx(0.5)
    skewed = {
        "train": [("a", 1), ("b", 1), ("c", 0)],
        "dev": [("d", 0)],
        "test": [("e", 1), ("f", 0), ("g", 0), ("h", 0)],
    }
    assert lb.majority_baseline(skewed) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="lacks"):
        lb.majority_baseline({"train": skewed["train"]})


def test_published_references_are_the_evaluation_table_as_fractions():
    references = lb.published_references()
    assert references == {name: value / 100 for name, value in PUBLISHED_MR_ACCURACY.items()}


def test_rule_rows_are_notebook_01s_classifiers_with_their_hand_written_weights(mr_split):
    rows = lb.rule_rows(mr_split)
    assert [row.model for row in rows] == [
        "keywords + negation",
        "Hu & Liu lexicon + negation",
        "VADER",
    ]
    assert rows[0].parameters == len(rules.keyword_lexicon())
    texts = [text for text, _ in mr_split["test"]]
    labels = [label for _, label in mr_split["test"]]
    keyword = rules.LexiconClassifier(rules.keyword_lexicon())
    expected = np.mean(np.array(rules.predict(keyword, texts)) == np.array(labels))
    assert rows[0].test_accuracy == pytest.approx(expected)
    assert all(row.train_seconds is None and row.era == lb.SW10 for row in rows)


def test_feature_rows_equal_mr_baselines(mr_split):
    from course_utils.baselines import mr_baselines

    baselines = mr_baselines(mr_split, seeds=(0,))
    rows = lb.feature_rows(baselines)
    assert len(rows) == len(baselines)
    for row, result in zip(rows, baselines, strict=True):
        assert row.test_accuracy == result.test_accuracy
        assert row.parameters == result.num_parameters
        assert row.train_seconds == result.train_seconds
        assert row.seeds == result.num_seeds and row.test_accuracy_std == result.test_accuracy_std
        assert row.era == lb.SW15 and row.notebook == "02" and row.source == lb.LIVE
    assert rows[0].model == lb.FEATURE_MODEL_NAMES[baselines[0].name]


def _small_vectors():
    vectors = KeyedVectors(vector_size=3)
    vectors.add_vectors(
        ["good", "bad", "film"],
        np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]], dtype=np.float32),
    )
    return vectors


def test_averaged_vectors_ignore_word_order_and_unknown_words():
    vectors = _small_vectors()
    out = lb.average_vectors(["good film", "film good zzz", "zzz", "Good BAD"], vectors)
    np.testing.assert_allclose(out[0], [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(out[0], out[1])  # order and unknown words do not matter
    np.testing.assert_array_equal(out[2], np.zeros(3))  # nothing known: the zero vector
    np.testing.assert_allclose(out[3], [0.5, 0.5, 0.0])  # lower-cased like the corpus
    with pytest.raises(ValueError, match="list of texts"):
        lb.average_vectors("good film", vectors)


def test_averaged_vector_classifier_beats_the_floor_and_picks_c_on_dev(mr_split):
    from course_utils.checkpoints import load_vectors

    grid = (0.1, 10.0)
    result = lb.averaged_vector_classifier(load_vectors("word2vec_sg"), mr_split, c_grid=grid)
    assert set(result.dev_accuracy) == set(grid)
    assert result.dev_accuracy[result.chosen_c] == max(result.dev_accuracy.values())
    assert result.test_accuracy > lb.majority_baseline(mr_split) + 0.1
    assert result.parameters == 100 + 1  # one weight per dimension, one bias
    with pytest.raises(ValueError, match="c_grid is empty"):
        lb.averaged_vector_classifier(_small_vectors(), mr_split, c_grid=())


def test_word_vector_rows_carry_the_vectors_as_frozen_parameters_and_upstream_time(
    monkeypatch, mr_split
):
    from course_utils import checkpoints

    provenance = checkpoints.load_provenance("glove")
    fake = lb.VectorClassifierResult({1.0: 0.7}, 1.0, 0.72, 0.5, 4)
    monkeypatch.setattr(lb, "averaged_vector_classifier", lambda *args, **kwargs: fake)
    (row,) = lb.word_vector_rows(["glove"], mr_split)
    assert row.test_accuracy == 0.72 and row.parameters == 4 and row.train_seconds == 0.5
    assert row.frozen_parameters == checkpoints.load_vectors("glove").vectors.size
    assert row.upstream_seconds == pytest.approx(
        provenance["train_seconds"] + provenance["cooccurrence_seconds"]
    )
    assert "data/glove.provenance.json" in row.source and provenance["command"] in row.source
    with pytest.raises(ValueError, match="unknown vectors"):
        lb.word_vector_rows(["fasttext"], mr_split)


def test_stemming_shrinks_the_naive_bayes_model(mr_split):
    from course_utils.baselines import mr_baselines

    (row,) = lb.normalization_rows(("porter",), mr_split)
    naive_bayes = mr_baselines(mr_split, seeds=(0,))[0]
    assert row.parameters < naive_bayes.num_parameters  # stems merge vocabulary entries
    assert 0.7 < row.test_accuracy < 0.85 and row.notebook == "05"
    assert lb.stemmed_tokenizer("porter")("Running films!") == ["run", "film", "!"]
    with pytest.raises(ValueError, match="unknown stemmer"):
        lb.stemmed_tokenizer("krovetz")


def test_tiny_bert_rows_are_the_means_of_the_label_efficiency_record():
    from course_utils.checkpoints import load_provenance
    from course_utils.label_efficiency import ALL, load_record, summarize

    record = load_record()
    pretraining = load_provenance("model", "data/models/tiny-bert")
    rows = {row.model: row for row in lb.tiny_bert_rows(record, pretraining)}
    summary = summarize(record["runs"])
    for row_name, model, pretrained in lb.FINE_TUNED_ROWS:
        runs = [r for r in record["runs"] if r["budget"] == ALL and r["row"] == row_name]
        row = rows[model]
        assert len(runs) == row.seeds == 5
        assert row.test_accuracy == pytest.approx(np.mean([r["test"] for r in runs]))
        assert row.test_accuracy == pytest.approx(summary[row_name][ALL]["test_mean"])
        assert row.train_seconds == pytest.approx(np.mean([r["seconds"] for r in runs]))
        assert (row.upstream_seconds is not None) == pretrained
        assert row.era == (lb.PRETRAIN if pretrained else lb.NO_PRETRAIN)
    assert (
        rows["TinyBert pre-trained + fine-tuned"].upstream_seconds == pretraining["wall_seconds"]
    )
    teacher = load_provenance("model", "data/models/tiny-bert-mr")
    assert rows["TinyBert from scratch"].parameters == teacher["parameters"]  # same classifier


def test_tiny_bert_rows_need_all_label_runs_of_both_rows():
    from course_utils.checkpoints import load_provenance

    pretraining = load_provenance("model", "data/models/tiny-bert")
    run = {"budget": "all", "row": "tinybert_random", "test": 0.6, "seconds": 1.0}
    record = {"runs": [run], "command": "c", "train_size": 8530}
    with pytest.raises(ValueError, match="no 'tinybert' run with all labels"):
        lb.tiny_bert_rows(record, pretraining)
    with pytest.raises(ValueError, match="holds no runs"):
        lb.tiny_bert_rows({**record, "runs": []}, pretraining)


@pytest.fixture(scope="module")
def teacher_and_task():
    from course_utils.bert_checkpoints import mr_task
    from course_utils.distillation import load_teacher

    teacher = load_teacher()
    return teacher, mr_task(teacher[1])


def test_teacher_row_recomputes_the_recorded_test_accuracy(teacher_and_task):
    teacher, task = teacher_and_task
    row = lb.teacher_row(teacher, task)
    assert row.test_accuracy == pytest.approx(teacher[2]["test_accuracy"])
    assert row.parameters == teacher[2]["parameters"]
    assert row.train_seconds == teacher[2]["wall_seconds"] and row.upstream_seconds > 0


def test_student_row_distils_and_counts_the_teacher_upstream(teacher_and_task):
    """A short run: 1,500 training sentences, one seed (a few seconds)."""
    teacher, task = teacher_and_task
    small = dataclasses.replace(task, train=task.train[:1500])
    row, runs = lb.student_row(teacher, small, seeds=(0,))
    assert len(runs) == 1 and row.seeds == 1 and row.test_accuracy == runs[0].test_accuracy
    assert row.test_accuracy > 0.55 and row.era == lb.BEYOND
    assert row.parameters < teacher[2]["parameters"] / 5
    assert row.upstream_seconds > teacher[2]["wall_seconds"]
    with pytest.raises(ValueError, match="seeds is empty"):
        lb.student_row(teacher, small, seeds=())


def test_all_rows_gathers_every_era_in_course_order(monkeypatch):
    """The composition only (the real thing trains for a few minutes): each era's
    function is replaced by one returning a marked row."""
    from course_utils import bert_checkpoints, distillation

    def marked(era, notebook, model):
        return make_row(era=era, notebook=notebook, model=model)

    monkeypatch.setattr(distillation, "load_teacher", lambda: (None, None, {}))
    monkeypatch.setattr(bert_checkpoints, "mr_task", lambda tokenizer: "task")
    monkeypatch.setattr(lb, "rule_rows", lambda split: [marked(lb.SW10, "01", "rules")])
    monkeypatch.setattr(lb, "feature_rows", lambda **kw: [marked(lb.SW15, "02", "nb")])
    monkeypatch.setattr(lb, "word_vector_rows", lambda **kw: [marked(lb.SW20, "03", "sg")])
    monkeypatch.setattr(lb, "normalization_rows", lambda **kw: [marked(lb.SW20, "05", "stem")])
    monkeypatch.setattr(lb, "tiny_bert_rows", lambda: [marked(lb.PRETRAIN, "08", "bert")])
    monkeypatch.setattr(lb, "teacher_row", lambda t, task: marked(lb.PRETRAIN, "10", "teacher"))
    zero_shot = lb.ZeroShotResult(marked(lb.SW30, "09", "gpt"), None, 0.5, 1.0)
    monkeypatch.setattr(lb, "prompting_row", lambda **kw: zero_shot)
    student = marked(lb.BEYOND, "10", "student")
    monkeypatch.setattr(lb, "student_row", lambda t, task: (student, []))
    split = {name: [("a", 1), ("b", 0)] for name in ("train", "dev", "test")}
    rows = lb.all_rows(split)
    assert [row.model for row in rows] == [
        "rules", "nb", "sg", "stem", "bert", "teacher", "gpt", "student",
    ]  # fmt: skip
    assert rows == leaderboard_table.sort_rows(rows)


# ---------------------------------------------------------------------------
# Zero-shot prompting
# ---------------------------------------------------------------------------


def fake_log_probs(bias=0.0):
    """A 'model' that finds " good." likely after sentences with 'fine' in them."""

    def log_probs(prompts, continuation):
        liked = np.array(["fine" in prompt for prompt in prompts], dtype=float)
        if continuation == " good.":
            return -2.0 + liked + bias
        if continuation == " bad.":
            return -2.0 + (1 - liked)
        return np.full(len(prompts), -3.0)  # any other word: it knows nothing

    return log_probs


def test_zero_shot_picks_the_more_likely_continuation():
    template = course_utils_prompting.PROMPT_TEMPLATES[0]
    scores = course_utils_prompting.zero_shot_scores(
        fake_log_probs(), ["a fine film", "a dull film"], template
    )
    np.testing.assert_allclose(scores, [1.0, -1.0])
    assert course_utils_prompting.zero_shot_predictions(scores).tolist() == [1, 0]
    assert course_utils_prompting.zero_shot_predictions([0.0]).tolist() == [
        0
    ]  # a tie is not positive
    assert course_utils_prompting.zero_shot_predictions([0.3, 0.7], threshold=0.5).tolist() == [
        0,
        1,
    ]
    with pytest.raises(ValueError, match="non-empty list"):
        course_utils_prompting.zero_shot_scores(fake_log_probs(), "a fine film", template)


def test_choose_prompt_keeps_the_best_dev_variant_and_calibrates_a_biased_model():
    texts = ["fine", "dull", "fine fine", "bad", "so fine", "poor"]
    labels = [1, 0, 1, 0, 1, 0]
    uninformative = course_utils_prompting.PromptTemplate("useless", "{sentence}", " yes", " no")
    biased = fake_log_probs(bias=5.0)  # always prefers " good." by more than the evidence
    choice = course_utils_prompting.choose_prompt(
        biased, texts, labels, [uninformative, course_utils_prompting.PROMPT_TEMPLATES[0]]
    )
    assert len(choice.dev_table) == 2 * len(course_utils_prompting.DECISION_RULES)
    assert choice.template == course_utils_prompting.PROMPT_TEMPLATES[0]
    assert choice.rule == course_utils_prompting.DECISION_RULES[1] and choice.dev_accuracy == 1.0
    plain = course_utils_prompting.choose_prompt(
        fake_log_probs(), texts, labels, [course_utils_prompting.PROMPT_TEMPLATES[0]]
    )
    assert plain.rule == course_utils_prompting.DECISION_RULES[0] and plain.threshold == 0.0
    with pytest.raises(ValueError, match="labels"):
        course_utils_prompting.choose_prompt(biased, texts, labels[:-1])
    with pytest.raises(ValueError, match="template"):
        course_utils_prompting.choose_prompt(biased, texts, labels, [])


def test_zero_shot_row_trains_nothing_and_says_what_it_scored():
    split = {
        "train": [("fine", 1), ("dull", 0)],
        "dev": [("fine", 1), ("dull", 0), ("a fine one", 1), ("bad", 0)],
        "test": [("fine fine", 1), ("so dull", 0), ("fine", 1), ("x", 1)],
    }
    result = lb.zero_shot_row(
        fake_log_probs(), model="fake", frozen_parameters=10, upstream_seconds=None,
        source="test", split=split, dev_sentences=3, test_sentences=3,
    )  # fmt: skip
    row = result.row
    assert row.era == lb.SW30 and row.parameters == 0 and row.train_seconds is None
    assert row.test_accuracy == 1.0 and "first 3 test sentences" in row.note
    assert result.share_positive == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="at least 1"):
        lb.zero_shot_row(fake_log_probs(), model="f", frozen_parameters=0,
                         upstream_seconds=None, source="s", dev_sentences=0)  # fmt: skip


def test_prompt_templates_need_a_sentence_slot_and_two_continuations():
    with pytest.raises(ValueError, match="sentence"):
        course_utils_prompting.PromptTemplate("x", "no slot", " a", " b")
    with pytest.raises(ValueError, match="two different"):
        course_utils_prompting.PromptTemplate("x", "{sentence}", " a", " a")
    assert course_utils_prompting.PROMPT_TEMPLATES[0].fill("so {fine}") == "so {fine}\nIt was"


@pytest.fixture(scope="module")
def tiny_gpt():
    from course_utils.gpt import CharTokenizer, TinyGPT, TinyGPTConfig

    tokenizer = CharTokenizer("\n !',.abcdefghijklmnopqrstuvwxyzI")
    torch.manual_seed(0)
    config = TinyGPTConfig(vocab_size=tokenizer.vocab_size, max_position=24, d_model=16,
                           num_layers=1, num_heads=2, d_ff=32, dropout=0.0)  # fmt: skip
    return TinyGPT(config).eval(), tokenizer


def test_batched_log_probs_equal_notebook_09s_one_at_a_time(tiny_gpt):
    from course_utils.gpt import continuation_log_prob

    model, tokenizer = tiny_gpt
    prompts = [
        "a fine film\nIt was",
        "dull.\nIt was",
        "x",
        "a very long review that runs on\nIt was",
    ]
    scorer = course_utils_prompting.char_gpt_log_probs(model, tokenizer, batch_size=3)
    continuation = " good."
    ours = scorer(prompts, continuation)
    room = model.config.max_position + 1 - len(continuation)
    for prompt, value in zip(prompts, ours, strict=True):
        expected = continuation_log_prob(
            model,
            torch.tensor(tokenizer.encode(prompt)[-room:]),  # a long prompt keeps its end
            torch.tensor(tokenizer.encode(continuation)),
        )
        assert value == pytest.approx(expected, abs=1e-4)
    with pytest.raises(ValueError, match="empty"):
        course_utils_prompting.batched_continuation_log_probs(
            lambda ids, mask: None, [[1]], [], max_length=8
        )
    with pytest.raises(ValueError, match="no room"):
        course_utils_prompting.batched_continuation_log_probs(
            lambda ids, mask: None, [[1]], [1] * 9, max_length=8
        )


def test_hugging_face_scorer_equals_the_course_scorer(tiny_gpt):
    from course_utils.hf_convert import hf_char_tokenizer, tiny_gpt_to_hf

    model, tokenizer = tiny_gpt
    prompts = ["a fine film\nIt was", "dull.\nIt was"]
    ours = course_utils_prompting.char_gpt_log_probs(model, tokenizer)(prompts, " bad.")
    theirs = course_utils_prompting.hf_causal_lm_log_probs(
        tiny_gpt_to_hf(model), hf_char_tokenizer(tokenizer.chars)
    )(prompts, " bad.")
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_to_alphabet_strips_accents_and_drops_unknown_characters():
    alphabet = "abcdefghijklmnopqrstuvwxyz '.,"
    assert (
        course_utils_prompting.to_alphabet('a "café" (1999) , fine .', alphabet)
        == "a 'cafe' , fine ."
    )


# ---------------------------------------------------------------------------
# Reading the leaderboard
# ---------------------------------------------------------------------------


def test_accuracy_interval_is_the_normal_approximation_clipped_to_0_1():
    low, high = leaderboard_table.accuracy_interval(0.8, 1000)
    half = 1.96 * np.sqrt(0.8 * 0.2 / 1000)
    assert (low, high) == pytest.approx((0.8 - half, 0.8 + half))
    assert leaderboard_table.accuracy_interval(1.0, 50) == (1.0, 1.0)
    assert leaderboard_table.accuracy_interval(0.99, 10)[1] == 1.0
    with pytest.raises(ValueError, match="at least 1"):
        leaderboard_table.accuracy_interval(0.8, 0)
    with pytest.raises(ValueError, match="fraction"):
        leaderboard_table.accuracy_interval(80.0, 100)


def brute_force_front(costs, accuracies):
    def beaten(i):
        return any(
            costs[j] <= costs[i]
            and accuracies[j] >= accuracies[i]
            and (costs[j] < costs[i] or accuracies[j] > accuracies[i])
            for j in range(len(costs))
        )

    return sorted((i for i in range(len(costs)) if not beaten(i)),
                  key=lambda i: (costs[i], -accuracies[i], i))  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_pareto_front_equals_brute_force_with_ties_and_duplicates(seed):
    rng = random.Random(seed)
    costs = [float(rng.randint(0, 6)) for _ in range(12)]
    accuracies = [rng.choice([0.5, 0.6, 0.7, 0.8]) for _ in costs]
    assert leaderboard_table.pareto_front(costs, accuracies) == brute_force_front(
        costs, accuracies
    )


def test_pareto_front_known_cases():
    assert leaderboard_table.pareto_front([3.0, 1.0, 2.0], [0.9, 0.6, 0.5]) == [1, 0]
    assert leaderboard_table.pareto_front([], []) == []
    with pytest.raises(ValueError, match="costs but"):
        leaderboard_table.pareto_front([1.0], [])


def test_cheapest_within_picks_the_cheapest_good_enough_model():
    entries = [("big", 100.0, 0.80), ("small", 1.0, 0.79), ("tiny", 0.1, 0.70)]
    assert leaderboard_table.cheapest_within(entries, 0.02) == "small"
    assert leaderboard_table.cheapest_within(entries, 0.0) == "big"
    assert leaderboard_table.cheapest_within(entries, 1.0) == "tiny"
    assert leaderboard_table.cheapest_within([("a", 1.0, 0.7), ("b", 1.0, 0.75)], 0.1) == "b"
    with pytest.raises(ValueError, match="negative"):
        leaderboard_table.cheapest_within(entries, -0.1)
    with pytest.raises(ValueError, match="no entries"):
        leaderboard_table.cheapest_within([], 0.1)


# ---------------------------------------------------------------------------
# The figure and the explorer
# ---------------------------------------------------------------------------


def figure_rows():
    return [
        make_row(era=lb.SW10, notebook="01", model="rules", test_accuracy=0.6,
                 train_seconds=None, parameters=50),
        make_row(model="nb", test_accuracy=0.78, parameters=50_000, train_seconds=0.5),
        make_row(era=lb.PRETRAIN, notebook="08", model="bert", test_accuracy=0.75,
                 parameters=1_000_000, train_seconds=60.0, upstream_seconds=3000.0,
                 test_accuracy_std=0.01, seeds=3),
    ]  # fmt: skip


def _points(ax):
    """(x, y) of every marker drawn, in drawing order."""
    return [
        (line.get_xdata()[0], line.get_ydata()[0])
        for line in ax.lines
        if line.get_marker() == "o" and len(line.get_xdata()) == 1
    ]


def test_cost_plot_draws_each_row_at_its_cost_and_accuracy():
    from course_utils.model_plots import leaderboard_cost_plot

    rows = figure_rows()
    fig = leaderboard_cost_plot(rows, {"MNB": 0.79}, floor=0.5)
    by_parameters, by_seconds = fig.axes[:2]
    assert by_parameters.get_xscale() == "log"
    assert _points(by_parameters) == [(50, 60.0), (50_000, 78.0), (1_000_000, 75.0)]
    seconds = _points(by_seconds)
    assert seconds[1:] == [(0.5, 78.0), (3060.0, 75.0)]
    assert seconds[0][0] < 0.5 and seconds[0][1] == 60.0  # no training: left of the rest
    assert "none" in [tick.get_text() for tick in by_seconds.get_xticklabels()]
    levels = {line.get_ydata()[0] for line in by_parameters.lines if len(line.get_ydata()) == 2}
    assert {79.0, 50.0} <= levels  # the reference and the floor


def test_cost_plot_refuses_nothing_and_unknown_measures():
    from course_utils.model_plots import leaderboard_cost_plot

    with pytest.raises(ValueError, match="at least one"):
        leaderboard_cost_plot([], {})
    with pytest.raises(ValueError, match="measures must name"):
        leaderboard_cost_plot(figure_rows(), {}, measures=("watts",))
    with pytest.raises(ValueError, match="numbers"):
        leaderboard_cost_plot(figure_rows(), {}, numbers=[1])


def test_explorer_filters_eras_and_switches_the_cost():
    from course_utils import model_widgets

    explorer = model_widgets.leaderboard_explorer(figure_rows(), {"MNB": 0.79}, 0.5)
    measure, era_row, output = explorer.children
    assert "CPU seconds of training on MR only" in output.value and ">bert<" in output.value
    boxes = {box.description: box for box in era_row.children}
    boxes[lb.PRETRAIN].value = False
    assert ">bert<" not in output.value and ">nb<" in output.value
    measure.value = "parameters"
    assert "parameters used at inference" in output.value and "50,000" in output.value
    for box in boxes.values():
        box.value = False
    assert "Tick at least one era" in output.value
    with pytest.raises(ValueError, match="at least one"):
        model_widgets.leaderboard_explorer([], {})
