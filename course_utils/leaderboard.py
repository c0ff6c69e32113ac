"""The MR leaderboard of notebook 11: every era of the course on the same test split,
with what each model cost.

One :class:`LeaderboardRow` per model: its era, the notebook that built it, its MR test
accuracy, how many numbers it uses at inference (trained on MR, or learned elsewhere and
reused frozen), how many CPU seconds its training took (on MR, and upstream: word vectors,
pre-training, a teacher) and where the figure comes from (computed live, or read from a
provenance file written by a course command). One function per era returns its rows;
:func:`all_rows` returns them all. Everything reuses the modules of the earlier notebooks.

Timings are wall-clock seconds of one-thread CPU runs (the course's commands and
notebooks train on one thread), measured on the machine that ran them.

"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from course_utils import baselines as course_utils_baselines
from course_utils import data, features, rules
from course_utils.evaluation import PUBLISHED_MR_ACCURACY, accuracy
from course_utils.prompting import (
    DEV_PROMPT_SENTENCES,
    PROMPT_TEMPLATES,
    LogProbs,
    PromptChoice,
    PromptTemplate,
    char_gpt_log_probs,
    choose_prompt,
    zero_shot_predictions,
    zero_shot_scores,
)
from course_utils.text import normalization

if TYPE_CHECKING:
    from gensim.models import KeyedVectors
    from transformers import PreTrainedTokenizerFast

    from course_utils.bert_checkpoints import TaskData
    from course_utils.gpt import CharTokenizer, TinyGPT

__all__ = [
    "BEYOND",
    "CHAR_GPT_FILE",
    "COST_MEASURES",
    "C_GRID",
    "ERAS",
    "FEATURE_MODEL_NAMES",
    "HUB_DEV_SENTENCES",
    "HUB_GPT2",
    "HUB_TEST_SENTENCES",
    "INIT_NAMES",
    "LABEL_CURVE_FILE",
    "LIVE",
    "LR_MAX_ITER",
    "NO_PRETRAIN",
    "PRETRAIN",
    "STEMMER_NAMES",
    "STUDENT_SEEDS",
    "STUDENT_TEMPERATURE",
    "SW10",
    "SW15",
    "SW20",
    "SW30",
    "TEACHER_FILE",
    "TINY_BERT_FILE",
    "VECTOR_MODELS",
    "LeaderboardRow",
    "Split",
    "StudentRun",
    "Teacher",
    "VectorClassifierResult",
    "ZeroShotResult",
    "all_rows",
    "average_vectors",
    "averaged_vector_classifier",
    "cost",
    "feature_rows",
    "majority_baseline",
    "normalization_rows",
    "prompting_row",
    "published_references",
    "rule_rows",
    "stemmed_tokenizer",
    "student_row",
    "teacher_row",
    "tiny_bert_classifier_parameters",
    "tiny_bert_rows",
    "vector_training_seconds",
    "word_vector_rows",
    "zero_shot_row",
]

#: The eras of the course (spec section 1), in order; notebooks 10-11 go "beyond".
ERAS = (
    "SW 1.0 rules",
    "SW 1.5 features + learning",
    "SW 2.0 learned representations",
    "transformer, no pre-training",
    "pre-train, then fine-tune",
    "SW 3.0 prompting",
    "beyond: distillation",
)
SW10, SW15, SW20, NO_PRETRAIN, PRETRAIN, SW30, BEYOND = ERAS

LIVE = "live"
Split = Mapping[str, Sequence[tuple[str, int]]]


@dataclass(frozen=True)
class LeaderboardRow:
    """One model on the MR test split and what it cost. Notebook 11.

    ``parameters``: numbers trained for MR (for rules: weights a person wrote, one per
    lexicon entry). ``frozen_parameters``: numbers learned before, on other data, and used
    unchanged (word vectors, a language model prompted as it is). ``train_seconds``: CPU
    seconds of training on MR (None: no training on MR at all). ``upstream_seconds``: CPU
    seconds spent before, that the model depends on (training the word vectors,
    pre-training, the teacher of a distilled student; None: nothing upstream).
    ``source``: ``"live"`` or the provenance file and the command that wrote it.
    """

    era: str
    model: str
    notebook: str
    test_accuracy: float
    parameters: int
    train_seconds: float | None
    source: str
    frozen_parameters: int = 0
    upstream_seconds: float | None = None
    test_accuracy_std: float = 0.0
    seeds: int = 1
    note: str = ""

    def __post_init__(self) -> None:
        if self.era not in ERAS:
            raise ValueError(f"era must be one of {ERAS}, got {self.era!r}.")
        if not self.model.strip() or not self.source.strip():
            raise ValueError("a row needs a model name and a source (live or a provenance file).")
        if len(self.notebook) != 2 or not self.notebook.isdigit():
            raise ValueError(f"notebook is two digits, e.g. '02', got {self.notebook!r}.")
        if not 0.0 <= self.test_accuracy <= 1.0:
            raise ValueError(
                f"{self.model}: test_accuracy is a fraction in [0, 1], got {self.test_accuracy} "
                "(divide a percentage by 100)."
            )
        if self.parameters < 0 or self.frozen_parameters < 0:
            raise ValueError(f"{self.model}: parameter counts cannot be negative.")
        for name in ("train_seconds", "upstream_seconds"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{self.model}: {name} must be None or >= 0, got {value}.")
        if self.seeds < 1 or self.test_accuracy_std < 0:
            raise ValueError(f"{self.model}: seeds must be >= 1 and the std >= 0.")

    @property
    def total_parameters(self) -> int:
        """Every number the model uses at inference: trained on MR plus frozen."""
        return self.parameters + self.frozen_parameters

    @property
    def total_seconds(self) -> float | None:
        """CPU seconds from nothing to this model: upstream plus training on MR."""
        parts = [s for s in (self.upstream_seconds, self.train_seconds) if s is not None]
        return sum(parts) if parts else None

    @property
    def era_index(self) -> int:
        return ERAS.index(self.era)


#: The cost measures the table and the figure can put on their x axis:
#: name -> (axis label, the row's value; None when it does not apply).
COST_MEASURES: dict[str, tuple[str, Callable[[LeaderboardRow], float | None]]] = {
    "parameters": (
        "parameters used at inference (log scale)",
        lambda row: row.total_parameters or None,
    ),
    "total_seconds": (
        "CPU seconds of training, upstream included (log scale)",
        lambda row: row.total_seconds or None,
    ),
    "train_seconds": (
        "CPU seconds of training on MR only (log scale)",
        lambda row: row.train_seconds or None,
    ),
}


def cost(row: LeaderboardRow, measure: str) -> float | None:
    """The row's value of one of :data:`COST_MEASURES` (None when it does not apply)."""
    if measure not in COST_MEASURES:
        raise ValueError(f"unknown cost measure {measure!r}; choose from {list(COST_MEASURES)}.")
    return COST_MEASURES[measure][1](row)


