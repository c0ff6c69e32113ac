"""Property-based tests (Hypothesis) over the public API of evaluation, features, attention,
bert, gpt, data and distillation.

The property every public function must have: given any input, it either returns a
finite, correctly shaped result, or raises a ``ValueError`` / ``TypeError`` that the
course's own code raised, with a message. Never an ``IndexError``, a raw torch or numpy
error, or a silent NaN. Inputs are generated with the shapes, dtypes, NaN / infinity,
empty sequences and out-of-range ids and probabilities that real mistakes produce.

``test_the_suite_covers_every_public_function`` lists the public functions, classes and
methods of the seven modules and fails when one has no property test (``@covers``).
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import logsumexp
from sklearn import metrics as sk_metrics

from course_utils import (
    attention,
    baselines,
    bert,
    data,
    distillation,
    evaluation,
    features,
    fine_tuning,
    gpt,
    icl,
    logistic,
    pretraining,
    training,
    validation,
)
from course_utils.bert import (
    TinyBert,
    TinyBertConfig,
    TinyBertForSequenceClassification,
    TinyBertForTokenClassification,
)
from course_utils.gpt import TinyGPT, TinyGPTConfig
from course_utils.transformer import IGNORE_INDEX

MODULES = (
    evaluation,
    features,
    logistic,
    baselines,
    attention,
    bert,
    pretraining,
    fine_tuning,
    training,
    gpt,
    icl,
    data,
    distillation,
)
#: A numpy warning (invalid value, division by zero) means a NaN slipped through.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
COURSE_PACKAGE = str(Path(evaluation.__file__).parent)
#: Few examples per property (torch models are slow to build); every run draws new ones.
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: Properties that train or build a model at each example.
TRAINING = settings(PROPERTY, max_examples=8)

COVERED: set[str] = set()


def covers(*names: str) -> Callable:
    """Record which public names (``module.function``, ``module.Class.method``) a test covers."""

    def register(test: Callable) -> Callable:
        COVERED.update(names)
        return test

    return register


def _raised_by_course(error: BaseException) -> str:
    """The file whose code raised ``error`` (the innermost frame of its traceback)."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code.co_filename if frame is not None else "?"


def outcome(call: Callable, *args, **kwargs):
    """``call(*args, **kwargs)``, or None when it refused the input properly: a ValueError or
    TypeError with a message, raised by the course's own code (not torch's or numpy's).
    Any other exception fails the test."""
    try:
        return call(*args, **kwargs)
    except (ValueError, TypeError) as error:
        where = _raised_by_course(error)
        assert where.startswith(COURSE_PACKAGE), f"{type(error).__name__} from {where}: {error}"
        assert str(error).strip(), f"{type(error).__name__} without a message"
        return None


def finite(value) -> bool:
    """Every number in ``value`` (array, tensor, float, nested list) is finite."""
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.detach().float()).all()) if value.numel() else True
    if isinstance(value, (list, tuple)):
        return all(finite(item) for item in value)
    if sp.issparse(value):
        return bool(np.all(np.isfinite(value.data)))
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


# --- strategies ------------------------------------------------------------------------

NASTY_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 1e300, -1e-300])
ANY_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
LABEL_LIKE = st.one_of(
    st.integers(0, 2),
    st.integers(-3, 5),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.5, 1.7, 1.0, True, "pos"]),
)


def label_lists(min_size: int = 0, max_size: int = 12):
    return st.lists(LABEL_LIKE, min_size=min_size, max_size=max_size)


def float_arrays(shape, *, nasty: bool = True):
    elements = (
        st.floats(-50, 50, width=32) | NASTY_FLOATS if nasty else st.floats(-20, 20, width=32)
    )
    return hnp.arrays(np.float64, shape, elements=elements)


def float_tensors(shape, *, nasty: bool = True, dtype=torch.float32):
    return float_arrays(shape, nasty=nasty).map(lambda a: torch.as_tensor(a, dtype=dtype))


def _normalized_rows(array: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 where they can be; NaN and infinity stay for the check."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.abs(array) / np.maximum(np.abs(array).sum(1, keepdims=True), 1e-9)


def _is_class_id(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, str):
        return False
    number = float(value)
    return (
        math.isfinite(number)
        and number == round(number)
        and abs(number) <= validation.LARGEST_EXACT_FLOAT_INTEGER
    )


# =======================================================================================
# evaluation
# =======================================================================================


@covers(
    "evaluation.accuracy",
    "evaluation.precision",
    "evaluation.recall",
    "evaluation.f1",
    "evaluation.binary_report",
    "evaluation.BinaryReport",
    "evaluation.BinaryReport.as_percentages",
    "evaluation.confusion_matrix",
)
@PROPERTY
@given(st.integers(0, 10).flatmap(lambda n: st.tuples(label_lists(n, n), label_lists(n, n))))
def test_metrics_score_class_ids_like_scikit_learn_and_refuse_anything_else(pair):
    y_true, y_pred = pair
    valid = bool(y_true) and all(map(_is_class_id, y_true + y_pred))
    score = outcome(evaluation.accuracy, y_true, y_pred)
    assert (score is not None) == valid
    if not valid:
        for metric in (evaluation.f1, evaluation.confusion_matrix, evaluation.binary_report):
            assert outcome(metric, y_true, y_pred) is None
        return
    true, pred = np.asarray(y_true, dtype=float).astype(int), np.asarray(y_pred).astype(int)
    assert score == pytest.approx(sk_metrics.accuracy_score(true, pred))
    report = evaluation.binary_report(y_true, y_pred)
    for name, reference in (
        ("precision", sk_metrics.precision_score),
        ("recall", sk_metrics.recall_score),
        ("f1", sk_metrics.f1_score),
    ):
        expected = reference(true == 1, pred == 1, zero_division=0)
        assert getattr(report, name) == pytest.approx(expected)
    assert all(0 <= value <= 100 for value in report.as_percentages().values())
    matrix = evaluation.confusion_matrix(y_true, y_pred)
    assert matrix.sum() == len(y_true) and matrix.shape[0] == matrix.shape[1]
    assert outcome(evaluation.precision, y_true, y_pred, positive=0.5) is None


@covers(
    "evaluation.reliability_diagram",
    "evaluation.ReliabilityDiagram",
    "evaluation.expected_calibration_error",
)
@PROPERTY
@given(
    st.integers(0, 8).flatmap(
        lambda n: st.tuples(
            float_arrays((n, 2)).map(_normalized_rows),
            label_lists(n, n),
            st.one_of(st.integers(-1, 20), st.floats(0, 20), NASTY_FLOATS),
        )
    )
)
def test_calibration_data_is_finite_and_sums_up_or_refused(case):
    probs, labels, n_bins = case
    diagram = outcome(evaluation.reliability_diagram, probs, labels, n_bins)
    if diagram is None:
        return
    assert len(probs) and all(map(_is_class_id, labels)) and isinstance(n_bins, int)
    assert diagram.counts.sum() == len(probs) and 0.0 <= diagram.ece <= 1.0
    filled = diagram.counts > 0
    assert finite(diagram.accuracy[filled]) and finite(diagram.confidence[filled])
    assert evaluation.expected_calibration_error(probs, labels, n_bins) == diagram.ece


@covers("evaluation.softmax", "evaluation.negative_log_likelihood", "evaluation.fit_temperature")
@PROPERTY
@given(
    st.integers(0, 6).flatmap(lambda n: st.tuples(float_arrays((n, 3)), label_lists(n, n))),
    st.one_of(st.floats(0.05, 20), NASTY_FLOATS, st.text(max_size=1)),
)
def test_temperature_scaling_stays_finite_or_refuses(case, temperature):
    logits, labels = case
    probs = outcome(evaluation.softmax, logits, temperature)
    if probs is not None:
        assert finite(probs) and np.allclose(probs.sum(-1), 1.0)
    nll = outcome(evaluation.negative_log_likelihood, logits, labels, temperature)
    if nll is not None:
        assert finite(nll) and nll >= 0
    fitted = outcome(evaluation.fit_temperature, logits, labels)
    if fitted is not None:
        low, high = evaluation.TEMPERATURE_BOUNDS
        assert low <= fitted <= high
        at_one = evaluation.negative_log_likelihood(logits, labels)
        assert evaluation.negative_log_likelihood(logits, labels, fitted) <= at_one + 1e-9


# =======================================================================================
# features
# =======================================================================================

WORDS = st.sampled_from(["good", "bad", "film", "not", "great", "dull", "!", "?", "plot"])
DOCUMENTS = st.lists(WORDS, max_size=6).map(" ".join)
DOCUMENT_LISTS = st.one_of(
    st.lists(DOCUMENTS, min_size=0, max_size=8),
    st.lists(st.one_of(DOCUMENTS, st.integers(), st.none()), min_size=1, max_size=3),
    DOCUMENTS,
)
COUNT_MATRICES = st.integers(1, 6).flatmap(
    lambda rows: st.tuples(
        hnp.arrays(
            np.float64,
            (rows, 4),
            elements=st.integers(0, 5).map(float) | st.sampled_from([math.nan, -1.0, math.inf]),
        ),
        st.lists(st.integers(0, 1), min_size=rows, max_size=rows),
    )
)


@covers("features.tokenize", "features.ngrams")
@PROPERTY
@given(
    st.one_of(st.text(max_size=30), st.integers(), st.none()),
    st.one_of(st.tuples(st.integers(-1, 3), st.integers(-1, 3)), st.just((1.5, 2))),
)
def test_tokens_and_ngrams(text, n_range):
    tokens = outcome(features.tokenize, text)
    assert (tokens is None) == (not isinstance(text, str))
    if tokens is None:
        return
    assert all(token == token.lower() and token for token in tokens)
    grams = outcome(features.ngrams, tokens, n_range)
    valid_range = all(isinstance(n, int) for n in n_range) and 1 <= n_range[0] <= n_range[1]
    assert (grams is not None) == valid_range
    if grams is not None:
        expected = sum(max(0, len(tokens) - n + 1) for n in range(n_range[0], n_range[1] + 1))
        assert len(grams) == expected
    assert outcome(features.ngrams, text) is None, "a string is not a token list"


@covers(
    "features.CountOptions",
    "features.CountVectorizer",
    "features.CountVectorizer.analyze",
    "features.CountVectorizer.fit",
    "features.CountVectorizer.fit_transform",
    "features.CountVectorizer.transform",
    "features.CountVectorizer.get_feature_names_out",
    "features.TfidfVectorizer",
    "features.TfidfVectorizer.fit_transform",
    "features.TfidfVectorizer.transform",
    "features.inverse_document_frequency",
    "features.l2_normalize_rows",
    "features.binarize",
    "baselines.naive_bayes_vectorizer",
    "baselines.tfidf_vectorizer",
    "baselines.presence_vectorizer",
)
@PROPERTY
@given(
    DOCUMENT_LISTS,
    st.one_of(st.integers(-1, 3), st.just(1.5)),
    st.booleans(),
    st.sampled_from(["l2", None, "l1"]),
)
def test_vectorizers_give_finite_matrices_of_the_right_shape(documents, min_df, binary, norm):
    options: features.CountOptions = {"min_df": min_df, "binary": binary}
    counts = outcome(features.CountVectorizer, **options)
    tfidf = outcome(features.TfidfVectorizer, norm=norm, **options)
    assert (counts is None) == (not isinstance(min_df, int) or min_df < 1)
    for vectorizer in (counts, tfidf):
        if vectorizer is None:
            continue
        matrix = outcome(vectorizer.fit_transform, documents)
        if matrix is None:
            assert outcome(vectorizer.transform, ["good film"]) is None  # never fitted
            continue
        names = vectorizer.get_feature_names_out()
        assert matrix.shape == (len(documents), len(names)) and finite(matrix)
        again = vectorizer.transform(documents)
        assert (again != matrix).nnz == 0
        assert vectorizer.fit(documents).vocabulary_ == vectorizer.vocabulary_
        assert set(names) <= {gram for text in documents for gram in vectorizer.analyze(text)}
        idf = features.inverse_document_frequency(matrix)
        assert idf.shape == (len(names),) and finite(idf) and (idf >= 1.0).all()
        norms = np.sqrt(features.l2_normalize_rows(matrix).multiply(matrix.sign()).power(2).sum(1))
        assert finite(norms)
        presence = features.binarize(matrix)
        assert set(np.unique(presence.data).tolist()) <= {1.0}
    for make in (baselines.naive_bayes_vectorizer, baselines.tfidf_vectorizer):
        assert isinstance(make(), features.CountVectorizer)
    assert baselines.presence_vectorizer().binary


@covers("features.log_sum_exp")
@PROPERTY
@given(
    st.one_of(float_arrays(st.integers(0, 4).map(lambda n: (2, n))), st.just([]), st.just("x")),
    st.integers(-3, 2),
)
def test_log_sum_exp_equals_scipy_or_refuses(values, axis):
    result = outcome(features.log_sum_exp, values, axis)
    if result is None:
        return
    assert finite(result)
    expected = logsumexp(np.asarray(values), axis=axis)
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-12)


