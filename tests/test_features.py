"""Tests of course_utils.features (notebook 02).

Vectorizers and Naive Bayes are checked against scikit-learn on the real MR split, the
NBSVM ratio and Naive Bayes against hand-computed values, the torch logistic regression
against scikit-learn's optimum, plus every error a learner is likely to meet.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.special import logsumexp
from sklearn import linear_model
from sklearn import naive_bayes as sk_naive_bayes
from sklearn.feature_extraction import text as sk_text

from course_utils import baselines
from course_utils import features as fx
from course_utils import logistic as course_utils_logistic
from course_utils.data import texts_and_labels
from course_utils.evaluation import accuracy

#: Sentences used where exact agreement, not data size, is the point (keeps tests fast).
SUBSET = 3000
TFIDF_TOLERANCE = 1e-10
NB_PROBA_TOLERANCE = 1e-6
#: Accuracy targets of notebook 02 on the MR test split (published: MNB 79.0, NBSVM-bi 79.4).
NB_TEST_TARGET = 0.78
NBSVM_TEST_TARGET = 0.79

# A tiny hand-computed Naive Bayes example: 3 documents over the vocabulary below.
TOY_NAMES = ["great", "film", "dull"]
TOY_COUNTS = np.array([[2, 1, 0], [1, 0, 0], [0, 1, 2]])
TOY_LABELS = [1, 1, 0]


@pytest.fixture(scope="module")
def mr(mr_split):
    """(train texts, train labels, dev texts, dev labels, test texts, test labels)."""
    train, dev, test = (texts_and_labels(mr_split[name]) for name in ("train", "dev", "test"))
    return (*train, *dev, *test)


@pytest.fixture(scope="module")
def mr_tfidf_subset(mr):
    """TF-IDF uni+bigram features of a training subset and of the dev split."""
    train_texts, train_labels, dev_texts, dev_labels, *_ = mr
    vectorizer = fx.TfidfVectorizer()
    features = vectorizer.fit_transform(train_texts[:SUBSET])
    return features, train_labels[:SUBSET], vectorizer.transform(dev_texts), dev_labels


def sklearn_vectorizer(cls, **kwargs):
    """The scikit-learn vectorizer configured with the course's tokenizer."""
    return cls(tokenizer=fx.tokenize, token_pattern=None, lowercase=False, **kwargs)


# ---------------------------------------------------------------------------
# Tokens and n-grams
# ---------------------------------------------------------------------------


def test_tokenize_keeps_words_and_exclamation_and_question_marks():
    text = "It's GREAT , isn't it ?! a well-made film ."
    assert fx.tokenize(text) == [
        "it's",
        "great",
        "isn't",
        "it",
        "?",
        "!",
        "a",
        "well-made",
        "film",
    ]


def test_tokenize_rejects_non_strings():
    with pytest.raises(TypeError, match="expects a string"):
        fx.tokenize(["a", "list"])


def test_ngrams_known_values():
    tokens = ["not", "very", "good"]
    assert fx.ngrams(tokens, (1, 1)) == tokens
    assert fx.ngrams(tokens, (1, 2)) == ["not", "very", "good", "not very", "very good"]
    assert fx.ngrams(tokens, (2, 3)) == ["not very", "very good", "not very good"]
    assert fx.ngrams(tokens, (4, 4)) == []


@pytest.mark.parametrize("n_range", [(0, 1), (2, 1), (1,), (1.0, 2)])
def test_ngrams_rejects_bad_ranges(n_range):
    with pytest.raises(ValueError, match="min_n"):
        fx.ngrams(["a", "b"], n_range)


def test_analyze_matches_sklearn_analyzer(mr):
    sentence = mr[0][5]
    ours = fx.CountVectorizer(ngram_range=(1, 3)).analyze(sentence)
    theirs = sklearn_vectorizer(sk_text.CountVectorizer, ngram_range=(1, 3)).build_analyzer()
    assert ours == theirs(sentence)


# ---------------------------------------------------------------------------
# Bag of words and TF-IDF against scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"ngram_range": (1, 1)},
        {"ngram_range": (1, 2)},
        {"ngram_range": (1, 2), "min_df": 2, "binary": True},
        {"ngram_range": (1, 3), "min_df": 3},
    ],
)
def test_count_vectorizer_equals_sklearn(mr, settings):
    train_texts, _, dev_texts, *_ = mr
    ours = fx.CountVectorizer(**settings)
    theirs = sklearn_vectorizer(sk_text.CountVectorizer, **settings)
    ours_train = ours.fit_transform(train_texts[:SUBSET])
    theirs_train = theirs.fit_transform(train_texts[:SUBSET])
    assert ours.vocabulary_ == theirs.vocabulary_
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    for mine, reference in (
        (ours_train, theirs_train),
        (ours.transform(dev_texts), theirs.transform(dev_texts)),
    ):
        assert isinstance(mine, sp.csr_matrix)
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
        assert (mine != reference).nnz == 0


