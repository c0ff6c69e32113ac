"""Knowledge distillation (Hinton et al. 2015): a fine-tuned TinyBert teaches a student
at least ten times smaller. Notebooks 10 and 11.

``python -m course_utils fine-tune-teacher`` fine-tunes the shipped TinyBert on all of MR
train (the label curve's settings, dev-chosen learning rate) and saves the teacher under
``data/models/tiny-bert-mr/``. The student is an averaged-embedding classifier over the
same WordPiece ids (a deep averaging network, Iyyer et al. 2015), trained on hard labels or
on the teacher's softened class probabilities.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedTokenizerFast

from course_utils import data, validation
from course_utils.bert import TinyBert, TinyBertConfig, TinyBertForSequenceClassification
from course_utils.bert_checkpoints import (
    MODELS_DIR,
    TINY_BERT,
    WEIGHTS_NAME,
    curve_config,
    encode_sentences,
    fine_tuning_model,
    load_bert,
    mr_task,
)
from course_utils.checkpoints import load_checkpoint, load_provenance, save_checkpoint
from course_utils.fine_tuning import fine_tune, labelled_accuracy
from course_utils.reproducibility import resolve_device, set_seed, torch_threads
from course_utils.training import with_resolved_precision
from course_utils.transformer import IGNORE_INDEX

__all__ = [
    "DISTILL_ALPHA",
    "DISTILL_TEMPERATURES",
    "MAX_TEMPERATURE",
    "MR_CLASSES",
    "STORED_DTYPE",
    "TEACHER",
    "TEACHER_COMMAND",
    "TEACHER_LR",
    "TEACHER_SEED",
    "AveragedEmbeddingClassifier",
    "StudentConfig",
    "StudentResult",
    "distillation_loss",
    "encode_texts",
    "fine_tune_teacher",
    "load_teacher",
    "pad_ids",
    "student_logits",
    "teacher_dir",
    "train_student",
    "unlabelled_transfer_texts",
]

TEACHER = "tiny-bert-mr"
TEACHER_COMMAND = "python -m course_utils fine-tune-teacher"
#: The learning rate dev chose most often for the full MR set (bert_label_curve_mr).
TEACHER_LR = 1e-3
TEACHER_SEED = 0
#: The teacher's weights are stored in float16 (half the bytes); every reported figure is
#: measured after that round trip, so it describes the shipped file.
STORED_DTYPE = np.float16
MR_CLASSES = 2


def teacher_dir(directory: str | Path | None = None) -> Path:
    """Folder of the shipped MR teacher (default ``data/models/tiny-bert-mr``)."""
    return Path(directory) if directory is not None else MODELS_DIR / TEACHER


def _round_trip(model: nn.Module) -> dict[str, np.ndarray]:
    """The weights as stored (float16), loaded back into ``model`` in float32."""
    stored = {
        key: value.detach().cpu().numpy().astype(STORED_DTYPE)
        for key, value in model.state_dict().items()
    }
    model.load_state_dict(
        {key: torch.from_numpy(value.astype(np.float32)) for key, value in stored.items()}
    )
    return stored


def fine_tune_teacher(
    *,
    device: str = "cpu",
    threads: int = 1,
    directory: str | Path | None = None,
    max_examples: int | None = None,
    progress: bool = True,
) -> Path:
    """Fine-tune the shipped TinyBert on all of MR train; save it with its provenance.

    ``max_examples`` keeps only the first N training and dev sentences (a smoke test of the
    command).
    """
    if max_examples is not None:
        validation.integer("max_examples (or None: all)", max_examples, low=1)
    validation.integer("threads", threads, low=1)
    device = resolve_device(device)
    with torch_threads(threads):
        set_seed(TEACHER_SEED)
        pretrained, tokenizer, base = load_bert()
        task = mr_task(tokenizer)
        train, dev = task.train[:max_examples], task.dev[:max_examples]
        model = fine_tuning_model(task, "pretrained", pretrained, TEACHER_SEED)
        settings = with_resolved_precision(
            replace(curve_config(len(train)), lr=TEACHER_LR), device
        )
        result = fine_tune(
            model,
            train,
            dev,
            settings,
            pad_id=tokenizer.pad_token_id,
            seed=TEACHER_SEED,
            device=device,
            progress=progress,
        )
        model.to("cpu").eval()
        weights = _round_trip(model)
        scores = {
            name: labelled_accuracy(model, examples, pad_id=tokenizer.pad_token_id)
            for name, examples in (("dev", dev), ("test", task.test))
        }
    provenance = {
        "command": TEACHER_COMMAND + (f" --max-examples {max_examples}" if max_examples else ""),
        "description": "the shipped TinyBert fine-tuned on all of MR train ([CLS] head)",
        "seed": TEACHER_SEED,
        "corpus": f"MR train ({len(train)} sentences); dev ({len(dev)}) for early stopping",
        "base_checkpoint": {"name": TINY_BERT, "sha256": base["sha256"]},
        "device": device,
        "threads": threads,
        "fine_tuning": asdict(settings),
        "steps": result.steps,
        "best_epoch": result.best_epoch,
        "dev_accuracy_per_epoch": result.dev_accuracy,
        "wall_seconds": result.seconds,
        "stored_dtype": np.dtype(STORED_DTYPE).name,
        "dev_accuracy": scores["dev"],
        "test_accuracy": scores["test"],
        "parameters": sum(parameter.numel() for parameter in model.parameters()),
    }
    metadata = {"config": json.dumps(asdict(pretrained.config)), "num_labels": str(MR_CLASSES)}
    folder = teacher_dir(directory)
    return save_checkpoint(WEIGHTS_NAME, weights, provenance, metadata=metadata, directory=folder)


def load_teacher(
    directory: str | Path | None = None,
) -> tuple[TinyBertForSequenceClassification, PreTrainedTokenizerFast, dict[str, object]]:
    """The shipped MR teacher (eval mode), its tokenizer (TinyBert's) and its provenance."""
    folder = teacher_dir(directory)
    tensors, metadata = load_checkpoint(WEIGHTS_NAME, folder)
    bert = TinyBert(TinyBertConfig(**json.loads(metadata["config"])))
    model = TinyBertForSequenceClassification(bert, int(metadata["num_labels"]))
    model.load_state_dict(
        {key: torch.from_numpy(value.astype(np.float32)) for key, value in tensors.items()}
    )
    _, tokenizer, _ = load_bert()
    return model.eval(), tokenizer, load_provenance(WEIGHTS_NAME, folder)


# ---------------------------------------------------------------------------
# The loss: soft targets at temperature T (scaled by T squared) mixed with hard labels
# ---------------------------------------------------------------------------

#: Weight of the soft-target term; the rest goes to the hard labels (where there are any).
DISTILL_ALPHA = 0.5
#: Temperatures notebook 10 compares (1 = the teacher's own probabilities).
DISTILL_TEMPERATURES = (1.0, 2.0, 4.0)
#: The highest temperature accepted: far above it the soft targets are uniform to float
#: precision (Hinton et al. use up to 20), and the T² factor overflows.
MAX_TEMPERATURE = 100.0


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    temperature: float,
    alpha: float = DISTILL_ALPHA,
) -> torch.Tensor:
    """``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, labels)``.

    ``teacher_T`` and ``student_T`` are softmaxes at temperature T; the T^2 factor keeps
    the soft term's gradients the same size whatever T (Hinton et al. 2015, section 2).
    Rows labelled ``IGNORE_INDEX`` (-100; unlabelled transfer text) get the soft term
    only. Notebook 10.
    """
    validation.number("temperature", temperature, low=0.0, low_open=True, high=MAX_TEMPERATURE)
    validation.number("alpha", alpha, low=0.0, high=1.0)
    validation.finite_tensor("student_logits", student_logits)
    validation.finite_tensor("teacher_logits", teacher_logits)
    if student_logits.dim() != 2:
        raise ValueError(
            f"logits must be (rows, classes), got student logits {tuple(student_logits.shape)}."
        )
    _check_labels(labels, student_logits.shape[1])
    if student_logits.shape != teacher_logits.shape or len(labels) != len(student_logits):
        raise ValueError(
            f"student logits {tuple(student_logits.shape)}, teacher logits "
            f"{tuple(teacher_logits.shape)} and {len(labels)} labels must describe the same rows."
        )
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=-1),
        F.log_softmax(teacher_logits / temperature, dim=-1),
        reduction="batchmean",
        log_target=True,
    ) * (temperature**2)
    labelled = labels != IGNORE_INDEX
    if not labelled.any():
        return alpha * soft
    hard = F.cross_entropy(student_logits[labelled], labels[labelled], reduction="sum") / len(
        labels
    )
    return alpha * soft + (1.0 - alpha) * hard


