"""In-context learning: task episodes for a small GPT, and how to measure it. Notebook 09.

:func:`make_episode` writes prompts such as ``"abc>cba;dea>aed;fgb>"`` whose task
(reverse, shift, a fresh letter substitution...) can only be inferred from the examples in
the prompt; :func:`icl_accuracy` scores the answers and :func:`lookup_attention` measures
whether the model's attention looks the answer up in the examples.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from course_utils import validation
from course_utils.gpt import Batch, BatchFn, CharTokenizer, TinyGPT
from course_utils.reproducibility import evaluation_mode
from course_utils.transformer import IGNORE_INDEX

if TYPE_CHECKING:
    pass

__all__ = [
    "ARROW",
    "EXAMPLE_LENGTH",
    "ICL_BLOCK",
    "ICL_CHARS",
    "ICL_SMEAR_WIDTH",
    "INPUT_LETTERS",
    "MAX_SHOTS",
    "NAMED_EPISODE_SHARE",
    "NAME_END",
    "OUTPUT_OFFSET",
    "PAD",
    "SEPARATOR",
    "TASKS",
    "TASK_LETTERS",
    "Episode",
    "LookupAttention",
    "copy_sources",
    "episode_targets",
    "icl_accuracy",
    "icl_batches",
    "lookup_attention",
    "make_episode",
    "task_function",
]


#: Letters the task inputs are drawn from (few, so that 8 examples reveal a substitution).
TASK_LETTERS = "abcdefgh"
#: Separators: input > output ; next example. A task name, when given, ends with ':'.
ARROW, SEPARATOR, NAME_END = ">", ";", ":"
TASKS = ("copy", "reverse", "shift", "cipher", "sort")
#: Every input has the same length: an output letter then always sits a fixed distance
#: after its input letter, which a small model finds far sooner than a variable one.
INPUT_LETTERS = 4
MAX_SHOTS = 8
#: Share of training episodes that are instructions: the task's name and a query, no
#: examples (enables named zero-shot). Names are kept out of few-shot episodes, where
#: they would shift every example by a few positions (measured to delay learning).
NAMED_EPISODE_SHARE = 0.25
#: The padding symbol; never a target.
PAD = "."
ICL_CHARS = "".join(
    sorted(set(TASK_LETTERS + "".join(TASKS) + ARROW + SEPARATOR + NAME_END + PAD))
)
#: An output letter sits INPUT_LETTERS + 1 places after its input letter; queries and keys
#: of the in-context-learning model mix that many predecessors and themselves.
ICL_SMEAR_WIDTH = INPUT_LETTERS + 2
#: Longest episode: named prompt, MAX_SHOTS examples and the query, each "x>y;".
ICL_BLOCK = len(max(TASKS, key=len)) + 1 + (MAX_SHOTS + 1) * (2 * INPUT_LETTERS + 2)


@dataclass(frozen=True)
class Episode:
    """One prompt: its task, the text up to the query's arrow, and the expected answer."""

    task: str
    prompt: str
    answer: str


def task_function(task: str, rng: random.Random) -> Callable[[str], str]:
    """Draw one instance of ``task`` (a shift amount, a substitution...) as a function."""
    if task == "copy":
        return lambda x: x
    if task == "reverse":
        return lambda x: x[::-1]
    if task == "sort":
        return lambda x: "".join(sorted(x))
    if task == "shift":
        amount = rng.randrange(1, len(TASK_LETTERS))
        table = {
            c: TASK_LETTERS[(i + amount) % len(TASK_LETTERS)] for i, c in enumerate(TASK_LETTERS)
        }
        return lambda x: "".join(table[c] for c in x)
    if task == "cipher":
        shuffled = rng.sample(TASK_LETTERS, len(TASK_LETTERS))
        table = dict(zip(TASK_LETTERS, shuffled, strict=True))
        return lambda x: "".join(table[c] for c in x)
    raise ValueError(f"unknown task {task!r}; choose one of {TASKS}.")


def _random_input(rng: random.Random, letters: str = TASK_LETTERS) -> str:
    return "".join(rng.choice(letters) for _ in range(INPUT_LETTERS))


