"""A GRU encoder-decoder with and without attention, on a synthetic digit task. Notebook 06.

The experiment that motivated attention (Bahdanau et al. 2015): an encoder-decoder that
squeezes the whole input into one fixed vector degrades as sequences grow, while one that
looks back at every encoder state does not. The task is synthetic and instant to make:
reverse (or copy, or sort) a string of digits. The decoder follows Luong et al. (2015)
without input feeding, so teacher-forced training runs the decoder GRU over the whole
target at once; greedy decoding feeds its own predictions back one step at a time.
:class:`AttentionOnlyEncoder` solves the same task with self-attention alone (notebook 06
shows its heads and why it needs positional encodings).

Token ids: ``PAD_ID`` pads, ``BOS_ID`` starts the decoder input, ``EOS_ID`` ends every
target; digits ``0``-``9`` are ids ``DIGIT_OFFSET + digit``. Sources hold digits only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from tqdm.auto import tqdm

from course_utils.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
)
from course_utils.reproducibility import evaluation_mode, resolve_device

__all__ = [
    "ATTENTION_KINDS",
    "BOS",
    "BOS_ID",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_CLIP_NORM",
    "DEFAULT_EMBED_DIM",
    "DEFAULT_EVAL_SEQUENCES",
    "DEFAULT_HIDDEN_SIZE",
    "DEFAULT_LR",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_NUM_HEADS",
    "DEFAULT_NUM_LAYERS",
    "DIGITS",
    "DIGIT_OFFSET",
    "EOS",
    "EOS_ID",
    "EVAL_SEED",
    "FINAL_LR_FRACTION",
    "LOG_EVERY",
    "PAD",
    "PAD_ID",
    "TASKS",
    "TOKENS",
    "VOCAB_SIZE",
    "AttentionMap",
    "AttentionOnlyEncoder",
    "Seq2Seq",
    "Seq2SeqBatch",
    "Seq2SeqHistory",
    "TaskModel",
    "accuracy_by_length",
    "attention_maps",
    "batch_from_digits",
    "batch_from_strings",
    "describe",
    "format_accuracies",
    "random_batch",
    "sequence_accuracy",
    "tokens_to_string",
    "train_seq2seq",
]

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
DIGITS = "0123456789"
#: Id i is the token TOKENS[i]: the three special tokens, then the ten digits.
TOKENS = (PAD, BOS, EOS, *DIGITS)
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
DIGIT_OFFSET = 3
VOCAB_SIZE = len(TOKENS)
#: What the decoder must produce from the source digits.
TASKS = ("reverse", "copy", "sort")
#: How the decoder scores encoder states: None is the fixed-vector baseline.
ATTENTION_KINDS = (None, "additive", "dot")

DEFAULT_EMBED_DIM = 32
DEFAULT_HIDDEN_SIZE = 64
DEFAULT_NUM_HEADS = 2
DEFAULT_NUM_LAYERS = 2
DEFAULT_MAX_LENGTH = 12
DEFAULT_BATCH_SIZE = 128
DEFAULT_MAX_STEPS = 600
DEFAULT_LR = 3e-3
DEFAULT_CLIP_NORM = 1.0
#: The learning rate decays exponentially from ``lr`` to this fraction of it over the run.
FINAL_LR_FRACTION = 0.05
LOG_EVERY = 50
DEFAULT_EVAL_SEQUENCES = 500
EVAL_SEED = 1


@dataclass(frozen=True)
class Seq2SeqBatch:
    """One padded batch: sources, their lengths, decoder inputs and targets. Notebook 06.

    ``src`` (B, S) holds digit ids padded with ``PAD_ID``; ``tgt_in`` (B, T) is ``BOS``
    followed by the target digits; ``tgt_out`` (B, T) is the target digits followed by
    ``EOS``; both padded with ``PAD_ID`` (T = longest target + 1).
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor

    def to(self, device: str | torch.device) -> Seq2SeqBatch:
        """The same batch on ``device``."""
        return Seq2SeqBatch(*(tensor.to(device) for tensor in self._tensors()))

    def _tensors(self) -> tuple[torch.Tensor, ...]:
        return self.src, self.src_lengths, self.tgt_in, self.tgt_out

    def __len__(self) -> int:
        return self.src.shape[0]


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")