def test_count_vectorizer_fit_then_transform_equals_fit_transform(mr):
    texts = mr[0][:200]
    vectorizer = fx.CountVectorizer()
    assert (vectorizer.fit_transform(texts) != vectorizer.fit(texts).transform(texts)).nnz == 0


def test_count_vectorizer_ignores_unknown_ngrams():
    vectorizer = fx.CountVectorizer(ngram_range=(1, 1)).fit(["good film", "film film"])
    assert vectorizer.transform(["bad film film !"]).toarray().tolist() == [[2, 0]]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"sublinear_tf": True},
        {"smooth_idf": False, "min_df": 2},
        {"norm": None, "ngram_range": (1, 1)},
        {"binary": True, "sublinear_tf": True},
    ],
)
def test_tfidf_vectorizer_equals_sklearn(mr, settings):
    train_texts, _, dev_texts, *_ = mr
    ours = fx.TfidfVectorizer(**settings)
    theirs = sklearn_vectorizer(sk_text.TfidfVectorizer, **{"ngram_range": (1, 2), **settings})
    ours_train = ours.fit_transform(train_texts[:SUBSET])
    theirs_train = theirs.fit_transform(train_texts[:SUBSET])
    assert ours.vocabulary_ == theirs.vocabulary_
    np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=TFIDF_TOLERANCE)
    for mine, reference in (
        (ours_train, theirs_train),
        (ours.transform(dev_texts), theirs.transform(dev_texts)),
    ):
        assert isinstance(mine, sp.csr_matrix) and mine.shape == reference.shape
        assert abs(mine - reference).max() <= TFIDF_TOLERANCE


def test_inverse_document_frequency_known_values():
    counts = sp.csr_matrix([[1, 3], [1, 0], [2, 0]])
    np.testing.assert_allclose(
        fx.inverse_document_frequency(counts, smooth=True), [1.0, math.log(4 / 2) + 1]
    )
    np.testing.assert_allclose(
        fx.inverse_document_frequency(counts, smooth=False), [1.0, math.log(3) + 1]
    )


def test_l2_normalize_rows_unit_rows_zero_rows_and_no_side_effect():
    matrix = sp.csr_matrix([[3.0, 4.0], [0.0, 0.0]])
    normalized = fx.l2_normalize_rows(matrix)
    assert normalized.toarray().tolist() == [[0.6, 0.8], [0.0, 0.0]]
    assert matrix.toarray().tolist() == [[3.0, 4.0], [0.0, 0.0]]


# ---------------------------------------------------------------------------
# Vectorizer errors
# ---------------------------------------------------------------------------

VECTORIZERS = [fx.CountVectorizer, fx.TfidfVectorizer]


@pytest.mark.parametrize("cls", VECTORIZERS)
@pytest.mark.parametrize(
    ("documents", "error", "message"),
    [
        ([], ValueError, "no documents"),
        ("a single sentence", TypeError, "single string"),
        ([["tokenized", "already"]], TypeError, "not a string"),
        (["... , ;", "."], ValueError, "empty vocabulary"),
    ],
)
def test_vectorizers_reject_bad_documents(cls, documents, error, message):
    with pytest.raises(error, match=message):
        cls().fit(documents)


@pytest.mark.parametrize("cls", VECTORIZERS)
def test_vectorizers_must_be_fitted_first(cls):
    vectorizer = cls()
    with pytest.raises(ValueError, match="call fit first"):
        vectorizer.transform(["a film"])
    with pytest.raises(ValueError, match="call fit first"):
        vectorizer.get_feature_names_out()


@pytest.mark.parametrize("cls", VECTORIZERS)
def test_vectorizers_reject_empty_transform_and_min_df_pruning_everything(cls):
    vectorizer = cls(min_df=1).fit(["a film"])
    with pytest.raises(ValueError, match="no documents"):
        vectorizer.transform([])
    with pytest.raises(ValueError, match="min_df=5"):
        cls(min_df=5).fit(["a film", "another film"])


@pytest.mark.parametrize(
    "settings",
    [{"min_df": 0}, {"min_df": 0.5}, {"ngram_range": (2, 1)}, {"norm": "l1"}],
)
def test_tfidf_vectorizer_rejects_bad_settings(settings):
    with pytest.raises(ValueError):
        fx.TfidfVectorizer(**settings)


