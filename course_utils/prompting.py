"""Zero-shot prompting: a language model classifies MR reviews with no weight trained on MR.

Taught in notebooks 09 and 11. A :class:`PromptTemplate` turns a review into two
continuations ("positive" vs "negative"); the model's log-probabilities of each decide,
either as the more likely continuation or with a threshold chosen on dev sentences
(:func:`choose_prompt`). The same scoring serves the course's character GPT
(:func:`char_gpt_log_probs`) and a Hugging Face causal LM (:func:`hf_causal_lm_log_probs`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from course_utils.evaluation import accuracy

if TYPE_CHECKING:
    from course_utils.gpt import CharTokenizer, TinyGPT

__all__ = [
    "DECISION_RULES",
    "DEV_PROMPT_SENTENCES",
    "PROMPT_TEMPLATES",
    "LogProbs",
    "ModelLogits",
    "PromptChoice",
    "PromptTemplate",
    "batched_continuation_log_probs",
    "char_gpt_log_probs",
    "choose_prompt",
    "hf_causal_lm_log_probs",
    "to_alphabet",
    "zero_shot_predictions",
    "zero_shot_scores",
]


@dataclass(frozen=True)
class PromptTemplate:
    """A zero-shot prompt: ``prompt`` holds ``{sentence}``; the model's verdict is which
    of the two continuations it finds more likely right after it."""

    name: str
    prompt: str
    positive: str
    negative: str

    def __post_init__(self) -> None:
        if "{sentence}" not in self.prompt:
            raise ValueError(f"template {self.name!r}: the prompt must contain '{{sentence}}'.")
        if not self.positive or not self.negative or self.positive == self.negative:
            raise ValueError(
                f"template {self.name!r}: give two different, non-empty continuations."
            )

    def fill(self, sentence: str) -> str:
        return self.prompt.replace("{sentence}", sentence)


#: The variants tried on dev (never on test): plain English, and one in the model's
#: own register (a speaker's line, then a reply).
PROMPT_TEMPLATES = (
    PromptTemplate("It was good / bad", "{sentence}\nIt was", " good.", " bad."),
    PromptTemplate(
        "a play-goer's verdict",
        "FIRST CITIZEN:\n{sentence}\n\nSECOND CITIZEN:\nThat is",
        " well said.",
        " ill said.",
    ),
)
#: Dev sentences the prompt variants are compared on (the first N of dev, to keep the
#: notebook inside its time budget; a character model reads about 100 characters each).
DEV_PROMPT_SENTENCES = 200
#: Decision rules tried on dev: the more likely continuation (threshold 0), or the dev
#: median of the score difference as threshold (half the answers positive).
DECISION_RULES = ("more likely continuation", "threshold at the dev median")

#: prompts, one continuation -> log-probability of the continuation after each prompt.
LogProbs = Callable[[Sequence[str], str], np.ndarray]
ModelLogits = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def batched_continuation_log_probs(
    logits_fn: ModelLogits,
    prompts: Sequence[Sequence[int]],
    continuation: Sequence[int],
    *,
    max_length: int,
    batch_size: int = 64,
) -> np.ndarray:
    """Log-probability (nats) of ``continuation`` after each prompt, many prompts per
    forward pass. The batched version of :func:`course_utils.gpt.continuation_log_prob`.

    Prompts are token-id lists; one that is too long keeps its *last* tokens so that
    prompt + continuation fit ``max_length + 1`` (the model reads ``max_length``).
    ``logits_fn(ids, attention_mask)`` returns (batch, length, vocabulary) logits;
    sequences are right-padded, which a causal model never sees before the pad.
    """
    continuation = list(continuation)
    if not continuation:
        raise ValueError("the continuation is empty: give at least one token to score.")
    room = max_length + 1 - len(continuation)
    if room < 1:
        raise ValueError(
            f"a continuation of {len(continuation)} tokens leaves no room for a prompt in "
            f"{max_length} positions."
        )
    if any(len(prompt) == 0 for prompt in prompts):
        raise ValueError("every prompt needs at least one token.")
    sequences = [list(prompt)[-room:] for prompt in prompts]
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    target = torch.tensor(continuation)
    out = np.zeros(len(sequences))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = max(len(sequences[i]) for i in rows) + len(continuation)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for r, i in enumerate(rows):
            full = sequences[i] + continuation
            ids[r, : len(full)] = torch.tensor(full)
            mask[r, : len(full)] = 1
        log_probs = logits_fn(ids[:, :-1], mask[:, :-1]).float().log_softmax(dim=-1)
        for r, i in enumerate(rows):
            positions = torch.arange(len(sequences[i]) - 1, len(sequences[i]) - 1 + len(target))
            out[i] = log_probs[r, positions, target].sum().item()
    return out


def to_alphabet(sentence: str, alphabet: str) -> str:
    """``sentence`` written with ``alphabet`` only: accents stripped, double quotes as
    single ones, any other unknown character dropped (a character model's input)."""
    decomposed = unicodedata.normalize("NFKD", sentence.replace('"', "'"))
    kept = "".join(char for char in decomposed if char in alphabet)
    return re.sub(" {2,}", " ", kept)


def char_gpt_log_probs(
    model: TinyGPT, tokenizer: CharTokenizer, *, batch_size: int = 64
) -> LogProbs:
    """Scorer of the course's character GPT: prompts are mapped to its alphabet and keep
    their last characters when they are longer than its context."""
    model.eval()

    def log_probs(prompts: Sequence[str], continuation: str) -> np.ndarray:
        encoded = [tokenizer.encode(to_alphabet(prompt, tokenizer.chars)) for prompt in prompts]
        return batched_continuation_log_probs(
            lambda ids, _mask: model(ids),
            encoded,
            tokenizer.encode(continuation),
            max_length=model.config.max_position,
            batch_size=batch_size,
        )

    return log_probs


def hf_causal_lm_log_probs(model: Any, tokenizer: Any, *, batch_size: int = 16) -> LogProbs:
    """Scorer of a Hugging Face causal language model (e.g. ``gpt2``), same rules."""
    model.eval()

    def log_probs(prompts: Sequence[str], continuation: str) -> np.ndarray:
        encoded = [tokenizer(prompt)["input_ids"] for prompt in prompts]
        return batched_continuation_log_probs(
            lambda ids, mask: model(input_ids=ids, attention_mask=mask).logits,
            encoded,
            tokenizer(continuation)["input_ids"],
            max_length=model.config.n_positions,
            batch_size=batch_size,
        )

    return log_probs


def zero_shot_scores(
    log_probs: LogProbs, sentences: Sequence[str], template: PromptTemplate
) -> np.ndarray:
    """log P(positive continuation) - log P(negative continuation), per sentence."""
    if isinstance(sentences, str) or not sentences:
        raise ValueError("pass a non-empty list of sentences.")
    prompts = [template.fill(sentence) for sentence in sentences]
    return log_probs(prompts, template.positive) - log_probs(prompts, template.negative)


def zero_shot_predictions(scores: Sequence[float], threshold: float = 0.0) -> np.ndarray:
    """1 (positive) where the score is above ``threshold``, else 0. With threshold 0: the
    continuation the model finds more likely wins (a tie counts as negative)."""
    return (np.asarray(scores, dtype=float) > threshold).astype(int)


@dataclass(frozen=True)
class PromptChoice:
    """The variant chosen on dev and every variant's dev accuracy."""

    template: PromptTemplate
    rule: str
    threshold: float
    dev_accuracy: float
    dev_table: tuple[tuple[str, str, float], ...]


def choose_prompt(
    log_probs: LogProbs,
    dev_texts: Sequence[str],
    dev_labels: Sequence[int],
    templates: Sequence[PromptTemplate] = PROMPT_TEMPLATES,
) -> PromptChoice:
    """Try every template with both :data:`DECISION_RULES` on dev; keep the most accurate
    (the first of equals)."""
    if not templates:
        raise ValueError("give at least one prompt template.")
    if len(dev_texts) != len(dev_labels):
        raise ValueError(f"{len(dev_texts)} dev texts but {len(dev_labels)} labels.")
    table, best = [], None
    for template in templates:
        scores = zero_shot_scores(log_probs, dev_texts, template)
        for rule, threshold in zip(DECISION_RULES, (0.0, float(np.median(scores))), strict=True):
            dev_accuracy = accuracy(dev_labels, zero_shot_predictions(scores, threshold))
            table.append((template.name, rule, dev_accuracy))
            if best is None or dev_accuracy > best[3]:
                best = (template, rule, threshold, dev_accuracy)
    return PromptChoice(*best, dev_table=tuple(table))