@covers(
    "features.MultinomialNB",
    "features.MultinomialNB.fit",
    "features.MultinomialNB.joint_log_likelihood",
    "features.MultinomialNB.predict_log_proba",
    "features.MultinomialNB.predict_proba",
    "features.MultinomialNB.predict",
    "features.MultinomialNB.most_informative_features",
    "features.nb_log_count_ratio",
    "features.nb_scale_features",
)
@PROPERTY
@given(COUNT_MATRICES, st.one_of(st.floats(0.01, 2), NASTY_FLOATS), st.integers(-1, 5))
def test_naive_bayes_is_a_finite_distribution_or_refuses(case, alpha, k):
    counts, labels = case
    model = outcome(features.MultinomialNB, alpha)
    assert (model is None) == (not 0 < alpha < math.inf)
    clean = bool(np.all(np.isfinite(counts))) and counts.min() >= 0
    fitted = model and outcome(model.fit, counts, labels)
    assert not fitted or (clean and len(set(labels)) == 2)
    if not fitted:
        return
    probs = fitted.predict_proba(counts)
    assert probs.shape == (len(labels), 2) and finite(probs) and np.allclose(probs.sum(1), 1)
    assert finite(fitted.predict_log_proba(counts)) and finite(fitted.joint_log_likelihood(counts))
    assert set(fitted.predict(counts).tolist()) <= {0, 1}
    top = outcome(fitted.most_informative_features, ["a", "b", "c", "d"], k)
    assert (top is None) == (k < 1)
    ratio = outcome(features.nb_log_count_ratio, counts, labels, alpha)
    assert ratio is not None and ratio.shape == (4,) and finite(ratio)
    scaled = features.nb_scale_features(counts, ratio)
    assert scaled.shape == counts.shape and finite(scaled)
    assert outcome(features.nb_scale_features, counts, np.full(4, np.nan)) is None


@covers(
    "logistic.sparse_to_torch",
    "logistic.LogisticRegression",
    "logistic.LogisticRegression.forward",
    "logistic.LogisticRegression.decision_function",
    "logistic.LogisticRegression.predict_proba",
    "logistic.LogisticRegression.predict",
)
@PROPERTY
@given(COUNT_MATRICES, st.one_of(st.integers(-1, 6), st.just(2.0)))
def test_logistic_regression_scores_every_row(case, num_features):
    counts, _ = case
    model = outcome(logistic.LogisticRegression, num_features)
    assert (model is None) == (not isinstance(num_features, int) or num_features < 1)
    tensor = outcome(logistic.sparse_to_torch, counts)
    if tensor is not None:
        assert tuple(tensor.shape) == counts.shape and finite(tensor.to_dense())
    if model is None:
        return
    proba = outcome(model.predict_proba, counts)
    assert (proba is None) == (tensor is None or num_features != counts.shape[1])
    if proba is not None:
        assert proba.shape == (len(counts),) and finite(proba)
        assert ((proba > 0) & (proba < 1)).all()
        assert finite(model.decision_function(counts))
        assert set(model.predict(counts).tolist()) <= {0, 1}
        assert model(tensor).shape == (len(counts),)
    assert outcome(model.forward, counts) is None, "a numpy matrix is not a tensor"


