"""GPT: causal language modelling, decoding, and in-context-learning episodes. Notebook 09.

Three parts, each readable alone:

- decoding: :func:`generate` with greedy (``temperature=0``), temperature, top-k and
  top-p (nucleus) sampling, seeded through a ``torch.Generator``;
- training: :func:`train_lm`, one bounded loop (AdamW, warm-up + cosine learning rate,
  gradient clipping, progress and tokens/second) fed by a batch function, used both for
  the character model on Tiny Shakespeare (:func:`char_batches`) and for the task
  episodes below;
- in-context learning: :func:`make_episode` writes prompts such as
  ``"abc>cba;dea>aed;fgb>"`` whose task (reverse, shift, a fresh letter substitution...)
  can only be inferred from the examples in the prompt.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.reproducibility import evaluation_mode
from course_utils.transformer import IGNORE_INDEX, TinyGPT, adamw

Batch = tuple[torch.Tensor, torch.Tensor]
BatchFn = Callable[[torch.Generator], Batch]

#: Fraction of Tiny Shakespeare held out for validation (nanoGPT's split).
VAL_FRACTION = 0.1

# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    validation.number("temperature (0 = greedy)", temperature, low=0.0)
    if top_k is not None:
        validation.integer("top_k (or None: no top-k filter)", top_k, low=1)
    if top_p is not None:
        validation.number(
            "top_p (or None: no nucleus filter)", top_p, low=0.0, low_open=True, high=1.0
        )


def _check_logits(logits: torch.Tensor) -> None:
    """Scores of shape (..., V): no NaN or +inf, and in each row at least one finite score
    (-inf marks a token already filtered out)."""
    validation.finite_tensor("logits", logits, allow_minus_inf=True)
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise ValueError(f"logits must have shape (..., vocabulary), got {tuple(logits.shape)}.")
    if not bool(torch.isfinite(logits).any(dim=-1).all()):
        raise ValueError("every row of logits needs at least one finite score (not all -inf).")


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep exactly the ``k`` largest logits of each row; the rest become -inf."""
    _check_logits(logits)
    k = min(validation.integer("k", k, low=1), logits.shape[-1])
    kept = torch.topk(logits, k, dim=-1).indices
    filtered = torch.full_like(logits, float("-inf"))
    return filtered.scatter(-1, kept, logits.gather(-1, kept))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability mass reaches ``p``;
    ``p = 1`` keeps every token (as Hugging Face's ``TopPLogitsWarper``).

    The mass is summed in float64: summed in float32, the mass before the last tokens of a
    large vocabulary rounds up to 1 and ``p = 1`` dropped them (about 4,200 of GPT-2's
    50,257 tokens per row).
    """
    _check_logits(logits)
    p = validation.number("p", p, low=0.0, low_open=True, high=1.0)
    if p == 1.0:
        return logits.clone()
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = sorted_logits.double().softmax(dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs
    sorted_logits = sorted_logits.masked_fill(mass_before >= p, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def next_token_probabilities(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """The distribution :func:`generate` samples from, given last-position ``logits`` (B, V)."""
    _check_sampling(temperature, top_k, top_p)
    _check_logits(logits)
    if temperature == 0:
        return F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    # Shift the largest logit to 0 and divide in float64: a tiny temperature then sends the
    # others towards -inf (greedy in the limit) instead of overflowing to inf - inf = NaN.
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    scaled = shifted.double() / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    return scaled.softmax(dim=-1).to(logits.dtype)


@torch.no_grad()
def generate(
    model: TinyGPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, L); returns (B, L + new).

    ``temperature=0`` is greedy decoding. The model sees at most its last
    ``max_position`` tokens (a longer prompt is cropped from the left, as in nanoGPT).
    """
    _check_sampling(temperature, top_k, top_p)
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}.")
    _check_ids("idx", idx)
    if idx.dim() != 2 or idx.shape[1] == 0:
        raise ValueError(
            f"idx must be a non-empty batch of prompts of shape (batch, length ≥ 1), got "
            f"{tuple(idx.shape)}; encode a prompt of at least one token and add [None]."
        )
    validation.integer("max_new_tokens", max_new_tokens, low=0)
    vocab_size = model.config.vocab_size
    if bool(((idx < 0) | (idx >= vocab_size)).any()):
        raise ValueError(f"idx holds token ids outside [0, vocab_size={vocab_size}).")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}.")
    context = model.config.max_position
    with evaluation_mode(model):
        for _ in range(max_new_tokens):
            logits = model(idx[:, -context:])[:, -1, :]
            probs = next_token_probabilities(logits, temperature, top_k, top_p)
            if temperature == 0:
                next_ids = probs.argmax(dim=-1, keepdim=True)
            else:
                next_ids = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat([idx, next_ids], dim=1)
    return idx