def _split(split: Split | None) -> Split:
    split = data.load_mr_split() if split is None else split
    missing = [name for name in data.SPLIT_NAMES if name not in split]
    if missing:
        raise ValueError(f"split lacks {missing}; pass course_utils.data.load_mr_split().")
    return split


def _provenance_source(path: str, command: object) -> str:
    return f"{path} ({command})"


def majority_baseline(split: Split | None = None) -> float:
    """Test accuracy of always answering the most common training label (the floor)."""
    split = _split(split)
    labels = [label for _, label in split["train"]]
    if not labels:
        raise ValueError("the training split is empty: no majority label to predict.")
    majority = max(sorted(set(labels)), key=labels.count)
    test_labels = [label for _, label in split["test"]]
    return accuracy(test_labels, [majority] * len(test_labels))


def published_references() -> dict[str, float]:
    """Published MR accuracies (fractions; 10-fold cross-validation, so comparable to our
    fixed split but not identical): Wang & Manning (2012), Kim (2014)."""
    return {name: value / 100 for name, value in PUBLISHED_MR_ACCURACY.items()}


def rule_rows(split: Split | None = None) -> list[LeaderboardRow]:
    """Notebook 01's classifiers on MR test: keywords, Hu & Liu lexicon (both with the
    negation rule), VADER. Parameters = the weights a person wrote (lexicon entries)."""
    split = _split(split)
    test_texts, test_labels = data.texts_and_labels(split["test"])
    classifiers = [
        rules.LexiconClassifier(rules.keyword_lexicon(), name="keywords + negation"),
        rules.LexiconClassifier(rules.opinion_lexicon(), name="Hu & Liu lexicon + negation"),
        rules.VaderClassifier(),
    ]
    return [
        LeaderboardRow(
            era=SW10,
            model=classifier.name,
            notebook="01",
            test_accuracy=accuracy(test_labels, rules.predict(classifier, test_texts)),
            parameters=len(classifier.lexicon),
            train_seconds=None,
            source=LIVE,
            note="hand-written weights (one per lexicon word); nothing is learned",
        )
        for classifier in classifiers
    ]


