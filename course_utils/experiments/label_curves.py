"""``python -m course_utils label-curves``: every era of the course at every label budget.

Writes ``data/label_efficiency_mr.provenance.json``: per row, budget and seed the dev and
test accuracy and the setting dev chose (:mod:`course_utils.label_efficiency` states the
protocol and reads the record). TinyBert fine-tuning dominates the cost; it runs in
``--jobs`` worker processes of one thread each, and every finished run is appended to a
partial file under ``build/``, so a stopped command continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from course_utils import data
from course_utils import label_efficiency as le
from course_utils.checkpoints import RECORD_SHA256_KEY, checkpoint_paths, save_results

__all__ = [
    "COMMAND",
    "FINE_TUNING",
    "FINE_TUNING_LRS",
    "TRANSFER_SENTENCES",
    "label_curves",
]

COMMAND = "python -m course_utils label-curves"
#: Fine-tuning learning rates: searched with seed 0 at every budget up to 2,000 labels
#: (dev chooses), then used for the other seeds; "all" reuses the 2,000-label choice.
FINE_TUNING_LRS = (1e-5, 1e-4, 1e-3)
LR_SEARCH_SEED = 0
LR_SEARCH_MAX = 2000
#: Unlabelled in-domain sentences the teacher labels for the distilled student.
TRANSFER_SENTENCES = 5000
#: Finished runs are kept in build/, in a file named after the settings and checkpoint
#: they used (the first characters of their sha256), so other settings never mix in.
PARTIAL_DIR = Path("build")
PARTIAL_DIGEST = 12


FINE_TUNING = le.FINE_TUNING


# ---------------------------------------------------------------------------
# The cheap rows: rules, n-grams, averaged vectors, probes, zero-shot prompting
# ---------------------------------------------------------------------------


def _rows_with_candidates(
    rows: Sequence[str],
    make: Callable[[str, np.ndarray], list[le.Candidate]],
    labels: np.ndarray,
    budgets: Sequence[int | None],
    seeds: Sequence[int],
    progress: bool,
) -> list[dict[str, Any]]:
    """Each (row, budget, seed): ``make`` fits the candidates on the subset, dev picks. With
    all labels every seed reads the same sentences and these fits are deterministic, so that
    budget is fitted once per row."""
    runs = []
    plan = [(row, budget, seed) for row in rows for budget in budgets for seed in seeds]
    every_label: dict[str, tuple[le.Candidate, float]] = {}
    for row, budget, seed in tqdm(plan, desc="label curves", disable=not progress):
        if budget is None and row in every_label:  # same sentences, deterministic fit
            runs.append(_entry(row, budget, seed, *every_label[row]))
            continue
        start = time.perf_counter()
        best = le.select_on_dev(make(row, le.balanced_subset(labels, budget, seed)))
        seconds = time.perf_counter() - start
        if budget is None:
            every_label[row] = (best, seconds)
        runs.append(_entry(row, budget, seed, best, seconds))
    return runs


def _entry(
    row: str, budget: int | None, seed: int, best: le.Candidate, seconds: float
) -> dict[str, Any]:
    return {
        "row": row,
        "budget": le.budget_label(budget),
        "seed": seed,
        **asdict(best),
        "seconds": seconds,
    }


def _flat_rows(split: le.Split, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Rows that learn nothing from MR labels: the best rule-based classifier on dev, and
    the char GPT prompted zero-shot (its prompt chosen on dev). One entry per seed, at
    every budget alike ("none")."""
    from course_utils import rules
    from course_utils.leaderboard import prompting_row

    dev_texts, dev_labels = data.texts_and_labels(split["dev"])
    test_texts, test_labels = data.texts_and_labels(split["test"])
    candidates = []
    for classifier in (
        rules.LexiconClassifier(rules.keyword_lexicon(), name="keywords + negation"),
        rules.LexiconClassifier(rules.opinion_lexicon(), name="Hu & Liu lexicon + negation"),
        rules.VaderClassifier(),
    ):
        dev = np.mean(np.array(rules.predict(classifier, dev_texts)) == dev_labels)
        test = np.mean(np.array(rules.predict(classifier, test_texts)) == test_labels)
        candidates.append(le.Candidate(classifier.name, float(dev), float(test)))
    start = time.perf_counter()
    rule = le.select_on_dev(candidates)
    rule_seconds = time.perf_counter() - start
    start = time.perf_counter()
    prompted = prompting_row(split=split)
    gpt = le.Candidate(
        prompted.row.note.split(" (chosen")[0],
        prompted.choice.dev_accuracy,
        prompted.row.test_accuracy,
    )
    gpt_seconds = time.perf_counter() - start
    return [
        {**_entry(row, None, seed, best, seconds), "budget": le.NO_LABELS}
        for row, best, seconds in (("rules", rule, rule_seconds), ("char_gpt", gpt, gpt_seconds))
        for seed in seeds
    ]


