"""Checks for notebook 08 (BERT): the 80/10/10 rule, the MLM loss, an NSP input, an answer
span."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from course_utils.bert import IS_NEXT, MASK_SHARE, RANDOM_SHARE, pair_example
from course_utils.exercises.core import CheckFailedError, exercise_check, learner_call, require
from course_utils.transformer import IGNORE_INDEX

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
#: (A, B, max_length) for the NSP exercise: pairs that fit, an empty B, a long A trimmed
#: alone, both trimmed (A first on a tie), and a long B trimmed alone.
NSP_CASES = (
    ([10, 11, 12], [20, 21], 64),
    ([30, 31], [], 64),
    (list(range(10, 30)), [40, 41, 42], 12),
    (list(range(10, 20)), list(range(40, 50)), 8),
    ([7], list(range(40, 60)), 8),
)
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
    "[CLS] A [SEP] B [SEP] with segments 0…0 1…1 is BERT's input for every sentence-pair task; "
    "trimming the longer sentence first keeps as much of both as fits.",
)
def check_nsp_pair(
    build_pair: Callable[
        [Sequence[int], Sequence[int], int, int, int], tuple[list[int], list[int]]
    ],
) -> None:
    """The learner's ``build_pair(a, b, cls_id, sep_id, max_length)`` returns ``(input_ids,
    token_type_ids)`` for ``[CLS] A [SEP] B [SEP]``, at most ``max_length`` tokens long,
    trimming the longer sentence from its end first (BERT's truncation)."""
    for a, b, max_length in NSP_CASES:
        example = pair_example(a, b, IS_NEXT, cls_id=CLS_ID, sep_id=SEP_ID, max_length=max_length)
        got = learner_call(build_pair, list(a), list(b), CLS_ID, SEP_ID, max_length)
        require(
            isinstance(got, tuple) and len(got) == 2,
            "return a tuple (input_ids, token_type_ids).",
        )
        ids, segments = (list(part) for part in got)
        require(
            len(ids) <= max_length,
            f"with max_length={max_length} the input may hold at most {max_length} tokens, "
            f"[CLS] and both [SEP] included; you returned {len(ids)}.",
        )
        require(
            ids[:1] == [CLS_ID] and ids[-1:] == [SEP_ID] and ids.count(SEP_ID) == 2,
            f"the ids read [CLS] A [SEP] B [SEP] with cls_id={CLS_ID} and sep_id={SEP_ID}: "
            "truncate the sentences, never the special tokens; you returned {ids}.",
        )
        if ids != example.input_ids:
            middle = ids.index(SEP_ID)
            kept_a, kept_b = ids[1:middle], ids[middle + 1 : -1]
            require(
                kept_a == list(a)[: len(kept_a)] and kept_b == list(b)[: len(kept_b)],
                "cut tokens from the end of a sentence, not from its start.",
            )
            require(
                len(kept_a) + len(kept_b) == len(example.input_ids) - 3,
                f"fill max_length={max_length}: remove tokens only until the pair fits.",
            )
            require(
                False,
                f"for len(A)={len(a)}, len(B)={len(b)}, max_length={max_length} you kept "
                f"{len(kept_a)} and {len(kept_b)} tokens: remove one token at a time from the "
                "longer sentence (A when they are equal), so that neither is cut much more "
                "than needed.",
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


#: (batch, length, vocabulary, share of positions chosen) the MLM loss is tried on; the
#: last case chooses nothing.
MLM_LOSS_CASES = ((1, 6, 5, 0.5), (4, 12, 30, 0.15), (8, 20, 100, 0.3), (2, 5, 7, 0.0))
#: Agreement needed with the loss torch computes (float32 sums in another order).
MLM_LOSS_TOLERANCE = 1e-5


#: The hint when the learner's MLM loss calls torch's ready-made losses.
LIBRARY_LOSS_HINT = (
    "build the loss yourself from torch.log_softmax: pick each chosen position's "
    "log-probability of its label, then average (F.cross_entropy and F.nll_loss do exactly "
    "this for you)."
)


@contextmanager
def _no_library_cross_entropy(calls: list[str]) -> Iterator[None]:
    """While the learner's code runs, torch's ready-made losses raise (and are noted in
    ``calls``): the exercise is to build the loss from ``log_softmax``."""
    saved = F.cross_entropy, F.nll_loss

    def refuse(*_args: object, **_kwargs: object) -> None:
        calls.append("refused")
        raise RuntimeError(LIBRARY_LOSS_HINT)

    F.cross_entropy, F.nll_loss = refuse, refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        F.cross_entropy, F.nll_loss = saved


@exercise_check(
    "mlm_loss",
    "The MLM loss is the mean, over the chosen positions only, of -log p(original token): "
    "every -100 position drops out, which is why the labels use it.",
)
def check_mlm_loss(mlm_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """The learner's ``mlm_loss(logits, labels)``: ``logits`` (batch, length, vocabulary),
    ``labels`` (batch, length) holding the original token at chosen positions and -100
    elsewhere; returns the mean of -log softmax(logits)[label] over the chosen positions,
    0.0 when none is chosen. Built from ``log_softmax``, not from torch's losses."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for batch, length, vocab, share in MLM_LOSS_CASES:
        logits = 3 * torch.randn(batch, length, vocab, generator=generator)
        targets = torch.randint(vocab, (batch, length), generator=generator)
        chosen = torch.rand(batch, length, generator=generator) < share
        labels = targets.masked_fill(~chosen, IGNORE_INDEX)
        library_calls: list[str] = []
        try:
            with _no_library_cross_entropy(library_calls):
                got = learner_call(mlm_loss, logits.clone(), labels.clone())
        except CheckFailedError:
            if library_calls:
                raise CheckFailedError(LIBRARY_LOSS_HINT) from None
            raise
        require(
            isinstance(got, torch.Tensor) and got.dim() == 0,
            "return one number: a 0-dimensional tensor (the mean over the chosen positions).",
        )
        if not chosen.any():
            require(
                float(got) == 0.0,
                "when no position is chosen there is nothing to predict: return 0.0, not the "
                "mean of an empty set (nan).",
            )
            continue
        expected = F.cross_entropy(logits.flatten(0, 1), labels.flatten())
        everywhere = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        summed = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum")
        value = float(got)
        require(math.isfinite(value), f"the loss came out {value}: is a -100 used as an index?")
        require(
            not math.isclose(value, float(everywhere), abs_tol=MLM_LOSS_TOLERANCE)
            or math.isclose(value, float(expected), abs_tol=MLM_LOSS_TOLERANCE),
            "average over the chosen positions only (labels != -100), not over every position.",
        )
        require(
            not math.isclose(value, float(summed), rel_tol=MLM_LOSS_TOLERANCE),
            "take the mean over the chosen positions, not the sum.",
        )
        require(
            value > 0,
            "the loss is -log p of the right token, a positive number: check the sign.",
        )
        require(
            math.isclose(value, float(expected), abs_tol=MLM_LOSS_TOLERANCE),
            "compare with the recipe: log_softmax over the vocabulary (the last dimension), "
            "the log-probability of each chosen position's label, minus their mean.",
        )
