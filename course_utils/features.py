"""SW 1.5, features + learning: bag of words, TF-IDF, Naive Bayes, logistic regression.

Taught in notebook 02. A person designs the features (tokens, n-grams, TF-IDF weights,
Naive Bayes log-count ratios); the machine learns the weights, either by counting
(multinomial Naive Bayes) or by a training loop (logistic regression in torch). Every
piece is written from scratch and checked against scikit-learn in ``tests/test_features.py``.
"""

from __future__ import annotations

import copy
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.special import expit
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.data import WORD_PATTERN, load_mr_split, texts_and_labels
from course_utils.evaluation import accuracy
from course_utils.reproducibility import resolve_device

if TYPE_CHECKING:
    from typing_extensions import Unpack

# ---------------------------------------------------------------------------
# Hyperparameters (chosen on the MR dev split only; see the notebook's tuning cell)
# ---------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------
# Tokens and n-grams
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Input checks shared by the vectorizers and the classifiers
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Bag of words and TF-IDF
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Multinomial Naive Bayes
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# NBSVM features (Wang & Manning 2012)
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Logistic regression in torch: the first training loop
# ---------------------------------------------------------------------------


def sparse_to_torch(X: sp.spmatrix | np.ndarray, device: str = "cpu") -> torch.Tensor:
    """A scipy / NumPy matrix as a float32 torch sparse COO tensor on ``device``. Notebook 02."""
    return _coo_tensor(_as_feature_matrix(X), torch.device(resolve_device(device)))


def _coo_tensor(matrix: sp.csr_matrix, device: torch.device) -> torch.Tensor:
    """A canonical CSR matrix as a sparse COO tensor (already coalesced: rows, then columns)."""
    coo = matrix.tocoo()
    return torch.sparse_coo_tensor(
        torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64)),
        torch.from_numpy(coo.data.astype(np.float32)),
        coo.shape,
        device=device,
        is_coalesced=True,
        check_invariants=False,
    )