def _ppmi_svd_vectors() -> Any:
    """Count-based vectors of notebook 03 on the whole course corpus: PPMI of a 10,000-word
    co-occurrence table (window 5), cut to 100 dimensions by truncated SVD."""
    from gensim.models import KeyedVectors

    from course_utils.vectors import counts as vectors_counts

    sentences = data.corpus_sentences()
    vocab = vectors_counts.build_vocab(sentences, max_size=le.PPMI_VOCABULARY)
    counts = vectors_counts.cooccurrence(sentences, vocab, window=le.PPMI_WINDOW)
    matrix = vectors_counts.svd_vectors(vectors_counts.ppmi(counts), le.PPMI_DIMENSIONS)
    vectors = KeyedVectors(vector_size=le.PPMI_DIMENSIONS)
    vectors.add_vectors(vocab.words, matrix.astype(np.float32))
    return vectors


def _vector_sets() -> dict[str, Any]:
    from course_utils.checkpoints import load_vectors

    shipped = {"skipgram": "word2vec_sg", "cbow": "word2vec_cbow", "glove": "glove"}
    return {row: load_vectors(name) for row, name in shipped.items()} | {
        "ppmi_svd": _ppmi_svd_vectors()
    }


def _probe_rows(
    task: Any,
    models: dict[str, Any],
    pad_id: int,
    labels: np.ndarray,
    budgets: Sequence[int | None],
    seeds: Sequence[int],
    progress: bool,
) -> list[dict[str, Any]]:
    """Logistic regression on frozen TinyBert features (feature kind and C chosen on dev)."""
    encoded = {row: le.encode_task(model, task, pad_id=pad_id) for row, model in models.items()}

    def make(row: str, subset: np.ndarray) -> list[le.Candidate]:
        return le.probe_candidates(*encoded[row], subset)

    return _rows_with_candidates(list(models), make, labels, budgets, seeds, progress)


# ---------------------------------------------------------------------------
# TinyBert fine-tuning and the distilled student, in worker processes
# ---------------------------------------------------------------------------

FINE_TUNED = {"tinybert": "pretrained", "tinybert_random": "random"}


@dataclass(frozen=True)
class Job:
    """One fine-tuning run: a row, budget, seed and learning rate."""

    row: str
    budget: int | None
    seed: int
    lr: float

    @property
    def key(self) -> str:
        return f"{self.row}/{le.budget_label(self.budget)}/{self.seed}/{self.lr:g}"


_WORKER: dict[str, Any] = {}


def _start_worker(model_directory: str | None, fine_tuning: Any, transfer_sentences: int) -> None:
    """Load the checkpoint, MR and the transfer set once per worker process."""
    import torch

    from course_utils.bert_checkpoints import load_bert, mr_task
    from course_utils.distillation import encode_texts, unlabelled_transfer_texts

    torch.set_num_threads(1)
    bert, tokenizer, _ = load_bert(directory=model_directory)
    _WORKER.update(
        fine_tuning=fine_tuning,
        bert=bert,
        tokenizer=tokenizer,
        task=mr_task(tokenizer),
        transfer=encode_texts(tokenizer, unlabelled_transfer_texts(transfer_sentences)),
    )


def _run_job(job: Job) -> dict[str, Any]:
    """Fine-tune one TinyBert classifier; the pre-trained one also labels the transfer set
    (its class scores come back for the student)."""
    from course_utils.fine_tuning import predict_logits

    task, pad_id = _WORKER["task"], _WORKER["tokenizer"].pad_token_id
    labels = np.array([label for _, label in task.train])
    subset = [task.train[i] for i in le.balanced_subset(labels, job.budget, job.seed)]
    model, scores = le.fine_tune_subset(
        task,
        subset,
        FINE_TUNED[job.row],
        _WORKER["bert"],
        seed=job.seed,
        settings=replace(_WORKER["fine_tuning"], lr=job.lr),
        pad_id=pad_id,
    )
    out = {"key": job.key, **scores}
    if job.row == "tinybert":
        inputs = [ids for ids, _ in subset] + _WORKER["transfer"]
        out["teacher_logits"] = predict_logits(model, inputs, pad_id=pad_id).round(4).tolist()
    return out


