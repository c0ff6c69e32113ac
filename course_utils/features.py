"""SW 1.5, features + learning: bag of words, TF-IDF, Naive Bayes, NBSVM features.

Taught in notebook 02. A person designs the features (tokens, n-grams, TF-IDF weights,
Naive Bayes log-count ratios); the machine learns the weights, either by counting
(multinomial Naive Bayes) or by a training loop (logistic regression in torch). Every
piece is written from scratch and checked against scikit-learn in ``tests/test_features.py``.


Logistic regression, trained by our first loop, is in :mod:`course_utils.logistic`; the
MR baselines built from both in :mod:`course_utils.baselines`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import scipy.sparse as sp

from course_utils import validation
from course_utils.data import WORD_PATTERN

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "BASELINE_SEEDS",
    "BINARY_LABELS",
    "BOW_TOKEN_PATTERN",
    "LR_MAX_STEPS",
    "NBSVM_ALPHA",
    "NBSVM_LR_SETTINGS",
    "NBSVM_MIN_DF",
    "NB_ALPHA",
    "NB_BINARY",
    "NB_MIN_DF",
    "NGRAM_RANGE",
    "NGRAM_SEPARATOR",
    "PREDICT_BATCH_SIZE",
    "RANDOM_SEARCH_TRIALS",
    "TFIDF_LR_SETTINGS",
    "TFIDF_MIN_DF",
    "TFIDF_SUBLINEAR_TF",
    "CountOptions",
    "CountVectorizer",
    "MultinomialNB",
    "TfidfVectorizer",
    "TrainingSettings",
    "binarize",
    "inverse_document_frequency",
    "l2_normalize_rows",
    "log_sum_exp",
    "nb_log_count_ratio",
    "nb_scale_features",
    "ngrams",
    "tokenize",
]


#: Unigrams and bigrams: "not good" is a feature of its own (beat (1, 1) and (1, 3) on dev).
NGRAM_RANGE = (1, 2)
#: Naive Bayes: n-grams in >= 2 training sentences, raw counts, Lidstone smoothing 0.25.
NB_MIN_DF = 2
NB_BINARY = False
NB_ALPHA = 0.25
#: TF-IDF for logistic regression: n-grams in >= 2 training sentences, raw tf.
TFIDF_MIN_DF = 2
TFIDF_SUBLINEAR_TF = False
#: NBSVM: every n-gram, presence features, ratio smoothing 1 (as Wang & Manning 2012).
NBSVM_MIN_DF = 1
NBSVM_ALPHA = 1.0
#: Hard bound on optimizer steps, whatever ``num_epochs`` says.
LR_MAX_STEPS = 100_000
#: Rows per chunk when predicting, to bound memory on large matrices.
PREDICT_BATCH_SIZE = 4096
#: Random search ("try, measure, keep the best"): number of random weight vectors tried.
RANDOM_SEARCH_TRIALS = 200
#: Seeds over which mini-batch models' accuracy is averaged (:func:`mr_baselines`, notebook 02).
BASELINE_SEEDS = (0, 1, 2)


def _check_training_settings(
    lr: float,
    num_epochs: int,
    batch_size: int | None,
    weight_decay: float,
    patience: int | None,
    max_steps: int = LR_MAX_STEPS,
) -> None:
    validation.learning_rate("lr", lr)
    validation.weight_decay("weight_decay", weight_decay)
    validation.integer("num_epochs", num_epochs, low=1)
    validation.integer("max_steps", max_steps, low=1)
    if batch_size is not None:
        validation.integer("batch_size (or None: full batch)", batch_size, low=1)
    if patience is not None:
        validation.integer("patience (or None: no early stopping)", patience, low=1)


@dataclass(frozen=True)
class TrainingSettings:
    """Hyperparameters of :func:`train_logistic_regression` (pass ``**asdict(settings)``).

    Notebook 02.
    """

    lr: float
    num_epochs: int
    batch_size: int | None
    weight_decay: float
    patience: int | None

    def __post_init__(self) -> None:
        _check_training_settings(
            self.lr, self.num_epochs, self.batch_size, self.weight_decay, self.patience
        )

    def seeds_to_run(self, seeds: Sequence[int], num_rows: int) -> tuple[int, ...]:
        """All ``seeds`` for mini-batches; only the first for a full batch of ``num_rows``
        rows, whose training does not depend on the seed."""
        if not seeds:
            raise ValueError("seeds is empty: pass at least one seed, e.g. (0, 1, 2).")
        full_batch = self.batch_size is None or self.batch_size >= num_rows
        return tuple(seeds[:1]) if full_batch else tuple(seeds)


#: TF-IDF + logistic regression: Adam on mini-batches of 256 (the defaults of the trainer).
TFIDF_LR_SETTINGS = TrainingSettings(
    lr=0.01, num_epochs=30, batch_size=256, weight_decay=1e-5, patience=5
)
#: NBSVM features + logistic regression: full-batch Adam did best on dev (seed-independent).
NBSVM_LR_SETTINGS = TrainingSettings(
    lr=0.1, num_epochs=100, batch_size=None, weight_decay=1e-6, patience=20
)

NGRAM_SEPARATOR = " "
BINARY_LABELS = (0, 1)


#: A word (the course's :data:`~course_utils.data.WORD_PATTERN`) or a "!" / "?" mark.
BOW_TOKEN_PATTERN = re.compile(rf"{WORD_PATTERN.pattern}|[!?]")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` plus every "!" and "?"; other punctuation is dropped.

    Like :func:`course_utils.data.tokenize_words`, but "!" and "?" are kept because they
    carry tone ("great !" vs "great ?"); "." and "," occur in nearly every sentence of
    both classes and only add noise. On MR dev this beat both dropping all punctuation
    and keeping all of it (Naive Bayes, uni+bigrams). Notebook 02.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a string, got {type(text).__name__}.")
    return BOW_TOKEN_PATTERN.findall(text.lower())


def _check_ngram_range(n_range: tuple[int, int]) -> tuple[int, int]:
    if (
        len(n_range) != 2
        or not all(isinstance(n, int) for n in n_range)
        or not 1 <= n_range[0] <= n_range[1]
    ):
        raise ValueError(
            f"n-gram range must be (min_n, max_n) with 1 <= min_n <= max_n, got {n_range!r}; "
            "e.g. (1, 1) for unigrams, (1, 2) for unigrams and bigrams."
        )
    return n_range[0], n_range[1]


def ngrams(tokens: Sequence[str], n_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """All n-grams of ``tokens`` for n in ``n_range`` (inclusive), words joined by a space.

    Unigrams first, then bigrams, ... (scikit-learn's order). Notebook 02.
    """
    if isinstance(tokens, str):
        raise TypeError(
            "ngrams expects a list of tokens, got a single string; tokenize it first: "
            "ngrams(tokenize(text))."
        )
    min_n, max_n = _check_ngram_range(n_range)
    tokens = list(tokens)
    return [
        NGRAM_SEPARATOR.join(tokens[start : start + n])
        for n in range(min_n, max_n + 1)
        for start in range(len(tokens) - n + 1)
    ]


def _check_documents(raw_documents: Sequence[str]) -> list[str]:
    if isinstance(raw_documents, str):
        raise TypeError(
            "expected a list of documents (strings), got a single string; wrap it: [text]."
        )
    documents = list(raw_documents)
    if not documents:
        raise ValueError("no documents given: pass a non-empty list of strings.")
    for index, document in enumerate(documents):
        if not isinstance(document, str):
            raise TypeError(
                f"document {index} is a {type(document).__name__}, not a string; pass raw "
                "texts (the vectorizer tokenizes them itself)."
            )
    return documents


def _not_fitted(owner: object) -> ValueError:
    return ValueError(f"this {type(owner).__name__} is not fitted yet: call fit first.")


def _as_feature_matrix(X: object, *, name: str = "X") -> sp.csr_matrix:
    """``X`` as a canonical float64 CSR matrix (sorted indices, no duplicates)."""
    if isinstance(X, str) or (isinstance(X, Sequence) and len(X) > 0 and isinstance(X[0], str)):
        raise TypeError(
            f"{name} must be a document-term matrix, got text; vectorize it first, e.g. "
            "CountVectorizer().fit_transform(texts)."
        )
    if sp.issparse(X):
        matrix = sp.csr_matrix(X, dtype=np.float64, copy=True)
    else:
        array = np.asarray(X)
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
            raise ValueError(
                f"{name} must be a 2-D numeric matrix (documents x features), got an array "
                f"of shape {array.shape} and dtype {array.dtype}."
            )
        matrix = sp.csr_matrix(array, dtype=np.float64)
    if matrix.shape[0] == 0:
        raise ValueError(f"{name} has no rows: pass at least one document.")
    if not np.all(np.isfinite(matrix.data)):
        raise ValueError(
            f"{name} holds NaN or infinite values; features must be finite counts or weights."
        )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _as_labels(y: Sequence[int], num_rows: int, *, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D int64 array of non-negative class ids, one per row of X."""
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of labels, got shape {labels.shape}.")
    if len(labels) != num_rows:
        raise ValueError(
            f"X has {num_rows} rows but {name} has {len(labels)} labels; pass one label per "
            "document (row)."
        )
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer class ids 0, 1, ... (1 = positive, 0 = negative), got "
            f"dtype {labels.dtype}; convert with np.asarray({name}, dtype=int)."
        )
    if labels.min() < 0:
        raise ValueError(
            f"{name} must hold class ids 0, 1, ..., got {labels.min()}; map e.g. -1/+1 to 0/1."
        )
    return labels.astype(np.int64)