def _logistic_data(rows: int = 12, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    X = rng.poisson(1.0, size=(rows, 4)).astype(float)
    return X, [i % 2 for i in range(rows)]


@covers(
    "features.TrainingSettings",
    "features.TrainingSettings.seeds_to_run",
    "logistic.train_logistic_regression",
    "logistic.TrainingHistory",
    "logistic.random_search_weights",
    "logistic.RandomSearchResult",
)
@TRAINING
@given(
    st.one_of(st.floats(1e-3, 1), NASTY_FLOATS),
    st.one_of(st.integers(-1, 3), st.just(2.5)),
    st.one_of(st.none(), st.integers(-1, 8)),
    st.one_of(st.floats(0, 1e-2), NASTY_FLOATS),
    st.one_of(st.none(), st.integers(-1, 3)),
)
def test_logistic_training_reports_finite_histories(lr, epochs, batch_size, decay, patience):
    X, y = _logistic_data()
    settings_ = outcome(features.TrainingSettings, lr, epochs, batch_size, decay, patience)
    trained = outcome(
        logistic.train_logistic_regression,
        X,
        y,
        lr=lr,
        num_epochs=epochs,
        batch_size=batch_size,
        weight_decay=decay,
        patience=patience,
        X_dev=X,
        y_dev=y,
        progress=False,
    )
    assert (settings_ is None) == (trained is None)
    if trained is not None:
        model, history = trained
        assert 1 <= history.best_epoch <= epochs and len(history.train_loss) <= epochs
        assert finite(history.train_loss) and finite(history.dev_accuracy)
        assert finite(model.predict_proba(X))
        assert settings_.seeds_to_run((0, 1), len(y))
        assert outcome(settings_.seeds_to_run, (), len(y)) is None
    search = outcome(logistic.random_search_weights, X, y, num_trials=epochs, progress=False)
    if search is not None:
        assert len(search.trial_accuracy) == epochs and 0 <= search.train_accuracy <= 1
        assert np.all(np.diff(search.best_so_far) >= 0) and search.seconds >= 0


@covers(
    "logistic.LinearTextModel",
    "logistic.LinearTextModel.from_naive_bayes",
    "logistic.LinearTextModel.from_logistic_regression",
    "logistic.LinearTextModel.decision_function",
    "logistic.LinearTextModel.predict_proba",
    "logistic.LinearTextModel.predict",
    "logistic.LinearTextModel.explain",
    "logistic.Contribution",
    "logistic.Contribution.contribution",
    "logistic.Contribution.order",
)
@PROPERTY
@given(DOCUMENT_LISTS, st.one_of(st.floats(-3, 3), NASTY_FLOATS))
def test_linear_text_models_explain_their_scores(texts, bias):
    train = ["good great film", "bad dull plot", "great plot !", "not good ?"]
    vectorizer = features.CountVectorizer(binary=True)
    X = vectorizer.fit_transform(train)
    labels = [1, 0, 1, 0]
    naive_bayes = logistic.LinearTextModel.from_naive_bayes(
        vectorizer, features.MultinomialNB().fit(X, labels)
    )
    model, _ = logistic.train_logistic_regression(X, labels, num_epochs=2, progress=False)
    ratio = features.nb_log_count_ratio(X, labels)
    nbsvm = logistic.LinearTextModel.from_logistic_regression(vectorizer, model, nb_ratio=ratio)
    custom = outcome(logistic.LinearTextModel, vectorizer, np.ones(X.shape[1]), bias, name="b")
    assert (custom is None) == (not math.isfinite(bias))
    for linear in (naive_bayes, nbsvm, custom):
        if linear is None:
            continue
        scores = outcome(linear.decision_function, texts)
        if scores is None:
            continue
        assert scores.shape == (len(texts),) and finite(scores)
        assert finite(linear.predict_proba(texts)) and set(linear.predict(texts)) <= {0, 1}
        for text, score in zip(texts, scores, strict=True):
            parts = linear.explain(text)
            assert sum(part.contribution for part in parts) + linear.bias == pytest.approx(score)
            assert all(part.order >= 1 for part in parts)


TINY_SPLIT = {
    name: [
        (f"{word} film {i}", label) for i in range(6) for word, label in (("good", 1), ("bad", 0))
    ]
    for name in data.SPLIT_NAMES
}


@covers("baselines.mr_baselines", "baselines.BaselineResult", "baselines.mr_linear_models")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_baselines_train_on_any_split_and_refuse_bad_ones():
    rows = baselines.mr_baselines(TINY_SPLIT, seeds=(0,))
    assert len(rows) == 3
    for row in rows:
        assert 0 <= row.test_accuracy <= 1 and finite([row.dev_accuracy, row.train_seconds])
    models = baselines.mr_linear_models(TINY_SPLIT)
    assert all(finite(model.predict_proba(["good film"])) for model in models)
    assert outcome(baselines.mr_baselines, TINY_SPLIT, seeds=()) is None
    assert outcome(baselines.mr_baselines, {"train": []}) is None


# =======================================================================================
# attention
# =======================================================================================

DTYPES = st.sampled_from([torch.float32, torch.float32, torch.float64])


@covers(
    "attention.scaled_dot_product_attention", "attention.check_mask", "attention.masked_softmax"
)
@PROPERTY
@given(
    st.integers(1, 4),
    st.integers(0, 4),
    st.integers(1, 4),
    st.tuples(DTYPES, DTYPES),
    st.one_of(st.none(), st.sampled_from(["causal", "padding", "wrong", "float"])),
    st.one_of(st.floats(0, 1), NASTY_FLOATS, st.just(1.5)),
    st.booleans(),
    st.data(),
)
def test_attention_returns_finite_rows_of_weights(
    length_q, length_k, width, dtypes, mask_kind, dropout_p, nasty, draw
):
    q = draw.draw(float_tensors((2, length_q, width), nasty=nasty, dtype=dtypes[0]))
    k = draw.draw(float_tensors((2, length_k, width), nasty=False, dtype=dtypes[1]))
    v = draw.draw(float_tensors((2, length_k, 3), nasty=False, dtype=dtypes[1]))
    masks = {
        None: None,
        "causal": torch.ones(length_q, length_k, dtype=torch.bool).tril(),
        "padding": attention.padding_mask(torch.tensor([length_k, 0]), length_k, multi_head=False),
        "wrong": torch.ones(length_q + 1, length_k + 2, dtype=torch.bool),
        "float": torch.ones(length_q, length_k),
    }
    mask = masks[mask_kind]
    result = outcome(attention.scaled_dot_product_attention, q, k, v, mask, dropout_p=dropout_p)
    if result is None:
        return
    output, weights = result
    assert output.shape == (2, length_q, 3) and weights.shape == (2, length_q, length_k)
    assert finite(output) and finite(weights)
    sums = weights.sum(-1)
    assert bool(((sums - 1).abs() < 1e-4).logical_or(sums == 0).all())
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        attention.check_mask(mask, tuple(scores.shape))  # the mask was accepted: no error
    again = attention.masked_softmax(scores, mask)
    assert finite(again) and again.shape == weights.shape


@covers("attention.apply_temperature")
@PROPERTY
@given(float_tensors((3, 4), nasty=True), st.one_of(st.floats(0.1, 5), NASTY_FLOATS))
def test_re_tempered_weights_stay_distributions(scores, temperature):
    weights = outcome(attention.masked_softmax, scores)
    source = weights if weights is not None else scores
    tempered = outcome(attention.apply_temperature, source, temperature)
    if tempered is None:
        return
    sums = tempered.sum(-1)  # a row with nothing to attend to stays all zero
    assert finite(tempered) and bool(((sums - 1).abs() < 1e-4).logical_or(sums == 0).all())


@covers(
    "attention.AdditiveAttention",
    "attention.AdditiveAttention.forward",
    "attention.MultiHeadAttention",
    "attention.MultiHeadAttention.forward",
    "attention.MultiHeadAttention.load_torch_weights",
)
@PROPERTY
@given(
    st.sampled_from([(8, 2), (8, 3), (0, 1), (6, 2)]),
    st.one_of(st.floats(0, 0.9), NASTY_FLOATS),
    st.integers(0, 3),
    DTYPES,
    st.booleans(),
    st.data(),
)
def test_attention_modules_keep_shapes_and_match_torch(sizes, dropout, smear, dtype, nasty, draw):
    d_model, heads = sizes
    module = outcome(attention.MultiHeadAttention, d_model, heads, dropout, smear_width=smear)
    assert (module is None) == (d_model < 1 or d_model % heads != 0 or not 0 <= dropout <= 1)
    additive = outcome(attention.AdditiveAttention, d_model, d_model, 4)
    if module is None:
        return
    x = draw.draw(float_tensors((2, 5, d_model), nasty=nasty, dtype=dtype))
    module.eval()
    result = outcome(module, x)
    if result is not None:
        output, weights = result
        assert output.shape == x.shape and weights.shape == (2, heads, 5, 5) and finite(output)
        context = additive(x, x)[0] if additive is not None else None
        assert context is None or (context.shape == x.shape and finite(context))
    torch_mha = torch.nn.MultiheadAttention(d_model, heads, batch_first=True)
    plain = attention.MultiHeadAttention(d_model, heads).load_torch_weights(torch_mha).eval()
    y = draw.draw(float_tensors((1, 4, d_model), nasty=False))
    expected, _ = torch_mha(y, y, y)
    torch.testing.assert_close(plain(y)[0], expected, atol=1e-5, rtol=1e-4)
    assert outcome(plain.load_torch_weights, torch.nn.Linear(2, 2)) is None


@covers("attention.sinusoidal_positions", "attention.causal_mask", "attention.padding_mask")
@PROPERTY
@given(
    st.one_of(st.integers(-2, 12), st.just(2.5)),
    st.one_of(st.integers(-1, 9), st.just(4.0)),
    st.one_of(st.floats(1.5, 1e5), NASTY_FLOATS),
    st.lists(st.integers(-1, 6), max_size=4),
)
def test_positions_and_masks(n, d, base, lengths):
    positions = outcome(attention.sinusoidal_positions, n, d, base)
    if positions is not None:
        assert positions.shape == (n, d) and bool((positions.abs() <= 1).all())
    mask = outcome(attention.causal_mask, n)
    if mask is not None:
        assert mask.shape == (n, n) and int(mask.sum()) == n * (n + 1) // 2
    padding = outcome(attention.padding_mask, torch.tensor(lengths, dtype=torch.long))
    if padding is not None:
        assert padding.shape[:3] == (len(lengths), 1, 1)
        assert padding.sum(-1).flatten().tolist() == lengths
    assert outcome(attention.padding_mask, "abc") is None


@covers("attention.causal_smear")
@PROPERTY
@given(st.integers(1, 5), st.integers(1, 4), st.booleans(), st.data())
def test_smearing_never_looks_ahead(length, width, nasty, draw):
    x = draw.draw(float_tensors((1, length, 3), nasty=nasty))
    weights = draw.draw(float_tensors((width, 3), nasty=False))
    smeared = outcome(attention.causal_smear, x, weights)
    if smeared is None:
        return
    assert smeared.shape == x.shape and finite(smeared)
    changed = x.clone()
    changed[:, -1] += 1.0
    assert torch.equal(attention.causal_smear(changed, weights)[:, :-1], smeared[:, :-1])


# =======================================================================================
# gpt
# =======================================================================================

GPT_VOCAB = 12


def _tiny_gpt(vocab: int = GPT_VOCAB, max_position: int = 16) -> TinyGPT:
    torch.manual_seed(0)
    config = TinyGPTConfig(
        vocab_size=vocab, max_position=max_position, d_model=16, num_layers=1, num_heads=2, d_ff=32
    )
    return TinyGPT(config).eval()


SAMPLING = st.tuples(
    st.one_of(st.floats(0, 3), NASTY_FLOATS, st.just("1")),
    st.one_of(st.none(), st.integers(-1, 20), st.just(2.5)),
    st.one_of(st.none(), st.floats(0, 1), NASTY_FLOATS, st.just(1.5)),
)


@covers("gpt.top_k_filter", "gpt.top_p_filter", "gpt.next_token_probabilities")
@PROPERTY
@given(float_tensors((3, 7)), SAMPLING)
def test_decoding_distributions_are_finite_and_sum_to_one(logits, sampling):
    temperature, top_k, top_p = sampling
    probs = outcome(gpt.next_token_probabilities, logits, temperature, top_k, top_p)
    if probs is not None:
        assert probs.shape == logits.shape and finite(probs)
        assert bool(((probs.sum(-1) - 1).abs() < 1e-5).all())
    if top_k is not None:
        kept = outcome(gpt.top_k_filter, logits, top_k)
        if kept is not None:
            expected = torch.isfinite(logits).sum(-1).clamp(max=top_k)
            assert torch.equal(torch.isfinite(kept).sum(-1), expected)
    if top_p is not None:
        nucleus = outcome(gpt.top_p_filter, logits, top_p)
        if nucleus is not None:
            assert bool(torch.isfinite(nucleus).any(-1).all())
            if top_p == 1.0:
                assert torch.equal(nucleus, logits)


@covers(
    "gpt.generate",
    "gpt.continuation_log_prob",
    "gpt.TinyGPTConfig",
    "gpt.TinyGPT",
    "gpt.TinyGPT.forward",
    "gpt.TinyGPT.encode",
)
@TRAINING
@given(
    st.one_of(
        st.lists(st.integers(-1, GPT_VOCAB), min_size=0, max_size=6).map(
            lambda ids: torch.tensor([ids], dtype=torch.long)
        ),
        st.just(torch.tensor([[1.0, 2.0]])),
        st.just([[1, 2]]),
    ),
    st.one_of(st.integers(-1, 20), st.just(1.5)),
    SAMPLING,
)
def test_generation_appends_valid_tokens(prompt, new_tokens, sampling):
    model = _tiny_gpt()
    temperature, top_k, top_p = sampling
    generator = torch.Generator().manual_seed(0)
    out = outcome(
        gpt.generate,
        model,
        prompt,
        new_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        generator=generator,
    )
    if out is not None:
        assert out.shape == (1, prompt.shape[1] + new_tokens)
        assert bool(((out >= 0) & (out < GPT_VOCAB)).all())
        assert torch.equal(out[:, : prompt.shape[1]], prompt)
    if isinstance(prompt, torch.Tensor) and prompt.dim() == 2:
        log_prob = outcome(gpt.continuation_log_prob, model, prompt[0], prompt[0][:2])
        if log_prob is not None:
            assert math.isfinite(log_prob) and log_prob <= 0


@covers(
    "gpt.CharTokenizer",
    "gpt.CharTokenizer.from_text",
    "gpt.CharTokenizer.vocab_size",
    "gpt.CharTokenizer.encode",
    "gpt.CharTokenizer.decode",
)
@PROPERTY
@given(
    st.one_of(st.text(max_size=20), st.integers()),
    st.one_of(st.text(max_size=5), st.none()),
    st.lists(st.integers(-3, 30), max_size=5),
)
def test_character_tokenizers_round_trip(text, other, ids):
    tokenizer = outcome(gpt.CharTokenizer.from_text, text)
    assert (tokenizer is None) == (not isinstance(text, str) or not text)
    if tokenizer is None:
        return
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert tokenizer.vocab_size == len(set(text))
    decoded = outcome(tokenizer.decode, ids)
    assert (decoded is None) == any(not 0 <= i < tokenizer.vocab_size for i in ids)
    encoded = outcome(tokenizer.encode, other)
    if encoded is not None:
        assert tokenizer.decode(encoded) == other
    assert outcome(gpt.CharTokenizer, "aa") is None


@covers(
    "gpt.TinyGPT.loss",
    "gpt.train_val_split",
    "gpt.char_batches",
    "gpt.LMTrainingConfig",
    "gpt.learning_rate",
    "gpt.estimate_loss",
    "gpt.train_lm",
    "gpt.LMHistory",
    "gpt.LMHistory.tokens_per_second",
    "gpt.TrainingState",
)
@TRAINING
@given(
    st.one_of(st.floats(0, 1), NASTY_FLOATS),
    st.one_of(st.integers(-1, 6), st.just(2.0)),
    st.one_of(st.floats(1e-4, 1e-2), NASTY_FLOATS),
    st.integers(-2, 10),
)
def test_language_model_training_stays_finite(val_fraction, block_size, lr, step):
    ids = torch.arange(40) % GPT_VOCAB
    split = outcome(gpt.train_val_split, ids, val_fraction)
    assert (split is None) == (not 0 < val_fraction < 1)
    batches = outcome(gpt.char_batches, ids, block_size, 2)
    config = outcome(
        gpt.LMTrainingConfig, max_steps=2, lr=lr, min_lr=0.0, eval_every=1, eval_batches=1
    )
    assert (config is None) == (not 0 < lr <= validation.MAX_RATE)
    if config is not None:
        rate = outcome(gpt.learning_rate, step, config)
        assert (rate is None) == (step < 0)
        assert rate is None or 0 <= rate <= lr
    if batches is None or config is None:
        return
    states: list[gpt.TrainingState] = []
    history = gpt.train_lm(
        _tiny_gpt(), batches, batches, config, progress=False, on_eval=states.append
    )
    assert len(states) == 2 and states[-1].step == 2
    assert finite(history.train_loss) and finite(history.val_loss)
    assert history.tokens_per_second >= 0
    assert finite(gpt.estimate_loss(_tiny_gpt(), batches, 1))
    assert outcome(gpt.estimate_loss, _tiny_gpt(), batches, 0) is None


@covers(
    "icl.task_function",
    "icl.make_episode",
    "icl.Episode",
    "icl.episode_targets",
    "icl.copy_sources",
    "icl.icl_batches",
)
@PROPERTY
@given(
    st.sampled_from([*icl.TASKS, "unknown"]),
    st.one_of(st.integers(-1, icl.MAX_SHOTS + 1), st.just(2.5)),
    st.integers(0, 10_000),
    st.integers(-1, icl.INPUT_LETTERS),
)
def test_episodes_are_well_formed(task, shots, seed, letter):
    episode = outcome(icl.make_episode, task, shots, random.Random(seed))
    assert (episode is None) == (task not in icl.TASKS or shots not in range(icl.MAX_SHOTS + 1))
    if episode is None:
        return
    function = icl.task_function(task, random.Random(seed))
    assert len(function("abcd")) == icl.INPUT_LETTERS
    text = episode.prompt + episode.answer + icl.SEPARATOR
    targets = icl.episode_targets(text)
    assert len(targets) == len(text) and sum(targets) == (shots + 1) * (icl.INPUT_LETTERS + 1)
    sources = outcome(icl.copy_sources, episode.prompt, shots, letter)
    if sources is not None:
        assert all(0 <= i < len(episode.prompt) for i in sources)
    tokenizer = gpt.CharTokenizer(icl.ICL_CHARS)
    batches = outcome(icl.icl_batches, shots, tokenizer, tasks=[task])
    if batches is not None:
        x, y = batches(torch.Generator().manual_seed(seed))
        assert x.shape == y.shape == (shots, icl.ICL_BLOCK)
    assert outcome(icl.icl_batches, 2, tokenizer, tasks=task) is None, "a string is not a list"


@covers("icl.icl_accuracy", "icl.lookup_attention", "icl.LookupAttention")
@TRAINING
@given(
    st.sampled_from(["copy", "shift", "cipher", "sort", "bad"]),
    st.one_of(st.integers(-1, icl.MAX_SHOTS + 1), st.just(1.5)),
    st.one_of(st.integers(-1, 4), st.just(2.0)),
)
def test_in_context_learning_scores_are_shares(task, shots, episodes):
    tokenizer = gpt.CharTokenizer(icl.ICL_CHARS)
    model = _tiny_gpt(tokenizer.vocab_size, icl.ICL_BLOCK + 1)
    accuracy = outcome(icl.icl_accuracy, model, tokenizer, task, shots, episodes)
    if accuracy is not None:
        assert 0.0 <= accuracy <= 1.0
    lookup = outcome(icl.lookup_attention, model, tokenizer, shots, episodes, task=task)
    if lookup is not None:
        assert lookup.share.shape == (1, 2) and finite(lookup.share) and 0 < lookup.chance < 1


# =======================================================================================
# bert
# =======================================================================================

PAD, UNK, CLS, SEP, MASK = range(5)
BERT_SPECIAL = (PAD, UNK, CLS, SEP, MASK)
BERT_VOCAB = 40
TINY_BERT = TinyBertConfig(
    vocab_size=BERT_VOCAB, max_position=16, d_model=16, num_layers=1, num_heads=2, d_ff=32
)
TINY_VOCAB = pretraining.BertVocab(
    size=BERT_VOCAB, pad_id=PAD, cls_id=CLS, sep_id=SEP, mask_id=MASK, special_ids=BERT_SPECIAL
)
TOKEN_IDS = st.lists(st.integers(5, BERT_VOCAB - 1), max_size=8)
MESSY_IDS = st.one_of(
    TOKEN_IDS,
    st.lists(st.integers(-2, BERT_VOCAB + 2), max_size=8),
    st.just("a good film"),
    st.lists(st.floats(0, 9), min_size=1, max_size=3),
)


@pytest.fixture(scope="module")
def wordpiece():
    """A tiny WordPiece tokenizer with BERT's special tokens (the shipped one's kind)."""
    from course_utils.subwords import train_wordpiece

    texts = ["the movie was good and the acting was great", "a bad film with a boring plot"]
    return train_wordpiece(texts * 20, 60, model_max_length=16)


@covers("bert.mask_tokens")
@PROPERTY
@given(
    st.lists(st.integers(-1, BERT_VOCAB), min_size=1, max_size=20),
    st.one_of(st.lists(st.integers(-2, BERT_VOCAB + 2), max_size=4), st.just(3)),
    st.one_of(st.floats(0, 1), NASTY_FLOATS),
)
def test_masking_only_changes_chosen_ordinary_tokens(ids, special_ids, probability):
    input_ids = torch.tensor([ids])
    kwargs = {"mask_id": MASK, "vocab_size": BERT_VOCAB, "special_ids": special_ids}
    result = outcome(bert.mask_tokens, input_ids, mlm_probability=probability, **kwargs)
    valid = (
        all(0 <= i < BERT_VOCAB for i in ids)
        and isinstance(special_ids, list)
        and all(0 <= i < BERT_VOCAB for i in special_ids)
        and 0 < probability < 1
    )
    assert (result is None) == (not valid)
    if result is None:
        return
    inputs, labels = result
    chosen = labels != IGNORE_INDEX
    assert torch.equal(labels[chosen], input_ids[chosen])
    assert torch.equal(inputs[~chosen], input_ids[~chosen])
    special = torch.isin(input_ids, torch.tensor([*special_ids, MASK]))
    assert not bool((chosen & special).any())
    assert outcome(bert.mask_tokens, ids, **kwargs) is None, "a list is not a tensor"


@covers(
    "bert.truncate_pair",
    "bert.pair_example",
    "bert.single_example",
    "bert.NspExample",
    "bert.pad_examples",
    "bert.make_nsp_pairs",
)
@PROPERTY
@given(MESSY_IDS, MESSY_IDS, st.one_of(st.integers(-1, 12), st.just(6.5)))
def test_nsp_examples_fit_their_length_and_pad_into_batches(a, b, max_length):
    truncated = outcome(bert.truncate_pair, a, b, max_length)
    if truncated is not None and not isinstance(a, str) and not isinstance(b, str):
        assert len(truncated[0]) + len(truncated[1]) <= max(max_length, 0)
    pair = outcome(
        bert.pair_example, a, b, bert.NOT_NEXT, cls_id=CLS, sep_id=SEP, max_length=max_length
    )
    single = outcome(bert.single_example, a, cls_id=CLS, sep_id=SEP, max_length=max_length)
    made = [example for example in (pair, single) if example is not None]
    for example in made:
        assert len(example.input_ids) == len(example.token_type_ids) <= max_length
        assert example.input_ids[0] == CLS and example.input_ids[-1] == SEP
    if made:
        batch = bert.pad_examples(made, PAD)
        assert batch["input_ids"].shape == batch["attention_mask"].shape
        assert batch["attention_mask"].sum().item() == sum(len(e.input_ids) for e in made)
    assert outcome(bert.pad_examples, [], PAD) is None
    documents = [[a, b, a], [b, a]]
    pairs = outcome(bert.make_nsp_pairs, documents, cls_id=CLS, sep_id=SEP, max_length=max_length)
    if pairs is not None:
        assert len(pairs) == 3 and all(len(p.input_ids) <= max_length for p in pairs)


def _documents(sentences: int, seed: int) -> list[list[list[int]]]:
    rng = random.Random(seed)
    return [
        [
            [rng.randrange(5, BERT_VOCAB) for _ in range(rng.randrange(1, 6))]
            for _ in range(sentences)
        ]
        for _ in range(3)
    ]


@covers(
    "pretraining.BertVocab",
    "pretraining.PretrainingCorpus",
    "pretraining.PretrainingCorpus.num_tokens",
    "pretraining.PretrainingCorpus.sentence",
    "pretraining.PretrainingCorpus.sample",
    "pretraining.PretrainingCorpus.draw_pairs",
    "pretraining.PretrainingCorpus.pair_examples",
    "pretraining.masked_batch",
)
@PROPERTY
@given(
    st.integers(1, 4),
    st.integers(0, 1000),
    st.one_of(st.integers(-1, 6), st.just(1.5)),
    st.one_of(st.floats(0, 1), NASTY_FLOATS),
    st.integers(-2, 30),
)
def test_pretraining_corpora_sample_valid_batches(sentences, seed, batch_size, share, index):
    documents = _documents(sentences, seed)
    corpus = pretraining.PretrainingCorpus(documents, [[7, 8, 9]])
    assert corpus.num_tokens == sum(map(len, (s for d in documents for s in d))) + 3
    sentence = outcome(corpus.sentence, index)
    assert (sentence is None) == (not 0 <= index < 3 * sentences + 1)
    generator = torch.Generator().manual_seed(seed)
    batch = outcome(corpus.sample, batch_size, TINY_VOCAB, 12, generator, share)
    if batch is not None:
        assert batch["input_ids"].shape[0] == batch_size and batch["input_ids"].shape[1] <= 12
        assert set(batch) == pretraining.BATCH_KEYS
    drawn = outcome(corpus.draw_pairs, batch_size, generator)
    if drawn is not None and sentences > 1:
        firsts, seconds, is_next = drawn
        examples = corpus.pair_examples(firsts, seconds, is_next, TINY_VOCAB, 12)
        assert len(examples) == batch_size
        masked = outcome(pretraining.masked_batch, examples, TINY_VOCAB, generator)
        assert masked is None or masked["labels"].shape == masked["input_ids"].shape
    assert outcome(pretraining.masked_batch, [], "vocab", generator) is None


@covers(
    "pretraining.BertVocab.from_tokenizer",
    "bert.fill_mask",
    "bert.TinyBert.forward",
    "bert.BertOutput",
)
@PROPERTY
@given(
    st.one_of(
        st.sampled_from(["the movie was [MASK]", "[MASK] film", "no mask here", ""]),
        st.integers(),
    ),
    st.one_of(st.integers(-1, 8), st.just(2.5)),
)
def test_fill_mask_gives_probabilities_for_each_mask(wordpiece, text, top_k):
    vocab = pretraining.BertVocab.from_tokenizer(wordpiece)
    assert vocab.size == len(wordpiece) and vocab.mask_id in vocab.special_ids
    torch.manual_seed(0)
    model = TinyBert(
        TinyBertConfig(
            vocab_size=vocab.size, max_position=16, d_model=16, num_layers=1, num_heads=2, d_ff=32
        )
    )
    guesses = outcome(bert.fill_mask, model, wordpiece, text, top_k)
    if guesses is None:
        return
    assert len(guesses) == text.count(wordpiece.mask_token)
    for guess in guesses:
        assert len(guess) == top_k and all(0 <= p <= 1 for _, p in guess)


@covers("bert.init_from_word_vectors")
@PROPERTY
@given(st.one_of(st.floats(0.001, 1), NASTY_FLOATS), st.integers(1, 6))
def test_word_vectors_fill_whole_word_rows(std, width):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(vector_size=3)
    vectors.add_vectors(["good", "bad"], np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]]))
    vocab = {"[PAD]": 0, "good": 1, "##ing": 2, "bad": 3}
    embedding = torch.zeros(len(vocab), width)
    changed = outcome(bert.init_from_word_vectors, embedding, vocab, vectors, std=std)
    assert (changed is None) == (width < 3 or not 0 < std <= 1)
    if changed is not None:
        assert changed == 2 and finite(embedding) and not bool(embedding[[0, 2]].any())


