"""Label efficiency (notebooks 08, 11): subsets, the selection protocol, crossovers, the
record, and the word-vector start of TinyBert."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

from course_utils import label_efficiency as le
from course_utils.bert import init_from_word_vectors
from course_utils.checkpoints import CheckpointError, save_results

LABELS = np.array([0] * 30 + [1] * 20)


def test_subsets_are_balanced_nested_and_a_pure_function_of_budget_and_seed():
    for seed in range(3):
        previous = set()
        for budget in (4, 10, 21, 40):
            chosen = le.balanced_subset(LABELS, budget, seed)
            assert np.array_equal(chosen, le.balanced_subset(LABELS, budget, seed))
            assert len(set(chosen)) == budget and list(chosen) == sorted(chosen)
            assert np.bincount(LABELS[chosen]).tolist() == [budget // 2, budget - budget // 2]
            assert previous <= set(chosen)  # nested: smaller budgets lie inside larger ones
            previous = set(chosen)
    assert not np.array_equal(le.balanced_subset(LABELS, 10, 0), le.balanced_subset(LABELS, 10, 1))
    assert np.array_equal(le.balanced_subset(LABELS, None, 0), np.arange(len(LABELS)))


def test_every_model_sees_the_same_sentences_as_the_command(mr_split):
    """The fine-tuning workers and the cheap rows both call balanced_subset on MR train."""
    labels = np.array([label for _, label in mr_split["train"]])
    first = le.balanced_subset(labels, 100, 3)
    texts = [mr_split["train"][i][0] for i in first]
    again = [mr_split["train"][i][0] for i in le.balanced_subset(labels.tolist(), 100, 3)]
    assert texts == again and np.bincount(labels[first]).tolist() == [50, 50]


@pytest.mark.parametrize(
    ("budget", "message"),
    [(51, "larger than the 50"), (3, "cannot hold 2"), (2, "cannot hold 2"), (50, "cannot hold")],
)
def test_impossible_budgets_say_what_fits(budget, message):
    with pytest.raises(ValueError, match=message):
        le.balanced_subset(LABELS, budget, 0)


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(-5, 200), seed=st.integers(0, 2**31))
def test_any_budget_is_either_a_balanced_subset_or_a_clear_error(budget, seed):
    try:
        chosen = le.balanced_subset(LABELS, budget, seed)
    except ValueError as error:
        assert ("budget" in str(error) and "choose" in str(error)) or "larger" in str(error)
        return
    counts = np.bincount(LABELS[chosen], minlength=2)
    assert len(chosen) == budget and abs(int(counts[0]) - int(counts[1])) <= 1


def test_dev_chooses_and_test_is_only_read_off_the_choice():
    candidates = [
        le.Candidate("a", 0.6, 0.9),
        le.Candidate("b", 0.7, 0.5),
        le.Candidate("c", 0.7, 0.8),
    ]
    assert le.select_on_dev(candidates).choice == "b"  # the first of equal dev scores
    with pytest.raises(ValueError, match="at least one"):
        le.select_on_dev([])


def test_naive_bayes_row_matches_scikit_learn(mr_split):
    from sklearn.feature_extraction.text import CountVectorizer

    from course_utils import features

    labels = np.array([label for _, label in mr_split["train"]])
    train = [mr_split["train"][i] for i in le.balanced_subset(labels, 200, 0)]
    ours = {
        c.choice: c
        for c in le.ngram_candidates("naive_bayes", train, mr_split["dev"], mr_split["test"])
    }
    texts, y = zip(*train, strict=True)
    vectorizer = CountVectorizer(
        tokenizer=features.tokenize,
        ngram_range=(1, 2),
        min_df=1,
        lowercase=False,
        token_pattern=None,
    )
    X = vectorizer.fit_transform(texts)
    dev_texts, dev_y = zip(*mr_split["dev"], strict=True)
    reference = MultinomialNB(alpha=1.0).fit(X, y).predict(vectorizer.transform(dev_texts))
    assert ours["min_df=1, alpha=1"].dev == pytest.approx(np.mean(reference == np.array(dev_y)))


def test_dense_candidates_are_scikit_learn_logistic_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] > 0).astype(int)
    out = le.dense_candidates(
        (X[:40], y[:40]), (X[40:60], y[40:60]), (X[60:], y[60:]), c_grid=(0.5,)
    )
    model = LogisticRegression(C=0.5, max_iter=le.LR_MAX_ITER).fit(X[:40], y[:40])
    assert out[0].test == pytest.approx(np.mean(model.predict(X[60:]) == y[60:]))


def _summary(rows):
    return {
        name: {str(budget): {"test_mean": value} for budget, value in curve.items()}
        for name, curve in rows.items()
    }


def test_a_clear_lead_exceeds_the_interval_of_the_difference():
    def cell(mean, ci95):
        return {"test_mean": mean, "ci95": ci95}

    summary = {
        "ngrams": {"100": cell(0.55, 0.02), "1000": cell(0.70, 0.03), "all": cell(0.78, 0.0)},
        "vectors": {"100": cell(0.65, 0.02), "1000": cell(0.66, 0.03), "all": cell(0.74, 0.0)},
    }
    budgets = ["100", "1000", "all"]
    # 1000: a 4-point gap against an interval of sqrt(0.03² + 0.03²) = 4.2 points: a tie
    assert [le.clearly_ahead(summary, "ngrams", "vectors", b) for b in budgets] == [
        False,
        False,
        True,
    ]
    assert le.clearly_ahead(summary, "vectors", "ngrams", "100")
    assert le.clear_lead_from(summary, "ngrams", "vectors", budgets) == "all"
    summary["vectors"]["1000"]["test_mean"] = 0.60
    assert le.clear_lead_from(summary, "ngrams", "vectors", budgets) == "1000"
    assert le.clear_lead_from(summary, "vectors", "ngrams", budgets) is None


def test_crossover_is_interpolated_in_log_labels():
    summary = _summary(
        {
            "ngrams": {100: 0.55, 1000: 0.70, "all": 0.78},
            "vectors": {100: 0.65, 1000: 0.70, "all": 0.74},
            "weak": {100: 0.50, 1000: 0.60, "all": 0.70},
            "strong": {100: 0.90, 1000: 0.90, "all": 0.90},
        }
    )
    assert le.crossover_budget(summary, "ngrams", "vectors", 10_000) == pytest.approx(1000)
    summary["vectors"]["1000"]["test_mean"] = 0.75  # vectors still lead at 1,000
    expected = np.exp(np.log(1000) + (0.05 / 0.09) * (np.log(10_000) - np.log(1000)))
    assert le.crossover_budget(summary, "ngrams", "vectors", 10_000) == pytest.approx(expected)
    assert le.crossover_budget(summary, "ngrams", "weak", 10_000) == 100
    assert le.crossover_budget(summary, "ngrams", "strong", 10_000) is None
    with pytest.raises(ValueError, match="no results"):
        le.crossover_budget(summary, "ngrams", "missing", 10_000)


def test_summary_means_and_intervals_over_seeds():
    runs = [
        {"row": "nbsvm", "budget": "100", "seed": s, "dev": 0.5, "test": t}
        for s, t in enumerate((0.5, 0.6, 0.7))
    ]
    cell = le.summarize(runs)["nbsvm"]["100"]
    assert cell["test_mean"] == pytest.approx(0.6) and cell["seeds"] == 3
    assert cell["ci95"] == pytest.approx(1.96 * 0.1 / np.sqrt(3))


def test_record_of_another_schema_or_with_unknown_rows_is_refused(tmp_path):
    record = {
        "command": "python -m course_utils label-curves",
        "seed": [0],
        "schema": 0,
        "runs": [],
    }
    save_results(le.RECORD, record, directory=tmp_path)
    with pytest.raises(ValueError, match=r"schema 0.*label-curves"):
        le.load_record(tmp_path)
    record.update(schema=le.SCHEMA, runs=[{"row": "tinybert_xl", "budget": "100", "seed": 0}])
    save_results(le.RECORD, record, directory=tmp_path)
    with pytest.raises(ValueError, match="unknown rows"):
        le.load_record(tmp_path)
    with pytest.raises(CheckpointError, match="not found"):
        le.load_record(tmp_path / "nowhere")


def test_unknown_rows_and_bad_budgets_stop_the_command_before_any_work(tmp_path):
    from course_utils.experiments.label_curves import label_curves

    with pytest.raises(ValueError, match="unknown rows"):
        label_curves(rows=("naive_bayes", "bert_large"), directory=tmp_path)
    with pytest.raises(ValueError, match="larger than the 8530"):
        label_curves(rows=("naive_bayes",), budgets=(100_000,), directory=tmp_path)
    with pytest.raises(ValueError, match="cannot hold"):
        label_curves(rows=("naive_bayes",), budgets=(2,), directory=tmp_path)


def test_cheap_rows_write_a_record_that_reads_back(tmp_path):
    from course_utils.experiments.label_curves import label_curves

    path = label_curves(
        rows=("naive_bayes", "skipgram"),
        budgets=(20, 100),
        seeds=(0, 1),
        directory=tmp_path,
        progress=False,
    )
    record = le.load_record(tmp_path)
    assert path.name == f"{le.RECORD}.provenance.json"
    assert {(r["row"], r["budget"], r["seed"]) for r in record["runs"]} == {
        (row, budget, seed)
        for row in ("naive_bayes", "skipgram")
        for budget in ("20", "100")
        for seed in (0, 1)
    }
    assert record["summary"]["skipgram"]["100"]["seeds"] == 2
    assert record["command"].endswith("--rows naive_bayes skipgram")
    assert json.loads(path.read_text())["libraries"]["numpy"] == np.__version__


def _vectors(words, dim, seed=0):
    vectors = KeyedVectors(vector_size=dim)
    vectors.add_vectors(
        words, np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32)
    )
    return vectors


def test_word_vectors_start_whole_word_pieces_with_their_cosines_kept():
    vocab = {"[PAD]": 0, "good": 1, "bad": 2, "##ing": 3, "film": 4, "zzz": 5}
    vectors = _vectors(["good", "bad", "film", "ing"], 6)
    embedding = torch.zeros(len(vocab), 8)
    assert init_from_word_vectors(embedding, vocab, vectors) == 3
    assert embedding[[0, 3, 5]].abs().sum() == 0  # special, continuation and unknown pieces
    for a, b in (("good", "bad"), ("good", "film")):
        ours = torch.nn.functional.cosine_similarity(
            embedding[vocab[a]], embedding[vocab[b]], dim=0
        )
        assert float(ours) == pytest.approx(float(vectors.similarity(a, b)), abs=1e-5)


def test_word_vectors_wider_than_the_embedding_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        init_from_word_vectors(torch.zeros(2, 4), {"a": 0, "b": 1}, _vectors(["a"], 6))
    with pytest.raises(ValueError, match="vocabulary 3"):
        init_from_word_vectors(torch.zeros(2, 4), {"a": 0, "b": 1, "c": 2}, _vectors(["a"], 3))


def test_probe_features_have_one_row_per_sentence_and_ignore_padding():
    from course_utils.bert import TinyBert, TinyBertConfig

    torch.manual_seed(0)
    model = TinyBert(
        TinyBertConfig(
            vocab_size=20, d_model=8, num_layers=2, num_heads=2, d_ff=16, max_position=12
        )
    )
    short, long = [2, 5, 6, 3], [2, 5, 6, 7, 8, 9, 3]
    together = le.probe_features(model, [short, long], pad_id=0)
    alone = le.probe_features(model, [short], pad_id=0)
    assert together["mean_all"].shape == (2, 16) and together["cls_last"].shape == (2, 8)
    for name in le.PROBE_FEATURES:
        assert np.allclose(together[name][0], alone[name][0], atol=1e-5), name
    assert model.training  # the probe restores the model's mode


@pytest.mark.slow
def test_fine_tuning_rows_run_in_workers_and_resume_from_the_partial_file(tmp_path):
    from dataclasses import replace

    from course_utils.experiments import label_curves as lc

    quick = replace(lc.FINE_TUNING, min_steps=1, max_epochs=1, precision="float32")
    options = dict(
        rows=("tinybert", "tinybert_random", "student"),
        budgets=(20,),
        seeds=(0,),
        jobs=1,
        directory=tmp_path,
        partial_directory=tmp_path / "build",
        fine_tuning=quick,
        lrs=(1e-3, 3e-4),
        transfer_sentences=50,
        progress=False,
    )
    lc.label_curves(**options)
    record = le.load_record(tmp_path)
    assert {run["row"] for run in record["runs"]} == {"tinybert", "tinybert_random", "student"}
    assert len(record["lr_search"]) == 4  # 2 rows x 2 learning rates, seed 0
    chosen = max(
        (entry for entry in record["lr_search"] if entry["row"] == "tinybert"),
        key=lambda entry: entry["dev"],
    )
    run = next(run for run in record["runs"] if run["row"] == "tinybert")
    assert run["choice"].startswith(f"lr={chosen['lr']:g}") and run["test"] == chosen["test"]
    (partial,) = (tmp_path / "build").glob("*.partial.jsonl")
    lines = partial.read_text().splitlines()
    lc.label_curves(**options)  # every run is in the partial file: nothing is trained again
    assert partial.read_text().splitlines() == lines
    assert le.load_record(tmp_path)["runs"] == record["runs"]  # students are kept too


def test_split_share_counts_words_cut_into_pieces(tiny_wordpiece):
    from course_utils.subwords import split_share

    whole = [word for word in tiny_wordpiece.get_vocab() if word.isalpha()][:3]
    assert split_share(tiny_wordpiece, whole) == 0.0
    assert split_share(tiny_wordpiece, ["zqxjkvw"]) == 1.0
    assert split_share(tiny_wordpiece, [*whole, "zqxjkvw"]) == pytest.approx(1 / (len(whole) + 1))
    with pytest.raises(ValueError, match="no words"):
        split_share(tiny_wordpiece, [])


@pytest.fixture(scope="module")
def tiny_wordpiece():
    from course_utils.subwords import train_wordpiece

    texts = ["a good film", "a bad film", "the film was good", "nothing good here"] * 20
    return train_wordpiece(iter(texts), 60, model_max_length=16)


def test_steps_to_reach_extrapolates_per_doubling():
    # +2 points per doubling from 2,000 to 16,000 steps (three doublings, 60 -> 66)
    assert le.steps_to_reach([0, 2000, 16000], [0.5, 0.60, 0.66], 0.70) == pytest.approx(
        16000 * 2 ** (0.04 / 0.02)
    )
    assert le.steps_to_reach([2000, 16000], [0.60, 0.66], 0.65) == 16000
    assert le.steps_to_reach([2000, 16000], [0.66, 0.60], 0.70) is None
    with pytest.raises(ValueError, match="rising"):
        le.steps_to_reach([16000, 2000], [0.6, 0.66], 0.7)
    with pytest.raises(ValueError, match="at least two"):
        le.steps_to_reach([2000], [0.6], 0.7)