FEATURE_MODEL_NAMES = {
    "multinomial NB, uni+bigram counts": "Naive Bayes, uni+bigrams",
    "logistic regression, TF-IDF uni+bigrams": "logistic regression, TF-IDF",
    "NBSVM-style logistic regression, NB-scaled uni+bigram presence": "NBSVM-style LR",
}


def feature_rows(
    baselines: Sequence[course_utils_baselines.BaselineResult] | None = None,
    *,
    split: Split | None = None,
    seeds: Sequence[int] = features.BASELINE_SEEDS,
) -> list[LeaderboardRow]:
    """The SW 1.5 rows: :func:`course_utils.baselines.mr_baselines` (trained live unless
    ``baselines`` are given), one row per model, seed means where a model has seeds."""
    if baselines is None:
        baselines = course_utils_baselines.mr_baselines(
            None if split is None else dict(split), seeds=seeds
        )
    return [
        LeaderboardRow(
            era=SW15,
            model=FEATURE_MODEL_NAMES.get(result.name, result.name),
            notebook="02",
            test_accuracy=result.test_accuracy,
            parameters=result.num_parameters,
            train_seconds=result.train_seconds,
            source=LIVE,
            test_accuracy_std=result.test_accuracy_std,
            seeds=result.num_seeds,
        )
        for result in baselines
    ]


#: The shipped vectors (data/), the notebook that trained each, and its row name.
VECTOR_MODELS = {
    "word2vec_sg": ("03", "skip-gram vectors (ours) + LR"),
    "word2vec_cbow": ("03", "CBOW vectors (ours) + LR"),
    "glove": ("04", "GloVe vectors (ours) + LR"),
}
#: Inverse regularization strengths of the logistic regression, chosen on dev.
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
LR_MAX_ITER = 2000


def average_vectors(texts: Sequence[str], vectors: KeyedVectors) -> np.ndarray:
    """One row per text: the mean of its in-vocabulary word vectors (zeros if it has none).

    Words are cut as the vectors' corpus was (:func:`course_utils.data.tokenize_words`,
    lower-cased). The order of the words does not matter, only which words and how often.
    """
    if isinstance(texts, str):
        raise ValueError("pass a list of texts, not a single string.")
    out = np.zeros((len(texts), vectors.vector_size), dtype=np.float32)
    for row, sentence in enumerate(texts):
        known = [word for word in data.tokenize_words(sentence) if word in vectors.key_to_index]
        if known:
            out[row] = vectors[known].mean(axis=0)
    return out


@dataclass(frozen=True)
class VectorClassifierResult:
    """An averaged-vector logistic regression: dev accuracy per C, the chosen C, test."""

    dev_accuracy: dict[float, float]
    chosen_c: float
    test_accuracy: float
    train_seconds: float
    parameters: int


def averaged_vector_classifier(
    vectors: KeyedVectors,
    split: Split | None = None,
    *,
    c_grid: Sequence[float] = C_GRID,
) -> VectorClassifierResult:
    """Average each sentence's word vectors, fit scikit-learn's logistic regression for
    every C of ``c_grid`` on train, keep the best on dev, score it once on test.

    ``train_seconds`` is the time to average the training sentences plus the chosen C's fit.
    """
    from sklearn.linear_model import LogisticRegression

    if not c_grid:
        raise ValueError("c_grid is empty: give at least one regularization strength C.")
    split = _split(split)
    (train_texts, y_train), (dev_texts, y_dev), (test_texts, y_test) = (
        data.texts_and_labels(split[name]) for name in data.SPLIT_NAMES
    )
    start = time.perf_counter()
    X_train = average_vectors(train_texts, vectors)
    average_seconds = time.perf_counter() - start
    X_dev, X_test = average_vectors(dev_texts, vectors), average_vectors(test_texts, vectors)
    dev_accuracy, fits = {}, {}
    for c in c_grid:
        start = time.perf_counter()
        model = LogisticRegression(C=c, max_iter=LR_MAX_ITER).fit(X_train, y_train)
        fits[c] = (model, time.perf_counter() - start)
        dev_accuracy[c] = accuracy(y_dev, model.predict(X_dev))
    chosen = max(c_grid, key=lambda c: dev_accuracy[c])  # the first of equals
    model, fit_seconds = fits[chosen]
    return VectorClassifierResult(
        dev_accuracy=dev_accuracy,
        chosen_c=chosen,
        test_accuracy=accuracy(y_test, model.predict(X_test)),
        train_seconds=average_seconds + fit_seconds,
        parameters=int(model.coef_.size + model.intercept_.size),
    )