def _student_job(args: tuple[int | None, int, list[list[float]]]) -> dict[str, Any]:
    """Distil the budget's pre-trained, fine-tuned TinyBert into notebook 10's student:
    soft targets on the labelled subset and the transfer set, hard labels on the subset."""
    from course_utils.distillation import student_logits, train_student
    from course_utils.leaderboard import STUDENT_TEMPERATURE
    from course_utils.transformer import IGNORE_INDEX

    budget, seed, teacher = args
    task, tokenizer = _WORKER["task"], _WORKER["tokenizer"]
    labels = np.array([label for _, label in task.train])
    subset = [task.train[i] for i in le.balanced_subset(labels, budget, seed)]
    inputs = [ids for ids, _ in subset] + _WORKER["transfer"]
    hard = [label for _, label in subset] + [IGNORE_INDEX] * len(_WORKER["transfer"])
    dev_ids, dev_labels = zip(*task.dev, strict=True)
    start = time.perf_counter()
    result = train_student(
        inputs,
        hard,
        list(dev_ids),
        list(dev_labels),
        vocab_size=len(tokenizer),
        pad_id=tokenizer.pad_token_id,
        teacher_logits=np.asarray(teacher, dtype=np.float32),
        temperature=STUDENT_TEMPERATURE,
        seed=seed,
    )
    test_ids, test_labels = zip(*task.test, strict=True)
    predicted = student_logits(result.model, list(test_ids)).argmax(1)
    return {
        "row": "student",
        "budget": le.budget_label(budget),
        "seed": seed,
        "choice": f"T={STUDENT_TEMPERATURE:g}, teacher lr chosen on dev",
        "dev": result.best_dev_accuracy,
        "test": float(np.mean(predicted == np.array(test_labels))),
        "seconds": time.perf_counter() - start,
    }


