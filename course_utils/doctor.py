"""``python -m course_utils doctor``: is this machine ready for the course? (notebook 00)

One line per check, ✓ / ! / ✗, and for every problem the exact command that fixes it
(printed once, however many lines share it). What a learner needs fails the check; what
only a maintainer needs (the test and lint tools) is a warning. Every shipped checkpoint is
verified against its provenance (hashes only). Nothing is downloaded or changed, and a
check that breaks is reported as a ✗ line: the doctor never ends in a traceback.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from course_utils import data
from course_utils.checkpoints import (
    CHECKPOINT_DIR,
    CheckpointError,
    checkpoint_paths,
    covered_files,
    record_name,
    shipped_records,
    verify_checkpoint,
)
from course_utils.reproducibility import has_fast_bfloat16

__all__ = [
    "BUG_FIX",
    "FAIL",
    "GIT_TIMEOUT_S",
    "INSTALL_FIX",
    "KERNEL_NAME",
    "MAINTAINER_PACKAGES",
    "MIN_PYTHON",
    "OK",
    "PIN",
    "PINS_FIX",
    "REPO_ROOT",
    "REQUIREMENTS",
    "WARN",
    "WIDGET_EXTENSION",
    "Check",
    "check_data",
    "check_environment",
    "check_jupyter",
    "check_mr_split",
    "check_packages",
    "check_python",
    "check_shipped",
    "check_torch",
    "data_fix",
    "doctor",
    "guarded",
    "pinned_requirements",
    "report_lines",
    "run_checks",
    "tracked_files",
    "version_mismatch",
]

MIN_PYTHON = (3, 10)
REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "requirements.txt"
KERNEL_NAME = "from-rules-to-gpt"
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
OK, WARN, FAIL = "✓", "!", "✗"
#: A pin ``name==version`` or ``name[extra,...]==version``; the extras are not part of the name.
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")
INSTALL_FIX = "make lab   (or: pip install -r requirements.txt && pip install -e .)"
PINS_FIX = "pip install -r requirements.txt"
#: Pinned tools only a maintainer needs (``make test``, ``make lint``), with what each does:
#: missing, they are a warning, not a problem, for a learner (e.g. on Colab).
MAINTAINER_PACKAGES = {
    "pytest": "runs the unit tests",
    "pytest-xdist": "runs the tests in parallel",
    "hypothesis": "runs the property-based tests",
    "nbval": "runs the notebooks as tests",
    "playwright": "drives the browser test",
    "ruff": "lints and formats the code; appendix notebook 12 also shows it",
}
#: How long the doctor waits for ``git ls-files`` (which lists the shipped files).
GIT_TIMEOUT_S = 10
BUG_FIX = "run the doctor again; if this line stays, report it with the line above"


@dataclass(frozen=True)
class Check:
    """One doctor line: what was checked, its status (✓ ok, ! warning, ✗ problem), the fix."""

    name: str
    status: str
    detail: str
    fix: str = ""

    @property
    def needs_fix(self) -> bool:
        """A problem or a warning that comes with a fix."""
        return bool(self.fix) and self.status != OK

    def line(self, *, with_fix: bool = True) -> str:
        """The printable line, with the fix on the next line for a problem or a warning."""
        text = f"{self.status} {self.name}: {self.detail}"
        return f"{text}\n    fix: {self.fix}" if with_fix and self.needs_fix else text


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

    A missing package fails the check unless only maintainers need it
    (:data:`MAINTAINER_PACKAGES`, listed last). Local version labels are ignored (torch
    ``2.13.0+cpu`` matches the pin ``2.13.0``).
    """
    checks = []
    learner_first = sorted(pins.items(), key=lambda pin: pin[0] in MAINTAINER_PACKAGES)
    for name, wanted in learner_first:
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in MAINTAINER_PACKAGES:
                detail = (
                    f"not installed; only maintainers need it (it {MAINTAINER_PACKAGES[name]}), "
                    "the course itself runs without it"
                )
                checks.append(Check(name, WARN, detail, f"pip install {name}=={wanted}"))
            else:
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
        else "emulated on this CPU: BERT training stays in float32, which is faster here"
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


def data_fix() -> str:
    """How to get missing data; with ``COURSE_OFFLINE`` set, downloading first needs it unset."""
    mirror = f"offline: set {data.NLTK_DATA_ENV} and {data.MIRROR_ENV} to a mirror"
    if not data.network_allowed():
        return f"unset {data.offline_variable()}, then: python -m course_utils data   ({mirror})"
    return f"python -m course_utils data   ({mirror})"


def _unavailable(name: str, error: data.DataUnavailableError) -> Check:
    """A ✗ line from a loader's error: its first line, and its own fix for a damaged file."""
    problem, _, advice = str(error).partition("\n")
    return Check(name, FAIL, problem, advice if advice == data.REPLACE_DAMAGED else data_fix())