def vector_training_seconds(provenance: Mapping[str, Any]) -> float:
    """Seconds the shipped vectors took to train (GloVe: counting + training)."""
    return float(provenance["train_seconds"]) + float(provenance.get("cooccurrence_seconds", 0.0))


def word_vector_rows(
    names: Sequence[str] = tuple(VECTOR_MODELS),
    split: Split | None = None,
    *,
    c_grid: Sequence[float] = C_GRID,
) -> list[LeaderboardRow]:
    """One row per shipped vector file: averaged vectors + logistic regression (live), with
    the vectors as frozen parameters and their training time (provenance) upstream."""
    from course_utils.checkpoints import checkpoint_paths, load_provenance, load_vectors

    unknown = [name for name in names if name not in VECTOR_MODELS]
    if unknown:
        raise ValueError(f"unknown vectors {unknown}; choose from {list(VECTOR_MODELS)}.")
    split = _split(split)
    rows = []
    for name in names:
        notebook, model_name = VECTOR_MODELS[name]
        vectors, provenance = load_vectors(name), load_provenance(name)
        result = averaged_vector_classifier(vectors, split, c_grid=c_grid)
        path = checkpoint_paths(name)[1]
        rows.append(
            LeaderboardRow(
                era=SW20,
                model=model_name,
                notebook=notebook,
                test_accuracy=result.test_accuracy,
                parameters=result.parameters,
                train_seconds=result.train_seconds,
                source=f"{LIVE}; vectors: "
                + _provenance_source(f"data/{path.name}", provenance["command"]),
                frozen_parameters=int(vectors.vectors.size),
                upstream_seconds=vector_training_seconds(provenance),
                note=f"C = {result.chosen_c:g} chosen on dev "
                f"({100 * result.dev_accuracy[result.chosen_c]:.1f}%)",
            )
        )
    return rows


STEMMER_NAMES = {"porter": "Porter", "snowball": "Snowball", "lancaster": "Lancaster"}


def stemmed_tokenizer(stemmer: str) -> Callable[[str], list[str]]:
    """Notebook 02's tokens (words, "!" and "?"), lower-cased and stemmed (notebook 05)."""
    if stemmer not in STEMMER_NAMES:
        raise ValueError(f"unknown stemmer {stemmer!r}; choose from {sorted(STEMMER_NAMES)}.")

    def tokenize(sentence: str) -> list[str]:
        return normalization.normalize(features.BOW_TOKEN_PATTERN.findall(sentence), stem=stemmer)

    return tokenize


def normalization_rows(
    stemmers: Sequence[str] = ("porter", "snowball"), split: Split | None = None
) -> list[LeaderboardRow]:
    """Notebook 02's Naive Bayes (same n-grams, min_df and alpha) on stemmed tokens, as in
    notebook 05's comparison; one row per stemmer (live)."""
    split = _split(split)
    (train_texts, y_train), _, (test_texts, y_test) = (
        data.texts_and_labels(split[name]) for name in data.SPLIT_NAMES
    )
    rows = []
    for stemmer in stemmers:
        tokenize = stemmed_tokenizer(stemmer)
        start = time.perf_counter()
        vectorizer = features.CountVectorizer(
            tokenizer=tokenize, ngram_range=features.NGRAM_RANGE, min_df=features.NB_MIN_DF
        )
        model = features.MultinomialNB(features.NB_ALPHA).fit(
            vectorizer.fit_transform(train_texts), y_train
        )
        seconds = time.perf_counter() - start
        rows.append(
            LeaderboardRow(
                era=SW15,
                model=f"Naive Bayes, {STEMMER_NAMES[stemmer]}-stemmed",
                notebook="05",
                test_accuracy=accuracy(y_test, model.predict(vectorizer.transform(test_texts))),
                parameters=int(model.feature_log_prob_.size + model.class_log_prior_.size),
                train_seconds=seconds,
                source=LIVE,
                note="notebook 02's model on a normalised vocabulary (notebook 05)",
            )
        )
    return rows


