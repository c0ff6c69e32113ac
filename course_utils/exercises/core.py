"""The exercise-check pattern used by every notebook (spec section 5).

A check prints a clear pass, a fail with a hint that does not give the answer away, or
"not solved yet" when the learner's stub still raises ``NotImplementedError``, and returns
whether it passed. In strict mode (tests, nbval of the instructor notebooks) anything
but a pass raises :class:`ExerciseCheckError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import os
from collections.abc import Callable, Iterator
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

#: Each check and the package functions that answer it (``module:function``). While the
#: learner's code runs inside that check, calling one of them fails with a hint.
ANSWER_KEYS: dict[str, tuple[str, ...]] = {
    "accuracy_interval": ("course_utils.leaderboard_table:accuracy_interval",),
    "analogy": ("course_utils.vectors.benchmarks:analogy",),
    "best_span": ("course_utils.exercises.nb08_bert:_best_span",),
    "block_parameters": ("course_utils.transformer:count_parameters",),
    "bpe_segment": ("course_utils.subwords:bpe_encode",),
    "causal_mask": ("course_utils.attention:causal_mask",),
    "cheapest_within": ("course_utils.leaderboard_table:cheapest_within",),
    "cooccurrence_ratio": ("course_utils.vectors.glove:cooccurrence_ratios",),
    "corrupt_chosen": (
        "course_utils.bert:mask_tokens",
        "course_utils.exercises.nb08_bert:_corrupted",
    ),
    "distillation_loss": ("course_utils.distillation:distillation_loss",),
    "ece": (
        "course_utils.evaluation:expected_calibration_error",
        "course_utils.evaluation:reliability_diagram",
    ),
    "episode_example": ("course_utils.icl:episode_targets", "course_utils.icl:icl_batches"),
    "fit_heaps": ("course_utils.text.normalization:fit_heaps_law",),
    "fit_temperature": ("course_utils.evaluation:fit_temperature",),
    "glove_objective": (
        "course_utils.vectors.glove:glove_loss",
        "course_utils.exercises.nb04_glove:reference_objective",
    ),
    "glove_weight": ("course_utils.vectors.glove:glove_weight",),
    "gradient_step": ("course_utils.exercises.nb02_features:reference_gradient_step",),
    "lemmatize_tagged": ("course_utils.exercises.nb05_text:_reference_lemmas",),
    "log_likelihoods": ("course_utils.exercises.nb02_features:reference_log_likelihoods",),
    "measure": ("course_utils.text.porter:measure",),
    "mlm_loss": ("course_utils.pretraining:pretraining_metrics",),
    "majority_baseline": ("course_utils.leaderboard:majority_baseline",),
    "negation_scope": ("course_utils.rules:negation_scope",),
    "nsp_pair": ("course_utils.bert:pair_example", "course_utils.bert:truncate_pair"),
    "padding_mask": ("course_utils.attention:padding_mask",),
    "pareto_front": ("course_utils.leaderboard_table:pareto_front",),
    "ppmi": ("course_utils.vectors.counts:ppmi",),
    "sample": ("course_utils.gpt:generate", "course_utils.gpt:next_token_probabilities"),
    "scaled_dot_product_attention": ("course_utils.attention:scaled_dot_product_attention",),
    "step_1a": ("course_utils.text.porter:step_1a",),
    "tfidf": ("course_utils.exercises.nb02_features:reference_tfidf",),
    "top_k": ("course_utils.gpt:top_k_filter",),
    "top_p": ("course_utils.gpt:top_p_filter", "course_utils.gpt:next_token_probabilities"),
}
_running_check: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "running_check", default=None
)


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


def answer_key(path: str) -> Callable[..., Any]:
    """The package function named by ``"module:function"`` (an entry of :data:`ANSWER_KEYS`)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _answer_key_hint(path: str) -> str:
    return (
        f"write it yourself; {path.replace(':', '.')} is the answer key, so it is off limits "
        "inside this exercise."
    )


@contextlib.contextmanager
def _answer_keys_hidden(func: Callable[..., Any]) -> Iterator[None]:
    """Replace the running check's answer keys, in their modules and in ``func``'s globals,
    by functions that fail with a hint; put them back afterwards."""
    paths = ANSWER_KEYS.get(_running_check.get() or "", ())
    namespaces = [getattr(func, "__globals__", {})]
    restore: list[tuple[dict[str, Any], str, Any]] = []
    try:
        for path in paths:
            key = answer_key(path)
            if func is key:
                raise CheckFailedError(_answer_key_hint(path))

            def refuse(*args: Any, _path: str = path, **kwargs: Any) -> Any:
                raise CheckFailedError(_answer_key_hint(_path))

            module = importlib.import_module(path.partition(":")[0])
            for namespace in [vars(module), *namespaces]:
                for name, value in list(namespace.items()):
                    if value is key:
                        restore.append((namespace, name, value))
                        namespace[name] = refuse
        yield
    finally:
        for namespace, name, value in reversed(restore):
            namespace[name] = value


def learner_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's code; its own exceptions become a readable fail (not a traceback).

    The check's answer key (:data:`ANSWER_KEYS`) is off limits while the learner's code runs.
    """
    if not callable(func):
        raise CheckFailedError(f"expected a function, got {type(func).__name__}.")
    with _answer_keys_hidden(func):
        try:
            return func(*args, **kwargs)
        except (NotImplementedError, CheckFailedError):
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
            running = _running_check.set(name)
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
            finally:
                _running_check.reset(running)
            return _report(name, True, f"{PASS_MARK} {name}: correct. {success}")

        return run

    return decorate


def _report(name: str, passed: bool, message: str) -> CheckResult:
    print(message)
    if not passed and strict_mode():
        raise ExerciseCheckError(message)
    return CheckResult(name, passed, message)