@covers("training.resolve_precision", "training.with_resolved_precision")
@PROPERTY
@given(st.sampled_from([*training.PRECISIONS, "float16", 32, None]))
def test_precisions_resolve_to_a_training_dtype(precision):
    resolved = outcome(training.resolve_precision, precision)
    assert (resolved is None) == (precision not in training.PRECISIONS)
    if resolved is not None:
        assert resolved in training.AUTOCAST_DTYPES
        config = training.with_resolved_precision(
            fine_tuning.FineTuningConfig(precision=precision), "cpu"
        )
        assert config.precision == resolved


@covers(
    "bert.TinyBertConfig",
    "bert.TinyBert",
    "bert.TinyBert.encode",
    "bert.TinyBert.pool",
    "bert.TinyBert.mlm_logits",
    "pretraining.PretrainingConfig",
    "training.warmup_linear_decay",
    "pretraining.pretrain",
    "pretraining.pretraining_metrics",
    "pretraining.PretrainingMetrics",
    "pretraining.PretrainingMetrics.loss",
    "pretraining.evaluate_pretraining",
    "pretraining.PretrainingHistory",
    "pretraining.PretrainingHistory.tokens_per_second",
    "pretraining.PretrainingState",
)
@TRAINING
@given(
    st.one_of(st.floats(1e-4, 1e-2), NASTY_FLOATS),
    st.one_of(st.integers(-1, 3), st.just(1.5)),
    st.integers(-1, 5),
)
def test_pretraining_reports_finite_losses(lr, warmup, step):
    config = outcome(
        pretraining.PretrainingConfig,
        max_steps=2,
        lr=lr,
        warmup_steps=warmup,
        eval_every=1,
        eval_batches=1,
    )
    assert (config is None) == (
        not 0 < lr <= validation.MAX_RATE or not isinstance(warmup, int) or warmup < 0
    )
    if config is None:
        return
    rate = outcome(training.warmup_linear_decay, step, lr, warmup, 2)
    assert (rate is None) == (step < 0)
    assert rate is None or 0 <= rate <= lr
    corpus = pretraining.PretrainingCorpus(_documents(3, 0), [[7, 8]])

    def batches(generator: torch.Generator) -> dict[str, torch.Tensor]:
        return corpus.sample(4, TINY_VOCAB, 12, generator)

    torch.manual_seed(0)
    model = TinyBert(TINY_BERT)
    states: list[pretraining.PretrainingState] = []
    history = outcome(
        pretraining.pretrain,
        model,
        batches,
        batches,
        config,
        progress=False,
        on_eval=states.append,
    )
    if history is None:  # a learning rate far too high: the run diverged, and said so
        return
    assert len(states) == 2 and finite(history.loss) and history.tokens_per_second >= 0
    metrics = pretraining.pretraining_metrics(model, batches(torch.Generator().manual_seed(1)))
    assert finite(metrics.loss) and metrics.mlm_count >= metrics.mlm_correct >= 0
    scores = pretraining.evaluate_pretraining(model, batches, 1)
    assert 0 <= scores["mlm_accuracy"] <= 1 and finite(scores["mlm_loss"])
    assert (
        outcome(pretraining.pretraining_metrics, model, {"input_ids": torch.zeros(1, 2)}) is None
    )


