"""``python -m course_utils doctor``: is this machine ready for the course? (notebook 00)

One line per check, ✓ / ! / ✗, and for every problem the exact command that fixes it.
Nothing is downloaded or changed.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from course_utils import data
from course_utils.reproducibility import has_fast_bfloat16

MIN_PYTHON = (3, 10)
REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "requirements.txt"
KERNEL_NAME = "from-rules-to-gpt"
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
OK, WARN, FAIL = "✓", "!", "✗"
#: A pin ``name==version`` or ``name[extra,...]==version``; the extras are not part of the name.
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")
DATA_FIX = "python -m course_utils data   (offline: set NLTK_DATA and COURSE_DATA_MIRROR)"
INSTALL_FIX = "make lab   (or: pip install -r requirements.txt && pip install -e .)"
PINS_FIX = "pip install -r requirements.txt"


@dataclass(frozen=True)
class Check:
    """One doctor line: what was checked, its status (✓ ok, ! warning, ✗ problem), the fix."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The printable line, with the fix on the next line for a problem or a warning."""
        text = f"{self.status} {self.name}: {self.detail}"
        return f"{text}\n    fix: {self.fix}" if self.fix and self.status != OK else text


def pinned_requirements(path: Path = REQUIREMENTS) -> dict[str, str]:
    """``{package: version}`` from the ``name==version`` lines of requirements.txt."""
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def _base_version(version: str) -> str:
    return version.split("+", 1)[0]


def check_python() -> Check:
    """Python is recent enough."""
    version = platform.python_version()
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", OK, version)
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("Python", FAIL, f"{version} is too old", f"install Python {wanted} or newer")


def check_packages(pins: dict[str, str]) -> list[Check]:
    """Every pinned package is installed, at the pinned version (a warning otherwise).

    Local version labels are ignored (torch ``2.13.0+cpu`` matches the pin ``2.13.0``).
    """
    checks = []
    for name, wanted in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, FAIL, "not installed", INSTALL_FIX))
            continue
        if _base_version(installed) == _base_version(wanted):
            checks.append(Check(name, OK, installed))
        else:
            checks.append(version_mismatch(name, installed, wanted))
    return checks


def version_mismatch(name: str, installed: str, pinned: str) -> Check:
    """The warning for a package whose installed version differs from its pin (notebook 00).

    Names the package, both versions and the fix: reinstall the pins (or only this one).
    """
    return Check(
        name,
        WARN,
        f"version {installed} installed, but requirements.txt pins {pinned} (the version the "
        "course is tested with); results and outputs may differ",
        f"{PINS_FIX}   (or only this package: pip install {name}=={pinned})",
    )


def check_torch() -> list[Check]:
    """torch imports; how many threads it uses; whether the CPU computes bfloat16 natively;
    which accelerators (optional) it sees."""
    try:
        import torch
    except ImportError:
        return [Check("torch", FAIL, "cannot be imported", INSTALL_FIX)]
    threads = torch.get_num_threads()
    accelerators = [
        name
        for name, available in (
            ("CUDA", torch.cuda.is_available()),
            ("MPS", torch.backends.mps.is_available()),
        )
        if available
    ]
    found = (
        ", ".join(accelerators) if accelerators else "none (not needed: the course runs on CPU)"
    )
    bfloat16 = (
        "native: BERT training uses bfloat16 autocast"
        if has_fast_bfloat16("cpu")
        else "emulated on this CPU: BERT training stays in float32 (about 10x faster here)"
    )
    return [
        Check("torch threads", OK, f"{threads} on {os.cpu_count()} CPU cores"),
        Check("CPU bfloat16", OK, bfloat16),
        Check("GPU", OK, found),
    ]


def _where(location: str, show_paths: bool) -> str:
    if show_paths:
        return location
    mirror = data.mirror_dir()
    if mirror is not None and location.startswith(str(mirror)):
        return "found in the offline mirror"
    if location.startswith(str(data.cache_dir())):
        return "found in the course cache"
    return "found on NLTK's data path"


def check_data(show_paths: bool = True) -> list[Check]:
    """Each data set is on this machine (nothing is downloaded here)."""
    checks = []
    for name in data.NLTK_RESOURCES:
        location = data.nltk_resource_location(name)
        if location is None:
            checks.append(
                Check(f"data: {name}", FAIL, "missing", DATA_FIX)
            )  # fmt: skip
        else:
            checks.append(Check(f"data: {name}", OK, _where(location, show_paths)))
    try:
        path = data.locate_file(data.TINY_SHAKESPEARE)
    except data.DataUnavailableError as error:
        checks.append(Check("data: tiny_shakespeare", FAIL, str(error), DATA_FIX))
    else:
        if path is None:
            checks.append(Check("data: tiny_shakespeare", FAIL, "missing", DATA_FIX))
        else:
            checks.append(Check("data: tiny_shakespeare", OK, _where(str(path), show_paths)))
    return checks


def check_mr_split() -> Check:
    """The fixed MR split builds and matches its pinned sha256."""
    try:
        split = data.load_mr_split()
    except data.DataUnavailableError as error:
        return Check("MR split", FAIL, str(error).splitlines()[0], DATA_FIX)
    sizes = " / ".join(f"{len(split[name]):,}" for name in data.SPLIT_NAMES)
    return Check("MR split", OK, f"train / dev / test = {sizes}, sha256 verified")


def check_jupyter() -> list[Check]:
    """The JupyterLab widget extension is installed and the course kernel is registered."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.paths import jupyter_path

    extension = any(
        (Path(base) / WIDGET_EXTENSION).is_dir() for base in jupyter_path("labextensions")
    )
    checks = [
        Check("JupyterLab widgets", OK, "extension installed")
        if extension
        else Check(
            "JupyterLab widgets", FAIL, "extension not found", "pip install jupyterlab_widgets"
        )
    ]
    kernels = KernelSpecManager().find_kernel_specs()
    checks.append(
        Check("Jupyter kernel", OK, f"'{KERNEL_NAME}' registered")
        if KERNEL_NAME in kernels
        else Check("Jupyter kernel", WARN, f"'{KERNEL_NAME}' not registered (python3 works too)",
                   f"python -m ipykernel install --sys-prefix --name {KERNEL_NAME}")
    )  # fmt: skip
    return checks


def run_checks(show_paths: bool = True) -> list[Check]:
    """All checks, in the order they are printed."""
    return [
        check_python(),
        *check_packages(pinned_requirements()),
        *check_torch(),
        *check_jupyter(),
        *check_data(show_paths),
        check_mr_split(),
    ]


def doctor(show_paths: bool = True) -> bool:
    """Print every check and a verdict; True when nothing is missing (warnings allowed)."""
    checks = run_checks(show_paths)
    for check in checks:
        print(check.line())
    problems = sum(check.status == FAIL for check in checks)
    warnings_ = sum(check.status == WARN for check in checks)
    pins = pinned_requirements()
    mismatched = [check.name for check in checks if check.status == WARN and check.name in pins]
    if mismatched:
        print(
            f"\n! {len(mismatched)} installed version(s) differ from requirements.txt "
            f"({', '.join(mismatched)}): run {PINS_FIX}"
        )
    if problems:
        print(f"\n{problems} problem(s): run the fix under each ✗ line, then this check again.")
    else:
        print(f"\nReady for the course ({warnings_} warning(s)).")
    return problems == 0
