"""Checks for notebook 09 (GPT): the causal LM loss, top-k and top-p filtering, a sampling
loop, an episode's targets."""

from __future__ import annotations

import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.exercises.core import exercise_check, learner_call, require
from course_utils.gpt import (
    CharTokenizer,
    TinyGPT,
    TinyGPTConfig,
    generate,
    top_k_filter,
    top_p_filter,
)
from course_utils.icl import (
    ARROW,
    ICL_CHARS,
    SEPARATOR,
    TASKS,
    episode_targets,
    make_episode,
)
from course_utils.transformer import IGNORE_INDEX

__all__ = [
    "CHECK_SEED",
    "LOGIT_SHAPES",
    "LOSS_RTOL",
    "LOSS_SHAPES",
    "PROMPT_EPISODES",
    "SAMPLER_CONFIG",
    "SAMPLER_SHARPNESS",
    "SAMPLE_NEW_TOKENS",
    "SAMPLING_SETTINGS",
    "TOLERANCE",
    "TOP_KS",
    "TOP_PS",
    "check_causal_lm_loss",
    "check_episode_example",
    "check_sample",
    "check_top_k",
    "check_top_p",
]

CHECK_SEED = 9
#: (rows, vocabulary) shapes of the logits the learner's functions are tried on.
LOGIT_SHAPES = ((1, 5), (4, 65), (3, 1000))
TOP_KS = (1, 3, 5)
#: Nucleus masses tried. p = 1 is left out: summed in float32, as a learner will, the mass
#: before the last of 1,000 tokens rounds up to 1 (the package sums in float64).
TOP_PS = (0.05, 0.5, 0.9, 0.97)
TOLERANCE = 1e-6
#: (batch, length, vocabulary) of the logits the learner's causal LM loss is tried on.
LOSS_SHAPES = ((1, 2, 5), (4, 16, 65), (2, 9, 300))
LOSS_RTOL = 1e-5
#: A tiny GPT the learner's sampling loop drives (a context of 8, so that prompts get cropped).
SAMPLER_CONFIG = TinyGPTConfig(
    vocab_size=12, max_position=8, d_model=16, num_layers=1, num_heads=2, d_ff=32, dropout=0.0
)
SAMPLE_NEW_TOKENS = 12
#: Scales the tiny GPT's (tied) embeddings so that its next-token distributions are peaked,
#: as a trained model's are: near-uniform ones hide a temperature applied in the wrong place.
SAMPLER_SHARPNESS = 10.0
#: Decoding settings in the order their hints teach: (temperature, top_k, top_p, hint).
SAMPLING_SETTINGS = (
    (0.0, None, None, "temperature 0 is greedy: take the argmax of the LAST position's "
     "logits (model(idx)[:, -1, :]) and draw nothing."),
    (1.0, None, None, "take the LAST position's logits (model(idx)[:, -1, :]), their softmax, "
     "and draw one token with torch.multinomial(probs, 1, generator=generator); append it "
     "and repeat."),
    (0.7, None, None, "divide the logits by the temperature before the softmax."),
    (1.0, 4, None, "with top_k, keep the k largest logits (your top_k) before the softmax."),
    (0.8, None, 0.8, "with top_p, filter the temperature-scaled logits with your top_p "
     "before the softmax: divide by T first, then filter."),
    (1.3, 6, 0.9, "apply the temperature, then top-k, then top-p on what top-k kept, then "
     "the softmax and one draw."),
)  # fmt: skip
#: Episodes the learner's targets are compared with the course's on.
PROMPT_EPISODES = 20


def _logits(shape: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator) * 3


def _tensor_of_shape(got: object, shape: tuple[int, ...], what: str) -> None:
    require(
        isinstance(got, torch.Tensor) and tuple(got.shape) == shape,
        f"return {what} as a tensor of the logits' shape {shape}, got "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
    )