class _Partial:
    """Finished fine-tuning runs, one JSON line each, so that a stopped command resumes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.done[entry["key"]] = entry

    def add(self, entry: dict[str, Any]) -> None:
        self.done[entry["key"]] = entry
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def _students(
    pool: ProcessPoolExecutor,
    partial: _Partial,
    teachers: dict[tuple[int | None, int], list[list[float]]],
    progress: bool,
) -> list[dict[str, Any]]:
    """One distilled student per (budget, seed), each kept in the partial file."""

    def key(budget: str, seed: int) -> str:
        return f"student/{budget}/{seed}"

    todo = [
        (budget, seed, logits)
        for (budget, seed), logits in teachers.items()
        if key(le.budget_label(budget), seed) not in partial.done
    ]
    for entry in _pool_map(pool, _student_job, todo, "distilled students", progress):
        partial.add({"key": key(entry["budget"], entry["seed"]), **entry})
    return [
        {
            name: value
            for name, value in partial.done[key(le.budget_label(budget), seed)].items()
            if name != "key"
        }
        for budget, seed in teachers
    ]


def _pool_map(
    pool: ProcessPoolExecutor,
    function: Callable[[Any], dict[str, Any]],
    items: Iterable[Any],
    desc: str,
    progress: bool,
) -> Iterator[dict[str, Any]]:
    """Each result as soon as its worker finishes (so the caller can keep it at once)."""
    futures = [pool.submit(function, item) for item in items]
    for future in tqdm(as_completed(futures), total=len(futures), desc=desc, disable=not progress):
        yield future.result()


def _fine_tuned_rows(
    pool: ProcessPoolExecutor,
    partial: _Partial,
    budgets: Sequence[int | None],
    seeds: Sequence[int],
    lrs: Sequence[float],
    progress: bool,
) -> tuple[
    list[dict[str, Any]], dict[tuple[int | None, int], list[list[float]]], list[dict[str, Any]]
]:
    """Phase 1 searches the learning rate with seed 0; phase 2 runs the other seeds with
    dev's choice. Returns the record entries and the teachers' transfer-set scores."""

    def run(jobs: list[Job], desc: str) -> None:
        todo = [job for job in jobs if job.key not in partial.done]
        for entry in _pool_map(pool, _run_job, todo, desc, progress):
            partial.add(entry)

    searched = [b for b in budgets if b is not None and b <= LR_SEARCH_MAX]
    run(
        [Job(row, b, LR_SEARCH_SEED, lr) for row in FINE_TUNED for b in searched for lr in lrs],
        "fine-tuning: learning-rate search",
    )
    chosen: dict[tuple[str, int | None], float] = {}
    search = []
    for row in FINE_TUNED:
        for budget in searched:
            tried = [partial.done[Job(row, budget, LR_SEARCH_SEED, lr).key] for lr in lrs]
            chosen[row, budget] = lrs[int(np.argmax([run["dev"] for run in tried]))]
            search += [
                {"row": row, "budget": le.budget_label(budget), "lr": lr, **_scores(run)}
                for lr, run in zip(lrs, tried, strict=True)
            ]
        if None in budgets:
            chosen[row, None] = chosen[row, max(searched)]
    jobs = [
        Job(row, budget, seed, chosen[row, budget])
        for row in FINE_TUNED
        for budget in budgets
        for seed in seeds
    ]
    run(jobs, "fine-tuning: every seed")
    entries, teachers = [], {}
    for job in jobs:
        done = partial.done[job.key]
        best = le.Candidate(f"lr={job.lr:g}, {done['steps']} steps", done["dev"], done["test"])
        entries.append(_entry(job.row, job.budget, job.seed, best, done["seconds"]))
        if job.row == "tinybert":
            teachers[job.budget, job.seed] = done["teacher_logits"]
    return entries, teachers, search


def _scores(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run[key] for key in ("dev", "test", "steps", "seconds")}


def label_curves(
    *,
    rows: Sequence[str] = tuple(le.ROWS),
    budgets: Sequence[int | None] = le.BUDGETS,
    seeds: Sequence[int] = le.SEEDS,
    jobs: int = 2,
    directory: str | Path | None = None,
    model_directory: str | Path | None = None,
    partial_directory: str | Path = PARTIAL_DIR,
    fine_tuning: Any = FINE_TUNING,
    lrs: Sequence[float] = FINE_TUNING_LRS,
    transfer_sentences: int = TRANSFER_SENTENCES,
    progress: bool = True,
) -> Path:
    """Run ``rows`` at every budget and seed; write the record (rows not run this time
    keep their stored results). The fine-tuning runs go to ``jobs`` processes."""
    unknown = sorted(set(rows) - set(le.ROWS))
    if unknown:
        raise ValueError(f"unknown rows {unknown}; choose from {sorted(le.ROWS)}.")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}.")
    split = data.load_mr_split()
    labels = np.array([label for _, label in split["train"]])
    for budget in budgets:
        le.check_budget(budget, labels)
    wall, cpu = time.perf_counter(), time.process_time()
    runs: list[dict[str, Any]] = []
    timings: dict[str, float] = {}

    def timed(name: str, compute: Callable[[], list[dict[str, Any]]]) -> None:
        start = time.perf_counter()
        runs.extend(compute())
        timings[name] = time.perf_counter() - start

    if {"rules", "char_gpt"} & set(rows):
        timed("rules, char_gpt", lambda: [r for r in _flat_rows(split, seeds) if r["row"] in rows])
    ngram_rows = [row for row in ("naive_bayes", "tfidf_lr", "nbsvm") if row in rows]
    if ngram_rows:
        timed(
            "n-grams",
            lambda: _rows_with_candidates(
                ngram_rows,
                lambda row, subset: le.ngram_candidates(
                    row, [split["train"][i] for i in subset], split["dev"], split["test"]
                ),
                labels,
                budgets,
                seeds,
                progress,
            ),
        )
    vector_rows = [row for row in ("skipgram", "cbow", "glove", "ppmi_svd") if row in rows]
    if vector_rows:
        vectors = _vector_sets()
        timed(
            "word vectors",
            lambda: _rows_with_candidates(
                vector_rows,
                lambda row, subset: le.averaged_vector_candidates(
                    vectors[row], [split["train"][i] for i in subset], split["dev"], split["test"]
                ),
                labels,
                budgets,
                seeds,
                progress,
            ),
        )
    probe_rows = {"tinybert_probe": "pretrained", "tinybert_random_probe": "random"}
    wanted_probes = {row: init for row, init in probe_rows.items() if row in rows}
    record_info: dict[str, Any] = {}
    fine_tuned = (set(FINE_TUNED) | {"student"}) & set(rows)
    if wanted_probes or fine_tuned:
        import torch

        from course_utils.bert import TinyBert
        from course_utils.bert_checkpoints import load_bert, mr_task

        bert, tokenizer, checkpoint = load_bert(directory=model_directory)
        record_info["checkpoint"] = {"name": "tiny-bert", "sha256": checkpoint["sha256"]}
        if wanted_probes:
            torch.manual_seed(LR_SEARCH_SEED)
            models = {
                row: bert if init == "pretrained" else TinyBert(bert.config).eval()
                for row, init in wanted_probes.items()
            }
            timed(
                "probes",
                lambda: _probe_rows(
                    mr_task(tokenizer),
                    models,
                    tokenizer.pad_token_id,
                    labels,
                    budgets,
                    seeds,
                    progress,
                ),
            )
    if fine_tuned:
        settings = json.dumps(
            [asdict(fine_tuning), record_info["checkpoint"], transfer_sentences], sort_keys=True
        )
        digest = hashlib.sha256(settings.encode("utf-8")).hexdigest()[:PARTIAL_DIGEST]
        partial_path = Path(partial_directory) / f"{le.RECORD}.{digest}.partial.jsonl"
        partial_path.parent.mkdir(parents=True, exist_ok=True)
        partial = _Partial(partial_path)
        context = get_context("spawn")
        start = time.perf_counter()
        with ProcessPoolExecutor(
            jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(model_directory and str(model_directory), fine_tuning, transfer_sentences),
        ) as pool:
            entries, teachers, search = _fine_tuned_rows(
                pool, partial, budgets, seeds, lrs, progress
            )
            runs.extend(entry for entry in entries if entry["row"] in rows)
            if "student" in rows:
                runs.extend(_students(pool, partial, teachers, progress))
        timings["fine-tuning and students"] = time.perf_counter() - start
        record_info["fine_tuning"] = {
            **asdict(fine_tuning),
            "lrs": list(lrs),
            "lr_search": f"seed {LR_SEARCH_SEED}, every budget up to {LR_SEARCH_MAX}; "
            f"'all' reuses the {LR_SEARCH_MAX}-label choice",
            "min_pass_examples": le.MIN_PASS_EXAMPLES,
            "pass_caps": [list(cap) for cap in le.PASS_CAPS],
            "full_set_passes": le.FULL_SET_PASSES,
            "transfer_sentences": transfer_sentences,
        }
        record_info["lr_search"] = search
    record_info["train_size"] = len(labels)
    return _write_record(
        runs, rows, budgets, seeds, jobs, timings, record_info, wall, cpu, directory
    )


def _write_record(
    runs: list[dict[str, Any]],
    rows: Sequence[str],
    budgets: Sequence[int | None],
    seeds: Sequence[int],
    jobs: int,
    timings: dict[str, float],
    info: dict[str, Any],
    wall: float,
    cpu: float,
    directory: str | Path | None,
) -> Path:
    """Merge with the stored record (rows not rerun are kept) and save it atomically;
    ``wall_seconds`` sums every command run that built the record."""
    kept: list[dict[str, Any]] = []
    earlier: dict[str, Any] = {}
    if checkpoint_paths(le.RECORD, directory)[1].is_file():
        earlier = le.load_record(directory)
        kept = [run for run in earlier["runs"] if run["row"] not in rows]
    everything = sorted(
        kept + runs,
        key=lambda run: (
            list(le.ROWS).index(run["row"]),
            le.budget_order(run["budget"]),
            run["seed"],
        ),
    )
    present = [row for row in le.ROWS if any(run["row"] == row for run in everything)]
    command = COMMAND if present == list(le.ROWS) else f"{COMMAND} --rows {' '.join(present)}"
    record = {
        **{
            key: value
            for key, value in earlier.items()
            if key not in ("libraries", "sha256", RECORD_SHA256_KEY)
        },
        **info,
        "schema": le.SCHEMA,
        "command": command,
        "seed": list(seeds),
        "description": "MR test accuracy of every era's models against the number of labels",
        "protocol": le.PROTOCOL,
        "budgets": [le.budget_label(budget) for budget in budgets],
        "rows": {name: asdict(spec) for name, spec in le.ROWS.items()},
        "jobs": jobs,
        "threads_per_job": 1,
        "cpu": _cpu_name(),
        "seconds": {**earlier.get("seconds", {}), **timings},
        "wall_seconds": earlier.get("wall_seconds", 0.0) + time.perf_counter() - wall,
        "main_process_cpu_seconds": earlier.get("main_process_cpu_seconds", 0.0)
        + time.process_time()
        - cpu,
        "runs": everything,
        "summary": le.summarize(everything),
    }
    return save_results(le.RECORD, record, directory=directory)


def _cpu_name() -> str:
    """The processor's model name (Linux), else the platform's description."""
    import platform

    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
