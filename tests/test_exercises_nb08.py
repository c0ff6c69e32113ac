"""Checks of notebook 08: a right answer passes, plausible wrong ones fail with a hint, a stub
is "not solved yet"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.bert import mask_tokens


def _corrupt(input_ids, chosen, action, random_ids, mask_id):
    out = input_ids.clone()
    out[chosen & (action < 0.8)] = mask_id
    swap = chosen & (action >= 0.8) & (action < 0.9)
    out[swap] = random_ids[swap]
    return out


def _trim(a, b, max_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_length - 3:
        (a if len(a) >= len(b) else b).pop()
    return a, b


def _build_pair(a, b, cls_id, sep_id, max_length):
    a, b = _trim(a, b, max_length)
    ids = [cls_id, *a, sep_id, *b, sep_id]
    return ids, [0] * (len(a) + 2) + [1] * (len(b) + 1)


def _pair(a, b, cls_id, sep_id):
    return [cls_id, *a, sep_id, *b, sep_id], [0] * (len(a) + 2) + [1] * (len(b) + 1)


def _trim_b_first(a, b, cls_id, sep_id, max_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_length - 3:
        (b if b else a).pop()
    return _pair(a, b, cls_id, sep_id)


def _trim_from_front(a, b, cls_id, sep_id, max_length):
    kept_a, kept_b = _trim(a, b, max_length)
    return _pair(a[len(a) - len(kept_a) :], b[len(b) - len(kept_b) :], cls_id, sep_id)


def _cut_the_end(a, b, cls_id, sep_id, max_length):
    ids, segments = _pair(a, b, cls_id, sep_id)
    return ids[:max_length], segments[:max_length]


def _trim_b_first_on_tie(a, b, cls_id, sep_id, max_length):
    a, b = list(a), list(b)
    while len(a) + len(b) > max_length - 3:
        (a if len(a) > len(b) else b).pop()
    return _pair(a, b, cls_id, sep_id)


def _best_span(start_logits, end_logits, max_answer_length):
    best, span = float("-inf"), (0, 0)
    for s in range(len(start_logits)):
        for e in range(s, min(len(end_logits), s + max_answer_length)):
            score = float(start_logits[s] + end_logits[e])
            if score > best:
                best, span = score, (s, e)
    return span


def _mlm_loss(logits, labels):
    chosen = labels != -100
    if not chosen.any():
        return torch.tensor(0.0)
    log_probs = torch.log_softmax(logits[chosen], dim=-1)
    return -log_probs.gather(1, labels[chosen][:, None]).mean()


def _mlm_loss_everywhere(logits, labels):
    log_probs = torch.log_softmax(logits, dim=-1)
    return -log_probs.gather(2, labels.clamp(min=0)[..., None]).mean()


def _mlm_loss_summed(logits, labels):
    chosen = labels != -100
    log_probs = torch.log_softmax(logits[chosen], dim=-1)
    return -log_probs.gather(1, labels[chosen][:, None]).sum()


def _mlm_loss_nan_when_empty(logits, labels):
    chosen = labels != -100
    log_probs = torch.log_softmax(logits[chosen], dim=-1)
    return -log_probs.gather(1, labels[chosen][:, None]).mean()


def _in_place(input_ids, chosen, action, random_ids, mask_id):
    input_ids[chosen & (action < 0.8)] = mask_id
    return input_ids


RIGHT = {
    "check_corrupt_chosen": _corrupt,
    "check_nsp_pair": _build_pair,
    "check_best_span": _best_span,
    "check_mlm_loss": _mlm_loss,
}
WRONG = {
    "corrupt: everything chosen masked": (
        "check_corrupt_chosen",
        lambda ids, chosen, action, random_ids, mask_id: ids.masked_fill(chosen, mask_id),
        "below 0.8",
    ),
    "corrupt: masks unchosen positions": (
        "check_corrupt_chosen",
        lambda ids, chosen, action, random_ids, mask_id: ids.masked_fill(action < 0.8, mask_id),
        "not chosen",
    ),
    "corrupt: no random part": (
        "check_corrupt_chosen",
        lambda ids, chosen, action, random_ids, mask_id: ids.masked_fill(
            chosen & (action < 0.8), mask_id
        ),
        "random_ids",
    ),
    "corrupt: in place": ("check_corrupt_chosen", _in_place, "in place"),
    "nsp: final [SEP] in segment A": (
        "check_nsp_pair",
        lambda a, b, cls_id, sep_id, max_length: (
            [cls_id, *a, sep_id, *b, sep_id],
            [0] * (len(a) + 2) + [1] * len(b) + [0],
        ),
        "final",
    ),
    "nsp: no final [SEP]": (
        "check_nsp_pair",
        lambda a, b, cls_id, sep_id, max_length: (
            [cls_id, *a, sep_id, *b],
            [0] * (len(a) + 2) + [1] * len(b),
        ),
        "[CLS] A [SEP] B [SEP]",
    ),
    "nsp: no truncation": (
        "check_nsp_pair",
        lambda a, b, cls_id, sep_id, max_length: _pair(a, b, cls_id, sep_id),
        "at most",
    ),
    "nsp: the end cut off": ("check_nsp_pair", _cut_the_end, "never the special tokens"),
    "nsp: trims B first": ("check_nsp_pair", _trim_b_first, "longer sentence"),
    "nsp: trims from the front": ("check_nsp_pair", _trim_from_front, "not from its start"),
    "nsp: B first on a tie": ("check_nsp_pair", _trim_b_first_on_tie, "A when they are equal"),
    "mlm: mean over every position": (
        "check_mlm_loss",
        _mlm_loss_everywhere,
        "chosen positions only",
    ),
    "mlm: sum": ("check_mlm_loss", _mlm_loss_summed, "not the sum"),
    "mlm: sign": ("check_mlm_loss", lambda logits, labels: -_mlm_loss(logits, labels), "sign"),
    "mlm: nan when nothing is chosen": ("check_mlm_loss", _mlm_loss_nan_when_empty, "return 0.0"),
    "mlm: torch's cross-entropy": (
        "check_mlm_loss",
        lambda logits, labels: F.cross_entropy(logits.flatten(0, 1), labels.flatten()),
        "log_softmax",
    ),
    "mlm: probabilities, not log": (
        "check_mlm_loss",
        lambda logits, labels: 1 - torch.exp(-_mlm_loss(logits, labels)),
        "recipe",
    ),
    "span: separate argmaxes": (
        "check_best_span",
        lambda start, end, longest: (int(start.argmax()), int(end.argmax())),
        "Score every valid",
    ),
    "span: no length limit": (
        "check_best_span",
        lambda start, end, longest: _best_span(start, end, len(start)),
        "longer than",
    ),
}


def test_reference_corrupt_agrees_with_mask_tokens():
    """mask_tokens draws (chosen, action, random) in this order; replay it by hand."""
    ids = torch.randint(5, 100, (8, 40), generator=torch.Generator().manual_seed(0))
    generator = torch.Generator().manual_seed(3)
    inputs, labels = mask_tokens(
        ids, mask_id=4, vocab_size=100, special_ids=(0, 1, 2, 3), generator=generator
    )
    replay = torch.Generator().manual_seed(3)
    chosen = torch.rand(ids.shape, generator=replay) < 0.15
    action = torch.rand(ids.shape, generator=replay)
    random_ids = torch.arange(5, 100)[torch.randint(95, ids.shape, generator=replay)]
    assert torch.equal(chosen, labels != -100)
    assert torch.equal(_corrupt(ids, chosen, action, random_ids, 4), inputs)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


@pytest.mark.parametrize("case", sorted(WRONG))
def test_check_fails_wrong_answer_with_hint(case, exercise_asserts):
    name, wrong, hint = WRONG[case]
    exercise_asserts.fails_with_hint(name, wrong, hint)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_unsolved_exercise_says_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)
