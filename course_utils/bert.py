"""BERT: TinyBert, its fine-tuning heads, and its pre-training data. Notebooks 07 and 08.

:class:`TinyBert` is BERT's encoder (Devlin et al. 2019) at a size a 2-core CPU trains.
:func:`mask_tokens` is BERT's MLM corruption (section 3.1): 15% of the non-special tokens
are chosen for prediction; of those 80% become [MASK], 10% a random token and 10% stay
unchanged, so the model cannot tell which inputs to trust. :func:`make_nsp_pairs` builds
``[CLS] A [SEP] B [SEP]`` inputs where B is the real next sentence half of the time and a
sentence from another document otherwise. :func:`fill_mask` shows what the MLM head
predicts. Pre-training is in :mod:`course_utils.pretraining`, fine-tuning in
:mod:`course_utils.fine_tuning`.
"""

from __future__ import annotations

import itertools
import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import validation
from course_utils.attention import padding_mask
from course_utils.reproducibility import evaluation_mode
from course_utils.transformer import (
    GELU_EXACT,
    IGNORE_INDEX,
    INIT_STD,
    Block,
    TransformerConfig,
    check_input_ids,
    init_weights,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gensim.models import KeyedVectors
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "CONTINUATION_PREFIX",
    "FILL_MASK_TOP_K",
    "IS_NEXT",
    "MASK_SHARE",
    "MLM_PROBABILITY",
    "NEXT_SENTENCE_SHARE",
    "NOT_NEXT",
    "NSP_CLASSES",
    "PAIR_SPECIAL_TOKENS",
    "RANDOM_SHARE",
    "BertOutput",
    "NspExample",
    "TinyBert",
    "TinyBertConfig",
    "TinyBertForSequenceClassification",
    "TinyBertForTokenClassification",
    "fill_mask",
    "init_from_word_vectors",
    "make_nsp_pairs",
    "mask_tokens",
    "pad_examples",
    "pair_example",
    "single_example",
    "truncate_pair",
]

#: BERT's next-sentence prediction classes: 0 = B follows A, 1 = B is random.
NSP_CLASSES = 2


@dataclass(frozen=True)
class TinyBertConfig(TransformerConfig):
    """A BERT configuration (BERT-Base: d_model 768, 12 layers, 12 heads, d_ff 3072). Notebook 08.

    ``type_vocab_size`` segments (A and B); ``pad_token_id`` is the padding row of the
    token embedding (no gradient), as in Hugging Face's ``BertConfig``.
    """

    layer_norm_eps: float = 1e-12
    type_vocab_size: int = 2
    pad_token_id: int | None = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.type_vocab_size <= 0:
            raise ValueError(f"type_vocab_size must be positive, got {self.type_vocab_size}.")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(
                f"pad_token_id={self.pad_token_id} must lie in [0, vocab_size={self.vocab_size})"
                " or be None."
            )


@dataclass
class BertOutput:
    """What :class:`TinyBert` returns; shapes use B = batch, L = length, V = vocabulary."""

    mlm_logits: torch.Tensor  # (B, L, V): masked-language-model scores
    nsp_logits: torch.Tensor  # (B, 2): next-sentence scores from the pooled [CLS]
    hidden_states: torch.Tensor  # (B, L, d_model): the encoder's last layer
    pooled: torch.Tensor  # (B, d_model): tanh(dense([CLS]))
    attentions: list[torch.Tensor]  # per layer, (B, heads, L, L)


