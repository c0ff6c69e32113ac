"""Checks of notebook 02: a right answer passes, plausible wrong answers fail with the hint
that names their mistake, and a stub is reported as "not solved yet"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer

from course_utils import exercises
from course_utils.exercises import nb02_features

# --- log_likelihoods ---------------------------------------------------------


def log_likelihoods(feature_counts, alpha):
    smoothed = feature_counts + alpha
    return np.log(smoothed / smoothed.sum(axis=1, keepdims=True))


def log_likelihoods_unsmoothed_denominator(feature_counts, alpha):
    return np.log((feature_counts + alpha) / feature_counts.sum(axis=1, keepdims=True))


def log_likelihoods_without_smoothing(feature_counts, alpha):
    with np.errstate(divide="ignore"):
        return np.log(feature_counts / feature_counts.sum(axis=1, keepdims=True))


def log_likelihoods_log10(feature_counts, alpha):
    return log_likelihoods(feature_counts, alpha) / np.log(10)


# --- tfidf -------------------------------------------------------------------


def term_counts(documents, vocabulary):
    index = {word: j for j, word in enumerate(vocabulary)}
    counts = np.zeros((len(documents), len(vocabulary)))
    for i, document in enumerate(documents):
        for token in document:
            counts[i, index[token]] += 1
    return counts


def tfidf(documents, vocabulary, smooth=1.0, normalize=True):
    counts = term_counts(documents, vocabulary)
    idf = np.log((len(documents) + smooth) / ((counts > 0).sum(axis=0) + smooth)) + 1
    weighted = counts * idf
    return weighted / np.linalg.norm(weighted, axis=1, keepdims=True) if normalize else weighted


def tfidf_sklearn(documents, vocabulary):
    vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, vocabulary=vocabulary)
    return vectorizer.fit_transform(documents).toarray()


# --- gradient_step -----------------------------------------------------------


def gradient_step(w, b, X, y, lr):
    p = expit(X @ w + b)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    error = p - y
    return w - lr * X.T @ error / len(y), b - lr * error.mean(), loss


def gradient_step_uphill(w, b, X, y, lr):
    return gradient_step(w, b, X, y, -lr)[:2] + gradient_step(w, b, X, y, lr)[2:]


def gradient_step_summed(w, b, X, y, lr):
    new_w, new_b, loss = gradient_step(w, b, X, y, lr * len(y))
    return new_w, new_b, loss


def gradient_step_loss_after(w, b, X, y, lr):
    new_w, new_b, _ = gradient_step(w, b, X, y, lr)
    return new_w, new_b, gradient_step(new_w, new_b, X, y, lr)[2]


RIGHT = {
    "check_log_likelihoods": log_likelihoods,
    "check_tfidf": tfidf,
    "check_gradient_step": gradient_step,
}

#: (check, wrong answer, a piece of the hint it must get)
WRONG = [
    ("check_log_likelihoods", log_likelihoods_unsmoothed_denominator, "denominator"),
    ("check_log_likelihoods", log_likelihoods_without_smoothing, "-inf"),
    ("check_log_likelihoods", log_likelihoods_log10, "base-10"),
    ("check_log_likelihoods", lambda counts, alpha: log_likelihoods(counts, 1.0), "values differ"),
    ("check_log_likelihoods", lambda counts, alpha: counts.T, "shape"),
    ("check_tfidf", lambda docs, vocab: tfidf(docs, vocab, normalize=False), "length 1"),
    ("check_tfidf", lambda docs, vocab: tfidf(docs, vocab, smooth=0.0), "unsmoothed idf"),
    ("check_tfidf", lambda docs, vocab: tfidf(docs, vocab, smooth=2.0), "values differ"),
    ("check_tfidf", lambda docs, vocab: "not a matrix", "must be numbers"),
    ("check_gradient_step", gradient_step_uphill, "uphill"),
    ("check_gradient_step", gradient_step_summed, "average"),
    ("check_gradient_step", gradient_step_loss_after, "before the step"),
    ("check_gradient_step", lambda w, b, X, y, lr: (w, b), "tuple"),
]


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


def test_tfidf_check_passes_scikit_learns_tfidf(capsys):
    assert exercises.check_tfidf(tfidf_sklearn)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "wrong", "hint"), WRONG)
def test_check_fails_wrong_answer_with_its_hint(name, wrong, hint, exercise_asserts):
    exercise_asserts.fails_with_hint(name, wrong, hint)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


def test_learner_exceptions_become_hints(capsys):
    exercises.set_strict(False)
    assert not exercises.check_tfidf(lambda docs, vocab: docs[99])
    assert "IndexError" in capsys.readouterr().out


def test_references_agree_with_the_formulas():
    counts, alpha = nb02_features.LIKELIHOOD_CASES[0]
    np.testing.assert_allclose(
        nb02_features.reference_log_likelihoods(counts, alpha), log_likelihoods(counts, alpha)
    )
    corpus = [list(doc) for doc in nb02_features.TFIDF_CASES[1]]
    vocabulary = sorted({token for doc in corpus for token in doc})
    np.testing.assert_allclose(nb02_features.reference_tfidf(corpus), tfidf(corpus, vocabulary))
    w, b, X, y, lr = nb02_features.GRADIENT_CASES[2]
    for mine, reference in zip(
        gradient_step(w, b, X, y, lr),
        nb02_features.reference_gradient_step(w, b, X, y, lr),
        strict=True,
    ):
        np.testing.assert_allclose(mine, reference, atol=1e-12)
