"""BERT pre-training: MLM + NSP batches sampled from an encoded corpus, and the loop.
Notebook 08.

:class:`PretrainingCorpus` draws half sentence pairs, half single in-domain sentences;
:func:`pretrain` minimises MLM + NSP loss with warm-up and linear decay, in float32 or
bfloat16 (:func:`resolve_precision`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.bert import (
    IS_NEXT,
    NEXT_SENTENCE_SHARE,
    NOT_NEXT,
    NspExample,
    TinyBert,
    mask_tokens,
    pad_examples,
    pair_example,
    single_example,
)
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
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "BATCH_KEYS",
    "MAX_REDRAWS",
    "PAIR_SHARE",
    "BertVocab",
    "PretrainingBatchFn",
    "PretrainingConfig",
    "PretrainingCorpus",
    "PretrainingHistory",
    "PretrainingMetrics",
    "PretrainingState",
    "evaluate_pretraining",
    "masked_batch",
    "pretrain",
    "pretraining_metrics",
]


@dataclass(frozen=True)
class BertVocab:
    """What batch building needs to know about a vocabulary: its size and special ids."""

    size: int
    pad_id: int
    cls_id: int
    sep_id: int
    mask_id: int
    special_ids: tuple[int, ...]

    @classmethod
    def from_tokenizer(cls, tokenizer: PreTrainedTokenizerBase) -> BertVocab:
        """Read the sizes and ids off a Hugging Face BERT tokenizer (e.g. ``train_wordpiece``)."""
        return cls(
            size=len(tokenizer),
            pad_id=tokenizer.pad_token_id,
            cls_id=tokenizer.cls_token_id,
            sep_id=tokenizer.sep_token_id,
            mask_id=tokenizer.mask_token_id,
            special_ids=tuple(sorted(tokenizer.all_special_ids)),
        )


#: Share of each pre-training batch made of NSP sentence pairs (the rest: single sentences).
PAIR_SHARE = 0.5
#: Attempts at drawing a random B from another document before giving up.
MAX_REDRAWS = 100


class PretrainingCorpus:
    """Encoded text for pre-training: documents (for NSP pairs) and single sentences.

    Sentences are stored as one flat id array with offsets, so sampling a batch costs
    no more than slicing. ``documents`` are lists of consecutive encoded sentences;
    ``singles`` are encoded sentences used alone as ``[CLS] A [SEP]`` MLM examples.
    Notebook 08.
    """

    def __init__(
        self, documents: Sequence[Sequence[Sequence[int]]], singles: Sequence[Sequence[int]]
    ) -> None:
        sentences = [list(s) for doc in documents for s in doc if len(s)]
        doc_of = [i for i, doc in enumerate(documents) for s in doc if len(s)]
        single_list = [list(s) for s in singles if len(s)]
        if len({*doc_of}) < 2:
            raise ValueError(
                "a pre-training corpus needs at least two non-empty documents (random B "
                f"sentences come from another document); got {len({*doc_of})}."
            )
        every = sentences + single_list
        self.lengths = np.array([len(s) for s in every], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.tokens = np.fromiter(itertools.chain.from_iterable(every), dtype=np.int32)
        self.document = np.array(doc_of, dtype=np.int64)
        self.pair_sentences = len(sentences)
        self.firsts = np.flatnonzero(self.document[1:] == self.document[:-1])
        self.singles = np.arange(len(sentences), len(every))

    @property
    def num_tokens(self) -> int:
        """Number of (sub-word) tokens stored."""
        return int(self.lengths.sum())

    def sentence(self, index: int) -> list[int]:
        """The ids of stored sentence ``index``."""
        index = validation.integer("index", index, low=0, high=len(self.lengths) - 1)
        start = self.starts[index]
        return self.tokens[start : start + self.lengths[index]].tolist()

    def _random_other(self, firsts: np.ndarray, generator: torch.Generator) -> np.ndarray:
        """For each first sentence, a random sentence from a different document."""
        picks = _randint(self.pair_sentences, len(firsts), generator)
        for _ in range(MAX_REDRAWS):
            same = self.document[picks] == self.document[firsts]
            if not same.any():
                return picks
            picks[same] = _randint(self.pair_sentences, int(same.sum()), generator)
        raise ValueError("could not draw a sentence from another document; add documents.")

    def sample(
        self,
        batch_size: int,
        vocab: BertVocab,
        max_length: int,
        generator: torch.Generator,
        pair_share: float = PAIR_SHARE,
    ) -> dict[str, torch.Tensor]:
        """A masked batch: ``pair_share`` NSP pairs (half true next), the rest singles (all
        pairs when the corpus has no single sentences).

        Keys: ``input_ids``, ``token_type_ids``, ``attention_mask``, ``labels`` (MLM
        targets, -100 elsewhere) and ``next_sentence_label`` (-100 for singles).
        """
        validation.integer("batch_size", batch_size, low=1)
        validation.number("pair_share", pair_share, low=0.0, high=1.0)
        num_pairs = round(batch_size * pair_share) if len(self.singles) else batch_size
        examples = self.pair_examples(*self.draw_pairs(num_pairs, generator), vocab, max_length)
        singles = self.singles[_randint(len(self.singles), batch_size - num_pairs, generator)]
        examples += [
            single_example(
                self.sentence(i), cls_id=vocab.cls_id, sep_id=vocab.sep_id, max_length=max_length
            )
            for i in singles
        ]
        return masked_batch(examples, vocab, generator)

    def draw_pairs(
        self, num_pairs: int, generator: torch.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random NSP pairs as sentence indices: A, B, and whether B is A's true next
        sentence (half of them; otherwise B comes from another document)."""
        validation.integer("num_pairs", num_pairs, low=0)
        if num_pairs and not len(self.firsts):
            raise ValueError("this corpus has no document of two sentences to build pairs from.")
        firsts = self.firsts[_randint(len(self.firsts), num_pairs, generator)]
        is_next = torch.rand(num_pairs, generator=generator).numpy() < NEXT_SENTENCE_SHARE
        seconds = np.where(is_next, firsts + 1, self._random_other(firsts, generator))
        return firsts, seconds, is_next

    def pair_examples(
        self,
        firsts: np.ndarray,
        seconds: np.ndarray,
        is_next: np.ndarray,
        vocab: BertVocab,
        max_length: int,
    ) -> list[NspExample]:
        """``[CLS] A [SEP] B [SEP]`` examples for pairs from :meth:`draw_pairs`."""
        return [
            pair_example(
                self.sentence(a),
                self.sentence(b),
                IS_NEXT if nxt else NOT_NEXT,
                cls_id=vocab.cls_id,
                sep_id=vocab.sep_id,
                max_length=max_length,
            )
            for a, b, nxt in zip(firsts, seconds, is_next, strict=True)
        ]