def check_environment(show_paths: bool = True) -> list[Check]:
    """The data variables' values (paths only with ``show_paths``), each one that points
    nowhere with a warning and its fix."""
    problems = data.environment_problems()
    examples = {
        data.NLTK_DATA_ENV: "/path/to/course-data/nltk_data",
        data.MIRROR_ENV: "/path/to/course-data",
    }
    checks = []
    for name, example in examples.items():
        value = os.environ.get(name)
        shown = (value if show_paths else "set") if value else "not set"
        if name in problems:
            checks.append(Check(name, WARN, problems[name], f'export {name}="{example}"'))
        else:
            checks.append(Check(name, OK, shown))
    offline = (
        f"{os.environ.get(data.OFFLINE_ENV)} (the course never uses the network)"
        if data.offline_variable() == data.OFFLINE_ENV
        else "not set (missing data is downloaded)"
    )
    checks.append(Check(data.OFFLINE_ENV, OK, offline))
    return checks


def check_data(show_paths: bool = True) -> list[Check]:
    """Each data set is on this machine and readable (nothing is downloaded here)."""
    checks = []
    for name in data.NLTK_RESOURCES:
        try:
            location = data.nltk_resource_location(name)
        except data.DataUnavailableError as error:
            checks.append(_unavailable(f"data: {name}", error))
            continue
        if location is None:
            checks.append(Check(f"data: {name}", FAIL, "missing", data_fix()))
        else:
            checks.append(Check(f"data: {name}", OK, _where(location, show_paths)))
    try:
        path = data.locate_file(data.TINY_SHAKESPEARE)
    except data.DataUnavailableError as error:
        checks.append(Check("data: tiny_shakespeare", FAIL, str(error), data_fix()))
    else:
        if path is None:
            checks.append(Check("data: tiny_shakespeare", FAIL, "missing", data_fix()))
        else:
            checks.append(Check("data: tiny_shakespeare", OK, _where(str(path), show_paths)))
    return checks


def check_mr_split() -> Check:
    """The fixed MR split builds and matches its pinned sha256."""
    try:
        split = data.load_mr_split()
    except data.DataUnavailableError as error:
        return _unavailable("MR split", error)
    sizes = " / ".join(f"{len(split[name]):,}" for name in data.SPLIT_NAMES)
    return Check("MR split", OK, f"train / dev / test = {sizes}, sha256 verified")


def tracked_files(directory: Path) -> list[str]:
    """The files git tracks under ``directory`` (relative to it), so that a deleted shipped
    file is noticed; empty outside a git checkout or without git."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=directory,
            capture_output=True,
            check=True,
            timeout=GIT_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [path for path in result.stdout.decode("utf-8").split("\0") if path]


def check_shipped(
    directory: Path = CHECKPOINT_DIR, expected: Iterable[str] | None = None
) -> list[Check]:
    """Every shipped checkpoint and results record matches its provenance (sha256 of every
    file it covers, and the record's own checksum). Fast: it only hashes.

    ``expected`` lists the files that should be there, relative to ``directory``
    (default: what git tracks), so a deleted record is reported too.
    """
    listed = tracked_files(directory) if expected is None else list(expected)
    records = shipped_records(directory, listed)
    problems, covered = [], 0
    for path in records:
        try:
            record = verify_checkpoint(record_name(path), path.parent)
        except CheckpointError as error:
            name = f"shipped: {path.relative_to(directory)}"
            problems.append(Check(name, FAIL, error.problem, error.fix))
            continue
        weights_path, _ = checkpoint_paths(record_name(path), path.parent)
        covered += len(covered_files(record, weights_path))
    if problems:
        return problems
    detail = (
        f"{len(records)} provenance records and the {covered} files they cover, sha256 verified"
    )
    return [Check("shipped checkpoints", OK, detail)]


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


def guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """Run one check; if the check itself breaks, a ✗ line says so instead of a traceback,
    and the doctor goes on with the next check."""
    try:
        result = check()
    except Exception as error:  # the doctor reports every failure as a line, never a traceback
        return [Check(name, FAIL, f"this check broke: {type(error).__name__}: {error}", BUG_FIX)]
    return result if isinstance(result, list) else [result]


def run_checks(show_paths: bool = True) -> list[Check]:
    """All checks, in the order they are printed."""
    steps: list[tuple[str, Callable[[], Check | list[Check]]]] = [
        ("Python", check_python),
        ("packages", lambda: check_packages(pinned_requirements())),
        ("torch", check_torch),
        ("Jupyter", check_jupyter),
        ("environment", lambda: check_environment(show_paths)),
        ("data", lambda: check_data(show_paths)),
        ("MR split", check_mr_split),
        ("shipped checkpoints", check_shipped),
    ]
    return [check for name, step in steps for check in guarded(name, step)]


def report_lines(checks: Iterable[Check]) -> list[str]:
    """The printed report: one line per check, and each fix once, under the first check
    that needs it (later checks with the same fix point back to it)."""
    lines, shown = [], set()
    for check in checks:
        if check.needs_fix and check.fix in shown:
            lines.append(f"{check.line(with_fix=False)}   (fix: as above)")
            continue
        shown.add(check.fix)
        lines.append(check.line())
    return lines


def doctor(show_paths: bool = True) -> bool:
    """Print every check and a verdict; True when nothing is missing (warnings allowed)."""
    checks = run_checks(show_paths)
    for line in report_lines(checks):
        print(line)
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
        print(f"\n{problems} problem(s): run the fix under the ✗ lines, then this check again.")
    else:
        print(f"\nReady for the course ({warnings_} warning(s)).")
    return problems == 0