def make_episode(
    task: str, shots: int, rng: random.Random, *, named: bool = False, answerable: bool = False
) -> Episode:
    """An episode of ``task`` with ``shots`` solved examples before the query.

    ``answerable=True`` (training only) draws the query's letters from the examples'
    inputs, so a substitution can always be read off the prompt; held-out episodes
    are drawn freely.
    """
    validation.integer("shots", shots, low=0, high=MAX_SHOTS)
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}.")
    function = task_function(task, rng)
    examples = [_random_input(rng) for _ in range(shots)]
    seen = "".join(examples) if answerable and shots else TASK_LETTERS
    examples.append(_random_input(rng, seen))
    solved = "".join(f"{x}{ARROW}{function(x)}{SEPARATOR}" for x in examples[:-1])
    prefix = f"{task}{NAME_END}" if named else ""
    query = examples[-1]
    return Episode(task, f"{prefix}{solved}{query}{ARROW}", function(query))


def episode_targets(text: str) -> list[bool]:
    """Which characters of an episode text are predicted: outputs and their ';', not inputs."""
    if not isinstance(text, str):
        raise TypeError(f"text must be an episode string, got {type(text).__name__}.")
    targets, in_output = [], False
    for char in text:
        if char == ARROW:
            in_output = True
            targets.append(False)
            continue
        targets.append(in_output)
        if char == SEPARATOR:
            in_output = False
    return targets


def icl_batches(
    batch_size: int,
    tokenizer: CharTokenizer,
    *,
    seed_offset: int = 0,
    tasks: Sequence[str] = TASKS,
    named_share: float = NAMED_EPISODE_SHARE,
) -> BatchFn:
    """A batch function of random episodes (a task from ``tasks``, 0-8 shots, sometimes named).

    A ``named_share`` of the episodes are instructions: the task's name and a query, no
    examples. The rest are unnamed, with 0 to ``MAX_SHOTS`` examples.

    Loss is taken only on output characters (inputs are random, so unpredictable).
    Every query is answerable from its examples (``make_episode(answerable=True)``), so
    looking an answer up in the prompt is rewarded on every shift and cipher episode.
    """
    validation.integer("batch_size", batch_size, low=1)
    validation.integer("seed_offset", seed_offset)
    if isinstance(tasks, str):
        raise TypeError(f"tasks must be a list of task names, e.g. [{tasks!r}], not a string.")
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown or not tasks:
        raise ValueError(f"tasks must be a non-empty selection of {TASKS}, got {tuple(tasks)}.")
    validation.number("named_share", named_share, low=0.0, high=1.0)
    pad_id = tokenizer.encode(PAD)[0]

    def batch(generator: torch.Generator) -> Batch:
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator)) + seed_offset
        rng = random.Random(seed)
        x = torch.full((batch_size, ICL_BLOCK), pad_id, dtype=torch.long)
        y = torch.full((batch_size, ICL_BLOCK), IGNORE_INDEX, dtype=torch.long)
        for row in range(batch_size):
            task = rng.choice(tasks)
            named = rng.random() < named_share
            shots = 0 if named else rng.randint(0, MAX_SHOTS)
            episode = make_episode(task, shots, rng, named=named, answerable=True)
            text = episode.prompt + episode.answer + SEPARATOR
            ids = torch.tensor(tokenizer.encode(text))
            predicted = torch.tensor(episode_targets(text))
            x[row, : len(ids) - 1] = ids[:-1]
            y[row, : len(ids) - 1] = torch.where(predicted[1:], ids[1:], IGNORE_INDEX)
        return x, y

    return batch


def _greedy_answers(
    model: TinyGPT, tokenizer: CharTokenizer, prompts: Sequence[str], lengths: Sequence[int]
) -> list[str]:
    """Greedy continuations of many prompts at once, ``lengths[i]`` characters each.

    Prompts are right-padded into one batch; a causal model's logits at position ``t``
    never depend on what lies after ``t``, so the padding changes nothing.
    """
    pad_id = tokenizer.encode(PAD)[0]
    ends = torch.tensor([len(prompt) for prompt in prompts])
    width = int((ends + torch.tensor(list(lengths))).max())
    if width > model.config.max_position:
        raise ValueError(
            f"an episode needs {width} positions but the model has {model.config.max_position}."
        )
    idx = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    for row, prompt in enumerate(prompts):
        idx[row, : len(prompt)] = torch.tensor(tokenizer.encode(prompt))
    rows = torch.arange(len(prompts))
    for offset in range(max(lengths)):
        positions = (ends + offset).clamp(max=width - 1)
        next_ids = model(idx)[rows, positions - 1].argmax(dim=-1)
        idx[rows, positions] = torch.where(ends + offset < width, next_ids, idx[rows, positions])
    return [
        tokenizer.decode(idx[row, end : end + length])
        for row, (end, length) in enumerate(zip(ends.tolist(), lengths, strict=True))
    ]