def _as_binary_labels(y: Sequence[int], num_rows: int, *, name: str = "y") -> np.ndarray:
    labels = _as_labels(y, num_rows, name=name)
    found = set(np.unique(labels).tolist())
    if not found <= set(BINARY_LABELS):
        raise ValueError(
            f"{name} must be binary (0 = negative, 1 = positive), got labels {sorted(found)}."
        )
    return labels


def _require_both_classes(labels: np.ndarray, *, name: str = "y") -> None:
    found = np.unique(labels)
    if len(found) < 2:
        raise ValueError(
            f"{name} contains only class {found.tolist()}; training needs examples of at "
            "least two classes."
        )


class CountOptions(TypedDict, total=False):
    """The keyword options of :class:`CountVectorizer`; :class:`TfidfVectorizer` passes them on.

    Notebook 02.
    """

    tokenizer: Callable[[str], list[str]]
    ngram_range: tuple[int, int]
    min_df: int
    binary: bool


class CountVectorizer:
    """Bag of words: one column per n-gram, one row per document, cells = counts. Notebook 02.

    Same vocabulary (sorted n-grams), counts and feature order as scikit-learn's
    ``CountVectorizer(tokenizer=..., token_pattern=None, lowercase=False)``.
    """

    def __init__(
        self,
        *,
        tokenizer: Callable[[str], list[str]] = tokenize,
        ngram_range: tuple[int, int] = NGRAM_RANGE,
        min_df: int = 1,
        binary: bool = False,
    ) -> None:
        _check_ngram_range(ngram_range)
        if isinstance(min_df, bool) or not isinstance(min_df, int) or min_df < 1:
            raise ValueError(
                f"min_df must be an integer >= 1 (a number of documents), got {min_df!r}."
            )
        self.tokenizer = tokenizer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.binary = binary
        self.vocabulary_: dict[str, int] | None = None

    def analyze(self, document: str) -> list[str]:
        """The features of one document: its n-grams, repeated as often as they occur."""
        return ngrams(self.tokenizer(document), self.ngram_range)

    def fit(self, raw_documents: Sequence[str]) -> CountVectorizer:
        """Learn the vocabulary: every n-gram in at least ``min_df`` documents."""
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Sequence[str]) -> sp.csr_matrix:
        """Learn the vocabulary and return the document-term count matrix."""
        counts = [Counter(self.analyze(doc)) for doc in _check_documents(raw_documents)]
        document_frequency = Counter(feature for doc in counts for feature in doc)
        kept = sorted(f for f, df in document_frequency.items() if df >= self.min_df)
        if not kept:
            raise ValueError(
                "empty vocabulary: no n-gram occurs in at least min_df="
                f"{self.min_df} documents (or the tokenizer found no tokens); lower min_df "
                "or check the documents."
            )
        self.vocabulary_ = {feature: index for index, feature in enumerate(kept)}
        return self._count_matrix(counts)

    def transform(self, raw_documents: Sequence[str]) -> sp.csr_matrix:
        """Count the known n-grams of new documents (unknown ones are ignored)."""
        if self.vocabulary_ is None:
            raise _not_fitted(self)
        documents = _check_documents(raw_documents)
        return self._count_matrix([Counter(self.analyze(doc)) for doc in documents])

    def get_feature_names_out(self) -> np.ndarray:
        """The n-gram of every column, in column order (an object array, like scikit-learn)."""
        if self.vocabulary_ is None:
            raise _not_fitted(self)
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)

    def _count_matrix(self, counts: list[Counter[str]]) -> sp.csr_matrix:
        vocabulary = self.vocabulary_
        if vocabulary is None:
            raise _not_fitted(self)
        indptr, indices, values = [0], [], []
        for document in counts:
            row = sorted(
                (vocabulary[feature], count)
                for feature, count in document.items()
                if feature in vocabulary
            )
            indices.extend(column for column, _ in row)
            values.extend(1 if self.binary else count for _, count in row)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(values, dtype=np.int64), np.array(indices, dtype=np.int64), indptr),
            shape=(len(counts), len(vocabulary)),
        )