# ---------------------------------------------------------------------------
# Multinomial Naive Bayes
# ---------------------------------------------------------------------------


def test_multinomial_nb_hand_computed_example():
    model = fx.MultinomialNB(alpha=1.0).fit(TOY_COUNTS, TOY_LABELS)
    # counts per class + 1: class 0 -> [1, 2, 3] / 6, class 1 -> [4, 2, 1] / 7
    expected_word_probs = np.array([[1 / 6, 2 / 6, 3 / 6], [4 / 7, 2 / 7, 1 / 7]])
    np.testing.assert_allclose(np.exp(model.feature_log_prob_), expected_word_probs)
    np.testing.assert_allclose(np.exp(model.class_log_prior_), [1 / 3, 2 / 3])
    assert model.classes_.tolist() == [0, 1]
    # "great dull": P(1) ∝ 2/3 · 4/7 · 1/7 = 8/147, P(0) ∝ 1/3 · 1/6 · 3/6 = 1/36 -> 96/145
    np.testing.assert_allclose(model.predict_proba([[1, 0, 1]]), [[49 / 145, 96 / 145]])
    np.testing.assert_allclose(
        model.predict_log_proba([[1, 0, 1]]), np.log([[49 / 145, 96 / 145]])
    )
    assert model.predict([[1, 0, 1], [0, 0, 1]]).tolist() == [1, 0]


def test_multinomial_nb_lidstone_smoothing():
    model = fx.MultinomialNB(alpha=0.5).fit(TOY_COUNTS, TOY_LABELS)
    np.testing.assert_allclose(np.exp(model.feature_log_prob_[1]), np.array([3.5, 1.5, 0.5]) / 5.5)


@pytest.fixture(scope="module")
def mr_counts(mr):
    """Uni+bigram counts (every n-gram) of all MR training sentences and of the test split."""
    train_texts, _, _, _, test_texts, _ = mr
    vectorizer = fx.CountVectorizer(ngram_range=(1, 2))
    return vectorizer.fit_transform(train_texts), vectorizer.transform(test_texts)


@pytest.mark.parametrize("alpha", [1.0, fx.NB_ALPHA, 0.01])
def test_multinomial_nb_equals_sklearn_on_mr(mr, mr_counts, alpha):
    train_labels = mr[1]
    train, test = mr_counts
    ours = fx.MultinomialNB(alpha=alpha).fit(train, train_labels)
    theirs = sk_naive_bayes.MultinomialNB(alpha=alpha).fit(train, train_labels)
    np.testing.assert_array_equal(ours.predict(test), theirs.predict(test))
    np.testing.assert_allclose(
        ours.predict_proba(test), theirs.predict_proba(test), atol=NB_PROBA_TOLERANCE, rtol=0
    )
    np.testing.assert_allclose(
        ours.predict_log_proba(test), theirs.predict_log_proba(test), rtol=1e-10
    )
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=1e-12)
    np.testing.assert_allclose(ours.class_log_prior_, theirs.class_log_prior_, rtol=1e-12)


def test_multinomial_nb_equals_sklearn_with_three_non_contiguous_classes():
    rng = np.random.default_rng(0)
    counts = rng.poisson(1.0, size=(60, 8))
    labels = rng.choice([0, 2, 5], size=60)
    ours = fx.MultinomialNB(alpha=0.3).fit(counts, labels)
    theirs = sk_naive_bayes.MultinomialNB(alpha=0.3).fit(counts, labels)
    assert ours.classes_.tolist() == [0, 2, 5]
    np.testing.assert_array_equal(ours.predict(counts), theirs.predict(counts))
    np.testing.assert_allclose(
        ours.predict_proba(counts), theirs.predict_proba(counts), atol=1e-12
    )


def test_multinomial_nb_probabilities_stay_finite_for_long_documents():
    model = fx.MultinomialNB().fit(TOY_COUNTS, TOY_LABELS)
    proba = model.predict_proba([[20_000, 0, 1]])
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.predict([[20_000, 0, 1]]).tolist() == [1]


def test_log_sum_exp_matches_scipy_without_overflow():
    values = np.array([[1000.0, 1000.0, -5.0], [-1e4, 0.0, 3.0]])
    np.testing.assert_allclose(fx.log_sum_exp(values, axis=1), logsumexp(values, axis=1))
    np.testing.assert_allclose(fx.log_sum_exp(values, axis=0), logsumexp(values, axis=0))