class LogisticRegression(nn.Module):
    """Binary logistic regression ``P(y=1 | x) = σ(w·x + b)`` over sparse or dense inputs.

    Weights start at zero (the loss is convex, so no random start is needed). Notebook 02.
    """

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = validation.integer("num_features", num_features, low=1)
        self.linear = nn.Linear(num_features, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``w·x + b`` of shape (batch,) for a (batch, num_features) tensor."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"x must be a torch tensor, got {type(x).__name__}; for a document-term matrix "
                "call decision_function or predict_proba instead."
            )
        if x.dim() != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"expected input of shape (batch, {self.num_features}), got {tuple(x.shape)}; "
                "use features from the vectorizer the model was trained with."
            )
        if x.is_sparse:
            logits = torch.sparse.mm(x, self.linear.weight.t()) + self.linear.bias
        else:
            logits = self.linear(x)
        return logits.squeeze(-1)

    @torch.no_grad()
    def decision_function(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """The logit ``w·x + b`` of every row of a document-term matrix, as a NumPy array."""
        matrix = _as_feature_matrix(X)
        device = self.linear.weight.device
        chunks = [
            self(_coo_tensor(matrix[start : start + PREDICT_BATCH_SIZE], device))
            for start in range(0, matrix.shape[0], PREDICT_BATCH_SIZE)
        ]
        return torch.cat(chunks).double().cpu().numpy()

    def predict_proba(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """``P(y=1 | x) = σ(w·x + b)`` for every row."""
        return expit(self.decision_function(X))

    def predict(self, X: sp.spmatrix | np.ndarray) -> np.ndarray:
        """Label 1 where ``w·x + b > 0`` (i.e. ``P(y=1 | x) > 0.5``), else 0."""
        return (self.decision_function(X) > 0).astype(np.int64)


@dataclass
class TrainingHistory:
    """What happened during training: one entry per epoch, plus cost. Notebook 02.

    ``seconds`` is wall time including the dev evaluations; ``examples_per_second`` is
    training examples processed per such second.
    """

    train_loss: list[float] = field(default_factory=list)
    dev_accuracy: list[float] = field(default_factory=list)
    #: 1-based epoch whose weights were kept (best dev accuracy; the last one without dev).
    best_epoch: int = 0
    steps: int = 0
    seconds: float = 0.0
    examples_per_second: float = 0.0


def _epoch_batches(
    matrix: sp.csr_matrix,
    labels: np.ndarray,
    batch_size: int,
    generator: torch.Generator,
    device: torch.device,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of mini-batches: (sparse inputs, float targets) on ``device``.

    Mini-batches are reshuffled every epoch; a full batch keeps the data's order (the mean
    gradient does not depend on it), so full-batch training does not depend on the seed.
    """
    if batch_size >= matrix.shape[0]:
        order = np.arange(matrix.shape[0])
    else:
        order = torch.randperm(matrix.shape[0], generator=generator).numpy()
    return [
        (
            _coo_tensor(matrix[rows], device),
            torch.from_numpy(labels[rows]).float().to(device),
        )
        for rows in (order[i : i + batch_size] for i in range(0, len(order), batch_size))
    ]


def train_logistic_regression(
    X: sp.spmatrix | np.ndarray,
    y: Sequence[int],
    *,
    lr: float = TFIDF_LR_SETTINGS.lr,
    num_epochs: int = TFIDF_LR_SETTINGS.num_epochs,
    batch_size: int | None = TFIDF_LR_SETTINGS.batch_size,
    weight_decay: float = TFIDF_LR_SETTINGS.weight_decay,
    seed: int = 0,
    X_dev: sp.spmatrix | np.ndarray | None = None,
    y_dev: Sequence[int] | None = None,
    patience: int | None = TFIDF_LR_SETTINGS.patience,
    max_steps: int = LR_MAX_STEPS,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[LogisticRegression, TrainingHistory]:
    """Train :class:`LogisticRegression` with Adam on binary cross-entropy; early-stop on dev.

    ``batch_size=None`` is full-batch gradient descent. ``weight_decay`` is an L2 penalty
    ``weight_decay / 2 · |w|²`` on the weights (not the bias). With a dev set the weights of
    the best dev-accuracy epoch are restored, and training stops after ``patience`` epochs
    without improvement (``None``: never). ``seed`` fixes the shuffling of the mini-batches
    (full-batch training does not depend on it). Notebook 02.
    """
    matrix = _as_feature_matrix(X)
    labels = _as_binary_labels(y, matrix.shape[0])
    _require_both_classes(labels)
    _check_training_settings(lr, num_epochs, batch_size, weight_decay, patience, max_steps)
    seed = validation.integer("seed", seed)
    dev = _dev_set(X_dev, y_dev, matrix.shape[1])
    resolved = torch.device(resolve_device(device))
    generator = torch.Generator().manual_seed(seed)
    model = LogisticRegression(matrix.shape[1]).to(resolved)
    optimizer = torch.optim.Adam(
        [
            {"params": [model.linear.weight], "weight_decay": weight_decay},
            {"params": [model.linear.bias], "weight_decay": 0.0},
        ],
        lr=lr,
    )
    batch_rows = batch_size or matrix.shape[0]
    full_batch = batch_rows >= matrix.shape[0]
    # a full batch is the same every epoch: build it once
    fixed_batches = (
        _epoch_batches(matrix, labels, batch_rows, generator, resolved) if full_batch else None
    )
    history = TrainingHistory()
    best_state = copy.deepcopy(model.state_dict())
    examples_seen = 0
    start = time.perf_counter()
    epochs = tqdm(
        range(1, num_epochs + 1), desc="logistic regression", unit="epoch", disable=not progress
    )
    for epoch in epochs:
        model.train()
        loss_sum, epoch_examples = 0.0, 0
        batches = fixed_batches or _epoch_batches(matrix, labels, batch_rows, generator, resolved)
        for inputs, targets in batches:
            loss = F.binary_cross_entropy_with_logits(model(inputs), targets)
            loss_value = validation.finite_loss(loss.item(), history.steps + 1, lr)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss_value * len(targets)
            epoch_examples += len(targets)
            history.steps += 1
            if history.steps >= max_steps:
                break
        history.train_loss.append(loss_sum / epoch_examples)
        examples_seen += epoch_examples
        history.seconds = time.perf_counter() - start
        history.examples_per_second = examples_seen / history.seconds
        postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
        if dev is None:
            history.best_epoch = epoch
        else:
            model.eval()
            history.dev_accuracy.append(accuracy(dev[1], model.predict(dev[0])))
            postfix["dev_acc"] = f"{history.dev_accuracy[-1]:.4f}"
            if history.dev_accuracy[-1] > max(history.dev_accuracy[:-1], default=-1.0):
                history.best_epoch = epoch
                best_state = copy.deepcopy(model.state_dict())
        postfix["ex/s"] = f"{history.examples_per_second:,.0f}"
        epochs.set_postfix(postfix)
        stalled = patience is not None and epoch - history.best_epoch >= patience
        if stalled or history.steps >= max_steps:
            break
    if dev is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, history


def _dev_set(
    X_dev: sp.spmatrix | np.ndarray | None,
    y_dev: Sequence[int] | None,
    num_features: int,
) -> tuple[sp.csr_matrix, np.ndarray] | None:
    """The checked dev set for early stopping, or None when neither part is given."""
    if X_dev is None and y_dev is None:
        return None
    if X_dev is None or y_dev is None:
        raise ValueError("pass both X_dev and y_dev (for early stopping) or neither.")
    matrix = _as_feature_matrix(X_dev, name="X_dev")
    if matrix.shape[1] != num_features:
        raise ValueError(
            f"X_dev has {matrix.shape[1]} features but X has {num_features}; transform the "
            "dev texts with the vectorizer fitted on the training texts."
        )
    return matrix, _as_binary_labels(y_dev, matrix.shape[0], name="y_dev")


# ---------------------------------------------------------------------------
# "Learning = try, measure the error, keep the best" without gradients
# ---------------------------------------------------------------------------


@dataclass
class RandomSearchResult:
    """Best of many random weight vectors, and the accuracy of every try. Notebook 02."""

    model: LogisticRegression
    train_accuracy: float
    trial_accuracy: np.ndarray
    best_so_far: np.ndarray
    seconds: float


@torch.no_grad()
def random_search_weights(
    X: sp.spmatrix | np.ndarray,
    y: Sequence[int],
    *,
    num_trials: int = RANDOM_SEARCH_TRIALS,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> RandomSearchResult:
    """Try ``num_trials`` random (w, b) ~ N(0, 1), keep the one with the best training accuracy.

    SW 1.5's recipe (try, measure the error, keep the best) with blind tries instead of
    gradients: the contrast with :func:`train_logistic_regression`. Notebook 02.
    """
    matrix = _as_feature_matrix(X)
    labels = _as_binary_labels(y, matrix.shape[0])
    num_trials = validation.integer("num_trials", num_trials, low=1)
    seed = validation.integer("seed", seed)
    resolved = torch.device(resolve_device(device))
    inputs = _coo_tensor(matrix, resolved)
    targets = torch.from_numpy(labels).to(resolved)
    generator = torch.Generator().manual_seed(seed)
    model = LogisticRegression(matrix.shape[1]).to(resolved)
    trial_accuracy = np.empty(num_trials)
    best_accuracy, best_state = -1.0, copy.deepcopy(model.state_dict())
    start = time.perf_counter()
    for trial in tqdm(range(num_trials), desc="random search", unit="try", disable=not progress):
        model.linear.weight.copy_(torch.randn(model.linear.weight.shape, generator=generator))
        model.linear.bias.copy_(torch.randn(model.linear.bias.shape, generator=generator))
        predictions = (model(inputs) > 0).long()
        trial_accuracy[trial] = (predictions == targets).double().mean().item()
        if trial_accuracy[trial] > best_accuracy:
            best_accuracy, best_state = trial_accuracy[trial], copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return RandomSearchResult(
        model=model,
        train_accuracy=float(best_accuracy),
        trial_accuracy=trial_accuracy,
        best_so_far=np.maximum.accumulate(trial_accuracy),
        seconds=time.perf_counter() - start,
    )


# ---------------------------------------------------------------------------
# Why did the model decide so? Per-n-gram contributions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One n-gram's share of a linear model's score for one text (notebook 02's widget).

    ``value`` is the n-gram's feature value in the text (count, presence or TF-IDF weight),
    ``weight`` the model's weight for it. Notebook 02.
    """

    feature: str
    value: float
    weight: float

    @property
    def contribution(self) -> float:
        """``value × weight``: how far this n-gram pushes the score (> 0: towards positive)."""
        return self.value * self.weight

    @property
    def order(self) -> int:
        """The n of the n-gram: 1 for a word, 2 for a word pair, ..."""
        return len(self.feature.split(NGRAM_SEPARATOR))


class LinearTextModel:
    """A fitted sentiment classifier whose score is ``bias + Σ_j weight_j · x_j(text)``.

    Naive Bayes (score = log-odds), logistic regression and NBSVM all have this form, so a
    sentence's score splits into one contribution per n-gram; score > 0 means positive and
    ``σ(score)`` is P(positive). Build it with :meth:`from_naive_bayes` or
    :meth:`from_logistic_regression`. Notebook 02.
    """

    def __init__(
        self, vectorizer: CountVectorizer, weights: np.ndarray, bias: float, *, name: str
    ) -> None:
        if vectorizer.vocabulary_ is None:
            raise _not_fitted(vectorizer)
        weights = validation.finite_array("weights", weights)
        if weights.shape != (len(vectorizer.vocabulary_),):
            raise ValueError(
                f"weights has shape {weights.shape} but the vectorizer has "
                f"{len(vectorizer.vocabulary_)} features; pass one weight per vocabulary entry "
                "of the vectorizer the model was trained with."
            )
        self.name = name
        self.vectorizer = vectorizer
        self.weights = weights
        self.bias = validation.number("bias", bias)

    @classmethod
    def from_naive_bayes(
        cls, vectorizer: CountVectorizer, model: MultinomialNB, *, name: str = "Naive Bayes"
    ) -> LinearTextModel:
        """Binary NB as a linear model on counts: score = ``log P(+ | x) - log P(- | x)``.

        Weight of n-gram w: ``log P(w | +) - log P(w | -)``; bias: ``log P(+) - log P(-)``.
        """
        if model.feature_log_prob_ is None or model.class_log_prior_ is None:
            raise _not_fitted(model)
        if np.asarray(model.classes_).tolist() != list(BINARY_LABELS):
            raise ValueError(
                f"from_naive_bayes needs a model of the classes {list(BINARY_LABELS)} "
                f"(negative, positive), got classes {np.asarray(model.classes_).tolist()}."
            )
        log_prob, log_prior = model.feature_log_prob_, model.class_log_prior_
        return cls(vectorizer, log_prob[1] - log_prob[0], log_prior[1] - log_prior[0], name=name)

    @classmethod
    def from_logistic_regression(
        cls,
        vectorizer: CountVectorizer,
        model: LogisticRegression,
        *,
        nb_ratio: np.ndarray | None = None,
        name: str = "logistic regression",
    ) -> LinearTextModel:
        """Logistic regression as it is (weight ``w_j``), or NBSVM when ``nb_ratio`` is given.

        NBSVM's input is ``r_j · presence_j``, so its weight per presence feature is
        ``w_j · r_j``; ``vectorizer`` must then be the binary one ``r`` was computed on.
        """
        weights = model.linear.weight.detach().double().cpu().numpy()[0]
        if nb_ratio is not None:
            if not vectorizer.binary:
                raise ValueError(
                    "NBSVM features are presence (0/1): pass the CountVectorizer(binary=True) "
                    "whose features nb_log_count_ratio was computed on."
                )
            ratio = np.asarray(nb_ratio, dtype=np.float64)
            if ratio.shape != weights.shape:
                raise ValueError(
                    f"nb_ratio has shape {ratio.shape} but the model has {weights.size} weights; "
                    "pass the r used to scale the model's training features."
                )
            weights = weights * ratio
        return cls(vectorizer, weights, model.linear.bias.item(), name=name)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The score of each text: ``bias + Σ_j weight_j · x_j`` (> 0: positive)."""
        return np.asarray(self.vectorizer.transform(texts) @ self.weights) + self.bias

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) of each text: ``σ(score)``."""
        return expit(self.decision_function(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Label 1 (positive) where the score is above 0, else 0."""
        return (self.decision_function(texts) > 0).astype(np.int64)

    def explain(self, text: str) -> list[Contribution]:
        """Every known n-gram of ``text``, in order of first appearance, with its contribution.

        The contributions plus :attr:`bias` sum to the text's score.
        """
        row = self.vectorizer.transform([text])
        values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        vocabulary = self.vectorizer.vocabulary_ or {}
        return [
            Contribution(feature, float(values[index]), float(self.weights[index]))
            for feature in dict.fromkeys(self.vectorizer.analyze(text))
            if (index := vocabulary.get(feature)) is not None and index in values
        ]


# ---------------------------------------------------------------------------
# The SW 1.5 rows of the MR leaderboard
# ---------------------------------------------------------------------------

Texts = tuple[list[str], list[int]]


@dataclass(frozen=True)
class BaselineResult:
    """One SW 1.5 model on the MR split: accuracy (mean and std over seeds) and cost.

    ``train_seconds`` covers the whole fit (vectorizer and model); ``num_seeds`` counts the
    training runs (one for a seed-independent model). Notebooks 02 and 11.
    """

    name: str
    dev_accuracy: float
    test_accuracy: float
    test_accuracy_std: float
    train_seconds: float
    num_parameters: int
    num_seeds: int


def naive_bayes_vectorizer() -> CountVectorizer:
    """Uni+bigram counts with the dev-chosen settings of the Naive Bayes baseline."""
    return CountVectorizer(ngram_range=NGRAM_RANGE, min_df=NB_MIN_DF, binary=NB_BINARY)


def tfidf_vectorizer() -> TfidfVectorizer:
    """Uni+bigram TF-IDF with the dev-chosen settings of the logistic-regression baseline."""
    return TfidfVectorizer(
        ngram_range=NGRAM_RANGE, min_df=TFIDF_MIN_DF, sublinear_tf=TFIDF_SUBLINEAR_TF
    )


def presence_vectorizer() -> CountVectorizer:
    """Uni+bigram presence (0/1), the input NBSVM scales by the NB log-count ratio."""
    return CountVectorizer(ngram_range=NGRAM_RANGE, min_df=NBSVM_MIN_DF, binary=True)


def _naive_bayes_baseline(train: Texts, dev: Texts, test: Texts) -> BaselineResult:
    start = time.perf_counter()
    vectorizer = naive_bayes_vectorizer()
    model = MultinomialNB(NB_ALPHA).fit(vectorizer.fit_transform(train[0]), train[1])
    seconds = time.perf_counter() - start
    return BaselineResult(
        name="multinomial NB, uni+bigram counts",
        dev_accuracy=accuracy(dev[1], model.predict(vectorizer.transform(dev[0]))),
        test_accuracy=accuracy(test[1], model.predict(vectorizer.transform(test[0]))),
        test_accuracy_std=0.0,
        train_seconds=seconds,
        num_parameters=int(np.size(model.feature_log_prob_) + np.size(model.class_log_prior_)),
        num_seeds=1,
    )


def _tfidf_matrices(train: Texts, dev: Texts, test: Texts) -> list[sp.csr_matrix]:
    vectorizer = tfidf_vectorizer()
    matrix = vectorizer.fit_transform(train[0])
    return [matrix, vectorizer.transform(dev[0]), vectorizer.transform(test[0])]


def _nbsvm_matrices(train: Texts, dev: Texts, test: Texts) -> list[sp.csr_matrix]:
    vectorizer = presence_vectorizer()
    presence = vectorizer.fit_transform(train[0])
    ratio = nb_log_count_ratio(presence, train[1], alpha=NBSVM_ALPHA)
    return [nb_scale_features(presence, ratio)] + [
        nb_scale_features(vectorizer.transform(texts), ratio) for texts in (dev[0], test[0])
    ]


def _logistic_baseline(
    name: str,
    featurize: Callable[[Texts, Texts, Texts], list[sp.csr_matrix]],
    settings: TrainingSettings,
    splits: tuple[Texts, Texts, Texts],
    seeds: Sequence[int],
    device: str,
    progress: bool,
) -> BaselineResult:
    (_, y_train), (_, y_dev), (_, y_test) = splits
    start = time.perf_counter()
    X_train, X_dev, X_test = featurize(*splits)
    featurize_seconds = time.perf_counter() - start
    dev_scores, test_scores, seconds = [], [], []
    runs = settings.seeds_to_run(seeds, X_train.shape[0])
    for seed in runs:
        model, history = train_logistic_regression(
            X_train,
            y_train,
            **asdict(settings),
            seed=seed,
            X_dev=X_dev,
            y_dev=y_dev,
            device=device,
            progress=progress,
        )
        dev_scores.append(accuracy(y_dev, model.predict(X_dev)))
        test_scores.append(accuracy(y_test, model.predict(X_test)))
        seconds.append(featurize_seconds + history.seconds)
    return BaselineResult(
        name=name,
        dev_accuracy=float(np.mean(dev_scores)),
        test_accuracy=float(np.mean(test_scores)),
        test_accuracy_std=float(np.std(test_scores)),
        train_seconds=float(np.mean(seconds)),
        num_parameters=sum(parameter.numel() for parameter in model.parameters()),
        num_seeds=len(runs),
    )


def mr_baselines(
    split: dict[str, list[tuple[str, int]]] | None = None,
    *,
    seeds: Sequence[int] = BASELINE_SEEDS,
    device: str = "cpu",
    progress: bool = False,
) -> list[BaselineResult]:
    """Train the three SW 1.5 models on MR train with the dev-chosen settings; score them.

    Multinomial NB on counts, logistic regression on TF-IDF, and NBSVM-style logistic
    regression (Wang & Manning 2012); mini-batch models averaged over ``seeds``, full-batch
    ones (seed-independent) trained once. ``split`` defaults to
    :func:`course_utils.data.load_mr_split`. Notebooks 02, 11.
    """
    split = load_mr_split() if split is None else split
    if not seeds:
        raise ValueError("seeds is empty: pass at least one seed, e.g. (0, 1, 2).")
    missing = [name for name in ("train", "dev", "test") if name not in split]
    if missing:
        raise ValueError(f"split lacks {missing}; pass course_utils.data.load_mr_split().")
    splits = tuple(texts_and_labels(split[name]) for name in ("train", "dev", "test"))
    return [
        _naive_bayes_baseline(*splits),
        _logistic_baseline(
            "logistic regression, TF-IDF uni+bigrams",
            _tfidf_matrices,
            TFIDF_LR_SETTINGS,
            splits,
            seeds,
            device,
            progress,
        ),
        _logistic_baseline(
            "NBSVM-style logistic regression, NB-scaled uni+bigram presence",
            _nbsvm_matrices,
            NBSVM_LR_SETTINGS,
            splits,
            seeds,
            device,
            progress,
        ),
    ]


def mr_linear_models(
    split: dict[str, list[tuple[str, int]]] | None = None,
    *,
    seed: int = 0,
    device: str = "cpu",
) -> list[LinearTextModel]:
    """The three SW 1.5 models fitted on MR train (as in :func:`mr_baselines`, one seed) and
    returned as :class:`LinearTextModel`, whose scores are log-odds: notebook 10 asks how
    well calibrated their probabilities are."""
    split = load_mr_split() if split is None else split
    (texts, labels), (dev_texts, dev_labels) = (
        texts_and_labels(split[name]) for name in ("train", "dev")
    )
    counts = naive_bayes_vectorizer()
    naive_bayes = MultinomialNB(NB_ALPHA).fit(counts.fit_transform(texts), labels)
    tfidf = tfidf_vectorizer()
    tfidf_model, _ = train_logistic_regression(
        tfidf.fit_transform(texts),
        labels,
        **asdict(TFIDF_LR_SETTINGS),
        seed=seed,
        X_dev=tfidf.transform(dev_texts),
        y_dev=dev_labels,
        device=device,
        progress=False,
    )
    presence = presence_vectorizer()
    present = presence.fit_transform(texts)
    ratio = nb_log_count_ratio(present, labels, alpha=NBSVM_ALPHA)
    nbsvm_model, _ = train_logistic_regression(
        nb_scale_features(present, ratio),
        labels,
        **asdict(NBSVM_LR_SETTINGS),
        seed=seed,
        X_dev=nb_scale_features(presence.transform(dev_texts), ratio),
        y_dev=dev_labels,
        device=device,
        progress=False,
    )
    return [
        LinearTextModel.from_naive_bayes(counts, naive_bayes, name="Naive Bayes"),
        LinearTextModel.from_logistic_regression(
            tfidf, tfidf_model, name="logistic regression, TF-IDF"
        ),
        LinearTextModel.from_logistic_regression(
            presence, nbsvm_model, nb_ratio=ratio, name="NBSVM"
        ),
    ]
