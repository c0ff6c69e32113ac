"""Logistic regression in torch, the course's first training loop, and what it learned.

Taught in notebook 02: :func:`train_logistic_regression` (mini-batch AdamW, early stopping
on dev), :func:`random_search_weights` (learning as try, measure, keep the best, without
gradients) and :class:`LinearTextModel` (each n-gram's contribution to a decision).
Checked against scikit-learn in ``tests/test_features.py``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.special import expit
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.evaluation import accuracy
from course_utils.features import (
    BINARY_LABELS,
    LR_MAX_STEPS,
    NGRAM_SEPARATOR,
    PREDICT_BATCH_SIZE,
    RANDOM_SEARCH_TRIALS,
    TFIDF_LR_SETTINGS,
    CountVectorizer,
    MultinomialNB,
    _as_binary_labels,
    _as_feature_matrix,
    _check_training_settings,
    _not_fitted,
    _require_both_classes,
)
from course_utils.reproducibility import resolve_device

if TYPE_CHECKING:
    pass

__all__ = [
    "Contribution",
    "LinearTextModel",
    "LogisticRegression",
    "RandomSearchResult",
    "TrainingHistory",
    "random_search_weights",
    "sparse_to_torch",
    "train_logistic_regression",
]


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