def test_most_informative_features_hand_computed():
    model = fx.MultinomialNB(alpha=1.0).fit(TOY_COUNTS, TOY_LABELS)
    top = model.most_informative_features(TOY_NAMES, k=3)
    # log P(w | 1) - log P(w | 0): great log(24/7), film log(6/7), dull log(2/7)
    assert [name for name, _ in top[1]] == ["great", "film", "dull"]
    np.testing.assert_allclose([r for _, r in top[1]], np.log([24 / 7, 6 / 7, 2 / 7]))
    assert top[0][0][0] == "dull"
    np.testing.assert_allclose(top[0][0][1], math.log(7 / 2))
    assert len(model.most_informative_features(TOY_NAMES, k=1)[1]) == 1


def test_most_informative_features_errors():
    model = fx.MultinomialNB().fit(TOY_COUNTS, TOY_LABELS)
    with pytest.raises(ValueError, match="feature names"):
        model.most_informative_features(TOY_NAMES[:2])
    with pytest.raises(ValueError, match="k must be"):
        model.most_informative_features(TOY_NAMES, k=0)
    three_classes = fx.MultinomialNB().fit(TOY_COUNTS, [0, 1, 2])
    with pytest.raises(ValueError, match="two classes"):
        three_classes.most_informative_features(TOY_NAMES)


@pytest.mark.parametrize(
    ("counts", "labels", "error", "message"),
    [
        (np.zeros((0, 3)), [], ValueError, "no rows"),
        (TOY_COUNTS, [1, 0], ValueError, "one label per"),
        (TOY_COUNTS, [1, 1, 1], ValueError, "only class"),
        (TOY_COUNTS, [1, -1, 1], ValueError, "class ids"),
        (TOY_COUNTS, ["pos", "neg", "pos"], ValueError, "integer class ids"),
        (TOY_COUNTS, [1.0, 0.0, 1.0], ValueError, "integer class ids"),
        (-TOY_COUNTS, TOY_LABELS, ValueError, "non-negative"),
        (["a great film", "dull", "fine"], TOY_LABELS, TypeError, "vectorize"),
        (np.ones(3), TOY_LABELS, ValueError, "2-D"),
    ],
)
def test_multinomial_nb_fit_rejects_bad_input(counts, labels, error, message):
    with pytest.raises(error, match=message):
        fx.MultinomialNB().fit(counts, labels)


def test_multinomial_nb_predict_errors():
    with pytest.raises(ValueError, match="call fit first"):
        fx.MultinomialNB().predict(TOY_COUNTS)
    with pytest.raises(ValueError, match="call fit first"):
        fx.MultinomialNB().predict_proba(TOY_COUNTS)
    model = fx.MultinomialNB().fit(TOY_COUNTS, TOY_LABELS)
    with pytest.raises(ValueError, match="fitted with 3"):
        model.predict(np.ones((2, 4)))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        fx.MultinomialNB(alpha=0.0)


# ---------------------------------------------------------------------------
# NBSVM features
# ---------------------------------------------------------------------------


def test_nb_log_count_ratio_hand_computed():
    # binarized positive rows sum to [2, 1, 0], negative to [0, 1, 1]; + alpha = 1
    # p = [3, 2, 1] / 6, q = [1, 2, 2] / 5
    ratio = fx.nb_log_count_ratio(TOY_COUNTS, TOY_LABELS, alpha=1.0)
    np.testing.assert_allclose(ratio, np.log([2.5, 5 / 6, 5 / 12]))


def test_nb_scale_features_is_binarized_times_ratio_without_side_effects():
    counts = sp.csr_matrix(TOY_COUNTS, dtype=np.float64)
    ratio = fx.nb_log_count_ratio(counts, TOY_LABELS)
    scaled = fx.nb_scale_features(counts, ratio)
    np.testing.assert_allclose(scaled.toarray(), (TOY_COUNTS > 0) * ratio)
    np.testing.assert_array_equal(counts.toarray(), TOY_COUNTS)
    np.testing.assert_array_equal(fx.binarize(counts).toarray(), TOY_COUNTS > 0)


def test_nbsvm_errors():
    with pytest.raises(ValueError, match="binary"):
        fx.nb_log_count_ratio(TOY_COUNTS, [0, 2, 2])
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \(0.0, inf\)"):
        fx.nb_log_count_ratio(TOY_COUNTS, TOY_LABELS, alpha=0)
    with pytest.raises(ValueError, match="r has shape"):
        fx.nb_scale_features(TOY_COUNTS, np.ones(4))


# ---------------------------------------------------------------------------
# Logistic regression in torch
# ---------------------------------------------------------------------------


