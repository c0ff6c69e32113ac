"""Checks for notebook 08 (BERT): the 80/10/10 rule, an NSP input, an answer span."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from course_utils.bert import IS_NEXT, MASK_SHARE, RANDOM_SHARE, pair_example
from course_utils.exercises.core import exercise_check, learner_call, require

__all__ = [
    "CHECK_SEED",
    "CLS_ID",
    "CORRUPT_SHAPES",
    "MASK_ID",
    "NSP_CASES",
    "SEP_ID",
    "SPAN_CASES",
    "SPAN_TRIALS",
    "VOCAB_SIZE",
    "check_best_span",
    "check_corrupt_chosen",
    "check_nsp_pair",
]

CHECK_SEED = 8
MASK_ID, CLS_ID, SEP_ID = 4, 2, 3
#: (batch, length) shapes the 80/10/10 rule is tried on.
CORRUPT_SHAPES = ((1, 12), (4, 30), (16, 64))
VOCAB_SIZE = 100
#: (A, B) sentences, as token ids, for the NSP exercise; the last pair has an empty B.
NSP_CASES = (([10, 11, 12], [20, 21]), ([7], [8, 9, 10, 11]), ([30, 31], []))
#: (passage length, longest answer) for the span exercise.
SPAN_CASES = ((6, 6), (20, 3), (50, 10), (1, 1))
SPAN_TRIALS = 20


def _corrupted(
    input_ids: torch.Tensor, chosen: torch.Tensor, action: torch.Tensor, random_ids: torch.Tensor
) -> torch.Tensor:
    expected = input_ids.clone()
    expected[chosen & (action < MASK_SHARE)] = MASK_ID
    swap = chosen & (action >= MASK_SHARE) & (action < MASK_SHARE + RANDOM_SHARE)
    expected[swap] = random_ids[swap]
    return expected


@exercise_check(
    "corrupt_chosen",
    "Of the chosen tokens 80% become [MASK], 10% a random token, 10% stay: the model cannot "
    "know which inputs to trust, so it keeps a good vector for every token.",
)
def check_corrupt_chosen(
    corrupt: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int], torch.Tensor],
) -> None:
    """The learner's ``corrupt(input_ids, chosen, action, random_ids, mask_id)`` applies
    BERT's 80/10/10 rule to the ``chosen`` positions, reading one uniform number in
    ``action`` per position (as :func:`course_utils.bert.mask_tokens` does)."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for shape in CORRUPT_SHAPES:
        input_ids = torch.randint(5, VOCAB_SIZE, shape, generator=generator)
        chosen = torch.rand(shape, generator=generator) < 0.5
        action = torch.rand(shape, generator=generator)
        random_ids = torch.randint(5, VOCAB_SIZE, shape, generator=generator)
        original = input_ids.clone()
        got = learner_call(corrupt, input_ids, chosen, action, random_ids, MASK_ID)
        require(
            isinstance(got, torch.Tensor) and got.shape == input_ids.shape,
            f"return a tensor of the input's shape {tuple(shape)}.",
        )
        require(torch.equal(input_ids, original), "do not change input_ids in place: clone it.")
        expected = _corrupted(original, chosen, action, random_ids)
        require(
            torch.equal(got[~chosen], original[~chosen]),
            "positions that were not chosen must keep their token.",
        )
        masked = chosen & (action < MASK_SHARE)
        require(
            torch.equal(got[masked], expected[masked])
            and not (got[chosen & ~masked] == MASK_ID).any(),
            "chosen positions whose action is below 0.8 become mask_id, and only those (80% "
            "of the chosen, not all of them).",
        )
        require(
            torch.equal(got, expected),
            "the [MASK] part is right; now the rest of the chosen positions: action in "
            "[0.8, 0.9) takes the token from random_ids, and action ≥ 0.9 keeps the original.",
        )


@exercise_check(
    "nsp_pair",
    "[CLS] A [SEP] B [SEP] with segments 0…0 1…1 is BERT's input for every sentence-pair task.",
)
def check_nsp_pair(
    build_pair: Callable[[Sequence[int], Sequence[int], int, int], tuple[list[int], list[int]]],
) -> None:
    """The learner's ``build_pair(a, b, cls_id, sep_id)`` returns ``(input_ids,
    token_type_ids)`` for ``[CLS] A [SEP] B [SEP]``."""
    for a, b in NSP_CASES:
        example = pair_example(a, b, IS_NEXT, cls_id=CLS_ID, sep_id=SEP_ID, max_length=64)
        got = learner_call(build_pair, list(a), list(b), CLS_ID, SEP_ID)
        require(
            isinstance(got, tuple) and len(got) == 2,
            "return a tuple (input_ids, token_type_ids).",
        )
        ids, segments = (list(part) for part in got)
        require(
            ids == example.input_ids,
            f"for A={list(a)}, B={list(b)} the ids should read [CLS] A [SEP] B [SEP] with "
            f"cls_id={CLS_ID} and sep_id={SEP_ID}; you returned {ids}.",
        )
        require(
            len(segments) == len(ids),
            f"give one segment id per token ({len(ids)}), got {len(segments)}.",
        )
        require(
            segments == example.token_type_ids,
            f"segment ids are 0 for [CLS], A and the first [SEP], 1 for B and the final "
            f"[SEP]; you returned {segments}.",
        )


def _best_span(start: torch.Tensor, end: torch.Tensor, longest: int) -> tuple[int, int]:
    scores = start[:, None] + end[None, :]
    length = len(start)
    offsets = torch.arange(length)[None, :] - torch.arange(length)[:, None]
    scores = scores.masked_fill((offsets < 0) | (offsets >= longest), float("-inf"))
    best = int(scores.argmax())
    return best // length, best % length


@exercise_check(
    "best_span",
    "Extractive QA reads the answer as the span with the best start + end score, with the "
    "end never before the start.",
)
def check_best_span(
    best_span: Callable[[torch.Tensor, torch.Tensor, int], tuple[int, int]],
) -> None:
    """The learner's ``best_span(start_logits, end_logits, max_answer_length)`` returns the
    ``(start, end)`` (inclusive) maximising start + end score with
    ``start ≤ end < start + max_answer_length``."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for length, longest in SPAN_CASES:
        for _ in range(SPAN_TRIALS):
            start = torch.randn(length, generator=generator)
            end = torch.randn(length, generator=generator)
            expected = _best_span(start, end, longest)
            got = learner_call(best_span, start.clone(), end.clone(), longest)
            require(
                isinstance(got, tuple) and len(got) == 2,
                "return a tuple (start, end) of two positions.",
            )
            first, last = (int(value) for value in got)
            require(
                first <= last,
                f"you returned start={first} > end={last}: taking the two argmaxes separately "
                "can put the end before the start. Score every valid (start, end) pair.",
            )
            require(
                last - first < longest,
                f"the span ({first}, {last}) is longer than max_answer_length={longest}.",
            )
            require(
                (first, last) == expected,
                f"({first}, {last}) is a valid span but not the best one: maximise "
                "start_logits[s] + end_logits[e] over s ≤ e < s + max_answer_length.",
            )
