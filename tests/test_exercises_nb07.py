"""Checks of notebook 07: a right answer passes, plausible wrong ones fail with a hint, a stub
is "not solved yet"."""

from __future__ import annotations

import pytest
import torch

from course_utils import exercises
from course_utils.subwords import bpe_encode


def _embedding_sum(model, input_ids, token_type_ids, attention_mask, *, offset=1, parts="tsp"):
    if offset is None:
        positions = torch.arange(input_ids.shape[1])
    else:
        positions = (attention_mask.cumsum(-1) - offset).clamp(min=0)
    total = 0
    if "t" in parts:
        total = total + model.token_embed(input_ids)
    if "s" in parts:
        total = total + model.segment_embed(token_type_ids)
    if "p" in parts:
        total = total + model.position_embed(positions)
    return total


def _block_parameters(d_model, d_ff):
    attention = 4 * (d_model * d_model + d_model)
    feed_forward = d_model * d_ff + d_ff + d_ff * d_model + d_model
    return attention + feed_forward + 2 * 2 * d_model


def _replay_merges(word, merges):
    symbols = list(word)
    for left, right in merges:
        merged, i = [], 0
        while i < len(symbols):
            if symbols[i : i + 2] == [left, right]:
                merged.append(left + right)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def _longest_match(word, merges):
    """WordPiece-style greedy longest match over the merged pieces: not BPE."""
    vocabulary = set(word) | {left + right for left, right in merges}
    pieces, start = [], 0
    while start < len(word):
        end = max(e for e in range(start + 1, len(word) + 1) if word[start:e] in vocabulary)
        pieces.append(word[start:end])
        start = end
    return pieces


def _each_merge_once(word, merges):
    """Applies each merge at its first occurrence only."""
    symbols = list(word)
    for left, right in merges:
        for i in range(len(symbols) - 1):
            if symbols[i : i + 2] == [left, right]:
                symbols[i : i + 2] = [left + right]
                break
    return symbols


RIGHT = {
    "check_embedding_sum": _embedding_sum,
    "check_block_parameters": _block_parameters,
    "check_bpe_segment": _replay_merges,
}
WRONG = {
    "embedding_sum: LayerNorm applied": (
        "check_embedding_sum",
        lambda model, *inputs: model.embed_ln(_embedding_sum(model, *inputs)),
        "LayerNorm",
    ),
    "embedding_sum: no segments": (
        "check_embedding_sum",
        lambda model, *inputs: _embedding_sum(model, *inputs, parts="tp"),
        "segment",
    ),
    "embedding_sum: no positions": (
        "check_embedding_sum",
        lambda model, *inputs: _embedding_sum(model, *inputs, parts="ts"),
        "position",
    ),
    "embedding_sum: positions 0..L-1 whatever the padding": (
        "check_embedding_sum",
        lambda model, *inputs: _embedding_sum(model, *inputs, offset=None),
        "REAL tokens",
    ),
    "embedding_sum: positions from 1": (
        "check_embedding_sum",
        lambda model, *inputs: _embedding_sum(model, *inputs, offset=0),
        "off by one",
    ),
    "embedding_sum: positions as a batch": (
        "check_embedding_sum",
        lambda model, *inputs: _embedding_sum(model, *inputs)[0],
        "shape",
    ),
    "block_parameters: no biases": (
        "check_block_parameters",
        lambda d_model, d_ff: 4 * d_model * d_model + 2 * d_model * d_ff,
        "too few",
    ),
    "block_parameters: float": (
        "check_block_parameters",
        lambda d_model, d_ff: float(_block_parameters(d_model, d_ff)),
        "int",
    ),
    "bpe_segment: longest match": ("check_bpe_segment", _longest_match, "longest"),
    "bpe_segment: each merge once": ("check_bpe_segment", _each_merge_once, "every place"),
    "bpe_segment: characters": ("check_bpe_segment", lambda word, merges: list(word), "order"),
}


def test_reference_solutions_agree_with_the_package():
    merges = [("a", "a"), ("b", "c"), ("aa", "bc")]
    for word in ("aaaabc", "abcaa", "caab"):
        assert _replay_merges(word, merges) == bpe_encode(word, merges)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_check_passes_right_answer(name, exercise_asserts):
    exercise_asserts.passes(name, RIGHT[name])


@pytest.mark.parametrize("case", sorted(WRONG))
def test_check_fails_wrong_answer_with_hint(case, exercise_asserts):
    name, wrong, hint = WRONG[case]
    exercise_asserts.fails_with_hint(name, wrong, hint)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_reported_as_not_solved(name, exercise_asserts):
    exercise_asserts.not_solved(name)


def test_learner_errors_become_hints(capsys):
    exercises.set_strict(False)
    assert not exercises.check_bpe_segment(lambda word, merges: word.nonexistent())
    assert "AttributeError" in capsys.readouterr().out