LABEL_CURVE_FILE = "data/bert_label_curve_mr.provenance.json"
TINY_BERT_FILE = "data/models/tiny-bert/model.provenance.json"
TEACHER_FILE = "data/models/tiny-bert-mr/model.provenance.json"
INIT_NAMES = {"random": "TinyBert from scratch", "pretrained": "TinyBert pre-trained + fine-tuned"}


def tiny_bert_classifier_parameters(pretraining: Mapping[str, Any] | None = None) -> int:
    """Parameters of TinyBert with its MR head ([CLS] -> 2 classes), the architecture of
    the shipped checkpoint's provenance (``model_config``)."""
    from course_utils.bert import TinyBert, TinyBertConfig, TinyBertForSequenceClassification
    from course_utils.bert_checkpoints import TINY_BERT, model_dir
    from course_utils.checkpoints import load_provenance
    from course_utils.transformer import count_parameters

    if pretraining is None:
        pretraining = load_provenance("model", model_dir(TINY_BERT))
    bert = TinyBert(TinyBertConfig(**pretraining["model_config"]))
    return count_parameters(TinyBertForSequenceClassification(bert, 2))


def tiny_bert_rows(
    curve: Mapping[str, Any] | None = None, pretraining: Mapping[str, Any] | None = None
) -> list[LeaderboardRow]:
    """TinyBert fine-tuned on all of MR train, from random init and from the shipped
    pre-trained checkpoint: mean test accuracy and fine-tuning seconds over the seeds of
    ``python -m course_utils bert-label-curve --tasks mr`` (its provenance file). The
    pre-trained row carries the pre-training time upstream."""
    from course_utils.bert_checkpoints import INITS, TINY_BERT, load_label_curve, model_dir
    from course_utils.checkpoints import load_provenance

    curve = load_label_curve("mr") if curve is None else curve
    pretraining = (
        load_provenance("model", model_dir(TINY_BERT)) if pretraining is None else pretraining
    )
    runs = list(curve["runs"])
    if not runs:
        raise ValueError("the label curve holds no runs; rerun bert-label-curve --tasks mr.")
    full = max(run["size"] for run in runs)
    parameters = tiny_bert_classifier_parameters(pretraining)
    rows = []
    for init in INITS[::-1]:  # random first: the order of the story
        cells = [run for run in runs if run["size"] == full and run["init"] == init]
        if not cells:
            raise ValueError(f"the label curve has no {init!r} run with all {full} labels.")
        tests = [run["test"] for run in cells]
        source = _provenance_source(LABEL_CURVE_FILE, curve["command"])
        pretrained = init == "pretrained"
        if pretrained:
            source += "; pre-training: " + _provenance_source(
                TINY_BERT_FILE, pretraining["command"]
            )
        rows.append(
            LeaderboardRow(
                era=PRETRAIN if pretrained else NO_PRETRAIN,
                model=INIT_NAMES[init],
                notebook="08",
                test_accuracy=float(np.mean(tests)),
                parameters=parameters,
                train_seconds=float(np.mean([run["seconds"] for run in cells])),
                source=source,
                upstream_seconds=float(pretraining["wall_seconds"]) if pretrained else None,
                test_accuracy_std=float(np.std(tests)),
                seeds=len(cells),
                note=f"all {full:,} training labels, mean of {len(cells)} seeds",
            )
        )
    return rows


Teacher = tuple[torch.nn.Module, "PreTrainedTokenizerFast", Mapping[str, Any]]