def _labelled(count: int, seed: int) -> list[tuple[list[int], int]]:
    rng = random.Random(seed)
    return [
        ([CLS, *[rng.randrange(5, BERT_VOCAB) for _ in range(4)], SEP], i % 2)
        for i in range(count)
    ]


LABEL_VALUES = st.one_of(
    st.integers(0, 1), st.integers(-1, 3), st.just(np.int64(1)), st.just(1.5), st.just(True)
)


@covers(
    "bert.TinyBertForSequenceClassification",
    "bert.TinyBertForSequenceClassification.forward",
    "fine_tuning.FineTuningConfig",
    "fine_tuning.fine_tune",
    "fine_tuning.FineTuningResult",
    "fine_tuning.FineTuningResult.best_dev_accuracy",
    "fine_tuning.labelled_accuracy",
    "fine_tuning.predict",
    "fine_tuning.predict_logits",
    "fine_tuning.collate",
)
@TRAINING
@given(
    st.lists(st.tuples(MESSY_IDS, LABEL_VALUES), min_size=0, max_size=4),
    st.one_of(st.floats(1e-4, 1e-2), NASTY_FLOATS),
    st.one_of(st.integers(-1, 4), st.just(2.5)),
)
def test_fine_tuning_takes_encoded_examples_only(extra, lr, batch_size):
    train = _labelled(6, 0) + extra
    config = outcome(
        fine_tuning.FineTuningConfig, lr=lr, batch_size=batch_size, max_epochs=1, patience=1
    )
    torch.manual_seed(0)
    model = TinyBertForSequenceClassification(TinyBert(TINY_BERT), 2)
    result = config and outcome(
        fine_tuning.fine_tune, model, train, _labelled(4, 1), config, progress=False
    )
    valid_extra = all(
        not isinstance(ids, str)
        and len(ids) > 0
        and all(isinstance(i, int) and 0 <= i < BERT_VOCAB for i in ids)
        and isinstance(label, (int, np.integer))
        and not isinstance(label, bool)
        and 0 <= label < 2
        for ids, label in extra
    )
    if config is not None and valid_extra:
        assert result is not None, "valid examples train"
    if not result:
        return
    assert result.best_epoch >= 1 and 0 <= result.best_dev_accuracy <= 1
    inputs = [ids for ids, _ in _labelled(3, 2)]
    predicted = fine_tuning.predict(model, inputs)
    assert len(predicted) == 3 and set(predicted) <= {0, 1}
    logits = fine_tuning.predict_logits(model, inputs)
    assert logits.shape == (3, 2) and finite(logits)
    assert 0 <= fine_tuning.labelled_accuracy(model, _labelled(4, 3)) <= 1
    batch = fine_tuning.collate(_labelled(2, 4), PAD, token_level=False)
    assert batch["input_ids"].shape == batch["attention_mask"].shape
    assert outcome(fine_tuning.predict, model, ["a good film"]) is None
    assert outcome(fine_tuning.collate, [], PAD, token_level=False) is None