@exercise_check(
    "causal_lm_loss",
    "The logits at position t are the model's guess for token t + 1: one sequence of L "
    "tokens holds L - 1 next-token examples, all scored in one pass.",
)
def check_causal_lm_loss(
    causal_lm_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """``causal_lm_loss(logits, ids)``: the mean cross-entropy of ``logits[:, :-1]`` (B, L, V)
    against the next tokens ``ids[:, 1:]`` (B, L)."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for batch, length, vocab in LOSS_SHAPES:
        logits = torch.randn(batch, length, vocab, generator=generator) * 2
        ids = torch.randint(0, vocab, (batch, length), generator=generator)
        got = learner_call(causal_lm_loss, logits.clone(), ids.clone())
        require(
            isinstance(got, torch.Tensor) and got.numel() == 1,
            "return the loss as a one-number tensor (the mean over every predicted position), "
            f"got {tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
        )
        flat = logits[:, :-1].reshape(-1, vocab)
        expected = F.cross_entropy(flat, ids[:, 1:].reshape(-1))
        unshifted = F.cross_entropy(logits.reshape(-1, vocab), ids.reshape(-1))
        backwards = F.cross_entropy(logits[:, 1:].reshape(-1, vocab), ids[:, :-1].reshape(-1))
        got = got.reshape(()).float()
        require(
            not torch.isclose(got, unshifted, rtol=LOSS_RTOL),
            "no shift: the logits at position t must be scored against token t + 1, not token "
            "t (which the model was given). Drop the last position's logits and the first "
            "token.",
        )
        require(
            not torch.isclose(got, backwards, rtol=LOSS_RTOL),
            "you shifted the wrong way: logits[:, 1:] against ids[:, :-1] predicts each token "
            "from the one after it. Pair logits[:, :-1] with ids[:, 1:].",
        )
        require(
            flat.shape[0] == 1 or not torch.isclose(got, expected * flat.shape[0], rtol=LOSS_RTOL),
            "average the cross-entropy over the predicted positions instead of summing it.",
        )
        require(
            torch.isclose(got, expected, rtol=LOSS_RTOL),
            f"for logits of shape {(batch, length, vocab)} expected {expected.item():.5f}, got "
            f"{got.item():.5f}. Flatten logits[:, :-1] to (B·(L-1), V) and ids[:, 1:] to "
            "(B·(L-1),), then take F.cross_entropy, which applies the log-softmax itself.",
        )


@exercise_check(
    "top_k",
    "Only the k most likely tokens keep their logits; the softmax then gives every other "
    "token probability zero.",
)
def check_top_k(top_k: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """``top_k(logits, k)`` keeps the ``k`` largest logits of each row and sets the rest to
    ``-inf`` (so that a softmax gives them probability 0)."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for shape in LOGIT_SHAPES:
        logits = _logits(shape, generator)
        for k in TOP_KS:
            if k > shape[1]:
                continue
            got = learner_call(top_k, logits.clone(), k)
            _tensor_of_shape(got, shape, "the filtered logits")
            kept = torch.isfinite(got)
            require(
                k == shape[1] or not bool((got == 0).sum(-1).ge(shape[1] - k).all()),
                "set the removed logits to -inf (not 0: a logit of 0 still gets probability).",
            )
            require(
                bool((kept.sum(-1) == k).all()),
                f"keep exactly k={k} logits per row; found {kept.sum(-1).tolist()} finite "
                "ones. Use torch.topk over the last axis, row by row.",
            )
            require(
                torch.equal(kept, torch.isfinite(top_k_filter(logits, k))),
                "keep the k LARGEST logits of each row (torch.topk), not the first k or the "
                "smallest.",
            )
            require(
                torch.allclose(got[kept], logits[kept]),
                "leave the kept logits unchanged (do not renormalise or rescale them).",
            )


@exercise_check(
    "top_p",
    "Nucleus sampling adapts the size of the candidate set: a handful of tokens when the model "
    "is sure, many when it is not.",
)
def check_top_p(top_p: Callable[[torch.Tensor, float], torch.Tensor]) -> None:
    """``top_p(logits, p)`` keeps the smallest set of most likely tokens whose probability
    reaches ``p`` and sets the rest to ``-inf``, like :func:`course_utils.gpt.top_p_filter`."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for shape in LOGIT_SHAPES:
        logits = _logits(shape, generator)
        probs = logits.softmax(-1)
        for p in TOP_PS:
            got = learner_call(top_p, logits.clone(), p)
            _tensor_of_shape(got, shape, "the filtered logits")
            kept = torch.isfinite(got)
            expected = torch.isfinite(top_p_filter(logits, p))
            require(
                not torch.allclose(got.sum(-1), torch.ones(shape[0])),
                "return the filtered LOGITS (the rest set to -inf), not probabilities: the "
                "softmax comes afterwards, in the sampling loop.",
            )
            require(
                bool(expected.all()) or not bool((got[~expected] == 0).all()),
                "set the removed logits to -inf (not 0: a logit of 0 still gets probability).",
            )
            require(
                bool(kept.any(-1).all()),
                f"with p={p} every row must keep at least its most likely token.",
            )
            lowest_kept = probs.masked_fill(~kept, float("inf")).amin(-1)
            highest_dropped = probs.masked_fill(kept, float("-inf")).amax(-1)
            require(
                bool((lowest_kept >= highest_dropped).all()),
                "keep the MOST likely tokens: sort the probabilities in descending order "
                "before the running sum (torch.sort(..., descending=True)).",
            )
            mass = (probs * kept).sum(-1)
            require(
                bool((mass >= p - TOLERANCE).all()),
                f"with p={p} your kept tokens hold only {mass.min().item():.3f} of the "
                "probability: keep the token whose probability makes the running sum reach p "
                "too (keep a token when the mass BEFORE it is still below p).",
            )
            require(
                torch.equal(kept, expected),
                f"with p={p} you kept {kept.sum(-1).tolist()} tokens per row where the smallest "
                f"set reaching p has {expected.sum(-1).tolist()}: stop at the first token whose "
                "running sum reaches p.",
            )
            require(
                torch.allclose(got[kept], logits[kept]),
                "leave the kept logits unchanged (do not renormalise or rescale them).",
            )


SampleFunction = Callable[..., torch.Tensor]


@exercise_check(
    "sample",
    "Every decoding method is this loop; only the few lines that reshape the distribution "
    "before torch.multinomial differ.",
)
def check_sample(sample: SampleFunction) -> None:
    """``sample(model, idx, new_tokens, temperature, top_k, top_p, generator)`` draws the same
    tokens as :func:`course_utils.gpt.generate` under the same seed."""
    torch.manual_seed(CHECK_SEED)
    model = TinyGPT(SAMPLER_CONFIG).eval()
    with torch.no_grad():
        model.token_embed.weight.mul_(SAMPLER_SHARPNESS)
    generator = torch.Generator().manual_seed(CHECK_SEED)
    prompts = (
        torch.randint(0, SAMPLER_CONFIG.vocab_size, (1, 3), generator=generator),
        torch.randint(0, SAMPLER_CONFIG.vocab_size, (3, 5), generator=generator),
    )
    for temperature, top_k, top_p, hint in SAMPLING_SETTINGS:
        for seed, prompt in enumerate(prompts):
            expected = generate(model, prompt, SAMPLE_NEW_TOKENS, temperature=temperature,
                                top_k=top_k, top_p=top_p,
                                generator=torch.Generator().manual_seed(seed))  # fmt: skip
            with torch.no_grad():
                got = learner_call(sample, model, prompt.clone(), SAMPLE_NEW_TOKENS,
                                   temperature, top_k, top_p,
                                   torch.Generator().manual_seed(seed))  # fmt: skip
            require(
                isinstance(got, torch.Tensor) and got.shape == expected.shape,
                f"return the prompt followed by the new tokens, shape (batch, length + "
                f"new_tokens) = {tuple(expected.shape)}, got "
                f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}. "
                "Crop the context to the model's last max_position tokens before each step.",
            )
            require(
                torch.equal(got[:, : prompt.shape[1]], prompt),
                "keep the prompt at the start of what you return.",
            )
            differ = (got != expected).any(0).nonzero().flatten().tolist()
            first = differ[0] - prompt.shape[1] + 1 if differ else 0
            require(
                not differ,
                f"with temperature={temperature}, top_k={top_k}, top_p={top_p} your tokens "
                f"leave the reference at new token {first}: {hint}",
            )


@exercise_check(
    "episode_example",
    "Loss only where there is something to learn: the inputs are random, the outputs follow "
    "from the examples, and -100 switches every other position off.",
)
def check_episode_example(
    episode_example: Callable[[str, CharTokenizer], tuple[torch.Tensor, torch.Tensor]],
) -> None:
    """``episode_example(text, tokenizer)`` returns ``(x, y)``: the ids of every character but
    the last, and as targets the next character's id where that character is part of an
    output (after a ``>``, up to and including its ``;``), -100 elsewhere."""
    tokenizer = CharTokenizer.from_text(ICL_CHARS)
    rng = random.Random(CHECK_SEED)
    for index in range(PROMPT_EPISODES):
        named = index % 4 == 0
        episode = make_episode(TASKS[index % len(TASKS)], 0 if named else 1 + index % 8, rng,
                               named=named)  # fmt: skip
        text = episode.prompt + episode.answer + SEPARATOR
        ids = torch.tensor(tokenizer.encode(text))
        scored = torch.tensor(episode_targets(text))
        expected = torch.where(scored[1:], ids[1:], IGNORE_INDEX)
        got = learner_call(episode_example, text, tokenizer)
        require(
            isinstance(got, tuple) and len(got) == 2,
            "return the pair (x, y): the input ids and the target ids.",
        )
        x, y = (torch.as_tensor(part) for part in got)
        require(
            x.shape == y.shape == (len(text) - 1,),
            f"for a text of {len(text)} characters x and y hold {len(text) - 1} ids each (every "
            "character but the last is an input, every one but the first a target), got "
            f"{tuple(x.shape)} and {tuple(y.shape)}.",
        )
        require(torch.equal(x, ids[:-1]), "x is the ids of every character but the last.")
        require(
            bool(((y == IGNORE_INDEX) | (y >= 0)).all()),
            f"mark the positions without a target with {IGNORE_INDEX}, the index F.cross_entropy "
            "ignores (ignore_index=-100).",
        )
        require(
            not torch.equal(y, ids[1:]),
            "the inputs are random letters that nothing in the prompt predicts: score only the "
            f"output characters, those after each '{ARROW}' up to and including their "
            f"'{SEPARATOR}', and mark the rest {IGNORE_INDEX}.",
        )
        kept = y != IGNORE_INDEX
        require(
            not bool((ids[1:][kept] == tokenizer.encode(ARROW)[0]).any()),
            f"the '{ARROW}' itself is not part of an output: start scoring with the character "
            "after it.",
        )
        require(
            bool(kept[scored[1:] & (ids[1:] == tokenizer.encode(SEPARATOR)[0])].all()),
            f"score the '{SEPARATOR}' that ends each output too: it is predictable, since an "
            "output has a fixed length.",
        )
        require(
            torch.equal(y, expected),
            f"for {text!r} the targets differ from the expected ones at positions "
            f"{(y != expected).nonzero().flatten().tolist()[:6]}: y[i] is the id of character "
            f"i + 1 when that character belongs to an output, else {IGNORE_INDEX}.",
        )
