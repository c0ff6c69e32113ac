"""What every trainer of the course shares: the precision policy, the warm-up schedule,
batches moved to the device and the checks of optimizer settings. Notebooks 08 and 09.

Used by BERT pre-training (:mod:`course_utils.pretraining`) and fine-tuning
(:mod:`course_utils.fine_tuning`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, TypeVar

import torch

from course_utils import validation
from course_utils.reproducibility import has_fast_bfloat16

__all__ = [
    "AUTOCAST_DTYPES",
    "AUTO_PRECISION",
    "PRECISIONS",
    "ConfigWithPrecision",
    "resolve_precision",
    "warmup_linear_decay",
    "with_resolved_precision",
]

#: Training precisions: float32, or bfloat16 autocast (weights and optimizer stay float32;
#: about twice as fast on CPUs with bfloat16 instructions, far slower on CPUs without).
AUTOCAST_DTYPES = {"float32": None, "bfloat16": torch.bfloat16}
#: The precision setting that picks bfloat16 where the device computes it natively, else
#: float32 (:func:`resolve_precision`).
AUTO_PRECISION = "auto"
PRECISIONS = (AUTO_PRECISION, *AUTOCAST_DTYPES)


class _HasPrecision(Protocol):
    """A frozen settings dataclass with a ``precision`` field (pre-training, fine-tuning)."""

    precision: str


#: The settings classes that carry a ``precision`` (pre-training and fine-tuning).
ConfigWithPrecision = TypeVar("ConfigWithPrecision", bound="_HasPrecision")


def resolve_precision(precision: str, device: str = "cpu") -> str:
    """The training precision ``precision`` means on ``device``: "auto" becomes "bfloat16"
    where the device has native bfloat16 (:func:`has_fast_bfloat16`), else "float32"."""
    _check_precision(precision)
    if precision != AUTO_PRECISION:
        return precision
    return "bfloat16" if has_fast_bfloat16(device) else "float32"


def with_resolved_precision(config: ConfigWithPrecision, device: str) -> ConfigWithPrecision:
    """``config`` with its precision resolved for ``device``: what a provenance records."""
    return replace(config, precision=resolve_precision(config.precision, device))


def _check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")


def _check_optimizer_settings(lr: float, weight_decay: float, grad_clip: float) -> None:
    """The settings both training configurations share: finite, and positive where needed."""
    validation.learning_rate("lr", lr)
    validation.weight_decay("weight_decay", weight_decay)
    validation.number("grad_clip", grad_clip, low=0.0, low_open=True)


def warmup_linear_decay(step: int, lr: float, warmup_steps: int, total_steps: int) -> float:
    """BERT's schedule: linear warm-up to ``lr`` over ``warmup_steps``, then linear to 0."""
    validation.integer("step", step, low=0)
    validation.integer("warmup_steps", warmup_steps, low=0)
    validation.integer("total_steps", total_steps, low=1)
    validation.number("lr", lr, low=0.0)
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    return lr * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def _to(batch: dict[str, torch.Tensor], device: str) -> dict[str, torch.Tensor]:
    return {key: value.to(device) for key, value in batch.items()}


def _autocast(device: str, precision: str) -> torch.autocast:
    dtype = AUTOCAST_DTYPES[resolve_precision(precision, device)]
    return torch.autocast(device, dtype=dtype or torch.float32, enabled=dtype is not None)