@covers(
    "fine_tuning.first_piece_labels",
    "fine_tuning.length_grouped_batches",
    "bert.TinyBertForTokenClassification",
    "bert.TinyBertForTokenClassification.forward",
)
@PROPERTY
@given(
    st.lists(st.one_of(st.none(), st.integers(-1, 4)), max_size=8),
    st.lists(st.integers(0, 5), max_size=5),
    st.one_of(st.integers(-1, 4), st.just(1.5)),
)
def test_token_labels_and_length_buckets(word_ids, word_labels, batch_size):
    labels = outcome(fine_tuning.first_piece_labels, word_ids, word_labels)
    valid = all(w is None or 0 <= w < len(word_labels) for w in word_ids)
    assert (labels is None) == (not valid)
    if labels is not None:
        assert len(labels) == len(word_ids)
        tagger = TinyBertForTokenClassification(TinyBert(TINY_BERT), 6)
        assert tagger.classifier.out_features == 6
        ids = torch.ones(1, len(word_ids) + 1, dtype=torch.long)
        assert tagger.eval()(ids).shape == (1, len(word_ids) + 1, 6)
    batches = outcome(
        fine_tuning.length_grouped_batches, [len(word_ids), 3, 1], batch_size, torch.Generator()
    )
    if batches is not None:
        assert sorted(i for batch in batches for i in batch) == [0, 1, 2]
        assert all(len(batch) <= batch_size for batch in batches)