class TinyBert(nn.Module):
    """BERT (Devlin et al. 2019): a post-LN encoder with MLM and NSP heads. Notebooks 07-08.

    Token + segment + learned position embeddings are summed, normalised and passed
    through bidirectional blocks. The MLM head (dense, GELU, LayerNorm, then a decoder
    tied to the token embedding plus a bias) scores every position; the NSP head reads
    the pooled [CLS] vector (dense + tanh), which also feeds sequence classification.
    """

    def __init__(self, config: TinyBertConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.token_embed = nn.Embedding(config.vocab_size, d, padding_idx=config.pad_token_id)
        self.segment_embed = nn.Embedding(config.type_vocab_size, d)
        self.position_embed = nn.Embedding(config.max_position, d)
        self.embed_ln = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.embed_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            Block(config, pre_norm=False, gelu=GELU_EXACT) for _ in range(config.num_layers)
        )
        self.pooler = nn.Linear(d, d)
        self.mlm_transform = nn.Linear(d, d)
        self.mlm_act = nn.GELU(approximate=GELU_EXACT)
        self.mlm_ln = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.nsp_head = nn.Linear(d, NSP_CLASSES)
        self.apply(init_weights)

    def encode(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The encoder alone: ``(hidden_states (B, L, d_model), attentions per layer)``.

        ``attention_mask`` (B, L): 1 = token, 0 = padding (padding is never attended to).
        """
        config = self.config
        check_input_ids("input_ids", input_ids, config.vocab_size, config.max_position)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        for name, extra in (
            ("token_type_ids", token_type_ids),
            ("attention_mask", attention_mask),
        ):
            if extra is not None and extra.shape != input_ids.shape:
                raise ValueError(
                    f"{name} must have the shape of input_ids {tuple(input_ids.shape)}, "
                    f"got {tuple(extra.shape)}."
                )
        check_input_ids(
            "token_type_ids", token_type_ids, config.type_vocab_size, config.max_position
        )
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = (
            self.token_embed(input_ids)
            + self.segment_embed(token_type_ids)
            + self.position_embed(positions)
        )
        x = self.embed_dropout(self.embed_ln(x))
        mask = None if attention_mask is None else padding_mask(attention_mask)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask)
            attentions.append(weights)
        return x, attentions

    def pool(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """BERT's pooler: tanh(dense(hidden state of [CLS])), shape (B, d_model)."""
        return torch.tanh(self.pooler(hidden_states[:, 0]))

    def mlm_logits(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Vocabulary scores for every position, (B, L, V), decoder tied to the embedding."""
        h = self.mlm_ln(self.mlm_act(self.mlm_transform(hidden_states)))
        return F.linear(h, self.token_embed.weight, self.mlm_bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> BertOutput:
        """Encode ``input_ids`` (B, L) and apply both pre-training heads."""
        hidden, attentions = self.encode(input_ids, token_type_ids, attention_mask)
        pooled = self.pool(hidden)
        return BertOutput(
            mlm_logits=self.mlm_logits(hidden),
            nsp_logits=self.nsp_head(pooled),
            hidden_states=hidden,
            pooled=pooled,
            attentions=attentions,
        )


class _FineTuningHead(nn.Module):
    """A (pre-trained) :class:`TinyBert` with dropout and a fresh linear classifier on top."""

    def __init__(self, bert: TinyBert, num_labels: int) -> None:
        super().__init__()
        if num_labels <= 0:
            raise ValueError(f"num_labels must be positive, got {num_labels}.")
        self.bert = bert
        self.dropout = nn.Dropout(bert.config.dropout)
        self.classifier = nn.Linear(bert.config.d_model, num_labels)
        init_weights(self.classifier)


class TinyBertForSequenceClassification(_FineTuningHead):
    """A pre-trained :class:`TinyBert` plus dropout + linear on the pooled [CLS]. Notebook 08.

    BERT's single-sentence and sentence-pair fine-tuning set-up (Hugging Face's
    ``BertForSequenceClassification``).
    """

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Class scores (B, num_labels)."""
        hidden, _ = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return self.classifier(self.dropout(self.bert.pool(hidden)))


class TinyBertForTokenClassification(_FineTuningHead):
    """A pre-trained :class:`TinyBert` plus dropout + linear on every token. Notebook 08.

    BERT's token-level set-up (tagging, e.g. part of speech); with two labels per token
    (start, end) it is the span-extraction head of extractive question answering.
    """

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Per-token scores (B, L, num_labels)."""
        hidden, _ = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return self.classifier(self.dropout(hidden))


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
