"""Seeds and devices: every notebook and training command starts here (notebook 00).

Imports torch lazily so that the early, torch-free notebooks start fast.
"""

from __future__ import annotations

import importlib.util
import os
import random

import numpy as np

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