def inverse_document_frequency(counts: sp.spmatrix, *, smooth: bool = True) -> np.ndarray:
    """idf of every column: ``ln((n + s) / (df + s)) + 1``, s = 1 if ``smooth`` else 0.

    Rare n-grams weigh more, n-grams in every document weigh 1 (scikit-learn's formula;
    smoothing acts as if one extra document contained every n-gram). Notebook 02.
    """
    matrix = _as_feature_matrix(counts, name="counts")
    document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
    offset = int(smooth)
    return np.log((matrix.shape[0] + offset) / (document_frequency + offset)) + 1.0


def l2_normalize_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Scale each row to Euclidean length 1 (all-zero rows stay zero). Notebook 02."""
    normalized = _as_feature_matrix(matrix, name="matrix")
    norms = np.sqrt(np.asarray(normalized.multiply(normalized).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    normalized.data /= np.repeat(norms, np.diff(normalized.indptr))
    return normalized


class TfidfVectorizer(CountVectorizer):
    """TF-IDF: counts (or ``1 + ln count`` if ``sublinear_tf``) times idf, rows L2-normalized.

    Reproduces scikit-learn's ``TfidfVectorizer`` defaults (smooth idf, l2 norm) with the
    same tokenizer; ``count_options`` (tokenizer, ngram_range, min_df, binary) go to
    :class:`CountVectorizer`. Notebook 02.
    """

    def __init__(
        self,
        *,
        sublinear_tf: bool = False,
        smooth_idf: bool = True,
        norm: str | None = "l2",
        **count_options: Unpack[CountOptions],
    ) -> None:
        super().__init__(**count_options)
        if norm not in ("l2", None):
            raise ValueError(f"norm must be 'l2' or None, got {norm!r}.")
        self.sublinear_tf = sublinear_tf
        self.smooth_idf = smooth_idf
        self.norm = norm
        self.idf_: np.ndarray | None = None

    def fit_transform(self, raw_documents: Sequence[str]) -> sp.csr_matrix:
        """Learn vocabulary and idf from the documents; return their TF-IDF matrix."""
        counts = super().fit_transform(raw_documents)
        self.idf_ = inverse_document_frequency(counts, smooth=self.smooth_idf)
        return self._weight(counts)

    def transform(self, raw_documents: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF of new documents with the vocabulary and idf learnt by ``fit``."""
        return self._weight(super().transform(raw_documents))

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        if self.idf_ is None:
            raise _not_fitted(self)
        weights = counts.astype(np.float64)
        if self.sublinear_tf:
            weights.data = 1.0 + np.log(weights.data)
        weights = sp.csr_matrix(weights @ sp.diags(self.idf_))
        return l2_normalize_rows(weights) if self.norm == "l2" else weights


