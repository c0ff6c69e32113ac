"""The SW 1.5 rows of the MR leaderboard: Naive Bayes, TF-IDF + logistic regression and NBSVM
on the course's MR split, each over several seeds. Notebooks 02 and 11.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from course_utils.data import load_mr_split, texts_and_labels
from course_utils.evaluation import accuracy
from course_utils.features import (
    BASELINE_SEEDS,
    NB_ALPHA,
    NB_BINARY,
    NB_MIN_DF,
    NBSVM_ALPHA,
    NBSVM_LR_SETTINGS,
    NBSVM_MIN_DF,
    NGRAM_RANGE,
    TFIDF_LR_SETTINGS,
    TFIDF_MIN_DF,
    TFIDF_SUBLINEAR_TF,
    CountVectorizer,
    MultinomialNB,
    TfidfVectorizer,
    TrainingSettings,
    nb_log_count_ratio,
    nb_scale_features,
)
from course_utils.logistic import LinearTextModel, train_logistic_regression

if TYPE_CHECKING:
    pass

__all__ = [
    "BaselineResult",
    "Texts",
    "mr_baselines",
    "mr_linear_models",
    "naive_bayes_vectorizer",
    "presence_vectorizer",
    "tfidf_vectorizer",
]


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