@torch.no_grad()
def continuation_log_prob(
    model: TinyGPT, prompt: torch.Tensor, continuation: torch.Tensor
) -> float:
    """Total log-probability (nats) the model gives ``continuation`` right after ``prompt``.

    Both are 1-D token-id tensors; prompt + continuation must fit the context. Comparing
    it across prompts measures how a prompt conditions the model. Notebook 09.
    """
    _check_ids("prompt", prompt)
    _check_ids("continuation", continuation)
    if prompt.dim() != 1 or continuation.dim() != 1 or len(prompt) == 0:
        raise ValueError(
            "prompt and continuation must be 1-D token-id tensors, the prompt non-empty; got "
            f"shapes {tuple(prompt.shape)} and {tuple(continuation.shape)}."
        )
    ids = torch.cat([prompt, continuation])
    if len(ids) > model.config.max_position + 1:
        raise ValueError(
            f"prompt + continuation are {len(ids)} tokens; the model reads at most "
            f"{model.config.max_position} (plus the last predicted one). Shorten them."
        )
    with evaluation_mode(model):
        log_probs = model(ids[None, :-1])[0].log_softmax(dim=-1)
    positions = torch.arange(len(prompt) - 1, len(ids) - 1)
    return log_probs[positions, ids[len(prompt) :]].sum().item()


def _check_ids(name: str, ids: object) -> None:
    """Token ids are an integer tensor (the model checks their range)."""
    if not isinstance(ids, torch.Tensor) or ids.is_floating_point() or ids.dtype == torch.bool:
        got = ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise TypeError(
            f"{name} must be a tensor of token ids (torch.long), got {got}; build it with "
            "torch.tensor([tokenizer.encode(text)])."
        )


# ---------------------------------------------------------------------------
# Characters as tokens
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CharTokenizer:
    """One token per character of a fixed alphabet (sorted). Notebook 09."""

    chars: str

    def __post_init__(self) -> None:
        if not isinstance(self.chars, str):
            raise TypeError(f"chars must be a string, got {type(self.chars).__name__}.")
        if not self.chars or len(set(self.chars)) != len(self.chars):
            raise ValueError("chars must be a non-empty string of distinct characters.")

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer whose alphabet is every character that occurs in ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}.")
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens."""
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; characters outside the alphabet raise a ValueError."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}.")
        index = {char: i for i, char in enumerate(self.chars)}
        unknown = sorted({char for char in text if char not in index})
        if unknown:
            raise ValueError(
                f"characters {unknown!r} are not in this model's alphabet "
                f"{self.chars!r}; remove or replace them."
            )
        return [index[char] for char in text]

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """The text of token ids ``ids`` (each in ``[0, vocab_size)``)."""
        values = ids.flatten().tolist() if isinstance(ids, torch.Tensor) else list(ids)
        for value in values:
            validation.integer("a token id", value, low=0, high=self.vocab_size - 1)
        return "".join(self.chars[i] for i in values)


def train_val_split(ids: torch.Tensor, val_fraction: float = VAL_FRACTION) -> Batch:
    """First ``1 - val_fraction`` of a token stream for training, the rest for validation."""
    validation.number(
        "val_fraction", val_fraction, low=0.0, high=1.0, low_open=True, high_open=True
    )
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1:
        raise TypeError("ids must be a 1-D tensor of token ids (the whole text, encoded).")
    cut = int(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


def char_batches(data: torch.Tensor, block_size: int, batch_size: int) -> BatchFn:
    """A batch function: random windows of ``block_size`` tokens and the same shifted by one."""
    validation.integer("block_size", block_size, low=1)
    validation.integer("batch_size", batch_size, low=1)
    _check_ids("data", data)
    if data.dim() != 1 or len(data) <= block_size:
        raise ValueError(
            f"data must be a 1-D token stream longer than block_size={block_size}, got shape "
            f"{tuple(data.shape)}."
        )

    def batch(generator: torch.Generator) -> Batch:
        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        offsets = torch.arange(block_size)
        x = data[starts[:, None] + offsets]
        y = data[starts[:, None] + offsets + 1]
        return x, y

    return batch


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LMTrainingConfig:
    """Hyperparameters of :func:`train_lm`, as plain data (nanoGPT style). Notebook 09."""

    max_steps: int = 2000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    eval_every: int = 250
    eval_batches: int = 20

    def __post_init__(self) -> None:
        for name in ("max_steps", "eval_every", "eval_batches"):
            validation.integer(name, getattr(self, name), low=1)
        validation.integer("warmup_steps", self.warmup_steps, low=0)
        lr = validation.learning_rate("lr", self.lr)
        validation.number("min_lr", self.min_lr, low=0.0, high=lr)
        validation.weight_decay("weight_decay", self.weight_decay)
        validation.number("grad_clip", self.grad_clip, low=0.0, low_open=True)
        for beta in self.betas:
            validation.number("betas", beta, low=0.0, high=1.0, high_open=True)


def learning_rate(step: int, config: LMTrainingConfig) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``min_lr`` at ``max_steps``."""
    validation.integer("step", step, low=0)
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    span = max(1, config.max_steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return config.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - config.min_lr)


