"""GPT: TinyGPT, decoding, characters as tokens and causal language modelling. Notebook 09.

Three parts, each readable alone:

- the model: :class:`TinyGPT`, GPT-2's decoder at a size a 2-core CPU trains;
- decoding: :func:`generate` with greedy (``temperature=0``), temperature, top-k and
  top-p (nucleus) sampling, seeded through a ``torch.Generator``;
- training: :func:`train_lm`, one bounded loop (AdamW, warm-up + cosine learning rate,
  gradient clipping, progress and tokens/second) fed by a batch function, used both for
  the character model on Tiny Shakespeare (:func:`char_batches`) and for the task
  episodes of :mod:`course_utils.icl`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from course_utils import validation
from course_utils.attention import causal_mask
from course_utils.reproducibility import evaluation_mode
from course_utils.transformer import (
    IGNORE_INDEX,
    INIT_STD,
    Block,
    TransformerConfig,
    adamw,
    check_input_ids,
    init_weights,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "GELU_TANH",
    "VAL_FRACTION",
    "Batch",
    "BatchFn",
    "CharTokenizer",
    "LMHistory",
    "LMTrainingConfig",
    "TinyGPT",
    "TinyGPTConfig",
    "TrainingState",
    "char_batches",
    "continuation_log_prob",
    "estimate_loss",
    "generate",
    "learning_rate",
    "next_token_probabilities",
    "top_k_filter",
    "top_p_filter",
    "train_lm",
    "train_val_split",
]

GELU_TANH = "tanh"


@dataclass(frozen=True)
class TinyGPTConfig(TransformerConfig):
    """A GPT-2 configuration (GPT-2 small: d_model 768, 12 layers, 12 heads). Notebook 09.

    Two departures from GPT-2, both used by the in-context-learning model of notebook 09
    and both measured there to make in-context lookup learnable within a CPU budget:
    ``smear_width > 0`` mixes queries and keys with their ``smear_width - 1``
    predecessors (:func:`~course_utils.attention.causal_smear`), a shortcut to induction
    heads; ``tie_embeddings=False`` gives the output layer its own matrix. Such models
    have no Hugging Face GPT-2 equivalent.
    """

    smear_width: int = 0
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.smear_width < 0:
            raise ValueError(f"smear_width must be 0 (off) or positive, got {self.smear_width}.")


class TinyGPT(nn.Module):
    """GPT-2 (Radford et al. 2019): a pre-LN causal decoder with a tied LM head. Notebook 09.

    Token + learned position embeddings, blocks whose attention sees only the past,
    a final LayerNorm, and logits from the token embedding matrix (no bias). The
    feed-forward GELU is GPT-2's tanh approximation ("gelu_new").
    """

    def __init__(self, config: TinyGPTConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embed = nn.Embedding(config.vocab_size, config.d_model)
        self.position_embed = nn.Embedding(config.max_position, config.d_model)
        self.embed_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            Block(config, pre_norm=True, gelu=GELU_TANH, smear_width=config.smear_width)
            for _ in range(config.num_layers)
        )
        self.ln_final = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.lm_head = (
            None
            if config.tie_embeddings
            else nn.Linear(config.d_model, config.vocab_size, bias=False)
        )
        self.apply(init_weights)
        # GPT-2: scale the residual projections by 1/sqrt(2 * layers) at initialisation.
        residual_std = INIT_STD / math.sqrt(2 * config.num_layers)
        for block in self.blocks:
            nn.init.normal_(block.attn.out_proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(block.ffn.fc_out.weight, mean=0.0, std=residual_std)

    def encode(self, idx: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Final hidden states (B, L, d_model) after ``ln_final`` and per-layer attentions."""
        check_input_ids("idx", idx, self.config.vocab_size, self.config.max_position)
        length = idx.shape[1]
        positions = torch.arange(length, device=idx.device)
        x = self.embed_dropout(self.token_embed(idx) + self.position_embed(positions))
        mask = causal_mask(length, device=idx.device)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask)
            attentions.append(weights)
        return self.ln_final(x), attentions

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Next-token logits (batch, sequence, vocabulary) for token ids ``idx`` (B, L)."""
        hidden, _ = self.encode(idx)
        if self.lm_head is not None:
            return self.lm_head(hidden)
        return F.linear(hidden, self.token_embed.weight)

    def loss(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the logits against ``targets`` (B, L); -100 is ignored."""
        if targets.shape != idx.shape:
            raise ValueError(
                f"targets must have the shape of idx {tuple(idx.shape)}, got "
                f"{tuple(targets.shape)}; targets are idx shifted left by one token."
            )
        logits = self(idx)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX
        )


Batch = tuple[torch.Tensor, torch.Tensor]
BatchFn = Callable[[torch.Generator], Batch]

#: Fraction of Tiny Shakespeare held out for validation (nanoGPT's split).
VAL_FRACTION = 0.1


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