def make_logistic_data(num_rows=200, num_features=5, seed=0):
    """Dense features and labels drawn from a known logistic model."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_rows, num_features))
    logits = features @ rng.normal(size=num_features) + 0.3
    labels = (rng.random(num_rows) < 1 / (1 + np.exp(-logits))).astype(int)
    return features, labels


def test_logistic_regression_sparse_and_dense_inputs_agree():
    torch.manual_seed(0)
    model = course_utils_logistic.LogisticRegression(6)
    torch.nn.init.normal_(model.linear.weight)
    dense = torch.randn(4, 6) * (torch.rand(4, 6) > 0.5)
    np.testing.assert_allclose(model(dense.to_sparse()).detach(), model(dense).detach(), rtol=1e-6)
    model(dense.to_sparse()).sum().backward()
    sparse_grad = model.linear.weight.grad.clone()
    model.zero_grad()
    model(dense).sum().backward()
    torch.testing.assert_close(sparse_grad, model.linear.weight.grad)


def test_sparse_to_torch_keeps_values_and_shape():
    matrix = sp.random(5, 7, density=0.4, format="csr", random_state=0)
    tensor = course_utils_logistic.sparse_to_torch(matrix)
    assert tensor.is_sparse and tensor.dtype == torch.float32 and tuple(tensor.shape) == (5, 7)
    np.testing.assert_allclose(tensor.to_dense().numpy(), matrix.toarray(), rtol=1e-6)


def test_progress_bar_reports_loss_dev_accuracy_and_throughput(capsys):
    features, labels = make_logistic_data()
    course_utils_logistic.train_logistic_regression(
        features, labels, num_epochs=1, X_dev=features, y_dev=labels, progress=True
    )
    progress_text = capsys.readouterr().err
    assert "loss=" in progress_text and "dev_acc=" in progress_text and "ex/s=" in progress_text


def test_logistic_regression_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"\(batch, 6\)"):
        course_utils_logistic.LogisticRegression(6)(torch.zeros(2, 5))


def test_trained_logistic_regression_matches_sklearn_optimum():
    features, labels = make_logistic_data()
    weight_decay = 0.01
    model, history = course_utils_logistic.train_logistic_regression(
        features,
        labels,
        lr=0.05,
        num_epochs=1500,
        batch_size=None,
        weight_decay=weight_decay,
        patience=None,
        progress=False,
    )
    # ours: mean BCE + wd/2 |w|^2  ==  sklearn: C * sum BCE + 1/2 |w|^2 with C = 1 / (wd n)
    reference = linear_model.LogisticRegression(C=1 / (weight_decay * len(labels)), tol=1e-10)
    reference.fit(features, labels)
    np.testing.assert_allclose(
        model.linear.weight.detach().numpy()[0], reference.coef_[0], atol=2e-3
    )
    np.testing.assert_allclose(
        model.predict_proba(features), reference.predict_proba(features)[:, 1], atol=1e-3
    )
    assert history.steps == 1500 and history.train_loss[-1] < history.train_loss[0]


def test_predict_is_probability_above_one_half():
    features, labels = make_logistic_data()
    model, _ = course_utils_logistic.train_logistic_regression(
        features, labels, num_epochs=3, progress=False
    )
    np.testing.assert_array_equal(model.predict(features), model.predict_proba(features) > 0.5)


def test_early_stopping_restores_best_dev_weights(mr_tfidf_subset):
    features, labels, dev_features, dev_labels = mr_tfidf_subset
    patience, num_epochs = 2, 40
    model, history = course_utils_logistic.train_logistic_regression(
        features,
        labels,
        lr=0.05,
        num_epochs=num_epochs,
        batch_size=32,
        X_dev=dev_features,
        y_dev=dev_labels,
        patience=patience,
        seed=0,
        progress=False,
    )
    epochs_run = len(history.dev_accuracy)
    assert epochs_run == len(history.train_loss) < num_epochs
    assert epochs_run == history.best_epoch + patience
    assert history.dev_accuracy[history.best_epoch - 1] == max(history.dev_accuracy)
    assert accuracy(dev_labels, model.predict(dev_features)) == max(history.dev_accuracy)
    assert history.examples_per_second > 0 and history.seconds > 0


def test_training_is_reproducible_per_seed():
    features, labels = make_logistic_data()

    def weights(seed):
        model, _ = course_utils_logistic.train_logistic_regression(
            features, labels, num_epochs=2, batch_size=16, seed=seed, progress=False
        )
        return model.linear.weight.detach()

    assert torch.equal(weights(0), weights(0))
    assert not torch.equal(weights(0), weights(1))


def test_full_batch_training_does_not_depend_on_the_seed():
    features, labels = make_logistic_data()

    def weights(seed):
        model, _ = course_utils_logistic.train_logistic_regression(
            features, labels, num_epochs=3, batch_size=None, seed=seed, progress=False
        )
        return model.linear.weight.detach()

    assert torch.equal(weights(0), weights(1))
    settings = fx.NBSVM_LR_SETTINGS
    assert settings.seeds_to_run((3, 4), num_rows=10) == (3,)
    assert fx.TFIDF_LR_SETTINGS.seeds_to_run((3, 4), num_rows=10_000) == (3, 4)
    assert fx.TFIDF_LR_SETTINGS.seeds_to_run((3, 4), num_rows=100) == (3,)
    with pytest.raises(ValueError, match="seeds is empty"):
        settings.seeds_to_run((), num_rows=10)


def test_max_steps_bounds_training():
    features, labels = make_logistic_data()
    _, history = course_utils_logistic.train_logistic_regression(
        features, labels, num_epochs=10, batch_size=10, max_steps=3, progress=False
    )
    assert history.steps == 3 and len(history.train_loss) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [0, 1]}, "one label per"),
        ({"y": [2] * 200}, "binary"),
        ({"y": [1] * 200}, "only class"),
        ({"X_dev": np.zeros((3, 5))}, "both X_dev and y_dev"),
        ({"X_dev": np.zeros((3, 4)), "y_dev": [0, 1, 0]}, "features but X has"),
        ({"batch_size": 0}, "batch_size"),
        ({"num_epochs": 0}, "num_epochs"),
        ({"patience": 0}, "patience"),
        ({"lr": 0.0}, "lr must be a finite number"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"weight_decay": float("nan")}, "weight_decay"),
        ({"device": "gpu"}, "Unknown device"),
    ],
)
def test_train_logistic_regression_rejects_bad_input(kwargs, message):
    features, labels = make_logistic_data()
    arguments = {"X": features, "y": labels, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        course_utils_logistic.train_logistic_regression(
            arguments.pop("X"), arguments.pop("y"), **arguments
        )


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on CPU-only machines")
def test_cuda_request_without_cuda_is_a_clear_error():
    features, labels = make_logistic_data()
    with pytest.raises(ValueError, match="not available"):
        course_utils_logistic.train_logistic_regression(
            features, labels, device="cuda", progress=False
        )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_matches_cpu():
    features, labels = make_logistic_data()
    settings = {"num_epochs": 5, "batch_size": None, "progress": False}
    cpu_model, _ = course_utils_logistic.train_logistic_regression(features, labels, **settings)
    cuda_model, _ = course_utils_logistic.train_logistic_regression(
        features, labels, device="cuda", **settings
    )
    np.testing.assert_allclose(
        cuda_model.predict_proba(features), cpu_model.predict_proba(features), atol=1e-5
    )


# ---------------------------------------------------------------------------
# Random search vs training
# ---------------------------------------------------------------------------


def test_random_search_keeps_the_best_try():
    features, labels = make_logistic_data()
    result = course_utils_logistic.random_search_weights(
        features, labels, num_trials=30, seed=3, progress=False
    )
    again = course_utils_logistic.random_search_weights(
        features, labels, num_trials=30, seed=3, progress=False
    )
    np.testing.assert_array_equal(result.trial_accuracy, again.trial_accuracy)
    assert result.train_accuracy == result.trial_accuracy.max() == result.best_so_far[-1]
    assert np.all(np.diff(result.best_so_far) >= 0)
    assert accuracy(labels, result.model.predict(features)) == result.train_accuracy


def test_training_beats_random_search_on_mr_dev(mr_tfidf_subset):
    features, labels, dev_features, dev_labels = mr_tfidf_subset
    random_model = course_utils_logistic.random_search_weights(
        features, labels, num_trials=50, progress=False
    ).model
    trained, _ = course_utils_logistic.train_logistic_regression(
        features, labels, X_dev=dev_features, y_dev=dev_labels, progress=False
    )
    random_accuracy = accuracy(dev_labels, random_model.predict(dev_features))
    assert accuracy(dev_labels, trained.predict(dev_features)) > random_accuracy + 0.1


def test_random_search_rejects_bad_input():
    features, labels = make_logistic_data()
    with pytest.raises(ValueError, match="num_trials"):
        course_utils_logistic.random_search_weights(features, labels, num_trials=0)
    with pytest.raises(ValueError, match="binary"):
        course_utils_logistic.random_search_weights(features, labels * 3)


# ---------------------------------------------------------------------------
# Per-n-gram contributions (the widget's model)
# ---------------------------------------------------------------------------

TOY_TEXTS = ["great great film", "great", "film dull dull"]


@pytest.fixture(scope="module")
def mr_linear_models(mr):
    """NB, TF-IDF logistic regression and NBSVM on a training subset, as LinearTextModels."""
    train_texts, train_labels = mr[0][:SUBSET], mr[1][:SUBSET]
    settings = {"num_epochs": 3, "progress": False}
    counts = fx.CountVectorizer(min_df=2)
    naive_bayes = fx.MultinomialNB().fit(counts.fit_transform(train_texts), train_labels)
    tfidf = fx.TfidfVectorizer(min_df=2)
    logistic, _ = course_utils_logistic.train_logistic_regression(
        tfidf.fit_transform(train_texts), train_labels, **settings
    )
    presence = fx.CountVectorizer(binary=True)
    present = presence.fit_transform(train_texts)
    ratio = fx.nb_log_count_ratio(present, train_labels)
    nbsvm, _ = course_utils_logistic.train_logistic_regression(
        fx.nb_scale_features(present, ratio), train_labels, **settings
    )
    return {
        "nb": (
            course_utils_logistic.LinearTextModel.from_naive_bayes(counts, naive_bayes),
            naive_bayes,
            counts,
        ),
        "lr": (
            course_utils_logistic.LinearTextModel.from_logistic_regression(tfidf, logistic),
            logistic,
            tfidf,
        ),
        "nbsvm": (
            course_utils_logistic.LinearTextModel.from_logistic_regression(
                presence, nbsvm, nb_ratio=ratio
            ),
            nbsvm,
            presence,
        ),
        "ratio": ratio,
    }


def test_naive_bayes_as_linear_model_scores_log_odds(mr, mr_linear_models):
    dev_texts = mr[2]
    linear, naive_bayes, vectorizer = mr_linear_models["nb"]
    log_proba = naive_bayes.predict_log_proba(vectorizer.transform(dev_texts))
    np.testing.assert_allclose(
        linear.decision_function(dev_texts), log_proba[:, 1] - log_proba[:, 0], atol=1e-9
    )
    np.testing.assert_allclose(linear.predict_proba(dev_texts), np.exp(log_proba[:, 1]), atol=1e-9)
    np.testing.assert_array_equal(
        linear.predict(dev_texts), naive_bayes.predict(vectorizer.transform(dev_texts))
    )


def test_logistic_regression_and_nbsvm_as_linear_models(mr, mr_linear_models):
    dev_texts = mr[2]
    linear, logistic, tfidf = mr_linear_models["lr"]
    features = tfidf.transform(dev_texts)
    np.testing.assert_allclose(
        linear.decision_function(dev_texts), logistic.decision_function(features), atol=1e-5
    )
    linear, nbsvm, presence = mr_linear_models["nbsvm"]
    scaled = fx.nb_scale_features(presence.transform(dev_texts), mr_linear_models["ratio"])
    np.testing.assert_allclose(
        linear.decision_function(dev_texts), nbsvm.decision_function(scaled), atol=1e-5
    )
    np.testing.assert_array_equal(linear.predict(dev_texts), nbsvm.predict(scaled))


@pytest.mark.parametrize("kind", ["nb", "lr", "nbsvm"])
def test_contributions_plus_bias_sum_to_the_score(mr, mr_linear_models, kind):
    linear = mr_linear_models[kind][0]
    for text in mr[2][:20]:
        total = linear.bias + sum(part.contribution for part in linear.explain(text))
        assert total == pytest.approx(linear.decision_function([text])[0], abs=1e-9)


def test_explain_hand_computed_naive_bayes_example():
    vectorizer = fx.CountVectorizer(ngram_range=(1, 1))
    counts = vectorizer.fit_transform(TOY_TEXTS)
    model = fx.MultinomialNB(alpha=1.0).fit(counts, TOY_LABELS)
    linear = course_utils_logistic.LinearTextModel.from_naive_bayes(vectorizer, model, name="toy")
    # same counts as TOY_COUNTS (columns dull, film, great): P(w | 1) = [1, 2, 4] / 7,
    # P(w | 0) = [3, 2, 1] / 6; unknown words ("unseen", "!") give no contribution
    parts = linear.explain("great unseen dull great !")
    assert [(p.feature, p.value) for p in parts] == [("great", 2.0), ("dull", 1.0)]
    np.testing.assert_allclose(
        [p.weight for p in parts], [math.log(24 / 7), math.log(6 / 21)], rtol=1e-12
    )
    assert linear.bias == pytest.approx(math.log(2))
    assert linear.explain("nothing known here") == []


def test_contribution_value_times_weight_and_ngram_order():
    bigram = course_utils_logistic.Contribution("not good", value=2.0, weight=-0.75)
    assert bigram.contribution == -1.5 and bigram.order == 2
    assert course_utils_logistic.Contribution("good", value=1.0, weight=0.5).order == 1


def test_linear_text_model_rejects_bad_input(mr_linear_models):
    counts = mr_linear_models["nb"][2]
    _, logistic, tfidf = mr_linear_models["lr"]
    with pytest.raises(ValueError, match="call fit first"):
        course_utils_logistic.LinearTextModel(
            fx.CountVectorizer(), np.zeros(3), 0.0, name="unfitted"
        )
    with pytest.raises(ValueError, match="one weight per vocabulary"):
        course_utils_logistic.LinearTextModel(counts, np.zeros(3), 0.0, name="short")
    with pytest.raises(ValueError, match="call fit first"):
        course_utils_logistic.LinearTextModel.from_naive_bayes(counts, fx.MultinomialNB())
    three_classes = fx.MultinomialNB().fit(TOY_COUNTS, [0, 1, 2])
    with pytest.raises(ValueError, match="classes"):
        course_utils_logistic.LinearTextModel.from_naive_bayes(counts, three_classes)
    with pytest.raises(ValueError, match="binary=True"):
        course_utils_logistic.LinearTextModel.from_logistic_regression(
            tfidf, logistic, nb_ratio=np.ones(3)
        )
    presence = fx.CountVectorizer(binary=True).fit(["a film"])
    with pytest.raises(ValueError, match="nb_ratio has shape"):
        course_utils_logistic.LinearTextModel.from_logistic_regression(
            presence, logistic, nb_ratio=np.ones(3)
        )


# ---------------------------------------------------------------------------
# The SW 1.5 leaderboard rows
# ---------------------------------------------------------------------------


def test_mr_baselines_reach_their_targets(mr_split):
    rows = baselines.mr_baselines(mr_split, seeds=(0, 1))
    naive_bayes, tfidf, nbsvm = rows
    assert naive_bayes.test_accuracy >= NB_TEST_TARGET
    assert nbsvm.test_accuracy >= NBSVM_TEST_TARGET
    # NB counts and full-batch NBSVM are seed-independent: one run each; TF-IDF runs per seed
    assert [row.num_seeds for row in rows] == [1, 2, 1]
    assert naive_bayes.test_accuracy_std == nbsvm.test_accuracy_std == 0.0
    assert all(row.train_seconds > 0 and 0.5 < row.dev_accuracy < 1 for row in rows)
    # NB: one log-probability per (class, n-gram) plus two priors; LR: one weight each + bias
    assert naive_bayes.num_parameters % 2 == 0 and tfidf.num_parameters % 2 == 1
    assert nbsvm.num_parameters > tfidf.num_parameters  # min_df 1 keeps far more n-grams


def test_mr_baselines_rejects_bad_arguments(mr_split):
    with pytest.raises(ValueError, match="seeds is empty"):
        baselines.mr_baselines(mr_split, seeds=())
    with pytest.raises(ValueError, match="split lacks"):
        baselines.mr_baselines({"train": mr_split["train"]})


def test_mr_linear_models_are_the_baselines_as_linear_models(mr_split):
    """Notebook 10 calibrates these: the same NB as the leaderboard's, scores = log-odds."""
    models = baselines.mr_linear_models(mr_split)
    texts, labels = texts_and_labels(mr_split["test"])
    naive_bayes = baselines.mr_baselines(mr_split, seeds=(0,))[0]
    assert accuracy(labels, models[0].predict(texts)) == pytest.approx(naive_bayes.test_accuracy)
    for model in models:
        scores = model.decision_function(texts)
        assert np.array_equal(model.predict(texts), (scores > 0).astype(int))
        assert accuracy(labels, model.predict(texts)) > 0.75


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_multinomial_nb_refuses_nan_and_infinite_counts(bad):
    counts = TOY_COUNTS.astype(float)
    counts[0, 0] = bad
    with pytest.raises(ValueError, match="X holds NaN or infinite values"):
        fx.MultinomialNB().fit(counts, TOY_LABELS)
    model = fx.MultinomialNB().fit(TOY_COUNTS, TOY_LABELS)
    with pytest.raises(ValueError, match="X holds NaN or infinite values"):
        model.predict(counts)