def masked_batch(
    examples: Sequence[NspExample], vocab: BertVocab, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """Pad examples into a batch and apply :func:`mask_tokens` (MLM targets in ``labels``)."""
    if not isinstance(vocab, BertVocab):
        raise TypeError(f"vocab must be a BertVocab, got {type(vocab).__name__}.")
    batch = pad_examples(examples, vocab.pad_id)
    batch["input_ids"], batch["labels"] = mask_tokens(
        batch["input_ids"],
        mask_id=vocab.mask_id,
        vocab_size=vocab.size,
        special_ids=vocab.special_ids,
        generator=generator,
    )
    return batch


def _randint(high: int, size: int, generator: torch.Generator) -> np.ndarray:
    if size == 0:
        return np.empty(0, dtype=np.int64)
    return torch.randint(high, (size,), generator=generator).numpy()


PretrainingBatchFn = Callable[[torch.Generator], dict[str, torch.Tensor]]
#: What a pre-training batch holds (:func:`masked_batch`).
BATCH_KEYS = frozenset(
    {"input_ids", "token_type_ids", "attention_mask", "labels", "next_sentence_label"}
)


@dataclass(frozen=True)
class PretrainingConfig:
    """Hyperparameters of :func:`pretrain` (BERT: AdamW, warm-up, linear decay). Notebook 08.

    ``precision="bfloat16"`` runs the forward pass under bfloat16 autocast.
    """

    max_steps: int = 1000
    lr: float = 1e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float = 1.0
    eval_every: int = 250
    eval_batches: int = 10
    precision: str = "float32"

    def __post_init__(self) -> None:
        for name in ("max_steps", "eval_every", "eval_batches"):
            validation.integer(name, getattr(self, name), low=1)
        validation.integer("warmup_steps", self.warmup_steps, low=0)
        _check_optimizer_settings(self.lr, self.weight_decay, self.grad_clip)
        for beta in self.betas:
            validation.number("betas", beta, low=0.0, high=1.0, high_open=True)
        _check_precision(self.precision)


@dataclass
class PretrainingMetrics:
    """MLM and NSP losses and accuracies of one forward pass (or summed over several)."""

    mlm_loss: torch.Tensor
    nsp_loss: torch.Tensor
    mlm_correct: int
    mlm_count: int
    nsp_correct: int
    nsp_count: int

    @property
    def loss(self) -> torch.Tensor:
        """BERT's pre-training objective: MLM loss + NSP loss."""
        return self.mlm_loss + self.nsp_loss


def pretraining_metrics(model: TinyBert, batch: dict[str, torch.Tensor]) -> PretrainingMetrics:
    """Forward a masked batch; MLM scores only at the chosen positions (saves the V-sized
    matmul everywhere else), NSP on pairs only (labels -100 are singles)."""
    missing = sorted(BATCH_KEYS - set(batch))
    if missing:
        raise ValueError(
            f"the batch lacks {missing}; build it with masked_batch or PretrainingCorpus.sample."
        )
    hidden, _ = model.encode(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
    labels = batch["labels"]
    chosen = labels != IGNORE_INDEX
    mlm_logits = model.mlm_logits(hidden[chosen])
    targets = labels[chosen]
    mlm_loss = F.cross_entropy(mlm_logits, targets) if len(targets) else hidden.sum() * 0.0
    nsp_logits = model.nsp_head(model.pool(hidden))
    nsp_labels = batch["next_sentence_label"]
    pairs = nsp_labels != IGNORE_INDEX
    nsp_loss = (
        F.cross_entropy(nsp_logits[pairs], nsp_labels[pairs])
        if pairs.any()
        else hidden.sum() * 0.0
    )
    return PretrainingMetrics(
        mlm_loss=mlm_loss,
        nsp_loss=nsp_loss,
        mlm_correct=int((mlm_logits.argmax(-1) == targets).sum()),
        mlm_count=len(targets),
        nsp_correct=int((nsp_logits[pairs].argmax(-1) == nsp_labels[pairs]).sum()),
        nsp_count=int(pairs.sum()),
    )


@torch.no_grad()
def evaluate_pretraining(
    model: TinyBert,
    batches: PretrainingBatchFn,
    num_batches: int,
    *,
    seed: int = 0,
    device: str = "cpu",
) -> dict[str, float]:
    """MLM loss, MLM accuracy and NSP accuracy on ``num_batches`` batches drawn with a fixed
    seed (the same held-out batches at every call)."""
    validation.integer("num_batches", num_batches, low=1)
    generator = torch.Generator().manual_seed(validation.integer("seed", seed))
    loss = correct = count = nsp_correct = nsp_count = 0.0
    with evaluation_mode(model):
        for _ in range(num_batches):
            metrics = pretraining_metrics(model, _to(batches(generator), device))
            loss += metrics.mlm_loss.item() * metrics.mlm_count
            correct, count = correct + metrics.mlm_correct, count + metrics.mlm_count
            nsp_correct += metrics.nsp_correct
            nsp_count += metrics.nsp_count
    return {
        "mlm_loss": loss / max(count, 1),
        "mlm_accuracy": correct / max(count, 1),
        "nsp_accuracy": nsp_correct / nsp_count if nsp_count else math.nan,
        "mlm_predictions": int(count),
        "nsp_pairs": int(nsp_count),
    }


@dataclass
class PretrainingHistory:
    """What :func:`pretrain` measured: per-step losses, held-out curves, throughput."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    mlm_loss: list[float] = field(default_factory=list)
    nsp_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_mlm_loss: list[float] = field(default_factory=list)
    eval_mlm_accuracy: list[float] = field(default_factory=list)
    eval_nsp_accuracy: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Training throughput in (input, non-padding) tokens per second."""
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class PretrainingState:
    """Everything :func:`pretrain` needs to continue a run exactly: optimizer, batch sampler,
    dropout random state, history and step."""

    optimizer: dict
    generator: torch.Tensor
    history: PretrainingHistory
    step: int
    dropout_rng: torch.Tensor


def pretrain(
    model: TinyBert,
    train_batches: PretrainingBatchFn,
    eval_batches: PretrainingBatchFn,
    config: PretrainingConfig,
    *,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    resume: PretrainingState | None = None,
    on_eval: Callable[[PretrainingState], None] | None = None,
) -> PretrainingHistory:
    """Pre-train ``model`` on MLM + NSP for ``config.max_steps`` steps. Notebook 08.

    Evaluates on ``eval_batches`` every ``eval_every`` steps; ``on_eval`` receives the full
    state (to save it) and passing it back as ``resume`` continues the run exactly.
    """
    if not isinstance(config, PretrainingConfig):
        raise TypeError(f"config must be a PretrainingConfig, got {type(config).__name__}.")
    validation.integer("seed", seed)
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    optimizer = adamw(model, config.lr, config.weight_decay, config.betas)
    history, first_step = PretrainingHistory(), 0
    if resume is not None:
        optimizer.load_state_dict(resume.optimizer)
        generator.set_state(resume.generator)
        history, first_step = resume.history, resume.step
        torch.set_rng_state(resume.dropout_rng)
    start = time.perf_counter() - history.seconds
    with tqdm(
        total=config.max_steps, initial=first_step, unit="step", disable=not progress, desc="BERT"
    ) as bar:
        for step in range(first_step, config.max_steps):
            for group in optimizer.param_groups:
                group["lr"] = warmup_linear_decay(
                    step, config.lr, config.warmup_steps, config.max_steps
                )
            batch = _to(train_batches(generator), device)
            with _autocast(device, config.precision):
                metrics = pretraining_metrics(model, batch)
            loss_value = validation.finite_loss(metrics.loss.item(), step + 1, config.lr)
            optimizer.zero_grad(set_to_none=True)
            metrics.loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            history.steps.append(step + 1)
            history.loss.append(loss_value)
            history.mlm_loss.append(metrics.mlm_loss.item())
            history.nsp_loss.append(metrics.nsp_loss.item())
            history.tokens += int(batch["attention_mask"].sum())
            if (step + 1) % config.eval_every == 0 or step + 1 == config.max_steps:
                scores = evaluate_pretraining(
                    model, eval_batches, config.eval_batches, seed=seed, device=device
                )
                history.eval_steps.append(step + 1)
                history.eval_mlm_loss.append(scores["mlm_loss"])
                history.eval_mlm_accuracy.append(scores["mlm_accuracy"])
                history.eval_nsp_accuracy.append(scores["nsp_accuracy"])
                bar.set_postfix(
                    mlm=f"{scores['mlm_accuracy']:.3f}", nsp=f"{scores['nsp_accuracy']:.3f}"
                )
                history.seconds = time.perf_counter() - start
                if on_eval is not None:
                    state = optimizer.state_dict(), generator.get_state(), history, step + 1
                    on_eval(PretrainingState(*state, dropout_rng=torch.get_rng_state()))
            history.seconds = time.perf_counter() - start
            bar.set_postfix_str(
                f"loss {loss_value:.2f}, {history.tokens_per_second:,.0f} tok/s",
                refresh=False,
            )
            bar.update()
    model.eval()
    return history
