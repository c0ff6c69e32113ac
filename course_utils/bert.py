"""BERT pre-training data: masked language modelling and next-sentence pairs. Notebook 08.

:func:`mask_tokens` is BERT's MLM corruption (Devlin et al. 2019, section 3.1): 15% of
the non-special tokens are chosen for prediction; of those 80% become [MASK], 10% a
random token and 10% stay unchanged, so the model cannot tell which inputs to trust.
:func:`make_nsp_pairs` builds ``[CLS] A [SEP] B [SEP]`` inputs where B is the real next
sentence half of the time and a sentence from another document otherwise.

Pre-training (:func:`pretrain`) samples such batches from an encoded corpus
(:class:`PretrainingCorpus`: half sentence pairs, half single in-domain sentences) and
minimises MLM + NSP loss; fine-tuning (:func:`fine_tune`) trains a sequence or token
classification head with early stopping on a dev set.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.reproducibility import evaluation_mode, has_fast_bfloat16
from course_utils.transformer import (
    IGNORE_INDEX,
    INIT_STD,
    TinyBert,
    TinyBertForTokenClassification,
    adamw,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gensim.models import KeyedVectors
    from transformers import PreTrainedTokenizerBase

#: Share of (non-special) tokens chosen for prediction.
MLM_PROBABILITY = 0.15
#: Of the chosen tokens: share replaced by [MASK], and share replaced by a random token
#: (the rest, 10%, stay unchanged).
MASK_SHARE = 0.8
RANDOM_SHARE = 0.1
#: NSP labels, as in Hugging Face's ``BertForPreTraining``: 0 = B follows A, 1 = random B.
IS_NEXT, NOT_NEXT = 0, 1
#: Share of NSP pairs whose B is the true next sentence.
NEXT_SENTENCE_SHARE = 0.5
#: [CLS] A [SEP] B [SEP] spends three positions on special tokens.
PAIR_SPECIAL_TOKENS = 3


def mask_tokens(
    input_ids: torch.Tensor,
    *,
    mask_id: int,
    vocab_size: int,
    special_ids: Sequence[int],
    mlm_probability: float = MLM_PROBABILITY,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 15% / 80-10-10 masking: ``(inputs, labels)``, labels -100 where not predicted.

    Special tokens ([CLS], [SEP], [PAD]...) are never chosen; random replacements are
    drawn from the non-special vocabulary. ``input_ids`` is left untouched.
    """
    validation.number(
        "mlm_probability", mlm_probability, low=0.0, high=1.0, low_open=True, high_open=True
    )
    if not isinstance(input_ids, torch.Tensor):
        raise TypeError(
            f"input_ids must be a torch.LongTensor of token ids, got {type(input_ids).__name__}; "
            "convert with torch.tensor(ids)."
        )
    if input_ids.dtype != torch.long:
        raise TypeError(f"input_ids must be a LongTensor of token ids, got {input_ids.dtype}.")
    vocab_size = validation.integer("vocab_size", vocab_size, low=2)
    mask_id = validation.integer("mask_id", mask_id, low=0, high=vocab_size - 1)
    if isinstance(special_ids, (str, numbers.Number)):
        raise TypeError(f"special_ids must be a list of token ids, got {special_ids!r}.")
    ids = [validation.integer("special_ids", i, low=0, high=vocab_size - 1) for i in special_ids]
    special = torch.tensor(sorted({*ids, mask_id}), dtype=torch.long)
    out_of_range = (input_ids < 0) | (input_ids >= vocab_size)
    if out_of_range.any():
        raise ValueError(
            f"input_ids must lie in [0, vocab_size={vocab_size}); found "
            f"{input_ids[out_of_range].unique().tolist()[:5]}."
        )
    candidates = ~torch.isin(input_ids, special)
    uniform = torch.rand(input_ids.shape, generator=generator)
    chosen = candidates & (uniform < mlm_probability)
    action = torch.rand(input_ids.shape, generator=generator)
    to_mask = chosen & (action < MASK_SHARE)
    to_random = chosen & (action >= MASK_SHARE) & (action < MASK_SHARE + RANDOM_SHARE)
    ordinary = torch.ones(vocab_size, dtype=torch.bool)
    ordinary[special] = False
    ordinary_ids = ordinary.nonzero().squeeze(1)
    if len(ordinary_ids) == 0:
        raise ValueError("the vocabulary has no non-special token to draw replacements from.")
    picks = torch.randint(len(ordinary_ids), input_ids.shape, generator=generator)
    inputs = input_ids.clone()
    inputs[to_mask] = mask_id
    inputs[to_random] = ordinary_ids[picks[to_random]]
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    return inputs, labels