def _check_labels(labels: torch.Tensor, classes: int) -> None:
    """Integer class ids in [0, classes), or IGNORE_INDEX for unlabelled rows."""
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point():
        raise TypeError("labels must be a tensor of class ids (torch.long), -100 = unlabelled.")
    bad = labels[(labels != IGNORE_INDEX) & ((labels < 0) | (labels >= classes))]
    if len(bad):
        raise ValueError(
            f"labels must be class ids in [0, {classes}) or {IGNORE_INDEX} (unlabelled), got "
            f"{bad.unique().tolist()[:5]}."
        )


# ---------------------------------------------------------------------------
# The student: averaged word-piece embeddings, one hidden layer
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentConfig:
    """Sizes and optimisation of the averaged-embedding student (plain data). Notebook 10."""

    embedding_dim: int = 32
    hidden_dim: int = 16
    lr: float = 3e-3
    batch_size: int = 64
    max_epochs: int = 30
    patience: int = 4
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        for name in ("embedding_dim", "hidden_dim", "batch_size", "max_epochs", "patience"):
            validation.integer(name, getattr(self, name), low=1)
        validation.learning_rate("lr", self.lr)
        validation.weight_decay("weight_decay", self.weight_decay)


class AveragedEmbeddingClassifier(nn.Module):
    """Mean of the input's word-piece embeddings -> ReLU layer -> class scores.

    Word order is ignored (a bag of pieces), and one sentence costs a few thousand
    multiply-adds instead of a transformer's millions. Notebook 10.
    """

    def __init__(self, vocab_size: int, config: StudentConfig, num_classes: int, pad_id: int):
        super().__init__()
        validation.integer("vocab_size", vocab_size, low=1)
        validation.integer("num_classes", num_classes, low=2)
        if not isinstance(config, StudentConfig):
            raise TypeError(f"config must be a StudentConfig, got {type(config).__name__}.")
        self.pad_id = validation.integer("pad_id", pad_id, low=0, high=vocab_size - 1)
        self.embedding = nn.Embedding(vocab_size, config.embedding_dim, padding_idx=pad_id)
        self.hidden = nn.Linear(config.embedding_dim, config.hidden_dim)
        self.output = nn.Linear(config.hidden_dim, num_classes)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Class scores (B, classes) of right-padded ids (B, L)."""
        vocab_size = self.embedding.num_embeddings
        if not isinstance(input_ids, torch.Tensor) or input_ids.dtype != torch.long:
            raise TypeError("input_ids must be a LongTensor of token ids (B, L); see pad_ids.")
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (B, L), got {tuple(input_ids.shape)}.")
        if input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= vocab_size):
            raise ValueError(f"token ids must lie in [0, vocab_size={vocab_size}).")
        keep = (input_ids != self.pad_id).unsqueeze(-1).float()
        mean = (self.embedding(input_ids) * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.output(F.relu(self.hidden(mean)))


def pad_ids(inputs: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """Right-padded (n, longest) id matrix."""
    if not inputs:
        raise ValueError("no inputs given: pass at least one encoded sentence.")
    validation.integer("pad_id", pad_id, low=0)
    for i, ids in enumerate(inputs):
        if isinstance(ids, str):
            raise TypeError(
                f"inputs[{i}] is text; encode it first with encode_texts(tokenizer, texts)."
            )
        for value in ids:
            validation.integer(f"inputs[{i}] (token ids)", value, low=0)
    batch = torch.full((len(inputs), max(len(ids) for ids in inputs)), pad_id, dtype=torch.long)
    for row, ids in enumerate(inputs):
        batch[row, : len(ids)] = torch.as_tensor(list(ids), dtype=torch.long)
    return batch


@torch.no_grad()
def student_logits(
    model: AveragedEmbeddingClassifier, inputs: Sequence[Sequence[int]], batch_size: int = 1024
) -> np.ndarray:
    """Class scores (n, classes) of the student, in batches."""
    validation.integer("batch_size", batch_size, low=1)
    if not inputs:
        raise ValueError("no inputs given: pass at least one encoded sentence.")
    model.eval()
    return np.concatenate(
        [
            model(pad_ids(inputs[start : start + batch_size], model.pad_id)).numpy()
            for start in range(0, len(inputs), batch_size)
        ]
    )


@dataclass
class StudentResult:
    """A trained student (best dev epoch restored) and what training measured."""

    model: AveragedEmbeddingClassifier
    dev_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0

    @property
    def best_dev_accuracy(self) -> float:
        """Dev accuracy of the weights training kept (the best epoch)."""
        if not self.dev_accuracy:
            raise ValueError("no epoch was measured: train the student with train_student first.")
        return max(self.dev_accuracy)


def train_student(
    train_ids: Sequence[Sequence[int]],
    train_labels: Sequence[int],
    dev_ids: Sequence[Sequence[int]],
    dev_labels: Sequence[int],
    *,
    vocab_size: int,
    pad_id: int,
    teacher_logits: np.ndarray | None = None,
    temperature: float = 1.0,
    alpha: float = DISTILL_ALPHA,
    config: StudentConfig = StudentConfig(),
    seed: int = 0,
) -> StudentResult:
    """Train a student on hard labels (``teacher_logits=None``) or distilled from a teacher.

    Labels of -100 mark unlabelled transfer sentences (distillation only). Early stopping
    on dev accuracy after ``config.patience`` epochs without a new best. Notebook 10.
    """
    if not isinstance(config, StudentConfig):
        raise TypeError(f"config must be a StudentConfig, got {type(config).__name__}.")
    validation.number("temperature", temperature, low=0.0, low_open=True, high=MAX_TEMPERATURE)
    validation.number("alpha", alpha, low=0.0, high=1.0)
    validation.integer("seed", seed)
    labels = torch.as_tensor(validation.class_ids("train_labels", train_labels))
    _check_labels(labels, MR_CLASSES)
    dev_truth = validation.class_ids("dev_labels", dev_labels)
    if len(labels) != len(train_ids):
        raise ValueError(f"{len(train_ids)} training inputs but {len(labels)} labels.")
    if len(dev_truth) != len(dev_ids) or not len(dev_ids):
        raise ValueError(f"{len(dev_ids)} dev inputs but {len(dev_truth)} labels; need one each.")
    if teacher_logits is None and (labels == IGNORE_INDEX).any():
        raise ValueError("unlabelled (-100) sentences need teacher_logits to learn from.")
    if teacher_logits is not None:
        teacher_logits = validation.finite_array("teacher_logits", teacher_logits)
        if teacher_logits.shape != (len(train_ids), MR_CLASSES):
            raise ValueError(
                f"teacher_logits has shape {teacher_logits.shape}: it needs {len(train_ids)} "
                f"rows (one per training input) of {MR_CLASSES} class scores."
            )
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = AveragedEmbeddingClassifier(vocab_size, config, MR_CLASSES, pad_id)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    inputs = pad_ids(train_ids, pad_id)
    soft = None if teacher_logits is None else torch.as_tensor(teacher_logits, dtype=torch.float32)
    result = StudentResult(model)
    best_state, stale, step = None, 0, 0
    start = time.perf_counter()
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        order = torch.randperm(len(inputs), generator=generator)
        for begin in range(0, len(order), config.batch_size):
            rows = order[begin : begin + config.batch_size]
            scores = model(inputs[rows])
            if soft is None:
                loss = F.cross_entropy(scores, labels[rows])
            else:
                loss = distillation_loss(
                    scores, soft[rows], labels[rows], temperature=temperature, alpha=alpha
                )
            step += 1
            validation.finite_loss(loss.item(), step, config.lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        predictions = student_logits(model, dev_ids).argmax(1)
        result.dev_accuracy.append(float(np.mean(predictions == dev_truth)))
        if result.dev_accuracy[-1] > max(result.dev_accuracy[:-1], default=-math.inf):
            best_state, result.best_epoch, stale = copy.deepcopy(model.state_dict()), epoch, 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - start
    model.eval()
    return result


def encode_texts(tokenizer: PreTrainedTokenizerFast, texts: Sequence[str]) -> list[list[int]]:
    """WordPiece ids as the teacher sees them (normalized, [CLS] ... [SEP])."""
    if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
        raise TypeError("texts must be a list of strings, e.g. [text] for a single one.")
    return encode_sentences(tokenizer, list(texts))


def unlabelled_transfer_texts(limit: int, seed: int = 0) -> list[str]:
    """In-domain movie sentences with no labels (subjectivity, then movie_reviews),
    shuffled and cut to ``limit``: extra text for the teacher to label. MR dev/test
    sentences never appear (:func:`course_utils.data.iter_corpus_documents`)."""
    validation.integer("limit", limit, low=0)
    validation.integer("seed", seed, low=0)
    sentences = [
        " ".join(sentence)
        for source in ("subjectivity", "movie_reviews")
        for document in data.iter_corpus_documents([source])
        for sentence in document
    ]
    order = np.random.RandomState(seed).permutation(len(sentences))[:limit]
    return [sentences[i] for i in order]