def _make_batch(digits: torch.Tensor, lengths: torch.Tensor, task: str) -> Seq2SeqBatch:
    """Build a batch from a (B, W) tensor of digits 0-9 whose row i is valid up to lengths[i]."""
    batch, width = digits.shape
    valid = torch.arange(width) < lengths.unsqueeze(1)
    if task == "reverse":
        mirrored = (lengths.unsqueeze(1) - 1 - torch.arange(width)).clamp(min=0)
        target = digits.gather(1, mirrored)
    elif task == "sort":
        target = digits.masked_fill(~valid, len(DIGITS)).sort(dim=1).values
    else:
        target = digits
    src = (digits + DIGIT_OFFSET).masked_fill(~valid, PAD_ID)
    target = (target + DIGIT_OFFSET).masked_fill(~valid, PAD_ID)
    padding = torch.full((batch, 1), PAD_ID, dtype=torch.long)
    tgt_in = torch.cat([torch.full((batch, 1), BOS_ID, dtype=torch.long), target], dim=1)
    tgt_out = torch.cat([target, padding], dim=1).scatter(1, lengths.unsqueeze(1), EOS_ID)
    return Seq2SeqBatch(src, lengths, tgt_in, tgt_out)


def batch_from_digits(digit_lists: Sequence[Sequence[int]], task: str = "reverse") -> Seq2SeqBatch:
    """Pad digit lists (each non-empty, values 0-9) into a :class:`Seq2SeqBatch`. Notebook 06."""
    _check_task(task)
    if not digit_lists:
        raise ValueError("need at least one digit sequence to make a batch.")
    for index, digits in enumerate(digit_lists):
        if len(digits) == 0:
            raise ValueError(f"sequence {index} is empty: every source needs at least one digit.")
        bad = [d for d in digits if not isinstance(d, int) or not 0 <= d <= 9]
        if bad:
            raise ValueError(
                f"sequence {index} holds {bad[:3]!r}: digits must be integers 0-9 "
                "(use batch_from_strings for text like '4071')."
            )
    lengths = torch.tensor([len(digits) for digits in digit_lists])
    padded = torch.zeros(len(digit_lists), int(lengths.max()), dtype=torch.long)
    for row, digits in enumerate(digit_lists):
        padded[row, : len(digits)] = torch.tensor(list(digits), dtype=torch.long)
    return _make_batch(padded, lengths, task)


def batch_from_strings(texts: Sequence[str], task: str = "reverse") -> Seq2SeqBatch:
    """A batch from digit strings such as ``"4071"`` (spaces allowed). Notebook 06."""
    digit_lists = []
    for text in texts:
        cleaned = text.replace(" ", "")
        if not cleaned.isdigit() or not cleaned.isascii():
            raise ValueError(f"{text!r} is not a string of digits 0-9 such as '4071'.")
        digit_lists.append([int(char) for char in cleaned])
    return batch_from_digits(digit_lists, task)