def teacher_row(
    teacher: Teacher | None = None,
    task: TaskData | None = None,
    pretraining: Mapping[str, Any] | None = None,
) -> LeaderboardRow:
    """Notebook 10's teacher (the shipped TinyBert fine-tuned on MR, seed 0) with its test
    accuracy recomputed live; its provenance gives its fine-tuning time and parameters."""
    from course_utils.bert_checkpoints import TINY_BERT, model_dir, mr_task
    from course_utils.checkpoints import load_provenance
    from course_utils.distillation import load_teacher
    from course_utils.fine_tuning import labelled_accuracy

    model, tokenizer, provenance = load_teacher() if teacher is None else teacher
    task = mr_task(tokenizer) if task is None else task
    pretraining = (
        load_provenance("model", model_dir(TINY_BERT)) if pretraining is None else pretraining
    )
    return LeaderboardRow(
        era=PRETRAIN,
        model="TinyBert teacher (pre-trained + fine-tuned, seed 0)",
        notebook="10",
        test_accuracy=labelled_accuracy(model, task.test, pad_id=tokenizer.pad_token_id),
        parameters=int(provenance["parameters"]),
        train_seconds=float(provenance["wall_seconds"]),
        source=f"{LIVE}; fine-tuning: "
        + _provenance_source(TEACHER_FILE, provenance["command"])
        + "; pre-training: "
        + _provenance_source(TINY_BERT_FILE, pretraining["command"]),
        upstream_seconds=float(pretraining["wall_seconds"]),
        note=f"provenance test accuracy {100 * float(provenance['test_accuracy']):.2f}%",
    )


STUDENT_SEEDS = (0, 1, 2)
STUDENT_TEMPERATURE = 4.0


@dataclass(frozen=True)
class StudentRun:
    """One distilled student: its seed, test accuracy and training seconds."""

    seed: int
    test_accuracy: float
    seconds: float


def student_row(
    teacher: Teacher | None = None,
    task: TaskData | None = None,
    pretraining: Mapping[str, Any] | None = None,
    *,
    seeds: Sequence[int] = STUDENT_SEEDS,
    temperature: float = STUDENT_TEMPERATURE,
) -> tuple[LeaderboardRow, list[StudentRun]]:
    """Distil the teacher into notebook 10's averaged-embedding student (soft targets at
    ``temperature`` plus hard labels) once per seed; the row holds the means. Upstream:
    the teacher's pre-training, fine-tuning and labelling of the training set."""
    from course_utils.bert_checkpoints import TINY_BERT, model_dir, mr_task
    from course_utils.checkpoints import load_provenance
    from course_utils.distillation import load_teacher, student_logits, train_student
    from course_utils.fine_tuning import predict_logits
    from course_utils.transformer import count_parameters

    if not seeds:
        raise ValueError("seeds is empty: pass at least one seed, e.g. (0, 1, 2).")
    model, tokenizer, provenance = load_teacher() if teacher is None else teacher
    task = mr_task(tokenizer) if task is None else task
    pretraining = (
        load_provenance("model", model_dir(TINY_BERT)) if pretraining is None else pretraining
    )
    train_ids, train_labels = zip(*task.train, strict=True)
    dev_ids, dev_labels = zip(*task.dev, strict=True)
    test_ids, test_labels = zip(*task.test, strict=True)
    start = time.perf_counter()
    soft = predict_logits(model, list(train_ids), pad_id=tokenizer.pad_token_id)
    labelling_seconds = time.perf_counter() - start
    runs, parameters = [], 0
    for seed in seeds:
        result = train_student(
            list(train_ids),
            list(train_labels),
            list(dev_ids),
            list(dev_labels),
            vocab_size=len(tokenizer),
            pad_id=tokenizer.pad_token_id,
            teacher_logits=soft,
            temperature=temperature,
            seed=seed,
        )
        predicted = student_logits(result.model, list(test_ids)).argmax(axis=1)
        runs.append(StudentRun(seed, accuracy(list(test_labels), predicted), result.seconds))
        parameters = count_parameters(result.model)
    tests = [run.test_accuracy for run in runs]
    upstream = float(pretraining["wall_seconds"]) + float(provenance["wall_seconds"])
    row = LeaderboardRow(
        era=BEYOND,
        model=f"distilled student (T = {temperature:g})",
        notebook="10",
        test_accuracy=float(np.mean(tests)),
        parameters=parameters,
        train_seconds=float(np.mean([run.seconds for run in runs])),
        source=LIVE,
        upstream_seconds=upstream + labelling_seconds,
        test_accuracy_std=float(np.std(tests)),
        seeds=len(runs),
        note="upstream = the teacher: pre-training + fine-tuning + labelling MR train",
    )
    return row, runs


