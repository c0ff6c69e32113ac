"""What unlabelled text buys: MR accuracy against the number of labels, for every era.
Notebooks 08 and 11.

Every model learns from the same class-balanced subsets of MR train (a pure function of
budget and seed, nested: the 100-label subset of a seed holds its 50-label subset), and
every model picks its settings the same way: each candidate is fitted on the subset and
the one with the best accuracy on all of MR dev is scored once on test. A real project
with 100 labels would not have 1,066 dev labels to choose with, so small-budget figures
are a little optimistic for every row alike.

This module holds the pieces a notebook can run in seconds (subsets, the n-gram and
averaged-vector rows, frozen-feature probes of a TinyBert, reading the record and finding
crossovers). ``python -m course_utils label-curves`` runs every row, TinyBert fine-tuning
included, and writes ``data/label_efficiency_mr.provenance.json``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from course_utils import data, features
from course_utils import leaderboard as lb

if TYPE_CHECKING:
    from gensim.models import KeyedVectors
    from scipy import sparse as sp

    from course_utils.bert import TinyBert

__all__ = [
    "ALL",
    "BUDGETS",
    "C_GRID",
    "FINE_TUNING",
    "NO_LABELS",
    "PROBE_FEATURES",
    "PROTOCOL",
    "RECORD",
    "ROWS",
    "SCHEMA",
    "SEEDS",
    "Candidate",
    "RowSpec",
    "averaged_vector_candidates",
    "balanced_subset",
    "budget_label",
    "budget_order",
    "budget_size",
    "check_budget",
    "clear_lead_from",
    "clearly_ahead",
    "crossover_budget",
    "dense_candidates",
    "encode_task",
    "era_bests",
    "fine_tune_subset",
    "load_record",
    "ngram_candidates",
    "probe_candidates",
    "probe_features",
    "select_on_dev",
    "steps_to_reach",
    "summarize",
]

#: Label budgets, smallest first; None = every training sentence (8,530).
BUDGETS: tuple[int | None, ...] = (50, 100, 200, 500, 1000, 2000, None)
ALL = "all"
#: The budget key of rows that learn nothing from MR labels (rules, zero-shot prompting).
NO_LABELS = "0"
SEEDS = (0, 1, 2, 3, 4)
#: Fewest labels of each class a subset may hold.
MIN_PER_CLASS = 2
#: Inverse regularisation strengths of every logistic regression, chosen on dev.
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
LR_MAX_ITER = 2000
#: Naive Bayes smoothing and the n-gram document-frequency cut-off, chosen on dev.
NB_ALPHAS = (0.1, 0.25, 1.0)
MIN_DF_GRID = (1, 2)
#: Frozen TinyBert features a probe may read (chosen on dev): the [CLS] vector of the
#: last layer, the mean over tokens of the last layer, the means of every layer side by side.
PROBE_FEATURES = ("cls_last", "mean_last", "mean_all")
PROBE_BATCH = 256
#: TinyBert fine-tuning (notebook 08's recipe, AdamW with warm-up and linear decay, early
#: stopping on dev): never fewer than MIN_STEPS updates (50 labels are two batches), and
#: small subsets repeated until one pass holds MIN_PASS_EXAMPLES examples, so that dev is
#: measured every ten updates rather than after each of 75 two-batch epochs.
MIN_STEPS = 150
MIN_PASS_EXAMPLES = 320
#: Passes over the (repeated) subset, by size: (largest size, passes), first match.
PASS_CAPS = ((1000, 20), (2000, 6))
FULL_SET_PASSES = 3
#: The count-based vectors of notebook 03: vocabulary, window and dimensions.
PPMI_VOCABULARY, PPMI_WINDOW, PPMI_DIMENSIONS = 10_000, 5, 100
PROTOCOL = (
    "class-balanced subsets of MR train, a pure function of (budget, seed) and nested; every "
    "candidate setting is fitted on the subset, the best on all of MR dev (1,066 labels) is "
    "scored once on MR test"
)
#: The record file (``data/<RECORD>.provenance.json``) and its format version.
RECORD = "label_efficiency_mr"
SCHEMA = 1
Z_95 = 1.96


@dataclass(frozen=True)
class RowSpec:
    """One model of the experiment: its era, the notebook that teaches it, a display
    name, and whether it learns from the labels (False: one flat line, e.g. rules)."""

    era: str
    notebook: str
    title: str
    uses_labels: bool = True


#: Every row of the experiment, by the key the record uses.
ROWS: dict[str, RowSpec] = {
    "rules": RowSpec(lb.SW10, "01", "rules (best on dev)", uses_labels=False),
    "naive_bayes": RowSpec(lb.SW15, "02", "Naive Bayes, uni+bigrams"),
    "tfidf_lr": RowSpec(lb.SW15, "02", "logistic regression, TF-IDF"),
    "nbsvm": RowSpec(lb.SW15, "02", "NBSVM-style LR"),
    "skipgram": RowSpec(lb.SW20, "03", "skip-gram vectors + LR"),
    "cbow": RowSpec(lb.SW20, "03", "CBOW vectors + LR"),
    "glove": RowSpec(lb.SW20, "04", "GloVe vectors + LR"),
    "ppmi_svd": RowSpec(lb.SW20, "03", "PPMI-SVD vectors + LR"),
    "tinybert_random": RowSpec(lb.NO_PRETRAIN, "08", "TinyBert from random init, fine-tuned"),
    "tinybert_random_probe": RowSpec(
        lb.NO_PRETRAIN, "08", "TinyBert from random init, frozen probe"
    ),
    "tinybert": RowSpec(lb.PRETRAIN, "08", "TinyBert pre-trained, fine-tuned"),
    "tinybert_probe": RowSpec(lb.PRETRAIN, "08", "TinyBert pre-trained, frozen probe"),
    "student": RowSpec(lb.BEYOND, "10", "distilled student"),
    "char_gpt": RowSpec(lb.SW30, "09", "char GPT, zero-shot", uses_labels=False),
}


# ---------------------------------------------------------------------------
# Budgets and subsets
# ---------------------------------------------------------------------------


def budget_label(budget: int | None) -> str:
    """``"100"``, or ``"all"`` for every training sentence (the record's keys)."""
    return ALL if budget is None else str(budget)


def budget_size(budget: int | str | None, train_size: int) -> int:
    """How many labels a budget means (``None`` / ``"all"``: the whole training set)."""
    return train_size if budget in (None, ALL) else int(budget)


def budget_order(budget: int | str | None) -> float:
    """Sort key of a budget: numbers by size, then "all"."""
    return math.inf if budget in (None, ALL) else float(budget)


def check_budget(budget: int | None, labels: Sequence[int]) -> None:
    """Raise a ValueError naming the fix unless ``budget`` fits a balanced subset."""
    if budget is None:
        return
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=2)
    if budget > len(labels):
        raise ValueError(
            f"budget {budget} is larger than the {len(labels)} training sentences; "
            "use a smaller budget, or None for all of them."
        )
    per_class = budget // 2
    if per_class < MIN_PER_CLASS or budget - per_class > counts.min():
        raise ValueError(
            f"budget {budget} cannot hold {MIN_PER_CLASS} to {counts.min()} labels of each "
            f"class; choose a budget from {2 * MIN_PER_CLASS} to {2 * counts.min()}."
        )