@dataclass(frozen=True)
class NspExample:
    """One pre-training input: ``[CLS] A [SEP] B [SEP]`` with segment ids and its NSP label."""

    input_ids: list[int]
    token_type_ids: list[int]
    next_sentence_label: int


def truncate_pair(a: list[int], b: list[int], max_tokens: int) -> tuple[list[int], list[int]]:
    """Trim the longer of two sentences from the end until both fit ``max_tokens`` (BERT)."""
    validation.integer("max_tokens", max_tokens, low=0)
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        (a if len(a) >= len(b) else b).pop()
    return a, b


def pair_example(
    a: Sequence[int], b: Sequence[int], label: int, *, cls_id: int, sep_id: int, max_length: int
) -> NspExample:
    """Assemble ``[CLS] A [SEP] B [SEP]`` (segments 0 then 1), truncated to ``max_length``."""
    validation.integer("max_length", max_length)
    validation.integer("label", label)
    _check_token_ids("a", a)
    _check_token_ids("b", b)
    if max_length <= PAIR_SPECIAL_TOKENS + 1:
        raise ValueError(
            f"max_length must leave room for [CLS], two [SEP] and both sentences; got "
            f"{max_length}."
        )
    a, b = truncate_pair(list(a), list(b), max_length - PAIR_SPECIAL_TOKENS)
    ids = [cls_id, *a, sep_id, *b, sep_id]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return NspExample(ids, segments, label)


def make_nsp_pairs(
    documents: Sequence[Sequence[Sequence[int]]],
    *,
    cls_id: int,
    sep_id: int,
    max_length: int,
    seed: int = 0,
) -> list[NspExample]:
    """One NSP example per adjacent sentence pair of every document (ids already encoded).

    Half of the time (seeded) B is replaced by a random sentence of *another* document
    and labelled :data:`NOT_NEXT`, as in BERT's pre-training data.
    """
    usable = [doc for doc in documents if len(doc) >= 2]
    if len(usable) < 2:
        raise ValueError(
            "make_nsp_pairs needs at least two documents with two or more sentences each "
            f"(random B comes from another document); got {len(usable)}."
        )
    rng = random.Random(seed)
    examples = []
    for doc_index, doc in enumerate(usable):
        for first, second in itertools.pairwise(doc):
            label = IS_NEXT
            if rng.random() >= NEXT_SENTENCE_SHARE:
                other = rng.choice([i for i in range(len(usable)) if i != doc_index])
                second, label = rng.choice(usable[other]), NOT_NEXT
            examples.append(
                pair_example(
                    first, second, label, cls_id=cls_id, sep_id=sep_id, max_length=max_length
                )
            )
    return examples


