"""BERT pre-training data: masked language modelling and next-sentence pairs. Notebook 08.

:func:`mask_tokens` is BERT's MLM corruption (Devlin et al. 2019, section 3.1): 15% of
the non-special tokens are chosen for prediction; of those 80% become [MASK], 10% a
random token and 10% stay unchanged, so the model cannot tell which inputs to trust.
:func:`make_nsp_pairs` builds ``[CLS] A [SEP] B [SEP]`` inputs where B is the real next
sentence half of the time and a sentence from another document otherwise.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from course_utils.transformer import IGNORE_INDEX

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
    if not 0.0 < mlm_probability < 1.0:
        raise ValueError(f"mlm_probability must lie in (0, 1), got {mlm_probability}.")
    if input_ids.dtype != torch.long:
        raise TypeError(f"input_ids must be a LongTensor of token ids, got {input_ids.dtype}.")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id={mask_id} must lie in [0, vocab_size={vocab_size}).")
    special = torch.tensor(sorted({*special_ids, mask_id}), dtype=torch.long)
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
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        (a if len(a) >= len(b) else b).pop()
    return a, b


def pair_example(
    a: Sequence[int], b: Sequence[int], label: int, *, cls_id: int, sep_id: int, max_length: int
) -> NspExample:
    """Assemble ``[CLS] A [SEP] B [SEP]`` (segments 0 then 1), truncated to ``max_length``."""
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