def binarize(X: sp.spmatrix | np.ndarray) -> sp.csr_matrix:
    """1.0 where a feature occurs (count > 0), else 0: presence instead of counts. Notebook 02."""
    matrix = _as_feature_matrix(X)
    matrix.data = (matrix.data > 0).astype(np.float64)
    matrix.eliminate_zeros()
    return matrix


def log_sum_exp(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(values)))`` along ``axis`` without overflow (shift by the max first).

    Turns joint log-likelihoods into log-probabilities. Notebook 02.
    """
    values = validation.finite_array("values", values)
    axis = validation.integer("axis", axis)
    if values.ndim == 0 or not -values.ndim <= axis < values.ndim or values.shape[axis] == 0:
        raise ValueError(
            f"values of shape {values.shape} have no non-empty axis {axis} to sum over."
        )
    shift = np.max(values, axis=axis, keepdims=True)
    total = np.log(np.sum(np.exp(values - shift), axis=axis, keepdims=True)) + shift
    return np.squeeze(total, axis=axis)


class MultinomialNB:
    """Multinomial Naive Bayes from scratch: learning by counting, predicting in log space.

    ``P(c | doc) ∝ P(c) · Π_w P(w | c)^count(w)``, with ``P(w | c)`` smoothed by ``alpha``
    (1 = Laplace, < 1 = Lidstone). Matches ``sklearn.naive_bayes.MultinomialNB``. Notebook 02.
    """

    def __init__(self, alpha: float = NB_ALPHA) -> None:
        if alpha == 0:
            raise ValueError(
                f"alpha must be > 0, got {alpha!r}: with alpha = 0 a word never seen with a "
                "class gets probability 0 and log(0) = -inf."
            )
        self.alpha = validation.number("alpha", alpha, low=0.0, low_open=True)
        self.classes_: np.ndarray | None = None
        self.class_count_: np.ndarray | None = None
        self.feature_count_: np.ndarray | None = None
        self.class_log_prior_: np.ndarray | None = None
        self.feature_log_prob_: np.ndarray | None = None

    def fit(self, X: sp.spmatrix | np.ndarray, y: Sequence[int]) -> MultinomialNB:
        """Count documents per class and n-grams per class; store smoothed log-probabilities."""
        matrix = _as_feature_matrix(X)
        if matrix.nnz and matrix.data.min() < 0:
            raise ValueError(
                "MultinomialNB needs non-negative counts, but X has negative entries; use "
                "CountVectorizer / TF-IDF features, not centred or scaled ones."
            )
        labels = _as_labels(y, matrix.shape[0])
        _require_both_classes(labels)
        self.classes_ = np.unique(labels)
        one_hot = (labels[:, None] == self.classes_[None, :]).astype(np.float64)
        self.class_count_ = one_hot.sum(axis=0)
        self.feature_count_ = np.asarray((matrix.T @ one_hot).T)
        smoothed = self.feature_count_ + self.alpha
        self.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        self.class_log_prior_ = np.log(self.class_count_) - np.log(self.class_count_.sum())
        return self

    def joint_log_likelihood(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """``log P(c) + Σ_w count(w) · log P(w | c)`` per document and class."""
        if self.feature_log_prob_ is None or self.class_log_prior_ is None:
            raise _not_fitted(self)
        matrix = _as_feature_matrix(X)
        expected = self.feature_log_prob_.shape[1]
        if matrix.shape[1] != expected:
            raise ValueError(
                f"X has {matrix.shape[1]} features but the model was fitted with {expected}; "
                "transform new texts with the vectorizer fitted on the training texts."
            )
        return np.asarray(matrix @ self.feature_log_prob_.T) + self.class_log_prior_

    def predict_log_proba(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """``log P(c | doc)``: joint log-likelihood minus its log-sum-exp over classes."""
        joint = self.joint_log_likelihood(X)
        return joint - log_sum_exp(joint, axis=1)[:, None]

    def predict_proba(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """``P(c | doc)`` per document (rows sum to 1), columns in ``classes_`` order."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """The most probable class of each document."""
        if self.classes_ is None:
            raise _not_fitted(self)
        return self.classes_[np.argmax(self.joint_log_likelihood(X), axis=1)]

    def most_informative_features(
        self, feature_names: Sequence[str], k: int = 10
    ) -> dict[int, list[tuple[str, float]]]:
        """The ``k`` features that most favour each class, with their log-ratio (nats).

        For class c: ``log P(w | c) - log P(w | other class)``, largest first; binary only.
        """
        if self.feature_log_prob_ is None or self.classes_ is None:
            raise _not_fitted(self)
        if len(self.classes_) != len(BINARY_LABELS):
            raise ValueError(
                f"most_informative_features compares two classes; this model has "
                f"{len(self.classes_)}."
            )
        names = np.asarray(feature_names, dtype=object)
        if names.shape != (self.feature_log_prob_.shape[1],):
            raise ValueError(
                f"got {names.size} feature names for {self.feature_log_prob_.shape[1]} "
                "features; pass vectorizer.get_feature_names_out()."
            )
        k = validation.integer("k", k, low=1)
        first, second = self.classes_.tolist()
        ratio = self.feature_log_prob_[1] - self.feature_log_prob_[0]
        top: dict[int, list[tuple[str, float]]] = {}
        for label, signed in ((second, ratio), (first, -ratio)):
            order = np.argsort(-signed, kind="stable")[:k]
            top[label] = [(str(names[i]), float(signed[i])) for i in order]
        return top


def nb_log_count_ratio(
    X: sp.spmatrix | np.ndarray,
    y: Sequence[int],
    alpha: float = NBSVM_ALPHA,
) -> np.ndarray:
    """NB log-count ratio ``r = log((p / |p|_1) / (q / |q|_1))`` on binarized features.

    ``p = alpha + Σ_{y=1} x̂``, ``q = alpha + Σ_{y=0} x̂``, ``x̂ = (x > 0)``: how much more
    often each feature appears in positive than in negative documents. Notebook 02.
    """
    alpha = validation.number("alpha", alpha, low=0.0, low_open=True)  # keeps log(0) away
    present = binarize(X)
    labels = _as_binary_labels(y, present.shape[0])
    _require_both_classes(labels)
    p = alpha + np.asarray(present[labels == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[labels == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def nb_scale_features(X: sp.spmatrix | np.ndarray, r: np.ndarray) -> sp.csr_matrix:
    """NBSVM input ``r ∘ x̂``: binarized features, each multiplied by its log-count ratio.

    Feed the result to a linear classifier (here :func:`train_logistic_regression`). Notebook 02.
    """
    present = binarize(X)
    ratio = validation.finite_array("r", r)
    if ratio.shape != (present.shape[1],):
        raise ValueError(
            f"r has shape {ratio.shape} but X has {present.shape[1]} features; compute r with "
            "nb_log_count_ratio on features from the same vectorizer."
        )
    return sp.csr_matrix(present @ sp.diags(ratio))