@dataclass(frozen=True)
class ZeroShotResult:
    """A prompted model on MR test: its row, the dev choice, how often it said positive."""

    row: LeaderboardRow
    choice: PromptChoice
    share_positive: float
    seconds: float


def zero_shot_row(
    log_probs: LogProbs,
    *,
    model: str,
    frozen_parameters: int,
    upstream_seconds: float | None,
    source: str,
    split: Split | None = None,
    templates: Sequence[PromptTemplate] = PROMPT_TEMPLATES,
    dev_sentences: int = DEV_PROMPT_SENTENCES,
    test_sentences: int | None = None,
    note: str = "",
) -> ZeroShotResult:
    """Choose a prompt on the first ``dev_sentences`` of dev, then score MR test with it
    (all of it, or the first ``test_sentences``). No weight is trained on MR."""
    split = _split(split)
    if dev_sentences < 1 or (test_sentences is not None and test_sentences < 1):
        raise ValueError("dev_sentences and test_sentences must be at least 1.")
    start = time.perf_counter()
    dev_texts, dev_labels = data.texts_and_labels(split["dev"][:dev_sentences])
    choice = choose_prompt(log_probs, dev_texts, dev_labels, templates)
    test_texts, test_labels = data.texts_and_labels(split["test"][:test_sentences])
    predicted = zero_shot_predictions(
        zero_shot_scores(log_probs, test_texts, choice.template), choice.threshold
    )
    subset = "" if test_sentences is None else f"; first {len(test_texts)} test sentences only"
    row = LeaderboardRow(
        era=SW30,
        model=model,
        notebook="09",
        test_accuracy=accuracy(test_labels, predicted),
        parameters=0,
        train_seconds=None,
        source=source,
        frozen_parameters=frozen_parameters,
        upstream_seconds=upstream_seconds,
        note=f"zero-shot, '{choice.template.name}', {choice.rule} (chosen on "
        f"{len(dev_texts)} dev sentences){subset}{note}",
    )
    return ZeroShotResult(row, choice, float(predicted.mean()), time.perf_counter() - start)


CHAR_GPT_FILE = "data/models/char-gpt-shakespeare/model.provenance.json"


def prompting_row(
    gpt: tuple[TinyGPT, CharTokenizer, Mapping[str, Any]] | None = None,
    split: Split | None = None,
    **options: Any,
) -> ZeroShotResult:
    """The course's character GPT (Tiny Shakespeare, notebook 09) prompted zero-shot on MR
    (live); its language-model training is upstream, nothing is trained on MR."""
    from course_utils.gpt_checkpoints import CHAR_GPT, load_gpt

    model, tokenizer, record = load_gpt(CHAR_GPT) if gpt is None else gpt
    return zero_shot_row(
        char_gpt_log_probs(model, tokenizer),
        model="char GPT (Tiny Shakespeare), zero-shot",
        frozen_parameters=int(record["parameters"]),
        upstream_seconds=float(record["wall_seconds"]),
        source=f"{LIVE}; language model: " + _provenance_source(CHAR_GPT_FILE, record["command"]),
        split=split,
        **options,
    )


#: The optional networked row: GPT-2 small (Radford et al. 2019) from the Hugging Face hub.
HUB_GPT2 = "gpt2"
#: GPT-2 small on a CPU scores a few sentences a second: the networked row reads this many.
HUB_TEST_SENTENCES = 200
HUB_DEV_SENTENCES = 100


def all_rows(
    split: Split | None = None, *, seeds: Sequence[int] = features.BASELINE_SEEDS
) -> list[LeaderboardRow]:
    """Every era's rows in course order (a few minutes on a 2-core CPU)."""
    from course_utils.bert_checkpoints import mr_task
    from course_utils.distillation import load_teacher

    split = _split(split)
    teacher = load_teacher()
    task = mr_task(teacher[1])
    return [
        *rule_rows(split),
        *feature_rows(split=split, seeds=seeds),
        *word_vector_rows(split=split),
        *normalization_rows(split=split),
        *tiny_bert_rows(),
        teacher_row(teacher, task),
        prompting_row(split=split).row,
        student_row(teacher, task)[0],
    ]
