"""Checks for notebook 09 (GPT): temperature, top-k filtering, a few-shot prompt."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import torch

from course_utils.exercises.core import exercise_check, learner_call, require
from course_utils.gpt import top_k_filter
from course_utils.icl import ARROW, SEPARATOR, TASK_LETTERS, make_episode

__all__ = [
    "CHECK_SEED",
    "LOGIT_SHAPES",
    "PROMPT_EPISODES",
    "TEMPERATURES",
    "TOLERANCE",
    "TOP_KS",
    "check_few_shot_prompt",
    "check_temperature_probs",
    "check_top_k",
]

CHECK_SEED = 9
#: (rows, vocabulary) shapes of the logits the learner's functions are tried on.
LOGIT_SHAPES = ((1, 5), (4, 65), (3, 1000))
TEMPERATURES = (0.5, 1.0, 2.0)
TOP_KS = (1, 3, 5)
TOLERANCE = 1e-6
#: Episodes the learner's prompt builder is compared with the course's format on.
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
    "temperature_probs",
    "Dividing the logits by T before the softmax sharpens (T < 1) or flattens (T > 1) the "
    "distribution; T → 0 is greedy.",
)
def check_temperature_probs(
    temperature_probs: Callable[[torch.Tensor, float], torch.Tensor],
) -> None:
    """``temperature_probs(logits, temperature)`` is ``softmax(logits / T)`` over the last axis."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    for shape in LOGIT_SHAPES:
        logits = _logits(shape, generator)
        for temperature in TEMPERATURES:
            got = learner_call(temperature_probs, logits.clone(), temperature)
            _tensor_of_shape(got, shape, "probabilities")
            require(
                torch.allclose(got.sum(-1), torch.ones(shape[0]), atol=TOLERANCE),
                "each row must be a probability distribution (sum to 1): apply the softmax over "
                "the vocabulary, the last axis.",
            )
            require(
                not torch.allclose(got, (logits * temperature).softmax(-1), atol=TOLERANCE)
                or temperature == 1.0,
                "divide the logits by the temperature; you multiplied.",
            )
            require(
                torch.allclose(got, (logits / temperature).softmax(-1), atol=TOLERANCE),
                "scale the logits first, then take the softmax: softmax(logits / T); scaling "
                "the probabilities afterwards is not the same.",
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
    "few_shot_prompt",
    "That is exactly the format the model saw in training, so the examples reach it as examples.",
)
def check_few_shot_prompt(
    few_shot_prompt: Callable[[Sequence[tuple[str, str]], str], str],
) -> None:
    """``few_shot_prompt(examples, query)`` writes ``"x1>y1;x2>y2;...;query>"``, the episode
    format of :func:`course_utils.icl.make_episode` (no task name)."""
    rng = random.Random(CHECK_SEED)
    tasks = ("reverse", "shift", "sort")
    for index in range(PROMPT_EPISODES):
        task = tasks[index % len(tasks)]
        shots = 1 + index % 8
        episode = make_episode(task, shots, rng)
        body = episode.prompt[: -len(ARROW)]
        *solved, query = body.split(SEPARATOR)
        examples = [tuple(pair.split(ARROW)) for pair in solved]
        got = learner_call(few_shot_prompt, examples, query)
        require(isinstance(got, str), f"return the prompt as a string, got {type(got).__name__}.")
        require(
            got.endswith(query + ARROW),
            f"end the prompt with the query and the arrow, '{query}{ARROW}', so that the model "
            "writes the answer next.",
        )
        require(
            " " not in got and "\n" not in got,
            "no spaces or new lines: the model's alphabet is only "
            f"{TASK_LETTERS!r} and the symbols '{ARROW}' and '{SEPARATOR}'.",
        )
        require(
            got == episode.prompt,
            f"write each example as input{ARROW}output{SEPARATOR} with nothing in between; for "
            f"{examples[:2]} and query {query!r} expected {episode.prompt!r}, got {got!r}.",
        )
    require(
        learner_call(few_shot_prompt, [], "abc") == f"abc{ARROW}",
        f"with no examples (zero-shot) the prompt is just the query and the arrow: 'abc{ARROW}'.",
    )