@torch.no_grad()
def icl_accuracy(
    model: TinyGPT,
    tokenizer: CharTokenizer,
    task: str,
    shots: int,
    num_episodes: int,
    *,
    named: bool = False,
    seed: int = 0,
) -> float:
    """Share of held-out episodes whose greedy continuation is exactly the answer.

    Episodes are drawn from ``random.Random(seed)``; training draws its seeds from a
    ``torch.Generator``, so these are fresh inputs (and fresh shifts and substitutions).
    """
    validation.integer("num_episodes", num_episodes, low=1)
    rng = random.Random(validation.integer("seed", seed))
    episodes = [make_episode(task, shots, rng, named=named) for _ in range(num_episodes)]
    with evaluation_mode(model):
        answers = _greedy_answers(
            model,
            tokenizer,
            [episode.prompt for episode in episodes],
            [len(episode.answer) for episode in episodes],
        )
    return sum(a == e.answer for a, e in zip(answers, episodes, strict=True)) / num_episodes


#: Characters of one solved example, "xxxx>yyyy;", and where its output starts within it.
EXAMPLE_LENGTH = 2 * INPUT_LETTERS + 2
OUTPUT_OFFSET = INPUT_LETTERS + 1


def copy_sources(prompt: str, shots: int, letter_index: int) -> list[int]:
    """Positions of the example output letters written under query letter ``letter_index``:
    what a letter-by-letter task (copy, shift, cipher) copies from. ``prompt`` is unnamed."""
    validation.integer("shots", shots, low=0, high=MAX_SHOTS)
    validation.integer("letter_index", letter_index, low=0, high=INPUT_LETTERS - 1)
    if not isinstance(prompt, str) or len(prompt) < shots * EXAMPLE_LENGTH + INPUT_LETTERS:
        raise ValueError(
            f"prompt must be an unnamed episode with {shots} example(s) and a query, e.g. "
            "make_episode(task, shots, rng).prompt."
        )
    letter = prompt[shots * EXAMPLE_LENGTH + letter_index]
    return [
        example * EXAMPLE_LENGTH + OUTPUT_OFFSET + offset
        for example in range(shots)
        for offset in range(INPUT_LETTERS)
        if prompt[example * EXAMPLE_LENGTH + offset] == letter
    ]


@dataclass(frozen=True)
class LookupAttention:
    """How much each head attends to the letters a substitution answer must copy.

    ``share[layer, head]``: mean attention mass, at the positions that predict an answer
    letter, on the example output letters written under that query letter. ``chance``:
    the mass those letters would get from attention spread evenly over the visible text.
    """

    share: torch.Tensor
    chance: float
    positions: int


@torch.no_grad()
def lookup_attention(
    model: TinyGPT,
    tokenizer: CharTokenizer,
    shots: int = MAX_SHOTS,
    num_episodes: int = 200,
    *,
    task: str = "cipher",
    seed: int = 0,
) -> LookupAttention:
    """Measure the induction-style lookup on held-out ``task`` episodes. Notebook 09.

    The answer is teacher-forced: each answer letter is predicted from the text before it,
    as during generation. Positions whose query letter appears in no example are skipped.
    """
    if task not in ("copy", "shift", "cipher"):
        raise ValueError(
            f"task must map each letter on its own (copy, shift or cipher), got {task!r}."
        )
    validation.integer("shots (examples to look up)", shots, low=1, high=MAX_SHOTS)
    validation.integer("num_episodes", num_episodes, low=1)
    rng = random.Random(validation.integer("seed", seed))
    episodes = [make_episode(task, shots, rng) for _ in range(num_episodes)]
    ids = torch.tensor([tokenizer.encode(e.prompt + e.answer[:-1]) for e in episodes])
    with evaluation_mode(model):
        attentions = torch.stack(model.encode(ids)[1], dim=1)
    share = torch.zeros(attentions.shape[1:3], dtype=torch.float64)
    chance, positions = 0.0, 0
    for row, episode in enumerate(episodes):
        for letter_index in range(INPUT_LETTERS):
            sources = copy_sources(episode.prompt, shots, letter_index)
            if not sources:
                continue
            predicting = len(episode.prompt) - 1 + letter_index
            share += attentions[row, :, :, predicting, sources].sum(-1).double()
            chance += len(sources) / (predicting + 1)
            positions += 1
    if not positions:
        raise ValueError("no query letter appears in the examples; draw more episodes.")
    return LookupAttention(share / positions, chance / positions, positions)