# =======================================================================================
# data
# =======================================================================================

ENV_VALUES = st.one_of(
    st.none(), st.sampled_from(["1", " YES ", "true", "0", "no", ""]), st.text(max_size=8)
)


@covers(
    "data.offline_variable",
    "data.network_allowed",
    "data.mirror_dir",
    "data.cache_dir",
    "data.environment_problems",
    "data.proxy_refusal",
)
@PROPERTY
@given(ENV_VALUES, ENV_VALUES, ENV_VALUES, st.sampled_from([None, "http://proxy.invalid:3128"]))
def test_the_environment_is_read_without_surprises(
    monkeypatch, tmp_path, offline, mirror, nltk_data, proxy
):
    values = {
        data.OFFLINE_ENV: offline,
        data.MIRROR_ENV: mirror
        and str(tmp_path / mirror.strip("\x00/") if mirror.strip() else mirror),
        data.NLTK_DATA_ENV: nltk_data and str(tmp_path / nltk_data.strip("\x00/")),
        "HTTPS_PROXY": proxy,
    }
    with monkeypatch.context() as env:
        for name, value in values.items():
            if value is None or "\x00" in value:
                env.delenv(name, raising=False)
            else:
                env.setenv(name, value)
        for name in data.OFFLINE_VARIABLES[1:]:
            env.delenv(name, raising=False)
        asked = (offline or "").strip().lower() in data.TRUE_VALUES and "\x00" not in (
            offline or ""
        )
        assert data.offline_variable() == (data.OFFLINE_ENV if asked else None)
        assert data.network_allowed() is not asked
        found = data.mirror_dir()
        assert found is None or found.is_dir()
        assert isinstance(data.cache_dir(), Path)
        problems = data.environment_problems()
        assert set(problems) <= {data.MIRROR_ENV, data.NLTK_DATA_ENV}
        assert all(isinstance(text, str) and text.endswith(".") for text in problems.values())
        refusal = data.proxy_refusal()
        assert refusal is None or data.NLTK_PROXY_OPT_IN_ENV in refusal


@covers("data.nltk_resource_location", "data.ensure_nltk", "data.DataUnavailableError")
@PROPERTY
@given(
    st.lists(
        st.one_of(st.sampled_from(sorted(data.NLTK_RESOURCES)), st.text(max_size=6)), max_size=3
    )
)
def test_resources_are_found_or_named(names):
    known = all(name in data.NLTK_RESOURCES for name in names)
    found = outcome(data.ensure_nltk, *names, download=False)
    assert (found is None) == (not known)
    if found is not None:
        assert set(found) == set(names)
        assert all(data.nltk_resource_location(name) == found[name] for name in names)


@covers("data.read_resource")
@PROPERTY
@given(
    st.lists(st.text(max_size=3), max_size=4),
    st.sampled_from([None, "zlib", "zip", "eof", "value"]),
)
def test_reading_a_resource_passes_items_and_names_damage(items, failure):
    import zipfile
    import zlib

    errors = {
        "zlib": zlib.error("bad stream"),
        "zip": zipfile.BadZipFile("Bad CRC-32"),
        "eof": EOFError("cut"),
        "value": ValueError("a reader's own error"),
    }

    def reader():
        yield from items
        if failure is not None:
            raise errors[failure]

    if failure is None:
        assert list(data.read_resource("inaugural", reader())) == items
    elif failure == "value":
        with pytest.raises(ValueError, match="a reader's own error"):
            list(data.read_resource("inaugural", reader()))
    else:
        with pytest.raises(data.DataUnavailableError, match="NLTK resource inaugural is damaged"):
            list(data.read_resource("inaugural", reader()))


@covers(
    "data.RemoteFile",
    "data.sha256_of",
    "data.atomic_write_bytes",
    "data.locate_file",
    "data.fetch_file",
    "data.tiny_shakespeare",
)
@PROPERTY
@given(st.one_of(st.binary(max_size=64), st.text(max_size=4)), st.booleans())
def test_files_are_written_whole_and_verified(monkeypatch, tmp_path, payload, tampered):
    import hashlib

    target = tmp_path / "cache" / "toy" / "toy.bin"
    written = outcome(data.atomic_write_bytes, target, payload)
    assert (written is None) and (target.exists() == isinstance(payload, bytes))
    if not isinstance(payload, bytes):
        return
    digest = hashlib.sha256(payload).hexdigest()
    assert data.sha256_of(target) == digest
    remote = data.RemoteFile("toy", "https://example.invalid/toy.bin", digest, "toy/toy.bin")
    if tampered:
        target.write_bytes(payload + b"!")
    with monkeypatch.context() as env:
        env.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
        env.delenv(data.MIRROR_ENV, raising=False)
        env.setenv(data.OFFLINE_ENV, "1")
        if tampered:
            with pytest.raises(data.DataUnavailableError, match="corrupt"):
                data.fetch_file(remote)
        else:
            assert data.locate_file(remote) == target == data.fetch_file(remote)
        assert outcome(data.locate_file, "toy/toy.bin") is None
        target.unlink()
        with pytest.raises(data.DataUnavailableError, match="COURSE_OFFLINE"):
            data.fetch_file(remote)


def test_tiny_shakespeare_is_the_verified_text():
    assert len(data.tiny_shakespeare()) == data.TINY_SHAKESPEARE_CHARS


@covers("data.tokenize_words", "data.split_sentences", "data.chunk")
@PROPERTY
@given(
    st.one_of(st.text(max_size=40), st.integers(), st.none()),
    st.one_of(st.integers(-1, 5), st.just(2.5)),
)
def test_text_is_cut_into_tokens_sentences_and_chunks(text, size):
    tokens = outcome(data.tokenize_words, text)
    sentences = outcome(data.split_sentences, text)
    assert (tokens is None) == (sentences is None) == (not isinstance(text, str))
    if tokens is None:
        return
    assert all(token == token.lower() and token for token in tokens)
    assert all(sentence == sentence.strip() and sentence for sentence in sentences)
    pieces = outcome(lambda: list(data.chunk(tokens, size)))
    assert (pieces is None) == (not isinstance(size, int) or size < 1)
    if pieces is not None:
        assert [token for piece in pieces for token in piece] == tokens
        assert all(1 <= len(piece) <= size for piece in pieces)


SPLIT_LIKE = st.dictionaries(
    st.sampled_from([*data.SPLIT_NAMES, "extra"]),
    st.lists(
        st.tuples(st.text(max_size=5), st.one_of(st.integers(0, 1), st.just("pos"))), max_size=3
    ),
)


@covers("data.split_digest", "data.texts_and_labels")
@PROPERTY
@given(SPLIT_LIKE)
def test_split_digests_and_unzipping(split):
    digest = outcome(data.split_digest, split)
    valid = set(data.SPLIT_NAMES) <= set(split) and all(
        isinstance(label, int) for name in data.SPLIT_NAMES for _, label in split[name]
    )
    assert (digest is None) == (not valid)
    if digest is not None:
        assert len(digest) == 64 and digest == data.split_digest(dict(split))
    for examples in split.values():
        unzipped = outcome(data.texts_and_labels, examples)
        if unzipped is not None:
            assert list(zip(*unzipped, strict=True)) == [tuple(pair) for pair in examples]
    assert outcome(data.texts_and_labels, "text") is None


