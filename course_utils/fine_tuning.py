"""Fine-tuning TinyBert: a sequence or token classification head trained with early
stopping on a dev set, and prediction in length-grouped batches. Notebook 08.
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.bert import TinyBertForTokenClassification, _check_token_ids
from course_utils.reproducibility import evaluation_mode
from course_utils.training import (
    _autocast,
    _check_optimizer_settings,
    _check_precision,
    _to,
    warmup_linear_decay,
)
from course_utils.transformer import IGNORE_INDEX, adamw

if TYPE_CHECKING:
    pass

__all__ = [
    "BUCKET_BATCHES",
    "FineTuningConfig",
    "FineTuningResult",
    "LabelledIds",
    "collate",
    "fine_tune",
    "first_piece_labels",
    "labelled_accuracy",
    "length_grouped_batches",
    "predict",
    "predict_logits",
]


#: Fine-tuning batches are drawn from windows of this many batches sorted by length.
BUCKET_BATCHES = 20
#: One labelled input: token ids and either one class (sequence classification) or one
#: class per token (token classification, -100 where nothing is predicted).
LabelledIds = tuple[Sequence[int], int | Sequence[int]]


@dataclass(frozen=True)
class FineTuningConfig:
    """Hyperparameters of :func:`fine_tune`: AdamW with warm-up and linear decay, early
    stopping on dev accuracy after ``patience`` epochs without a new best, never before
    ``min_steps`` steps (tiny training sets get enough updates). Notebook 08."""

    lr: float = 1e-4
    batch_size: int = 32
    max_epochs: int = 10
    patience: int = 2
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    min_steps: int = 0
    grad_clip: float = 1.0
    precision: str = "float32"

    def __post_init__(self) -> None:
        for name in ("batch_size", "max_epochs", "patience"):
            validation.integer(name, getattr(self, name), low=1)
        validation.integer("min_steps", self.min_steps, low=0)
        _check_optimizer_settings(self.lr, self.weight_decay, self.grad_clip)
        validation.number(
            "warmup_fraction", self.warmup_fraction, low=0.0, high=1.0, high_open=True
        )
        _check_precision(self.precision)


@dataclass
class FineTuningResult:
    """What :func:`fine_tune` measured: dev accuracy per epoch and the epoch kept."""

    dev_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    steps: int = 0
    seconds: float = 0.0

    @property
    def best_dev_accuracy(self) -> float:
        """Dev accuracy of the weights :func:`fine_tune` kept."""
        return self.dev_accuracy[self.best_epoch - 1] if self.best_epoch else math.nan


def _is_token_task(model: nn.Module) -> bool:
    return isinstance(model, TinyBertForTokenClassification)


def _check_examples(
    model: nn.Module, examples: Sequence[LabelledIds], name: str, *, need_two_classes: bool
) -> None:
    """Clear errors for what would otherwise fail deep inside torch (or train nonsense)."""
    if isinstance(examples, str) or not isinstance(examples, Sequence):
        raise TypeError(
            f"{name} must be a list of (token ids, label) pairs, got {type(examples).__name__}."
        )
    if not examples:
        raise ValueError(f"{name} has no examples.")
    for i, example in enumerate(examples):
        if not isinstance(example, Sequence) or isinstance(example, str) or len(example) != 2:
            raise TypeError(
                f"{name}: example {i} must be a (token ids, label) pair, got {example!r:.80}."
            )
        ids = example[0]
        if isinstance(ids, str):
            raise TypeError(
                f"{name}: example {i} holds text ({ids!r:.40}), not token ids; encode the texts "
                "first, e.g. bert_checkpoints.encode_sentences(tokenizer, texts)."
            )
        _check_token_ids(f"{name}: example {i}", ids)
        if not ids:
            raise ValueError(f"{name}: example {i} has no tokens; encode it with [CLS] and [SEP].")
    limit = model.bert.config.max_position
    too_long = [i for i, (ids, _) in enumerate(examples) if len(ids) > limit]
    if too_long:
        raise ValueError(
            f"{name}: {len(too_long)} sequence(s) are longer than the model's position table "
            f"(max_position={limit}), e.g. example {too_long[0]} with "
            f"{len(examples[too_long[0]][0])} tokens; encode with truncation=True, "
            f"max_length={limit}."
        )
    token_level = _is_token_task(model)
    labels: list[int] = []
    for i, (ids, label) in enumerate(examples):
        one_label = isinstance(label, numbers.Integral) and not isinstance(label, bool)
        if token_level == one_label or (token_level and not isinstance(label, Sequence)):
            kind = "a list of per-token labels" if token_level else "one integer label"
            raise TypeError(
                f"{name}: example {i} must carry {kind} for {type(model).__name__}, got "
                f"{label!r:.40}."
            )
        if token_level:
            if len(label) != len(ids):
                raise ValueError(
                    f"{name}: example {i} has {len(ids)} tokens but {len(label)} labels; give "
                    "one label per token (-100 where nothing is predicted)."
                )
            for value in label:
                validation.integer(f"{name}: example {i}'s labels", value)
            labels.extend(int(value) for value in label if value != IGNORE_INDEX)
        else:
            labels.append(int(label))
    num_labels = model.classifier.out_features
    bad = sorted({value for value in labels if not 0 <= value < num_labels})
    if bad:
        raise ValueError(f"{name}: labels {bad[:5]} lie outside [0, num_labels={num_labels}).")
    if need_two_classes and len(set(labels)) < 2:
        raise ValueError(
            f"{name} contains a single class ({sorted(set(labels))}); a classifier learns "
            "nothing from it. Sample a training set that holds at least two classes."
        )


def first_piece_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """Per-token labels for tagging: each word's label on its first word piece, -100 on
    its other pieces and on special tokens (``word_ids`` from a fast tokenizer)."""
    for word in word_ids:
        if word is not None:
            validation.integer("word_ids (or None)", word, low=0, high=len(word_labels) - 1)
    labels, previous = [], None
    for word in word_ids:
        first = word is not None and word != previous
        labels.append(word_labels[word] if first else IGNORE_INDEX)
        previous = word
    return labels


def collate(
    examples: Sequence[LabelledIds], pad_id: int, *, token_level: bool
) -> dict[str, torch.Tensor]:
    """Right-pad labelled inputs: ``input_ids``, ``attention_mask`` and ``labels``."""
    if not examples:
        raise ValueError("collate needs at least one (token ids, label) example.")
    validation.integer("pad_id", pad_id, low=0)
    length = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), length), dtype=torch.long)
    labels = torch.full((len(examples), length), IGNORE_INDEX, dtype=torch.long)
    for row, (ids, label) in enumerate(examples):
        input_ids[row, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
        mask[row, : len(ids)] = 1
        if token_level:
            labels[row, : len(ids)] = torch.as_tensor(list(label), dtype=torch.long)
    if not token_level:
        labels = torch.tensor([label for _, label in examples], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def _batched_scores(
    model: nn.Module, inputs: Sequence[Sequence[int]], pad_id: int, batch_size: int, device: str
) -> Iterator[tuple[list[int], torch.Tensor]]:
    """(input indices, model outputs) over length-sorted batches (little padding)."""
    token_level = _is_token_task(model)
    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        chunk = [(inputs[i], [0] * len(inputs[i]) if token_level else 0) for i in rows]
        batch = _to(collate(chunk, pad_id, token_level=token_level), device)
        yield rows, model(batch["input_ids"], attention_mask=batch["attention_mask"]).cpu()


@torch.no_grad()
def predict(
    model: nn.Module,
    inputs: Sequence[Sequence[int]],
    *,
    pad_id: int = 0,
    batch_size: int = 128,
    device: str = "cpu",
) -> list[int] | list[list[int]]:
    """Predicted class of each input (sequence head) or of each of its tokens (token head)."""
    _check_inputs(inputs, batch_size)
    model.to(device)
    with evaluation_mode(model):
        token_level = _is_token_task(model)
        predictions: list = [None] * len(inputs)
        for rows, scores in _batched_scores(model, inputs, pad_id, batch_size, device):
            best = scores.argmax(-1)
            for row, i in enumerate(rows):
                predictions[i] = (
                    best[row, : len(inputs[i])].tolist() if token_level else int(best[row])
                )
    return predictions


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    inputs: Sequence[Sequence[int]],
    *,
    pad_id: int = 0,
    batch_size: int = 128,
    device: str = "cpu",
) -> np.ndarray:
    """Class scores (n, classes) of a sequence head: what calibration and distillation
    start from (notebook 10)."""
    if _is_token_task(model):
        raise ValueError("predict_logits needs a sequence-classification head, not a token head.")
    _check_inputs(inputs, batch_size)
    model.to(device)
    with evaluation_mode(model):
        logits = np.zeros((len(inputs), model.classifier.out_features), dtype=np.float32)
        for rows, scores in _batched_scores(model, inputs, pad_id, batch_size, device):
            logits[rows] = scores.float().numpy()
    return logits


def _check_inputs(inputs: Sequence[Sequence[int]], batch_size: int) -> None:
    """Encoded inputs (lists of token ids, never text) and a positive batch size."""
    validation.integer("batch_size", batch_size, low=1)
    if isinstance(inputs, str) or not isinstance(inputs, Sequence):
        raise TypeError(f"inputs must be a list of token-id lists, got {type(inputs).__name__}.")
    for i, ids in enumerate(inputs):
        _check_token_ids(f"inputs[{i}]", ids)
        if not ids:
            raise ValueError(f"inputs[{i}] has no tokens; encode it with [CLS] and [SEP].")


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator
) -> list[list[int]]:
    """Shuffled batches of similar lengths (less padding, same randomness in expectation):
    shuffle, sort within windows of :data:`BUCKET_BATCHES` batches, cut, shuffle batches."""
    validation.integer("batch_size", batch_size, low=1)
    for length in lengths:
        validation.integer("lengths", length, low=0)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def labelled_accuracy(
    model: nn.Module,
    examples: Sequence[LabelledIds],
    *,
    pad_id: int = 0,
    device: str = "cpu",
) -> float:
    """Accuracy over the labelled sentences (sequence head) or labelled tokens (token head)."""
    _check_examples(model, examples, "examples", need_two_classes=False)
    predicted = predict(model, [ids for ids, _ in examples], pad_id=pad_id, device=device)
    if not _is_token_task(model):
        return float(
            np.mean([p == label for p, (_, label) in zip(predicted, examples, strict=True)])
        )
    hits = [
        p == y
        for row, (_, labels) in zip(predicted, examples, strict=True)
        for p, y in zip(row, labels, strict=True)
        if y != IGNORE_INDEX
    ]
    return float(np.mean(hits))


def fine_tune(
    model: nn.Module,
    train: Sequence[LabelledIds],
    dev: Sequence[LabelledIds],
    config: FineTuningConfig = FineTuningConfig(),
    *,
    pad_id: int = 0,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> FineTuningResult:
    """Fine-tune a sequence- or token-classification TinyBert; keep the best dev epoch.

    Every parameter trains (BERT's recipe). After each epoch the dev accuracy is measured;
    training stops after ``patience`` epochs without improvement and the best weights are
    restored. Raises a ValueError for a single-class training set or inputs longer than
    the position table. Notebook 08.
    """
    if not isinstance(config, FineTuningConfig):
        raise TypeError(f"config must be a FineTuningConfig, got {type(config).__name__}.")
    _check_examples(model, train, "train", need_two_classes=True)
    _check_examples(model, dev, "dev", need_two_classes=False)
    validation.integer("seed", seed)
    validation.integer("pad_id", pad_id, low=0)
    token_level = _is_token_task(model)
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # dropout masks
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    epochs = max(config.max_epochs, math.ceil(config.min_steps / steps_per_epoch))
    total = epochs * steps_per_epoch
    warmup = round(config.warmup_fraction * total)
    optimizer = adamw(model, config.lr, config.weight_decay, (0.9, 0.999))
    result, best_state, stale, step = FineTuningResult(), None, 0, 0
    start = time.perf_counter()
    lengths = [len(ids) for ids, _ in train]
    for epoch in tqdm(range(1, epochs + 1), desc="fine-tune", unit="epoch", disable=not progress):
        losses = []
        for rows in length_grouped_batches(lengths, config.batch_size, generator):
            for group in optimizer.param_groups:
                group["lr"] = warmup_linear_decay(step, config.lr, warmup, total)
            chunk = [train[i] for i in rows]
            batch = _to(collate(chunk, pad_id, token_level=token_level), device)
            with _autocast(device, config.precision):
                scores = model(batch["input_ids"], attention_mask=batch["attention_mask"])
                loss = F.cross_entropy(
                    scores.reshape(-1, scores.shape[-1]),
                    batch["labels"].reshape(-1),
                    ignore_index=IGNORE_INDEX,
                )
            losses.append(validation.finite_loss(loss.item(), step + 1, config.lr))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
        result.train_loss.append(float(np.mean(losses)))
        result.dev_accuracy.append(labelled_accuracy(model, dev, pad_id=pad_id, device=device))
        if result.dev_accuracy[-1] > result.best_dev_accuracy or not result.best_epoch:
            result.best_epoch, stale = epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience and step >= config.min_steps:
                break
    model.load_state_dict(best_state)
    model.eval()
    result.steps, result.seconds = step, time.perf_counter() - start
    return result