@dataclass
class LMHistory:
    """What :func:`train_lm` measured: losses, throughput, wall time."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Training throughput in (input) tokens per second."""
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class TrainingState:
    """Everything :func:`train_lm` needs to continue a run exactly where it stopped.

    The optimizer's moments, the batch sampler's state, the history so far, the step, and
    torch's global random state (dropout masks).
    """

    optimizer: dict
    generator: torch.Tensor
    history: LMHistory
    step: int
    rng: torch.Tensor


@torch.no_grad()
def estimate_loss(
    model: nn.Module, batches: BatchFn, num_batches: int, *, seed: int = 0, device: str = "cpu"
) -> float:
    """Mean loss over ``num_batches`` batches drawn with a fixed seed (comparable across calls)."""
    validation.integer("num_batches", num_batches, low=1)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    with evaluation_mode(model):
        for _ in range(num_batches):
            x, y = batches(generator)
            losses.append(model.loss(x.to(device), y.to(device)).item())
    return sum(losses) / len(losses)


def train_lm(
    model: TinyGPT,
    train_batches: BatchFn,
    val_batches: BatchFn,
    config: LMTrainingConfig,
    *,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    resume: TrainingState | None = None,
    on_eval: Callable[[TrainingState], None] | None = None,
) -> LMHistory:
    """Train ``model`` for ``config.max_steps`` steps; validate every ``eval_every`` steps.

    Batches come from ``train_batches(generator)`` (see :func:`char_batches`), so one loop
    serves the character model and the in-context-learning episodes. ``on_eval`` receives
    the full training state after each validation (to save it); passing that state back as
    ``resume`` continues the run exactly where it stopped. Notebook 09.
    """
    if not isinstance(config, LMTrainingConfig):
        raise TypeError(f"config must be an LMTrainingConfig, got {type(config).__name__}.")
    validation.integer("seed", seed)
    model.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    optimizer = adamw(model, config.lr, config.weight_decay, config.betas)
    history = LMHistory()
    first_step = 0
    if resume is not None:
        optimizer.load_state_dict(resume.optimizer)
        generator.set_state(resume.generator)
        torch.set_rng_state(resume.rng)
        history, first_step = resume.history, resume.step
    start = time.perf_counter() - history.seconds
    with tqdm(
        total=config.max_steps, initial=first_step, unit="step", disable=not progress, desc="GPT"
    ) as bar:
        for step in range(first_step, config.max_steps):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, config)
            x, y = train_batches(generator)
            loss = model.loss(x.to(device), y.to(device))
            loss_value = validation.finite_loss(loss.item(), step + 1, config.lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            history.steps.append(step + 1)
            history.train_loss.append(loss_value)
            history.tokens += x.numel()
            last_step = step + 1 == config.max_steps
            if (step + 1) % config.eval_every == 0 or last_step:
                val = estimate_loss(model, val_batches, config.eval_batches, device=device)
                history.eval_steps.append(step + 1)
                history.val_loss.append(val)
                bar.set_postfix(train=f"{loss_value:.3f}", val=f"{val:.3f}")
                history.seconds = time.perf_counter() - start
                if on_eval is not None:
                    state = optimizer.state_dict(), generator.get_state(), history, step + 1
                    on_eval(TrainingState(*state, torch.get_rng_state()))
            history.seconds = time.perf_counter() - start
            bar.set_postfix_str(f"{history.tokens_per_second:,.0f} tok/s", refresh=False)
            bar.update()
    model.eval()
    return history


# ---------------------------------------------------------------------------
# In-context learning: task episodes
# ---------------------------------------------------------------------------

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