def random_batch(
    batch_size: int,
    min_length: int,
    max_length: int,
    *,
    task: str = "reverse",
    generator: torch.Generator | None = None,
) -> Seq2SeqBatch:
    """Random digit strings, lengths uniform in [min_length, max_length]. Notebook 06."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if not 1 <= min_length <= max_length:
        raise ValueError(
            f"need 1 <= min_length <= max_length, got min_length={min_length}, "
            f"max_length={max_length}."
        )
    _check_task(task)
    lengths = torch.randint(min_length, max_length + 1, (batch_size,), generator=generator)
    digits = torch.randint(0, len(DIGITS), (batch_size, int(lengths.max())), generator=generator)
    return _make_batch(digits, lengths, task)


def tokens_to_string(ids: Iterable[int]) -> str:
    """Digits of a token-id sequence up to the first ``EOS`` (padding dropped). Notebook 06."""
    chars = []
    for token in ids:
        token = int(token)
        if token == EOS_ID:
            break
        if token >= DIGIT_OFFSET:
            chars.append(TOKENS[token])
    return "".join(chars)


def _check_ids(name: str, ids: torch.Tensor) -> None:
    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() != 2:
        got = (
            f"{ids.dtype} tensor of shape {tuple(ids.shape)}"
            if isinstance(ids, torch.Tensor)
            else type(ids).__name__
        )
        raise TypeError(f"{name} must be a (batch, length) tensor of torch.long ids, got {got}.")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= VOCAB_SIZE):
        raise ValueError(
            f"{name} holds ids from {int(ids.min())} to {int(ids.max())}; valid ids are 0 to "
            f"{VOCAB_SIZE - 1} (see seq2seq.TOKENS). Build inputs with batch_from_strings."
        )


def _check_source(src: torch.Tensor, src_lengths: torch.Tensor) -> None:
    _check_ids("src", src)
    batch, width = src.shape
    if not isinstance(src_lengths, torch.Tensor) or src_lengths.dtype != torch.long:
        got = src_lengths.dtype if isinstance(src_lengths, torch.Tensor) else type(src_lengths)
        raise TypeError(f"src_lengths must be a torch.long tensor of shape (batch,), got {got}.")
    if src_lengths.dim() != 1 or src_lengths.shape[0] != batch:
        raise ValueError(
            f"src_lengths must have shape (batch,) = ({batch},) to match src {tuple(src.shape)}, "
            f"got {tuple(src_lengths.shape)}."
        )
    if batch and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > width):
        raise ValueError(
            f"src_lengths must lie in [1, {width}] (src has {width} columns), got min "
            f"{int(src_lengths.min())} and max {int(src_lengths.max())}."
        )


class Seq2Seq(nn.Module):
    """GRU encoder-decoder; ``attention=None`` is the fixed-vector baseline. Notebook 06.

    A bidirectional GRU encodes the source; its two final states, projected, start the
    decoder GRU. With attention, every decoder state queries all encoder states
    (``"additive"``: Bahdanau's MLP score; ``"dot"``: scaled dot product after a linear
    map of the query) and the context joins the state before the output layer.
    """

    def __init__(
        self,
        attention: str | None = "additive",
        *,
        embed_dim: int = DEFAULT_EMBED_DIM,
        hidden_size: int = DEFAULT_HIDDEN_SIZE,
    ) -> None:
        super().__init__()
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {attention!r}.")
        if embed_dim < 1 or hidden_size < 1:
            raise ValueError(
                f"embed_dim and hidden_size must be positive, got {embed_dim}, {hidden_size}."
            )
        self.attention_kind = attention
        self.hidden_size = hidden_size
        self.src_embed = nn.Embedding(VOCAB_SIZE, embed_dim, padding_idx=PAD_ID)
        self.tgt_embed = nn.Embedding(VOCAB_SIZE, embed_dim, padding_idx=PAD_ID)
        self.encoder = nn.GRU(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size)
        self.decoder = nn.GRU(embed_dim, hidden_size, batch_first=True)
        memory_size = 2 * hidden_size
        if attention == "additive":
            self.attend = AdditiveAttention(hidden_size, memory_size, hidden_size)
        elif attention == "dot":
            self.query_proj = nn.Linear(hidden_size, memory_size, bias=False)
        combined = hidden_size + (memory_size if attention else 0)
        self.combine = nn.Linear(combined, hidden_size)
        self.output = nn.Linear(hidden_size, VOCAB_SIZE)

    def encode(
        self, src: torch.Tensor, src_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states (B, S, 2·hidden) and the decoder's start state (1, B, hidden)."""
        _check_source(src, src_lengths)
        packed = pack_padded_sequence(
            self.src_embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        states, final = self.encoder(packed)
        memory, _ = pad_packed_sequence(states, batch_first=True, total_length=src.shape[1])
        start = torch.tanh(self.bridge(torch.cat([final[0], final[1]], dim=-1)))
        return memory, start.unsqueeze(0)

    def _read_out(
        self, states: torch.Tensor, memory: torch.Tensor, key_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, V) from decoder states, and attention weights (B, T, S) or None."""
        if self.attention_kind is None:
            return self.output(torch.tanh(self.combine(states))), None
        if self.attention_kind == "additive":
            context, weights = self.attend(states, memory, mask=key_mask)
        else:
            context, weights = scaled_dot_product_attention(
                self.query_proj(states), memory, memory, key_mask
            )
        hidden = torch.tanh(self.combine(torch.cat([states, context], dim=-1)))
        return self.output(hidden), weights

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: logits (B, T, vocab) for ``tgt_in`` and weights (B, T, S) or None."""
        _check_ids("tgt_in", tgt_in)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"src and tgt_in must have the same batch size: src {tuple(src.shape)}, "
                f"tgt_in {tuple(tgt_in.shape)}."
            )
        memory, start = self.encode(src, src_lengths)
        states, _ = self.decoder(self.tgt_embed(tgt_in), start)
        key_mask = padding_mask(src_lengths, src.shape[1], multi_head=False).to(src.device)
        return self._read_out(states, memory, key_mask)

    def loss(self, batch: Seq2SeqBatch) -> torch.Tensor:
        """Mean cross-entropy per target token (padding ignored) under teacher forcing."""
        logits, _ = self(batch.src, batch.src_lengths, batch.tgt_in)
        return F.cross_entropy(logits.transpose(1, 2), batch.tgt_out, ignore_index=PAD_ID)

    @torch.no_grad()
    def greedy_decode(
        self, src: torch.Tensor, src_lengths: torch.Tensor, max_length: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Feed back the most likely token: ids (B, T) and weights (B, T, S) or None.

        Decodes T = ``max_length`` steps (default: source width + 1); after a row's
        ``EOS`` its ids are ``PAD_ID`` and its attention weights 0.
        """
        max_length = src.shape[1] + 1 if max_length is None else max_length
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}.")
        memory, state = self.encode(src, src_lengths)
        key_mask = padding_mask(src_lengths, src.shape[1], multi_head=False).to(src.device)
        batch = src.shape[0]
        tokens = torch.full((batch, max_length), PAD_ID, dtype=torch.long, device=src.device)
        weights = torch.zeros(batch, max_length, src.shape[1], device=src.device)
        token = torch.full((batch, 1), BOS_ID, dtype=torch.long, device=src.device)
        running = torch.ones(batch, dtype=torch.bool, device=src.device)
        for step in range(max_length):
            output, state = self.decoder(self.tgt_embed(token), state)
            logits, step_weights = self._read_out(output, memory, key_mask)
            token = logits.argmax(-1)
            tokens[running, step] = token[running, 0]
            if step_weights is not None:
                weights[running, step] = step_weights[running, 0]
            running &= token[:, 0] != EOS_ID
            if not bool(running.any()):
                break
        return tokens, weights if self.attention_kind else None

    def exact_match(self, batch: Seq2SeqBatch) -> torch.Tensor:
        """(B,) booleans: did greedy decoding reproduce each target, ``EOS`` included?"""
        predicted, _ = self.greedy_decode(batch.src, batch.src_lengths, batch.tgt_out.shape[1])
        return (predicted == batch.tgt_out).all(dim=1)


class AttentionOnlyEncoder(nn.Module):
    """Self-attention and nothing else: one prediction per source position. Notebook 06.

    Token embeddings plus (optionally) sinusoidal positions, then ``num_layers`` residual
    multi-head self-attention layers and a linear read-out: no RNN, no feed-forward
    block, no LayerNorm (notebook 07 adds those). Position ``i`` must output the
    ``i``-th target digit, so with ``positions=False`` the model cannot reverse: plain
    self-attention does not know where a token sits.
    """

    def __init__(
        self,
        max_length: int,
        *,
        d_model: int = DEFAULT_EMBED_DIM,
        num_heads: int = DEFAULT_NUM_HEADS,
        num_layers: int = DEFAULT_NUM_LAYERS,
        positions: bool = True,
    ) -> None:
        super().__init__()
        if max_length < 1 or num_layers < 1:
            raise ValueError(
                f"max_length and num_layers must be positive, got {max_length}, {num_layers}."
            )
        self.max_length = max_length
        self.uses_positions = positions
        self.embed = nn.Embedding(VOCAB_SIZE, d_model, padding_idx=PAD_ID)
        encoding = sinusoidal_positions(max_length, d_model)
        self.register_buffer("positions", encoding if positions else torch.zeros_like(encoding))
        self.layers = nn.ModuleList(
            MultiHeadAttention(d_model, num_heads) for _ in range(num_layers)
        )
        self.output = nn.Linear(d_model, VOCAB_SIZE)

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (B, S, vocab) and each layer's weights (B, heads, S, S)."""
        _check_source(src, src_lengths)
        if src.shape[1] > self.max_length:
            raise ValueError(
                f"src has shape {tuple(src.shape)}: {src.shape[1]} positions, but this model "
                f"was built for at most max_length={self.max_length}."
            )
        x = self.embed(src) + self.positions[: src.shape[1]]
        key_mask = padding_mask(src_lengths, src.shape[1]).to(src.device)
        attentions = []
        for layer in self.layers:
            attended, weights = layer(x, mask=key_mask)
            x = x + attended
            attentions.append(weights)
        return self.output(x), attentions

    @staticmethod
    def _targets(batch: Seq2SeqBatch) -> torch.Tensor:
        """The target digit at each source position (``PAD_ID`` beyond the source)."""
        targets = batch.tgt_out[:, : batch.src.shape[1]]
        return targets.masked_fill(targets == EOS_ID, PAD_ID)

    def loss(self, batch: Seq2SeqBatch) -> torch.Tensor:
        """Mean cross-entropy per source position (padding ignored)."""
        logits, _ = self(batch.src, batch.src_lengths)
        return F.cross_entropy(logits.transpose(1, 2), self._targets(batch), ignore_index=PAD_ID)

    @torch.no_grad()
    def exact_match(self, batch: Seq2SeqBatch) -> torch.Tensor:
        """(B,) booleans: is every position's most likely digit the target digit?"""
        logits, _ = self(batch.src, batch.src_lengths)
        targets = self._targets(batch)
        return ((logits.argmax(-1) == targets) | (targets == PAD_ID)).all(dim=1)


#: The models :func:`train_seq2seq` and :func:`sequence_accuracy` accept.
TaskModel = Seq2Seq | AttentionOnlyEncoder


def describe(model: TaskModel) -> str:
    """A short name for progress bars and legends, e.g. "GRU + additive attention"."""
    if isinstance(model, AttentionOnlyEncoder):
        return "self-attention only" + ("" if model.uses_positions else " (no positions)")
    return (
        f"GRU + {model.attention_kind} attention" if model.attention_kind else "GRU, no attention"
    )


def _check_model(model: object) -> None:
    if not isinstance(model, (Seq2Seq, AttentionOnlyEncoder)):
        raise TypeError(
            f"model must be a seq2seq.Seq2Seq or AttentionOnlyEncoder, got {type(model).__name__}."
        )


@dataclass
class Seq2SeqHistory:
    """Loss curve and cost of one :func:`train_seq2seq` run. Notebook 06."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    sequences: int = 0
    seconds: float = 0.0

    @property
    def sequences_per_second(self) -> float:
        """Training sequences per second (the throughput)."""
        return self.sequences / self.seconds if self.seconds else 0.0


def train_seq2seq(
    model: TaskModel,
    *,
    task: str = "reverse",
    min_length: int = 1,
    max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_steps: int = DEFAULT_MAX_STEPS,
    lr: float = DEFAULT_LR,
    clip_norm: float = DEFAULT_CLIP_NORM,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
    log_every: int = LOG_EVERY,
) -> Seq2SeqHistory:
    """Train ``model`` in place with Adam on fresh random batches; returns the history.

    Every step draws a new batch from a generator seeded with ``seed`` (the task is
    infinite: no epochs, no DataLoader); exactly ``max_steps`` steps, the learning rate
    decaying from ``lr`` to ``FINAL_LR_FRACTION * lr``. Notebook 06.
    """
    _check_task(task)
    _check_model(model)
    for name, value in (("max_steps", max_steps), ("lr", lr), ("log_every", log_every)):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}.")
    device = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: FINAL_LR_FRACTION ** (step / max_steps)
    )
    history = Seq2SeqHistory()
    running, count = 0.0, 0
    started = time.perf_counter()
    with tqdm(total=max_steps, unit="step", disable=not progress, desc=describe(model)) as bar:
        for step in range(1, max_steps + 1):
            batch = random_batch(
                batch_size, min_length, max_length, task=task, generator=generator
            ).to(device)
            loss = model.loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            schedule.step()
            running, count = running + loss.item(), count + 1
            history.sequences += len(batch)
            if step % log_every == 0 or step == max_steps:
                history.steps.append(step)
                history.loss.append(running / count)
                running, count = 0.0, 0
                seconds = time.perf_counter() - started
                bar.set_postfix(
                    loss=f"{history.loss[-1]:.3f}", seq_per_s=f"{history.sequences / seconds:,.0f}"
                )
            bar.update(1)
    history.seconds = time.perf_counter() - started
    model.eval()
    return history


@torch.no_grad()
def sequence_accuracy(model: TaskModel, batch: Seq2SeqBatch) -> float:
    """Share of sequences whose whole output is right (one wrong digit = wrong). Notebook 06."""
    _check_model(model)
    with evaluation_mode(model):
        correct = model.exact_match(batch)
    return float(correct.float().mean())


def accuracy_by_length(
    model: TaskModel,
    lengths: Iterable[int],
    *,
    task: str = "reverse",
    n_sequences: int = DEFAULT_EVAL_SEQUENCES,
    seed: int = EVAL_SEED,
    device: str = "cpu",
) -> dict[int, float]:
    """Sequence accuracy on ``n_sequences`` fresh strings of each length. Notebook 06.

    The evaluation generator is seeded apart from training (``EVAL_SEED``), so every
    model is scored on the same strings.
    """
    generator = torch.Generator().manual_seed(seed)
    model.to(resolve_device(device))
    return {
        length: sequence_accuracy(
            model,
            random_batch(n_sequences, length, length, task=task, generator=generator).to(device),
        )
        for length in lengths
    }


@dataclass(frozen=True)
class AttentionMap:
    """One attention matrix with labels: rows are queries, columns keys. Notebook 06."""

    title: str
    queries: tuple[str, ...]
    keys: tuple[str, ...]
    weights: torch.Tensor


def _labels(ids: torch.Tensor) -> tuple[str, ...]:
    return tuple(TOKENS[int(token)] for token in ids if int(token) != PAD_ID)


@torch.no_grad()
def attention_maps(model: TaskModel, text: str, *, task: str = "reverse") -> list[AttentionMap]:
    """Every attention matrix ``model`` computes on the digit string ``text``. Notebook 06.

    A :class:`Seq2Seq` gives one map (its outputs attending to the source); an
    :class:`AttentionOnlyEncoder` gives one per layer and head.
    """
    _check_model(model)
    batch = batch_from_strings([text], task=task)
    model.eval()
    keys = _labels(batch.src[0])
    if isinstance(model, AttentionOnlyEncoder):
        _, attentions = model(batch.src, batch.src_lengths)
        return [
            AttentionMap(f"layer {layer + 1}, head {head + 1}", keys, keys, weights[0, head])
            for layer, weights in enumerate(attentions)
            for head in range(weights.shape[1])
        ]
    if model.attention_kind is None:
        raise ValueError("this Seq2Seq model has no attention (attention=None): nothing to show.")
    predicted, weights = model.greedy_decode(batch.src, batch.src_lengths)
    queries = _labels(predicted[0])
    title = f"decoder → encoder ({model.attention_kind})"
    return [AttentionMap(title, queries, keys, weights[0, : len(queries)])]


def format_accuracies(results: Mapping[str, Mapping[int, float]]) -> str:
    """A text table: one row per model, one column per length, accuracies in %. Notebook 06."""
    lengths = sorted({length for row in results.values() for length in row})
    label = "length"
    width = max(len(label), *(len(name) for name in results))
    header = f"{label:{width}s} " + " ".join(f"{length:>5d}" for length in lengths)
    rows = [
        f"{name:{width}s} " + " ".join(f"{100 * row[length]:5.1f}" for length in lengths)
        for name, row in results.items()
    ]
    return "\n".join([header, *rows])