def balanced_subset(labels: Sequence[int], budget: int | None, seed: int) -> np.ndarray:
    """Sorted indices of ``budget`` examples, half of each class (the odd one positive).

    A pure function of (labels, budget, seed): each class is shuffled once per seed and
    its first examples are taken, so a seed's smaller subsets lie inside its larger ones
    and every model sees exactly the same sentences. ``None`` = every index.
    """
    labels = np.asarray(labels, dtype=np.int64)
    check_budget(budget, labels)
    if budget is None:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    wanted = {0: budget // 2, 1: budget - budget // 2}
    chosen = [rng.permutation(np.flatnonzero(labels == label))[:k] for label, k in wanted.items()]
    return np.sort(np.concatenate(chosen))


# ---------------------------------------------------------------------------
# One selection protocol for every row
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One fitted setting of a row: what it was, and its dev and test accuracy."""

    choice: str
    dev: float
    test: float


def select_on_dev(candidates: Iterable[Candidate]) -> Candidate:
    """The candidate with the best dev accuracy (the first of equals); test is only read
    off the one chosen."""
    best = None
    for candidate in candidates:
        if best is None or candidate.dev > best.dev:
            best = candidate
    if best is None:
        raise ValueError("no candidates to choose from: give at least one setting.")
    return best


Split = Mapping[str, Sequence[tuple[str, int]]]


def _accuracy(model: Any, X: Any, y: np.ndarray) -> float:
    return float(np.mean(model.predict(X) == y))


def dense_candidates(
    train: tuple[np.ndarray, np.ndarray],
    dev: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    name: str = "",
    c_grid: Sequence[float] = C_GRID,
    standardize: bool = False,
) -> list[Candidate]:
    """Logistic regression (scikit-learn) on fixed features, one candidate per C.

    ``standardize`` first scales each feature to mean 0 and variance 1 on the training
    subset (a probe's raw transformer features differ in scale by orders of magnitude,
    which slows the solver down without changing what it can separate).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = []
    for c in c_grid:
        classifier = LogisticRegression(C=c, max_iter=LR_MAX_ITER)
        model = make_pipeline(StandardScaler(), classifier) if standardize else classifier
        model.fit(*train)
        label = f"{name}, C={c:g}" if name else f"C={c:g}"
        out.append(Candidate(label, _accuracy(model, *dev), _accuracy(model, *test)))
    return out


def _texts(examples: Sequence[tuple[str, int]]) -> tuple[list[str], np.ndarray]:
    texts, labels = data.texts_and_labels(examples)
    return texts, np.asarray(labels, dtype=np.int64)


def ngram_candidates(
    row: str,
    train: Sequence[tuple[str, int]],
    dev: Sequence[tuple[str, int]],
    test: Sequence[tuple[str, int]],
) -> list[Candidate]:
    """The SW 1.5 rows (notebook 02) on one labelled subset: every (min_df, alpha or C).

    The vocabulary is counted on the labelled subset alone: a model without unlabelled
    text knows only the words its labels show it.
    """
    (train_x, train_y), (dev_x, dev_y), (test_x, test_y) = map(_texts, (train, dev, test))
    out: list[Candidate] = []
    for min_df in MIN_DF_GRID:
        if row == "naive_bayes":
            counts = features.CountVectorizer(ngram_range=features.NGRAM_RANGE, min_df=min_df)
            X = counts.fit_transform(train_x)
            dev_X, test_X = counts.transform(dev_x), counts.transform(test_x)
            for alpha in NB_ALPHAS:
                model = features.MultinomialNB(alpha).fit(X, train_y)
                out.append(
                    Candidate(
                        f"min_df={min_df}, alpha={alpha:g}",
                        _accuracy(model, dev_X, dev_y),
                        _accuracy(model, test_X, test_y),
                    )
                )
            continue
        matrices = _linear_features(row, min_df, train_x, train_y, dev_x, test_x)
        out += dense_candidates(
            (matrices[0], train_y),
            (matrices[1], dev_y),
            (matrices[2], test_y),
            name=f"min_df={min_df}",
        )
    return out


def _linear_features(
    row: str,
    min_df: int,
    train_x: list[str],
    train_y: np.ndarray,
    dev_x: list[str],
    test_x: list[str],
) -> list[sp.csr_matrix]:
    """TF-IDF (``tfidf_lr``) or NB-scaled presence (``nbsvm``) matrices of the three parts."""
    if row == "tfidf_lr":
        tfidf = features.TfidfVectorizer(ngram_range=features.NGRAM_RANGE, min_df=min_df)
        return [tfidf.fit_transform(train_x), tfidf.transform(dev_x), tfidf.transform(test_x)]
    if row != "nbsvm":
        raise ValueError(f"{row!r} is not an n-gram row; choose naive_bayes, tfidf_lr or nbsvm.")
    presence = features.CountVectorizer(
        ngram_range=features.NGRAM_RANGE, min_df=min_df, binary=True
    )
    X = presence.fit_transform(train_x)
    ratio = features.nb_log_count_ratio(X, train_y)
    return [features.nb_scale_features(X, ratio)] + [
        features.nb_scale_features(presence.transform(texts), ratio) for texts in (dev_x, test_x)
    ]


def averaged_vector_candidates(
    vectors: KeyedVectors,
    train: Sequence[tuple[str, int]],
    dev: Sequence[tuple[str, int]],
    test: Sequence[tuple[str, int]],
) -> list[Candidate]:
    """SW 2.0 (notebooks 03-04): each sentence as the mean of its word vectors, then
    logistic regression for every C. The vectors learned from unlabelled text."""
    parts = [_texts(part) for part in (train, dev, test)]
    X = [(lb.average_vectors(texts, vectors), labels) for texts, labels in parts]
    return dense_candidates(*X)


# ---------------------------------------------------------------------------
# Frozen-feature probes of a TinyBert
# ---------------------------------------------------------------------------


@torch.no_grad()
def probe_features(
    model: TinyBert, inputs: Sequence[Sequence[int]], *, pad_id: int
) -> dict[str, np.ndarray]:
    """Frozen sentence features of ``model`` for each id list, by :data:`PROBE_FEATURES`.

    Nothing is trained: if a logistic regression on these features separates the
    classes, the pre-trained representation already carries the sentiment.
    """
    from course_utils.fine_tuning import collate
    from course_utils.reproducibility import evaluation_mode

    layers: list[torch.Tensor] = []
    hooks = [
        block.register_forward_hook(lambda _module, _inputs, out: layers.append(out[0]))
        for block in model.blocks
    ]
    parts: dict[str, list[torch.Tensor]] = {name: [] for name in PROBE_FEATURES}
    try:
        with evaluation_mode(model):
            for start in range(0, len(inputs), PROBE_BATCH):
                chunk = [(ids, 0) for ids in inputs[start : start + PROBE_BATCH]]
                batch = collate(chunk, pad_id, token_level=False)
                mask = batch["attention_mask"]
                layers.clear()
                hidden, _ = model.encode(batch["input_ids"], attention_mask=mask)
                weights = (mask / mask.sum(1, keepdim=True)).unsqueeze(-1).float()
                parts["cls_last"].append(hidden[:, 0])
                parts["mean_last"].append((hidden * weights).sum(1))
                parts["mean_all"].append(torch.cat([(h * weights).sum(1) for h in layers], -1))
    finally:
        for hook in hooks:
            hook.remove()
    return {name: torch.cat(chunks).float().numpy() for name, chunks in parts.items()}


def encode_task(
    model: TinyBert, task: Any, *, pad_id: int
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """:func:`probe_features` and labels of MR ``train``, ``dev`` and ``test`` as encoded
    for TinyBert (``bert_checkpoints.mr_task``), ready for :func:`probe_candidates`."""
    parts = {part: getattr(task, part) for part in data.SPLIT_NAMES}
    features_by_part = {
        part: probe_features(model, [ids for ids, _ in examples], pad_id=pad_id)
        for part, examples in parts.items()
    }
    labels_by_part = {
        part: np.array([label for _, label in examples]) for part, examples in parts.items()
    }
    return features_by_part, labels_by_part


def probe_candidates(
    features_by_part: Mapping[str, Mapping[str, np.ndarray]],
    labels_by_part: Mapping[str, np.ndarray],
    subset: np.ndarray,
) -> list[Candidate]:
    """A frozen probe on one labelled subset: logistic regression on each kind of feature
    of :func:`probe_features` (standardized) for every C. ``features_by_part`` and
    ``labels_by_part`` hold MR ``train``, ``dev`` and ``test``; ``subset`` indexes train."""
    train, dev, test = (features_by_part[part] for part in data.SPLIT_NAMES)
    return [
        candidate
        for feature in PROBE_FEATURES
        for candidate in dense_candidates(
            (train[feature][subset], labels_by_part["train"][subset]),
            (dev[feature], labels_by_part["dev"]),
            (test[feature], labels_by_part["test"]),
            name=feature,
            standardize=True,
        )
    ]


def _fine_tuning_config() -> Any:
    from course_utils.fine_tuning import FineTuningConfig
    from course_utils.training import AUTO_PRECISION

    return FineTuningConfig(
        batch_size=32, max_epochs=20, patience=3, min_steps=MIN_STEPS, precision=AUTO_PRECISION
    )


FINE_TUNING = _fine_tuning_config()


def pass_examples(subset: list[Any]) -> list[Any]:
    """The subset repeated until one pass holds :data:`MIN_PASS_EXAMPLES` examples."""
    return subset * max(1, -(-MIN_PASS_EXAMPLES // len(subset)))


def fine_tune_subset(
    task: Any,
    subset: list[Any],
    init: str,
    pretrained: TinyBert,
    *,
    seed: int,
    settings: Any = FINE_TUNING,
    pad_id: int,
) -> tuple[Any, dict[str, float]]:
    """Fine-tune TinyBert on one labelled subset with the label curve's recipe: a copy of
    ``pretrained`` (``init="pretrained"``) or a random twin (``"random"``). Returns the
    model (best dev pass kept) and its dev and test accuracy, steps and seconds."""
    import time
    from dataclasses import replace

    from course_utils.bert_checkpoints import fine_tuning_model
    from course_utils.fine_tuning import fine_tune, labelled_accuracy

    model = fine_tuning_model(task, init, pretrained, seed)
    passes = next((cap for size, cap in PASS_CAPS if len(subset) <= size), FULL_SET_PASSES)
    start = time.perf_counter()
    result = fine_tune(
        model,
        pass_examples(subset),
        task.dev,
        replace(settings, max_epochs=passes),
        pad_id=pad_id,
        seed=seed,
        progress=False,
    )
    return model, {
        "dev": result.best_dev_accuracy,
        "test": labelled_accuracy(model, task.test, pad_id=pad_id),
        "steps": result.steps,
        "seconds": time.perf_counter() - start,
    }


# ---------------------------------------------------------------------------
# The record: loading, summaries, crossovers
# ---------------------------------------------------------------------------


def load_record(directory: str | Path | None = None) -> dict[str, Any]:
    """The stored experiment (``label-curves``), checked: its schema and its rows."""
    from course_utils.checkpoints import load_provenance

    record = load_provenance(RECORD, directory)
    if record.get("schema") != SCHEMA:
        raise ValueError(
            f"{RECORD}.provenance.json has schema {record.get('schema')!r}, this course reads "
            f"schema {SCHEMA}: rerun `python -m course_utils label-curves` (or `git checkout "
            "-- data/`)."
        )
    unknown = sorted({run["row"] for run in record["runs"]} - set(ROWS))
    if unknown:
        raise ValueError(f"the record holds unknown rows {unknown}; rows are {sorted(ROWS)}.")
    return record


def summarize(runs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """``{row: {budget: {test_mean, test_std, ci95, dev_mean, seeds}}}`` over seeds.

    ``ci95`` is the half-width of a 95% interval of the mean over seeds (normal
    approximation, 1.96 standard errors).
    """
    cells: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        cells.setdefault((run["row"], str(run["budget"])), []).append(run)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (row, budget), group in cells.items():
        tests = np.array([run["test"] for run in group])
        spread = float(tests.std(ddof=1)) if len(tests) > 1 else 0.0
        out.setdefault(row, {})[budget] = {
            "test_mean": float(tests.mean()),
            "test_std": spread,
            "ci95": Z_95 * spread / math.sqrt(len(tests)),
            "dev_mean": float(np.mean([run["dev"] for run in group])),
            "seeds": len(group),
        }
    return out


def _curve(
    summary: Mapping[str, Mapping[str, Mapping[str, float]]], row: str, train_size: int
) -> list[tuple[int, float]]:
    if row not in summary:
        raise ValueError(f"no results for row {row!r}; rows: {sorted(summary)}.")
    return sorted(
        (budget_size(budget, train_size), cell["test_mean"])
        for budget, cell in summary[row].items()
    )


def crossover_budget(
    summary: Mapping[str, Mapping[str, Mapping[str, float]]],
    ngrams: str,
    representation: str,
    train_size: int,
) -> float | None:
    """The number of labels from which row ``ngrams`` overtakes row ``representation``.

    Read off the two mean-accuracy curves, interpolated linearly in log(labels) between
    the last budget where the representation leads and the next; None if the n-gram row
    never catches up, the smallest budget if it leads from the start.
    """
    first, second = (
        _curve(summary, ngrams, train_size),
        _curve(summary, representation, train_size),
    )
    if [size for size, _ in first] != [size for size, _ in second]:
        raise ValueError(f"rows {ngrams!r} and {representation!r} were measured at other budgets.")
    gaps = [(size, a - b) for (size, a), (_, b) in zip(first, second, strict=True)]
    if gaps[0][1] >= 0:
        return float(gaps[0][0])
    for (low, low_gap), (high, high_gap) in itertools.pairwise(gaps):
        if high_gap >= 0 > low_gap:
            share = -low_gap / (high_gap - low_gap)
            return float(math.exp(math.log(low) + share * (math.log(high) - math.log(low))))
    return None


def clearly_ahead(
    summary: Mapping[str, Mapping[str, Mapping[str, float]]], row: str, other: str, budget: str
) -> bool:
    """Whether ``row`` beats ``other`` at ``budget`` by more than the 95% interval of the
    difference of their two means over seeds (the intervals' half-widths added in
    quadrature). Notebooks 08 and 11: a gap inside that interval may be seed noise."""
    a, b = summary[row][budget], summary[other][budget]
    return a["test_mean"] - b["test_mean"] > math.hypot(a["ci95"], b["ci95"])


def clear_lead_from(
    summary: Mapping[str, Mapping[str, Mapping[str, float]]],
    row: str,
    other: str,
    budgets: Sequence[str],
) -> str | None:
    """The smallest budget from which ``row`` is :func:`clearly_ahead` of ``other`` at that
    budget and every larger one (``budgets`` smallest first); None if it never is."""
    lead: str | None = None
    for budget in reversed(budgets):
        if not clearly_ahead(summary, row, other, budget):
            break
        lead = budget
    return lead


def era_bests(record: Mapping[str, Any]) -> dict[str, dict[str, tuple[str, dict[str, float]]]]:
    """Per era and budget, the row whose mean *dev* accuracy is highest there (the first of
    equals, in :data:`ROWS` order): ``{era: {budget: (row, summary cell)}}``, eras in the
    course's order, budgets smallest first. Test accuracy never picks a row."""
    summary = record["summary"]
    out: dict[str, dict[str, tuple[str, dict[str, float]]]] = {}
    for era in lb.ERAS:
        rows = [row for row, spec in ROWS.items() if spec.era == era and row in summary]
        budgets = sorted({budget for row in rows for budget in summary[row]}, key=budget_order)
        for budget in budgets:
            present = [row for row in rows if budget in summary[row]]
            best = max(present, key=lambda row: summary[row][budget]["dev_mean"])
            out.setdefault(era, {})[budget] = (best, summary[best][budget])
    return out


def steps_to_reach(
    steps: Sequence[float], accuracies: Sequence[float], target: float
) -> float | None:
    """Pre-training steps at which ``target`` accuracy would be reached if accuracy keeps
    rising as it did between the last two measured points, by the same amount for every
    doubling of the steps (a straight line on a log axis). None if it is not rising; the
    last measured step if the target is already reached. An extrapolation, not a promise.
    """
    if len(steps) != len(accuracies) or len(steps) < 2:
        raise ValueError("give at least two (steps, accuracy) points of equal length.")
    (first, last), (low, high) = steps[-2:], accuracies[-2:]
    if not 0 < first < last:
        raise ValueError(
            f"the last two step counts must be positive and rising, got {first}, {last}."
        )
    if high >= target:
        return float(last)
    per_doubling = (high - low) / math.log2(last / first)
    if per_doubling <= 0:
        return None
    return float(last * 2 ** ((target - high) / per_doubling))