@covers("data.make_mr_split", "data.load_mr_split", "data.mr_evaluation_sentences")
@settings(PROPERTY, max_examples=3)
@given(st.one_of(st.integers(0, 2**32 - 1), st.just(-1), st.just(1.5)))
def test_mr_splits_are_disjoint_partitions(mr_split, seed):
    split = outcome(data.make_mr_split, seed)
    assert (split is None) == (not isinstance(seed, int) or seed < 0)
    if split is None:
        return
    assert {name: len(split[name]) for name in data.SPLIT_NAMES} == {
        name: len(mr_split[name]) for name in data.SPLIT_NAMES
    }
    assert sorted(map(tuple, split["test"] + split["dev"] + split["train"])) == sorted(
        map(tuple, mr_split["test"] + mr_split["dev"] + mr_split["train"])
    )
    assert data.load_mr_split() == mr_split
    held_out = data.mr_evaluation_sentences()
    assert held_out and all(isinstance(sentence, str) for sentence in held_out)


@covers("data.iter_corpus_sentences", "data.corpus_sentences", "data.iter_corpus_documents")
@settings(PROPERTY, max_examples=5)
@given(
    st.one_of(
        st.lists(st.sampled_from(["inaugural", "state_union", "no_such"]), max_size=2),
        st.just("inaugural"),
    )
)
def test_corpora_are_token_lists_without_evaluation_sentences(names):
    sentences = outcome(data.corpus_sentences, names)
    valid = isinstance(names, list) and "no_such" not in names
    assert (sentences is None) == (not valid)
    if sentences is None:
        assert outcome(lambda: next(data.iter_corpus_documents(names), None)) is None
        return
    assert all(
        sentence and all(isinstance(token, str) for token in sentence) for sentence in sentences
    )
    held_out = data.mr_evaluation_sentences()
    assert not any(" ".join(sentence) in held_out for sentence in sentences[:500])
    documents = list(data.iter_corpus_documents(names))
    assert sum(len(document) for document in documents) == len(sentences)
    assert next(data.iter_corpus_sentences(names), None) == (sentences[0] if sentences else None)


# =======================================================================================
# distillation
# =======================================================================================


@covers("distillation.distillation_loss")
@PROPERTY
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            float_tensors((n, 2)),
            float_tensors((n, 2), nasty=False),
            st.lists(st.sampled_from([0, 1, IGNORE_INDEX, 2, -1]), min_size=n, max_size=n),
        )
    ),
    st.one_of(st.floats(0.5, 4), NASTY_FLOATS),
    st.one_of(st.floats(0, 1), NASTY_FLOATS),
)
def test_the_distillation_loss_is_finite_and_non_negative(case, temperature, alpha):
    student, teacher, labels = case
    loss = outcome(
        distillation.distillation_loss,
        student,
        teacher,
        torch.tensor(labels),
        temperature=temperature,
        alpha=alpha,
    )
    if loss is None:
        return
    assert finite(loss) and float(loss) >= -1e-6
    assert all(label in (0, 1, IGNORE_INDEX) for label in labels)


@covers(
    "distillation.StudentConfig",
    "distillation.AveragedEmbeddingClassifier",
    "distillation.AveragedEmbeddingClassifier.forward",
    "distillation.pad_ids",
    "distillation.student_logits",
)
@PROPERTY
@given(
    st.lists(MESSY_IDS, max_size=4),
    st.one_of(st.integers(-1, 8), st.just(4.5)),
    st.one_of(st.floats(1e-4, 1), NASTY_FLOATS),
)
def test_students_score_every_encoded_sentence(inputs, width, lr):
    config = outcome(distillation.StudentConfig, embedding_dim=width, lr=lr)
    if config is None:
        return
    model = distillation.AveragedEmbeddingClassifier(BERT_VOCAB, config, 2, PAD)
    logits = outcome(distillation.student_logits, model, inputs)
    if logits is None:
        return
    assert logits.shape == (len(inputs), 2) and finite(logits)
    padded = distillation.pad_ids(inputs, PAD)
    assert padded.shape[0] == len(inputs)
    assert outcome(model, padded.float()) is None


@covers(
    "distillation.train_student",
    "distillation.StudentResult",
    "distillation.StudentResult.best_dev_accuracy",
)
@TRAINING
@given(
    st.lists(st.sampled_from([0, 1, IGNORE_INDEX, 2, 0.5]), min_size=6, max_size=6),
    st.one_of(st.none(), st.just("finite"), st.just("nan")),
    st.one_of(st.floats(0.5, 4), NASTY_FLOATS),
)
def test_students_train_on_labels_or_teachers(labels, teacher, temperature):
    train = [ids for ids, _ in _labelled(6, 0)]
    soft = {None: None, "finite": np.zeros((6, 2)), "nan": np.full((6, 2), np.nan)}[teacher]
    config = distillation.StudentConfig(max_epochs=2, patience=1)
    result = outcome(
        distillation.train_student,
        train,
        labels,
        train,
        [0, 1, 0, 1, 0, 1],
        vocab_size=BERT_VOCAB,
        pad_id=PAD,
        teacher_logits=soft,
        temperature=temperature,
        config=config,
    )
    if result is None:
        return
    assert 0 <= result.best_dev_accuracy <= 1 and 1 <= result.best_epoch <= 2
    assert all(label in (0, 1, IGNORE_INDEX) for label in labels) and teacher != "nan"
    empty = distillation.StudentResult(result.model)
    assert outcome(lambda: empty.best_dev_accuracy) is None


@covers("distillation.encode_texts")
@PROPERTY
@given(
    st.one_of(
        st.lists(st.text(max_size=12), max_size=3),
        st.text(max_size=5),
        st.lists(st.integers(), min_size=1),
    )
)
def test_texts_are_encoded_as_the_teacher_reads_them(wordpiece, texts):
    encoded = outcome(distillation.encode_texts, wordpiece, texts)
    assert (encoded is None) == (
        not isinstance(texts, list) or not all(isinstance(t, str) for t in texts)
    )
    if encoded is not None:
        assert len(encoded) == len(texts)
        assert all(
            ids[0] == wordpiece.cls_token_id and ids[-1] == wordpiece.sep_token_id
            for ids in encoded
        )


@covers(
    "distillation.teacher_dir",
    "distillation.load_teacher",
    "distillation.fine_tune_teacher",
    "distillation.unlabelled_transfer_texts",
)
def test_the_teacher_commands_check_their_arguments_first(tmp_path):
    from course_utils.checkpoints import CheckpointError

    assert distillation.teacher_dir(tmp_path) == tmp_path
    assert distillation.teacher_dir().name == distillation.TEACHER
    with pytest.raises(CheckpointError, match="git checkout -- data/"):
        distillation.load_teacher(tmp_path)
    for bad in ({"max_examples": 0}, {"max_examples": 2.5}, {"threads": 0}):
        assert (
            outcome(distillation.fine_tune_teacher, directory=tmp_path, progress=False, **bad)
            is None
        )
    assert not list(tmp_path.iterdir()), "nothing was trained or written"
    assert outcome(distillation.unlabelled_transfer_texts, -1) is None
    texts = distillation.unlabelled_transfer_texts(3)
    assert len(texts) == 3 and all(isinstance(text, str) and text for text in texts)


# =======================================================================================
# the suite covers the whole public API
# =======================================================================================


def public_api() -> set[str]:
    """``module.name`` of every public function and class defined in the seven modules, and
    ``module.Class.member`` of each public method and property of those classes."""
    names = set()
    for module in MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj):
                names.add(f"{short}.{name}")
                for member, value in vars(obj).items():
                    if not member.startswith("_") and (
                        inspect.isfunction(value)
                        or isinstance(value, (property, classmethod, staticmethod))
                    ):
                        names.add(f"{short}.{name}.{member}")
            elif callable(obj) and (inspect.isfunction(obj) or hasattr(obj, "__wrapped__")):
                names.add(f"{short}.{name}")
    return names


def test_the_suite_covers_every_public_function():
    api = public_api()
    assert len(api) > 150, "the discovery of the public API broke"
    assert api - COVERED == set(), "public functions without a property test (@covers)"
    assert COVERED - api == set(), "@covers names that are not (or no longer) public"
