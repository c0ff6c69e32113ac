"""``python -m course_utils pretraining-trend``: does more pre-training buy more sentiment?

Probes TinyBert checkpoints saved along pre-training runs (``pretrain-bert --snapshots``)
with the label-efficiency protocol (frozen features, logistic regression, feature kind and
C chosen on dev) at a few small budgets, and writes
``data/bert_pretraining_trend.provenance.json``. Step 0 is the model before pre-training:
random, or for the word-vector recipe random apart from its skip-gram token embeddings.
Notebook 08 plots the record.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from course_utils import data
from course_utils import label_efficiency as le
from course_utils.checkpoints import CHECKPOINT_DIR, load_provenance, save_results, sha256_of

__all__ = ["COMMAND", "RECORD", "TREND_BUDGETS", "lexicon_split_share", "pretraining_trend"]

COMMAND = "python -m course_utils pretraining-trend"
RECORD = "bert_pretraining_trend"
TREND_BUDGETS: tuple[int, ...] = (100, 500)
SNAPSHOT_NAME = "step-{step:05d}"


def _probe(
    model: Any, task: Any, pad_id: int, budgets: Sequence[int], seeds: Sequence[int]
) -> list[dict[str, Any]]:
    """The probe rows of the label-efficiency protocol for one model."""
    encoded, y = le.encode_task(model, task, pad_id=pad_id)
    runs = []
    for budget in budgets:
        for seed in seeds:
            subset = le.balanced_subset(y["train"], budget, seed)
            best = le.select_on_dev(le.probe_candidates(encoded, y, subset))
            runs.append(
                {
                    "budget": budget,
                    "seed": seed,
                    "choice": best.choice,
                    "dev": best.dev,
                    "test": best.test,
                }
            )
    return runs


def lexicon_split_share(tokenizer: Any) -> dict[str, float]:
    """Share of Hu & Liu's opinion words the tokenizer cuts into pieces: over the lexicon's
    word list, and over the lexicon words as they occur in MR train."""
    from course_utils import rules
    from course_utils.subwords import split_share

    lexicon = sorted(word for word in rules.opinion_lexicon() if word.isalpha())
    known = set(lexicon)
    occurrences = [
        word
        for sentence, _ in data.load_mr_split()["train"]
        for word in data.tokenize_words(sentence)
        if word in known
    ]
    return {
        "lexicon_words": split_share(tokenizer, lexicon),
        "mr_occurrences": split_share(tokenizer, occurrences),
    }


def _run(folder: Path) -> tuple[Any, dict[str, Any], list[tuple[int, Path | None]], Any]:
    """A pre-training run folder: its tokenizer, what its records say, its checkpoints as
    (step, weights) with step 0 = None (the recipe's start), and its model config. A
    stopped run (no final model yet) is read from its snapshots alone."""
    from transformers import AutoTokenizer

    from course_utils.bert_checkpoints import RECIPES, load_bert, load_snapshot

    snapshots = sorted((folder / "snapshots").glob("step-*.safetensors"))
    steps: list[tuple[int, Path | None]] = [
        (0, None),
        *((int(path.stem.split("-")[1]), path) for path in snapshots),
    ]
    if (folder / "model.provenance.json").is_file():
        final, tokenizer, record = load_bert(folder.name, folder.parent)
        info = {
            "pretraining_command": record["command"],
            "finished": True,
            "word_vectors": record.get("word_vectors"),
            "held_out": record["held_out"],
            "steps_per_second": record["steps"] / record["wall_seconds"],
        }
        return (
            tokenizer,
            info,
            [*steps, (int(record["steps"]), folder / "model.safetensors")],
            final.config,
        )
    if not snapshots or folder.name not in RECIPES:
        raise ValueError(
            f"{folder} holds no pre-training run: run `python -m course_utils pretrain-bert "
            "--snapshots ... --out <folder>` first and pass <folder>/<recipe>."
        )
    last = load_provenance(snapshots[-1].stem, folder / "snapshots")
    info = {
        "pretraining_command": last["command"],
        "finished": False,
        "stopped_after": steps[-1][0],
        "word_vectors": RECIPES[folder.name].word_vectors,
    }
    config = load_snapshot(steps[-1][0], folder.name, folder.parent).config
    return AutoTokenizer.from_pretrained(folder), info, steps, config


def pretraining_trend(
    runs: Sequence[str | Path],
    *,
    budgets: Sequence[int] = TREND_BUDGETS,
    seeds: Sequence[int] = le.SEEDS,
    directory: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Probe every checkpoint of each pre-training run folder in ``runs`` (as written by
    ``pretrain-bert --out``; a stopped run counts with its snapshots); write the record."""
    from course_utils.bert import TinyBert, init_from_word_vectors
    from course_utils.bert_checkpoints import load_bert, load_snapshot, mr_task
    from course_utils.checkpoints import load_vectors

    start = time.perf_counter()
    curves = []
    for run in runs:
        folder = Path(run)
        tokenizer, info, checkpoints, config = _run(folder)
        task = mr_task(tokenizer)
        points = []
        for step, weights in tqdm(checkpoints, desc=folder.name, disable=not progress):
            if weights is None:
                torch.manual_seed(0)
                model = TinyBert(config).eval()
                if info["word_vectors"] is not None:
                    init_from_word_vectors(
                        model.token_embed.weight,
                        tokenizer.get_vocab(),
                        load_vectors(info["word_vectors"]),
                    )
            elif weights.name == "model.safetensors":
                model = load_bert(folder.name, folder.parent)[0]
            else:
                model = load_snapshot(step, folder.name, folder.parent)
            probe = _probe(model, task, tokenizer.pad_token_id, budgets, seeds)
            points.append(
                {
                    "step": step,
                    "sha256": None if weights is None else sha256_of(weights),
                    "runs": probe,
                    "test_mean": {
                        str(b): float(np.mean([r["test"] for r in probe if r["budget"] == b]))
                        for b in budgets
                    },
                }
            )
        curves.append(
            {
                "run": folder.as_posix(),
                "recipe": folder.name,
                "vocab_size": len(tokenizer),
                "lexicon_split_share": lexicon_split_share(tokenizer),
                **info,
                "points": points,
            }
        )
    provenance = {
        "command": f"{COMMAND} " + " ".join(str(run) for run in runs),
        "seed": list(seeds),
        "description": "frozen-feature probes of TinyBert checkpoints along pre-training, "
        f"MR test accuracy at {list(budgets)} labels ({le.PROTOCOL})",
        "budgets": list(budgets),
        "curves": curves,
        "wall_seconds": time.perf_counter() - start,
    }
    return save_results(RECORD, provenance, directory=directory or CHECKPOINT_DIR)
