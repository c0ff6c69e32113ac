"""The exercise-check pattern used by every notebook (spec section 5).

A check prints a clear pass, a fail with a hint that does not give the answer away, or
"not solved yet" when the learner's stub still raises ``NotImplementedError``, and returns
whether it passed. In strict mode (tests, nbval of the instructor notebooks) anything
but a pass raises :class:`ExerciseCheckError`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "FAIL_MARK",
    "PASS_MARK",
    "STRICT_ENV",
    "TODO_MARK",
    "CheckFailedError",
    "CheckResult",
    "ExerciseCheckError",
    "F",
    "exercise_check",
    "learner_call",
    "require",
    "set_strict",
    "strict_mode",
]

STRICT_ENV = "COURSE_STRICT_CHECKS"
PASS_MARK, FAIL_MARK, TODO_MARK = "✓", "✗", "…"

_strict_override: bool | None = None


class ExerciseCheckError(AssertionError):
    """Raised by a check in strict mode when the exercise is not (correctly) solved."""


class CheckFailedError(Exception):
    """Raised inside a check function with the hint to show the learner."""


def set_strict(flag: bool | None) -> None:
    """Force strict mode on or off; ``None`` goes back to the ``COURSE_STRICT_CHECKS`` env."""
    global _strict_override
    _strict_override = flag


def strict_mode() -> bool:
    """Whether failing checks raise (tests) instead of printing (learners)."""
    if _strict_override is not None:
        return _strict_override
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


def require(condition: bool, hint: str) -> None:
    """Fail the current check with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailedError(hint)


def learner_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's code; its own exceptions become a readable fail (not a traceback)."""
    if not callable(func):
        raise CheckFailedError(f"expected a function, got {type(func).__name__}.")
    try:
        return func(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # the learner's bug, reported as a hint
        raise CheckFailedError(f"your code raised {type(error).__name__}: {error}") from error


@dataclass(frozen=True)
class CheckResult:
    """What a check returns: truthy when it passed; shows nothing more in a notebook."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """The check already printed its message; a notebook cell shows nothing else."""


F = TypeVar("F", bound=Callable[..., None])


def exercise_check(name: str, success: str) -> Callable[[F], Callable[..., CheckResult]]:
    """Turn a function raising :class:`CheckFailedError` into a printing check."""

    def decorate(check: F) -> Callable[..., CheckResult]:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> CheckResult:
            try:
                check(*args, **kwargs)
            except NotImplementedError:
                message = (
                    f"{TODO_MARK} {name}: not solved yet. Replace the "
                    "`raise NotImplementedError` with your code and run the cell again."
                )
                return _report(name, False, message)
            except CheckFailedError as failure:
                return _report(name, False, f"{FAIL_MARK} {name}: not yet. Hint: {failure}")
            return _report(name, True, f"{PASS_MARK} {name}: correct. {success}")

        return run

    return decorate


def _report(name: str, passed: bool, message: str) -> CheckResult:
    print(message)
    if not passed and strict_mode():
        raise ExerciseCheckError(message)
    return CheckResult(name, passed, message)