def pad_examples(examples: Sequence[NspExample], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch: ``input_ids``, ``token_type_ids``, ``attention_mask``, NSP labels."""
    if not examples:
        raise ValueError("pad_examples needs at least one example.")
    validation.integer("pad_id", pad_id, low=0)
    if not all(isinstance(example, NspExample) for example in examples):
        raise TypeError(
            "examples must be NspExample objects (from pair_example or single_example)."
        )
    length = max(len(example.input_ids) for example in examples)
    batch = {
        "input_ids": torch.full((len(examples), length), pad_id, dtype=torch.long),
        "token_type_ids": torch.zeros((len(examples), length), dtype=torch.long),
        "attention_mask": torch.zeros((len(examples), length), dtype=torch.long),
    }
    for row, example in enumerate(examples):
        size = len(example.input_ids)
        batch["input_ids"][row, :size] = torch.tensor(example.input_ids)
        batch["token_type_ids"][row, :size] = torch.tensor(example.token_type_ids)
        batch["attention_mask"][row, :size] = 1
    batch["next_sentence_label"] = torch.tensor([e.next_sentence_label for e in examples])
    return batch


def single_example(a: Sequence[int], *, cls_id: int, sep_id: int, max_length: int) -> NspExample:
    """``[CLS] A [SEP]`` for MLM alone: its NSP label is ignored (-100) by the loss."""
    validation.integer("max_length", max_length)
    _check_token_ids("a", a)
    if max_length <= 2:
        raise ValueError(
            f"max_length must leave room for [CLS], [SEP] and a token; got {max_length}."
        )
    ids = [cls_id, *list(a)[: max_length - 2], sep_id]
    return NspExample(ids, [0] * len(ids), IGNORE_INDEX)


def _check_token_ids(name: str, ids: object) -> None:
    """A list of integer token ids (text must be encoded first)."""
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise TypeError(
            f"{name} must be a list of token ids, got {type(ids).__name__}; encode text first "
            "(e.g. tokenizer.encode(text, add_special_tokens=False))."
        )
    for value in ids:
        validation.integer(f"{name} (token ids)", value, low=0)


# ---------------------------------------------------------------------------
# Starting from word vectors: the SW 2.0 era feeds the transformer
# ---------------------------------------------------------------------------

#: WordPiece marks a piece that continues a word with this prefix.
CONTINUATION_PREFIX = "##"


@torch.no_grad()
def init_from_word_vectors(
    embedding: torch.Tensor,
    vocab: Mapping[str, int],
    vectors: KeyedVectors,
    *,
    seed: int = 0,
    std: float = INIT_STD,
) -> int:
    """Overwrite the rows of ``embedding`` (V, d) whose piece is a whole word that
    ``vectors`` knows with that word's vector; returns how many rows were set. Notebook 08.

    Word vectors (k numbers each, k <= d) are mapped into d dimensions by a fixed random
    map with orthonormal rows, which keeps every dot product and cosine, then scaled so
    their entries have the spread ``std`` of the rows they replace. Pieces that continue a
    word (``##ing``), special tokens and words the vectors lack keep their random start.
    """
    validation.number("std", std, low=0.0, low_open=True)
    validation.finite_tensor("embedding", embedding)
    if embedding.dim() != 2 or embedding.shape[0] != len(vocab):
        raise ValueError(
            f"embedding must be (vocabulary {len(vocab)}, d), got {tuple(embedding.shape)}."
        )
    size, width = vectors.vector_size, embedding.shape[1]
    if size > width:
        raise ValueError(f"{size}-number word vectors do not fit {width}-number embeddings.")
    rows = {
        index: piece
        for piece, index in vocab.items()
        if piece in vectors.key_to_index and not piece.startswith(CONTINUATION_PREFIX)
    }
    if not rows:
        return 0
    generator = torch.Generator().manual_seed(seed)
    rotation, _ = torch.linalg.qr(torch.randn(width, size, generator=generator))  # (d, k)
    known = torch.as_tensor(np.asarray(vectors.vectors), dtype=torch.float32)
    scale = std / float(known.std())
    indices = torch.as_tensor(sorted(rows))
    words = torch.as_tensor(vectors[[rows[int(i)] for i in indices]], dtype=torch.float32)
    rows_of_words = (scale * words @ rotation.T).to(embedding.dtype)
    if not bool(torch.isfinite(rows_of_words).all()):
        raise ValueError(
            f"std={std} scales the word vectors beyond {embedding.dtype}; use a spread like "
            f"the embeddings' own ({INIT_STD})."
        )
    embedding[indices] = rows_of_words
    return len(rows)


# ---------------------------------------------------------------------------
# Pre-training batches from an encoded corpus
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Pre-training: MLM + NSP
# ---------------------------------------------------------------------------

PretrainingBatchFn = Callable[[torch.Generator], dict[str, torch.Tensor]]
#: What a pre-training batch holds (:func:`masked_batch`).
BATCH_KEYS = frozenset(
    {"input_ids", "token_type_ids", "attention_mask", "labels", "next_sentence_label"}
)


#: Training precisions: float32, or bfloat16 autocast (weights and optimizer stay float32;
#: about twice as fast on CPUs with bfloat16 instructions, far slower on CPUs without).
AUTOCAST_DTYPES = {"float32": None, "bfloat16": torch.bfloat16}
#: The precision setting that picks bfloat16 where the device computes it natively, else
#: float32 (:func:`resolve_precision`).
AUTO_PRECISION = "auto"
PRECISIONS = (AUTO_PRECISION, *AUTOCAST_DTYPES)
#: The settings classes that carry a ``precision`` (pre-training and fine-tuning).
ConfigWithPrecision = TypeVar("ConfigWithPrecision", "PretrainingConfig", "FineTuningConfig")


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """The training precision ``precision`` means on ``device``: "auto" becomes "bfloat16"
    where the device has native bfloat16 (:func:`has_fast_bfloat16`), else "float32"."""
    _check_precision(precision)
    if precision != AUTO_PRECISION:
        return precision
    return "bfloat16" if has_fast_bfloat16(device) else "float32"


def with_resolved_precision(config: ConfigWithPrecision, device: str) -> ConfigWithPrecision:
    """``config`` with its precision resolved for ``device``: what a provenance records."""
    return replace(config, precision=resolve_precision(config.precision, device))


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")


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


def _check_optimizer_settings(lr: float, weight_decay: float, grad_clip: float) -> None:
    """The settings both training configurations share: finite, and positive where needed."""
    validation.learning_rate("lr", lr)
    validation.weight_decay("weight_decay", weight_decay)
    validation.number("grad_clip", grad_clip, low=0.0, low_open=True)


def warmup_linear_decay(step: int, lr: float, warmup_steps: int, total_steps: int) -> float:
    """BERT's schedule: linear warm-up to ``lr`` over ``warmup_steps``, then linear to 0."""
    validation.integer("step", step, low=0)
    validation.integer("warmup_steps", warmup_steps, low=0)
    validation.integer("total_steps", total_steps, low=1)
    validation.number("lr", lr, low=0.0)
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    return lr * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


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


def _to(batch: dict[str, torch.Tensor], device: str) -> dict[str, torch.Tensor]:
    return {key: value.to(device) for key, value in batch.items()}


def _autocast(device: str, precision: str) -> torch.autocast:
    dtype = AUTOCAST_DTYPES[resolve_precision(precision, device)]
    return torch.autocast(device, dtype=dtype or torch.float32, enabled=dtype is not None)


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


# ---------------------------------------------------------------------------
# Fine-tuning: a classification head on [CLS] or on every token
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Fill-mask: what the MLM head predicts for each [MASK]
# ---------------------------------------------------------------------------

FILL_MASK_TOP_K = 5


@torch.no_grad()
def fill_mask(
    model: TinyBert, tokenizer: PreTrainedTokenizerBase, text: str, top_k: int = FILL_MASK_TOP_K
) -> list[list[tuple[str, float]]]:
    """The ``top_k`` (token, probability) guesses for every [MASK] in ``text``. Notebook 08.

    ``tokenizer`` is the model's Hugging Face tokenizer; the same numbers as
    ``pipeline("fill-mask")`` on the converted model.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")
    mask = tokenizer.mask_token
    if mask not in text:
        raise ValueError(
            f"the text has no {mask} token: write {mask} where the model should guess a word, "
            f'e.g. "the movie was {mask}".'
        )
    validation.integer("top_k", top_k, low=1)
    encoded = tokenizer(text, return_tensors="pt", truncation=True)
    with evaluation_mode(model):
        output = model(encoded["input_ids"], encoded["token_type_ids"], encoded["attention_mask"])
    positions = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().squeeze(1)
    if len(positions) == 0:
        raise ValueError(
            f"every {mask} lies beyond the model's {model.config.max_position} positions; "
            "shorten the text."
        )
    guesses = []
    for position in positions.tolist():
        probs = output.mlm_logits[0, position].softmax(-1)
        values, ids = probs.topk(min(top_k, len(probs)))
        tokens = tokenizer.convert_ids_to_tokens(ids.tolist())
        guesses.append(list(zip(tokens, values.tolist(), strict=True)))
    return guesses
