"""Checks for notebook 06 (attention): scaled dot-product attention, causal and padding masks."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_utils import attention
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = [
    "ATTENTION_SHAPES",
    "MASK_SIZES",
    "PADDING_CASES",
    "SEED",
    "TOLERANCE",
    "AttentionFunction",
    "check_causal_mask",
    "check_padding_mask",
    "check_scaled_dot_product_attention",
]

AttentionFunction = Callable[..., tuple[torch.Tensor, torch.Tensor]]
#: (leading dimensions, L_q, L_k, d_k, d_v) of the test cases: a single sequence, a batch
#: and a batch of heads, with d_k large enough that forgetting the 1/√d_k shows.
ATTENTION_SHAPES = (((), 3, 5, 16, 4), ((2,), 4, 4, 32, 8), ((2, 3), 5, 6, 64, 2))
MASK_SIZES = (1, 2, 5, 8)
PADDING_CASES = (([3, 1, 4], 4), ([2], 5), ([1, 1], 1), ([0, 2], 3))
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
SEED = 6


def _cases(masked: bool) -> list[tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(SEED)
    cases = []
    for leading, l_q, l_k, d_k, d_v in ATTENTION_SHAPES:
        q = torch.randn(*leading, l_q, d_k, generator=generator)
        k = torch.randn(*leading, l_k, d_k, generator=generator)
        v = torch.randn(*leading, l_k, d_v, generator=generator)
        mask = torch.rand(*leading, l_q, l_k, generator=generator) > 0.4
        mask[..., 0] = True  # every query may attend to at least one key
        cases.append((q, k, v, mask if masked else None))
    return cases


def _close(got: object, expected: torch.Tensor) -> bool:
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.float(), expected, **TOLERANCE)
    )


def _attention_hint(q: torch.Tensor, k: torch.Tensor, weights: object) -> str:
    """Name the likely mistake from the weights the learner returned."""
    if not isinstance(weights, torch.Tensor) or weights.shape[-2:] != (q.shape[-2], k.shape[-2]):
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights)
        return (
            f"the weights must have shape (..., L_q, L_k) = (..., {q.shape[-2]}, {k.shape[-2]}), "
            f"got {shape}. Compare every query with every key: q @ k.transpose(-2, -1)."
        )
    if not torch.allclose(weights.sum(-1), torch.ones(weights.shape[:-1]), **TOLERANCE):
        return "each row of weights must sum to 1: take the softmax over the keys (dim=-1)."
    unscaled = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    if torch.allclose(weights, unscaled, **TOLERANCE):
        return "the scores are too large: divide them by √d_k before the softmax."
    return "compare your formula with softmax(q kᵀ / √d_k) v, step by step."


@exercise_check(
    "scaled_dot_product_attention",
    "softmax(q kᵀ / √d_k) v, with masked keys at weight 0: the heart of every transformer.",
)
def check_scaled_dot_product_attention(attend: AttentionFunction) -> None:
    """The learner's ``attend(q, k, v, mask=None)`` returns ``(output, weights)`` equal to
    the course's scaled dot-product attention. Notebook 06."""
    for masked in (False, True):
        for q, k, v, mask in _cases(masked):
            result = learner_call(attend, q, k, v, mask)
            require(
                isinstance(result, tuple) and len(result) == 2,
                f"return a pair (output, weights), got {type(result).__name__}.",
            )
            output, weights = result
            expected_output, expected_weights = attention.scaled_dot_product_attention(
                q, k, v, mask
            )
            if mask is not None and isinstance(weights, torch.Tensor):
                require(
                    weights.shape == mask.shape and bool(torch.all(weights[~mask] == 0)),
                    "where mask is False the weight must be exactly 0: fill those scores with "
                    "float('-inf') before the softmax (scores.masked_fill(~mask, ...)).",
                )
            require(_close(weights, expected_weights), _attention_hint(q, k, weights))
            require(
                _close(output, expected_output),
                f"the weights are right but the output is not: it should be weights @ v, of "
                f"shape {tuple(expected_output.shape)}.",
            )


@exercise_check("causal_mask", "Position t sees positions 0..t and never the future.")
def check_causal_mask(make_mask: Callable[[int], torch.Tensor]) -> None:
    """The learner's ``make_mask(n)`` is the (n, n) boolean lower-triangular mask. Notebook 06."""
    for n in MASK_SIZES:
        got = learner_call(make_mask, n)
        require(isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}.")
        require(
            tuple(got.shape) == (n, n),
            f"for n={n} expected shape ({n}, {n}), got {tuple(got.shape)}.",
        )
        require(
            got.dtype == torch.bool,
            f"return a boolean tensor (True = may attend), got dtype {got.dtype}; try .bool().",
        )
        expected = attention.causal_mask(n)
        require(
            n == 1 or not torch.equal(got, expected.T),
            "this lets each position see the future: True must be on and BELOW the diagonal.",
        )
        require(
            bool(got.diagonal().all()),
            "a position may attend to itself: the diagonal must be True.",
        )
        require(
            torch.equal(got, expected),
            f"for n={n} row t must be True for columns 0..t and False after; got\n{got.int()}",
        )


@exercise_check("padding_mask", "Padding is invisible: no query may attend to it.")
def check_padding_mask(make_mask: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """The learner's ``make_mask(lengths, max_length)`` is (batch, max_length), True on the
    real tokens. Notebook 06."""
    for lengths, max_length in PADDING_CASES:
        given = torch.tensor(lengths)
        got = learner_call(make_mask, given, max_length)
        expected = attention.padding_mask(given, max_length, multi_head=False)[:, 0]
        require(isinstance(got, torch.Tensor), f"return a torch.Tensor, got {type(got).__name__}.")
        require(
            tuple(got.shape) == tuple(expected.shape),
            f"for lengths {lengths} and max_length={max_length} expected shape "
            f"{tuple(expected.shape)} = (batch, max_length), got {tuple(got.shape)}.",
        )
        require(got.dtype == torch.bool, f"return a boolean tensor, got dtype {got.dtype}.")
        require(
            not torch.equal(got, ~expected),
            "your mask is True on the padding: in this course True means 'may attend', "
            "so mark the real tokens (torch.nn.MultiheadAttention's key_padding_mask is "
            "the opposite convention).",
        )
        require(
            torch.equal(got, expected),
            f"for lengths {lengths}, max_length={max_length}: row i must be True for its first "
            f"lengths[i] positions only; got\n{got.int()}",
        )
