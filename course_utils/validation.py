"""Argument checks shared by the course's modules (they depend on nothing of ours).

Every public function refuses bad input at the door with a ``ValueError`` (a wrong value)
or a ``TypeError`` (a wrong kind of thing) whose message says what is wrong and how to fix
it. Without these checks, bad input surfaces far from its cause: an ``IndexError`` deep in
torch, a numpy warning, or, worst, a silently wrong number (float labels truncated, a NaN
temperature turning every probability into NaN).
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = [
    "class_ids",
    "finite_array",
    "finite_loss",
    "finite_tensor",
    "integer",
    "learning_rate",
    "number",
    "weight_decay",
]

#: Beyond 2**53 a float no longer holds every integer (and int64 overflows soon after).
LARGEST_EXACT_FLOAT_INTEGER = 2.0**53
#: The largest learning rate or weight decay accepted: with the course's optimizers (Adam,
#: AdamW, Adagrad) training diverges or the weights vanish far below it, and beyond
#: float32's range torch cannot even store the value.
MAX_RATE = 10.0
#: numpy dtype kinds that hold text or arbitrary objects rather than numbers.
NON_NUMERIC_KINDS = frozenset("USOVM")


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float, after checking that it is a finite real number in the interval
    from ``low`` to ``high`` (closed unless ``low_open`` / ``high_open``; None: unbounded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    result = float(value)
    below = low is not None and (result < low or (low_open and result == low))
    above = high is not None and (result > high or (high_open and result == high))
    if not math.isfinite(result) or below or above:
        interval = _interval(low, high, low_open, high_open)
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}.")
    return result


def learning_rate(name: str, value: object) -> float:
    """A learning rate: a finite number in (0, :data:`MAX_RATE`]."""
    return number(name, value, low=0.0, low_open=True, high=MAX_RATE)


def weight_decay(name: str, value: object) -> float:
    """A weight decay (0 = none): a finite number in [0, :data:`MAX_RATE`]."""
    return number(name, value, low=0.0, high=MAX_RATE)


def integer(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, after checking that it is an integer in ``[low, high]`` (None:
    unbounded). Anything Python can use as an index counts (numpy integers, a one-element
    integer tensor); bools and floats do not."""
    try:
        result = operator.index(value)
    except TypeError:
        result = None
    if isinstance(value, (bool, np.bool_)) or result is None:
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}; pass a whole "
            "number (e.g. round it with int(...))."
        )
    if (low is not None and result < low) or (high is not None and result > high):
        raise ValueError(
            f"{name} must be an integer in {_interval(low, high, False, False)}, got {result}."
        )
    return result


def class_ids(name: str, values: object) -> np.ndarray:
    """``values`` as an int64 array of class ids (0, 1, ...). Booleans count as 0/1 and
    whole-number floats as their integer; text, NaN and fractions are refused, since
    truncating 0.5 or 1.7 to a class would score the wrong thing without a word."""
    try:
        array = np.asarray(values)
    except ValueError as error:
        raise ValueError(f"{name} must be a flat sequence of class ids ({error}).") from None
    if array.dtype.kind in NON_NUMERIC_KINDS or array.dtype.kind == "c":
        sample = array.ravel()[:3].tolist()
        raise TypeError(
            f"{name} must hold integer class ids (0, 1, ...), got {array.dtype} values such "
            f"as {sample}; map each label to its class id first (e.g. positive -> 1)."
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"{name} contains NaN or infinite values; every label must be a class id."
            )
        if np.any(np.abs(array) > LARGEST_EXACT_FLOAT_INTEGER):
            raise ValueError(f"{name} holds values too large to be class ids.")
        fractional = array[array != np.round(array)]
        if fractional.size:
            raise ValueError(
                f"{name} must hold integer class ids, got fractions such as "
                f"{fractional[:3].tolist()}; threshold or argmax the scores into classes first."
            )
    return array.astype(np.int64)


def finite_array(name: str, values: object) -> np.ndarray:
    """``values`` as a float64 array, after checking that every entry is a finite number."""
    try:
        array = np.asarray(values)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array of numbers ({error}).") from None
    if array.dtype.kind in NON_NUMERIC_KINDS or array.dtype.kind == "c":
        raise TypeError(
            f"{name} must hold real numbers, got dtype {array.dtype} (e.g. "
            f"{array.ravel()[:3].tolist()})."
        )
    array = array.astype(np.float64)
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(
            f"{name} holds {bad} NaN or infinite value(s); every entry must be a finite number."
        )
    return array


def finite_loss(value: float, step: int, lr: float) -> float:
    """A training loss, after checking that it is finite: a NaN or infinite loss means the
    run diverged (a learning rate far too high, or bad inputs), and every later step would
    train on NaN without a word."""
    if not math.isfinite(value):
        raise ValueError(
            f"training diverged: the loss is {value} at step {step}; lower the learning rate "
            f"(lr={lr}) or check the inputs."
        )
    return value


def finite_tensor(name: str, tensor: object, *, allow_minus_inf: bool = False) -> torch.Tensor:
    """``tensor``, after checking that it is a floating-point torch tensor without NaN or
    infinity (``allow_minus_inf``: -inf is allowed, as in masked scores). Checked on the CPU
    only: on an accelerator the test would stall every call (a device-to-host copy) and
    the course's runs there are long training jobs."""
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(tensor).__name__}; convert with "
            "torch.as_tensor(...)."
        )
    if not tensor.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got {tensor.dtype}; convert with "
            f"{name}.float()."
        )
    if tensor.device.type == "cpu":
        allowed = torch.isfinite(tensor)
        if allow_minus_inf:
            allowed |= torch.isneginf(tensor)
        if not bool(allowed.all()):
            forbidden = "NaN or +inf" if allow_minus_inf else "NaN or infinite values"
            raise ValueError(f"{name} holds {forbidden}.")
    return tensor
