"""Checks for notebook 07 (transformers and subwords): embeddings, block sizes, BPE."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from course_utils.bert import TinyBert, TinyBertConfig
from course_utils.exercises.core import exercise_check, learner_call, require
from course_utils.subwords import Pair, bpe_encode, learn_bpe
from course_utils.transformer import Block, TransformerConfig, count_parameters

__all__ = [
    "BLOCK_SIZES",
    "CHECK_SEED",
    "EMBEDDING_CONFIG",
    "EMBEDDING_SHAPES",
    "EMBEDDING_TOLERANCE",
    "HAND_MERGES",
    "HAND_WORDS",
    "TOY_COUNTS",
    "TOY_VOCAB_SIZE",
    "TOY_WORDS",
    "check_block_parameters",
    "check_bpe_segment",
    "check_embedding_sum",
]

CHECK_SEED = 7
#: A small BERT whose embeddings the learner sums: (vocab, positions, width).
EMBEDDING_CONFIG = TinyBertConfig(
    vocab_size=50, max_position=16, d_model=8, num_layers=1, num_heads=2, d_ff=16
)
#: (batch, length) shapes the learner's embedding sum is tried on.
EMBEDDING_SHAPES = ((1, 5), (3, 9), (2, 16))
EMBEDDING_TOLERANCE = 1e-6
#: (d_model, d_ff) pairs for the block-size exercise, BERT-Base's last.
BLOCK_SIZES = ((4, 16), (10, 7), (64, 256), (768, 3072))
#: Hand-made merges in which a later merge builds on earlier ones.
HAND_MERGES: tuple[Pair, ...] = (("a", "a"), ("b", "c"), ("aa", "bc"), ("a", "b"), ("c", "a"))
HAND_WORDS = ("aaa", "aaaa", "aabc", "abca", "cabcaa", "caaabcab", "x", "")
#: Sennrich et al.'s toy corpus (no end-of-word marker here) and words to segment.
TOY_COUNTS = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
TOY_VOCAB_SIZE = 20
TOY_WORDS = ("lowest", "newer", "widower", "slow", "low", "nest")


def _random_ids(shape: tuple[int, int], upper: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(0, upper, shape, generator=generator)


@exercise_check(
    "embedding_sum",
    "Three lookups, one shape: (batch, length, d_model). The sum is what the first block reads "
    "(after a LayerNorm).",
)
def check_embedding_sum(
    embedding_sum: Callable[[TinyBert, torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """The learner's ``embedding_sum(model, input_ids, token_type_ids)`` adds the token,
    segment and position embeddings of a :class:`TinyBert` (before its LayerNorm)."""
    torch.manual_seed(CHECK_SEED)
    model = TinyBert(EMBEDDING_CONFIG).eval()
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for shape in EMBEDDING_SHAPES:
        ids = _random_ids(shape, EMBEDDING_CONFIG.vocab_size, generator)
        segments = _random_ids(shape, EMBEDDING_CONFIG.type_vocab_size, generator)
        with torch.no_grad():
            tokens = model.token_embed(ids)
            positions = model.position_embed(torch.arange(shape[1]))
            expected = tokens + model.segment_embed(segments) + positions
            got = learner_call(embedding_sum, model, ids, segments)
        expected_shape = (*shape, EMBEDDING_CONFIG.d_model)
        require(
            isinstance(got, torch.Tensor) and tuple(got.shape) == expected_shape,
            f"for input_ids of shape {shape} return a tensor of shape (batch, length, d_model) "
            f"= {expected_shape}, got "
            f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
        )
        require(
            not torch.allclose(got, model.embed_ln(expected), atol=EMBEDDING_TOLERANCE),
            "you applied the LayerNorm; return the plain sum, before it.",
        )
        missing = {
            "segment": tokens + positions,
            "position": expected - positions,
            "token": expected - tokens,
        }
        for name, partial in missing.items():
            require(
                not torch.allclose(got, partial, atol=EMBEDDING_TOLERANCE),
                f"the {name} embedding is missing from your sum.",
            )
        require(
            torch.allclose(got, expected, atol=EMBEDDING_TOLERANCE),
            "the shape is right but the values differ. Look up model.token_embed with the "
            "token ids, model.segment_embed with the segment ids and model.position_embed "
            "with the positions 0, 1, ..., length-1, then add the three.",
        )


@exercise_check(
    "block_parameters",
    "Attention holds 4·d² weights, the feed-forward 2·d·d_ff: in BERT-Base's blocks the "
    "feed-forward holds about two thirds.",
)
def check_block_parameters(block_parameters: Callable[[int, int], int]) -> None:
    """The learner's ``block_parameters(d_model, d_ff)`` counts the parameters of one
    transformer :class:`Block` (attention, feed-forward, two LayerNorms)."""
    for d_model, d_ff in BLOCK_SIZES:
        config = TransformerConfig(vocab_size=1, d_model=d_model, num_heads=1, d_ff=d_ff)
        expected = count_parameters(Block(config, pre_norm=False))
        got = learner_call(block_parameters, d_model, d_ff)
        require(
            isinstance(got, int) and not isinstance(got, bool),
            f"return a whole number (int), got {type(got).__name__}.",
        )
        require(
            got == expected,
            f"for d_model={d_model}, d_ff={d_ff} you counted {got:,}, which is "
            f"{'too many' if got > expected else 'too few'}. Count, for each of the four "
            "attention projections, the two feed-forward layers and the two LayerNorms, "
            "both its weight and its bias.",
        )


@exercise_check(
    "bpe_segment",
    "Replaying the merges in their learned order is exactly how a trained BPE tokenizer "
    "splits a new word.",
)
def check_bpe_segment(bpe_segment: Callable[[str, Sequence[Pair]], list[str]]) -> None:
    """The learner's ``bpe_segment(word, merges)`` splits ``word`` into characters and
    applies the merges in order, like :func:`course_utils.subwords.bpe_encode`."""
    toy_merges = learn_bpe(TOY_COUNTS, TOY_VOCAB_SIZE).merges
    cases = [(HAND_MERGES, word) for word in HAND_WORDS]
    cases += [(toy_merges, word) for word in TOY_WORDS]
    for merges, word in cases:
        got = learner_call(bpe_segment, word, list(merges))
        expected = bpe_encode(word, merges)
        require(
            isinstance(got, list) and "".join(map(str, got)) == word,
            f"for {word!r} return a list of pieces that join back to the word, got {got!r}.",
        )
        require(
            got == expected,
            f"for {word!r} with the merges {list(merges)[:5]}... you returned {got!r}. Start "
            "from single characters and apply the merges one at a time, in the order they "
            "were learned, each to every place where its pair occurs (left to right); do not "
            "look for the longest known piece.",
        )
