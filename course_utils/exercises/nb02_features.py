"""Checks for notebook 02 (features and learning): smoothed log-likelihoods, TF-IDF, one
gradient step of logistic regression.

Each check compares the learner's function with the tested library version (the
:mod:`course_utils.features` classes, torch autograd) on small cases, and names the most
likely mistake in its hint without giving the formula away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from course_utils import features
from course_utils.exercises.core import CheckFailedError, exercise_check, learner_call, require

__all__ = [
    "GRADIENT_CASES",
    "LIKELIHOOD_CASES",
    "TFIDF_CASES",
    "TOLERANCE",
    "check_gradient_step",
    "check_log_likelihoods",
    "check_tfidf",
    "reference_gradient_step",
    "reference_log_likelihoods",
    "reference_tfidf",
]

#: Agreement needed between the learner's numbers and the reference.
TOLERANCE = 1e-6

#: (n-gram counts per class: rows = classes, columns = vocabulary, alpha) test cases.
LIKELIHOOD_CASES = (
    (np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]), 1.0),
    (np.array([[5.0, 0.0, 3.0, 1.0], [0.0, 0.0, 7.0, 2.0]]), 0.25),
    (np.array([[0.0, 4.0], [1.0, 0.0], [3.0, 3.0]]), 0.5),
)

#: Tiny tokenized corpora for the TF-IDF exercise.
TFIDF_CASES = (
    (
        ("the", "film", "was", "great"),
        ("the", "film", "was", "dull"),
        ("great", "great", "acting"),
    ),
    (("a", "b", "a", "c"), ("b", "b"), ("c",), ("a", "d")),
)

#: (weights, bias, features, labels, learning rate) for the gradient-step exercise.
GRADIENT_CASES = (
    (np.array([0.5, -0.25]), 0.1, np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]]),
     np.array([1.0, 0.0, 1.0]), 0.5),
    (np.zeros(3), 0.0, np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), np.array([0.0, 1.0]), 0.1),
    (np.array([2.0, -1.0, 0.5, 0.0]), -0.3,
     np.random.default_rng(0).normal(size=(6, 4)), np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0]), 0.05),
)  # fmt: skip


def _learner_array(value: object, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The learner's result as a float array of the expected shape, or a failed check."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CheckFailedError(
            f"{what} must be numbers (a NumPy array), got {value!r}."
        ) from error
    require(array.shape == shape, f"{what} should have shape {shape}, got {array.shape}.")
    return array


def reference_log_likelihoods(feature_counts: np.ndarray, alpha: float) -> np.ndarray:
    """``log P(w | c)`` as :class:`course_utils.features.MultinomialNB` computes it."""
    classes = np.arange(len(feature_counts))
    return features.MultinomialNB(alpha=alpha).fit(feature_counts, classes).feature_log_prob_


@exercise_check("log_likelihoods", "These are exactly the feature_log_prob_ of MultinomialNB.fit.")
def check_log_likelihoods(log_likelihoods: Callable[[np.ndarray, float], np.ndarray]) -> None:
    """The learner's ``log_likelihoods(feature_counts, alpha)`` returns smoothed
    ``log P(w | c)``."""
    for counts, alpha in LIKELIHOOD_CASES:
        got = _learner_array(
            learner_call(log_likelihoods, counts.copy(), alpha), counts.shape, "the result"
        )
        require(
            bool(np.all(np.isfinite(got))),
            "some values are -inf or nan: a word never seen with a class must still get a "
            "small probability. What is alpha for?",
        )
        require(
            not np.allclose((10**got).sum(axis=1), 1.0, atol=TOLERANCE),
            "these are base-10 logarithms; Naive Bayes (and NumPy's np.log) use the natural log.",
        )
        require(
            np.allclose(np.exp(got).sum(axis=1), 1.0, atol=TOLERANCE),
            f"for counts {counts.tolist()} and alpha={alpha}, exp of each row should sum to 1 "
            "(a probability distribution over the vocabulary). The smoothing must change the "
            "denominator too.",
        )
        require(
            np.allclose(got, reference_log_likelihoods(counts, alpha), atol=TOLERANCE),
            f"for counts {counts.tolist()} and alpha={alpha} the values differ from the "
            "expected ones: add alpha to every count of a class, divide by that class's new "
            "total, then take the natural log.",
        )


def reference_tfidf(documents: Sequence[Sequence[str]], **options: object) -> np.ndarray:
    """The TF-IDF matrix of tokenized ``documents``, columns in sorted-vocabulary order."""
    vectorizer = features.TfidfVectorizer(tokenizer=str.split, ngram_range=(1, 1), **options)
    return vectorizer.fit_transform([" ".join(doc) for doc in documents]).toarray()


@exercise_check("tfidf", "Your matrix equals TfidfVectorizer's (and so scikit-learn's).")
def check_tfidf(tfidf: Callable[[list[list[str]], list[str]], np.ndarray]) -> None:
    """The learner's ``tfidf(documents, vocabulary)`` returns smoothed-idf, L2-normalized
    TF-IDF rows."""
    for corpus in TFIDF_CASES:
        documents = [list(doc) for doc in corpus]
        vocabulary = sorted({token for doc in documents for token in doc})
        shape = (len(documents), len(vocabulary))
        got = _learner_array(learner_call(tfidf, documents, vocabulary), shape, "the matrix")
        if np.allclose(got, reference_tfidf(corpus), atol=TOLERANCE):
            continue
        require(
            np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=TOLERANCE),
            "every row should have Euclidean length 1: normalize each document's vector last.",
        )
        require(
            not np.allclose(got, reference_tfidf(corpus, smooth_idf=False), atol=TOLERANCE),
            "close: you used the unsmoothed idf. Smoothing acts as if one extra document "
            "contained every word.",
        )
        require(
            False,
            f"for the corpus {documents} the values differ from the expected ones. Check the "
            "term counts (tf), the idf ln((1 + n) / (1 + df)) + 1, and multiply tf by idf "
            "before normalizing.",
        )


def reference_gradient_step(
    weights: np.ndarray, bias: float, X: np.ndarray, y: np.ndarray, lr: float
) -> tuple[np.ndarray, float, float]:
    """One plain gradient-descent step on the mean binary cross-entropy, by torch autograd."""
    w = torch.tensor(weights, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(bias, dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(torch.from_numpy(X) @ w + b, torch.from_numpy(y))
    loss.backward()
    with torch.no_grad():
        return (w - lr * w.grad).numpy(), float(b - lr * b.grad), loss.item()


@exercise_check(
    "gradient_step", "The same numbers as torch autograd: you computed the gradient by hand."
)
def check_gradient_step(
    gradient_step: Callable[..., tuple[np.ndarray, float, float]],
) -> None:
    """The learner's ``gradient_step(w, b, X, y, lr)`` returns ``(new_w, new_b, loss)``."""
    for weights, bias, X, y, lr in GRADIENT_CASES:
        result = learner_call(gradient_step, weights.copy(), bias, X.copy(), y.copy(), lr)
        require(
            isinstance(result, tuple) and len(result) == 3,
            f"return a tuple (new_w, new_b, loss), got {type(result).__name__}.",
        )
        new_w = _learner_array(result[0], weights.shape, "new_w")
        new_b, loss = (_learner_array(value, (), name) for value, name in zip(
            result[1:], ("new_b", "loss"), strict=True))  # fmt: skip
        expected_w, expected_b, expected_loss = reference_gradient_step(weights, bias, X, y, lr)
        require(
            abs(float(loss) - expected_loss) < TOLERANCE,
            f"the loss should be {expected_loss:.6f}, got {float(loss):.6f}: the mean over "
            "examples of -[y log σ(z) + (1 - y) log(1 - σ(z))], with z = X·w + b before the step.",
        )
        ascent_w = 2 * weights - expected_w
        require(
            not np.allclose(new_w, ascent_w, atol=TOLERANCE) or np.allclose(ascent_w, expected_w),
            "your step goes uphill: move against the gradient to lower the loss.",
        )
        require(
            np.allclose(new_w, expected_w, atol=TOLERANCE)
            and abs(float(new_b) - expected_b) < TOLERANCE,
            f"for lr={lr} the updated weights or bias differ from the expected ones. The "
            "gradient of the mean loss is an average over the examples of (σ(z) - y) times "
            "the input (times 1 for the bias).",
        )
