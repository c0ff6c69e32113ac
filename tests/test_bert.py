"""BERT pre-training data: masking statistics and NSP pairs (notebook 08)."""

from __future__ import annotations

import pytest
import torch

from course_utils.bert import (
    IS_NEXT,
    NOT_NEXT,
    make_nsp_pairs,
    mask_tokens,
    pad_examples,
    pair_example,
)
from course_utils.transformer import IGNORE_INDEX

PAD, UNK, CLS, SEP, MASK = range(5)
SPECIAL = (PAD, UNK, CLS, SEP, MASK)
VOCAB = 1000
TOLERANCE = 0.01


def _batch(rows: int = 400, length: int = 300) -> torch.Tensor:
    ids = torch.randint(5, VOCAB, (rows, length), generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, -1], ids[:, -20:-1] = CLS, SEP, PAD
    return ids


def test_masking_rates_are_15_and_80_10_10():
    ids = _batch()
    inputs, labels = mask_tokens(
        ids,
        mask_id=MASK,
        vocab_size=VOCAB,
        special_ids=SPECIAL,
        generator=torch.Generator().manual_seed(1),
    )
    ordinary = ~torch.isin(ids, torch.tensor(SPECIAL))
    chosen = labels != IGNORE_INDEX
    assert ordinary.sum() > 100_000
    assert abs(chosen.sum() / ordinary.sum() - 0.15) < TOLERANCE
    masked = (inputs == MASK) & chosen
    unchanged = (inputs == ids) & chosen
    random_ = chosen & ~masked & ~unchanged
    for part, share in ((masked, 0.8), (unchanged, 0.1), (random_, 0.1)):
        assert abs(part.sum() / chosen.sum() - share) < TOLERANCE, share
    assert torch.equal(labels[chosen], ids[chosen])
    assert not chosen[~ordinary].any() and torch.equal(inputs[~ordinary], ids[~ordinary])
    assert not torch.isin(inputs[random_], torch.tensor(SPECIAL)).any()
    assert torch.equal(inputs[~chosen], ids[~chosen])


def test_masking_is_seeded_and_leaves_the_input_alone():
    ids = _batch(10, 50)
    copy = ids.clone()

    def run(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return mask_tokens(
            ids,
            mask_id=MASK,
            vocab_size=VOCAB,
            special_ids=SPECIAL,
            generator=torch.Generator().manual_seed(seed),
        )

    first, second = run(3), run(3)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert not torch.equal(run(3)[1], run(4)[1]) and torch.equal(ids, copy)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mlm_probability": 0.0}, ValueError, "mlm_probability"),
        ({"mask_id": VOCAB}, ValueError, "mask_id"),
        ({"vocab_size": 10}, ValueError, "input_ids must lie"),
    ],
)
def test_bad_masking_arguments(kwargs, error, message):
    arguments = {"mask_id": MASK, "vocab_size": VOCAB, "special_ids": SPECIAL, **kwargs}
    with pytest.raises(error, match=message):
        mask_tokens(_batch(2, 60), **arguments)
    with pytest.raises(TypeError, match="LongTensor"):
        mask_tokens(_batch(2, 20).float(), mask_id=MASK, vocab_size=VOCAB, special_ids=SPECIAL)


def test_pair_layout_and_truncation():
    example = pair_example(
        [10, 11, 12, 13, 14], [20, 21], IS_NEXT, cls_id=CLS, sep_id=SEP, max_length=8
    )
    assert example.input_ids == [CLS, 10, 11, 12, SEP, 20, 21, SEP]
    assert example.token_type_ids == [0, 0, 0, 0, 0, 1, 1, 1]


def test_nsp_pairs_are_half_true_and_random_b_comes_from_another_document():
    documents = [[[doc * 100 + s] for s in range(30)] for doc in range(1, 41)]
    examples = make_nsp_pairs(documents, cls_id=CLS, sep_id=SEP, max_length=16, seed=0)
    assert len(examples) == 40 * 29
    share_next = sum(e.next_sentence_label == IS_NEXT for e in examples) / len(examples)
    assert abs(share_next - 0.5) < 0.03
    for e in examples:
        a, b = e.input_ids[1], e.input_ids[3]
        same_doc_next = b // 100 == a // 100 and b == a + 1
        assert same_doc_next == (e.next_sentence_label == IS_NEXT)
        if e.next_sentence_label == NOT_NEXT:
            assert b // 100 != a // 100


def test_nsp_needs_two_documents_and_padding_masks():
    with pytest.raises(ValueError, match="two documents"):
        make_nsp_pairs([[[1], [2]]], cls_id=CLS, sep_id=SEP, max_length=8)
    examples = [
        pair_example([7], [8], IS_NEXT, cls_id=CLS, sep_id=SEP, max_length=8),
        pair_example([7, 7, 7], [8, 8], NOT_NEXT, cls_id=CLS, sep_id=SEP, max_length=8),
    ]
    batch = pad_examples(examples, PAD)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].sum(1).tolist() == [5, 8]
    assert batch["next_sentence_label"].tolist() == [IS_NEXT, NOT_NEXT]
