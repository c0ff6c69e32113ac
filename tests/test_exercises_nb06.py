"""Checks of notebook 06 (attention): a right answer passes, plausible mistakes fail with
the hint that names them, and a stub is reported as not solved yet."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils import attention


def _attend(q, k, v, mask=None, *, scale=None, softmax_dim=-1):
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=softmax_dim)
    return weights @ v, weights


def _causal(n, window=None, *, off_by_one=0, future=False, self_excluded=False):
    query, key = torch.arange(n)[:, None], torch.arange(n)[None, :]
    mask = key <= query if not future else key >= query
    if window is not None:
        mask &= (query - key).abs() < window + off_by_one
    if self_excluded:
        mask &= key != query
    return mask


def _padding(lengths, max_length):
    return torch.arange(max_length) < lengths[:, None]


RIGHT = {
    "check_scaled_dot_product_attention": _attend,
    "check_causal_mask": _causal,
    "check_padding_mask": _padding,
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_scaled_dot_product_attention": [
        (lambda q, k, v, mask=None: _attend(q, k, v, mask, scale=1.0), "divide them by √d_k"),
        (lambda q, k, v, mask=None: _attend(q, k, v, None), "fill those scores"),
        (lambda q, k, v, mask=None: _attend(q, k, v, mask, softmax_dim=-2), "over the keys"),
        (lambda q, k, v, mask=None: _attend(q, k, v, mask)[0], "pair (output, weights)"),
        (lambda q, k, v, mask=None: (v, _attend(q, k, v, mask)[1]), "weights @ v"),
    ],
    "check_causal_mask": [
        (lambda n, window=None: torch.ones(n, n).tril(), "boolean"),
        (lambda n, window=None: _causal(n, window, future=True), "see the future"),
        (lambda n, window=None: _causal(n, window, self_excluded=True), "attend to itself"),
        (lambda n, window=None: torch.ones(n, n + 1).tril().bool(), "shape"),
        (lambda n, window=None: _causal(n), "most recent"),
        (lambda n, window=None: _causal(n, window, off_by_one=1), "most recent"),
        (lambda n, window=None: attention.causal_mask(n), "answer key"),
        (attention.causal_mask, "answer key"),
    ],
    "check_padding_mask": [
        (lambda lengths, max_length: ~_padding(lengths, max_length), "True on the padding"),
        (lambda lengths, max_length: _padding(lengths, max_length).int(), "boolean"),
        (lambda lengths, max_length: _padding(lengths, max_length)[:, None, None], "shape"),
        (lambda lengths, max_length: _padding(lengths - 1, max_length), "first lengths[i]"),
    ],
}
CASES = [(name, wrong, phrase) for name, wrongs in WRONG.items() for wrong, phrase in wrongs]


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


def test_learner_versions_agree_with_the_library():
    """The right answers above are the library's functions, written again from scratch."""
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 4, generator=generator) for _ in range(3))
    for ours, library in zip(
        _attend(q, k, v), attention.scaled_dot_product_attention(q, k, v), strict=True
    ):
        torch.testing.assert_close(ours, library)
    assert torch.equal(RIGHT["check_causal_mask"](5), attention.causal_mask(5))


@pytest.mark.parametrize(("name", "wrong", "phrase"), CASES)
def test_check_fails_wrong_answer_with_hint(name, wrong, phrase, exercise_asserts):
    exercise_asserts.fails_with_hint(name, wrong, phrase)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)
