"""Seeds and devices: every notebook and training command starts here (notebook 00).

Imports torch lazily so that the early, torch-free notebooks start fast.
"""

from __future__ import annotations

import importlib.util
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "DEFAULT_SEED",
    "DEVICES",
    "evaluation_mode",
    "has_fast_bfloat16",
    "resolve_device",
    "set_seed",
    "torch_threads",
]

DEFAULT_SEED = 0
DEVICES = ("cpu", "cuda", "mps")


def set_seed(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and (if installed) torch, so reruns give the same numbers."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.manual_seed(seed)


def resolve_device(device: str = "cpu") -> str:
    """Check that ``device`` ("cpu", "cuda", "mps") is usable here; return it.

    Raises a ValueError that says what is available instead of failing deep in torch.
    """
    import torch

    if device not in DEVICES:
        raise ValueError(f"Unknown device {device!r}; choose one of {DEVICES}.")
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available[device]:
        usable = [name for name, ok in available.items() if ok]
        raise ValueError(
            f"Device {device!r} is not available on this machine; use one of {usable}."
        )
    return device


def has_fast_bfloat16(device: str = "cpu") -> bool:
    """Whether ``device`` computes in bfloat16 natively, so bfloat16 autocast is a speed-up.

    CPUs without AVX-512 (most laptops, Apple silicon) emulate bfloat16 in software, which
    made notebook 08's fine-tuning about ten times slower than float32; there, stay in
    float32. A CUDA GPU answers for itself (Ampere and newer).
    """
    import torch

    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the block with torch on ``threads`` CPU threads, then restore the previous count.

    Training commands default to one thread: on a shared 2-core machine more threads only
    fight over the same cores (notebooks 03-04 and their commands).
    """
    import torch

    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}.")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run the block with ``model`` in eval mode (no dropout), then restore its training flag,
    even if the block raises: how every measurement in the course reads a model."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
