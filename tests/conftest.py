"""Shared fixtures. Data comes from NLTK_DATA / COURSE_DATA_MIRROR (set by make test)."""

from __future__ import annotations

import pytest

from course_utils import exercises


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny models run fastest, and identically, on one thread; pytest-xdist already runs
    one worker per core, and more threads per worker only fight over the same cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _strict_checks():
    """Exercise checks raise on failure inside tests unless a test says otherwise."""
    exercises.set_strict(True)
    yield
    exercises.set_strict(None)


@pytest.fixture(scope="session")
def mr_split():
    from course_utils.data import load_mr_split

    return load_mr_split()


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise not solved yet: replace this line with your code.")


class ExerciseAsserts:
    """The three behaviours every exercise check must have, shared by the test files."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def passes(self, name: str, answer: object) -> None:
        """A right answer passes and prints a tick."""
        assert bool(getattr(exercises, name)(answer)) is True
        assert "✓" in self.capsys.readouterr().out

    def fails_with_hint(self, name: str, wrong: object, hint: str = "") -> None:
        """A wrong answer prints a cross and a hint containing ``hint``; strict mode raises."""
        exercises.set_strict(False)
        assert bool(getattr(exercises, name)(wrong)) is False
        out = self.capsys.readouterr().out
        assert "✗" in out and "Hint:" in out and hint in out, out
        exercises.set_strict(True)
        with pytest.raises(exercises.ExerciseCheckError):
            getattr(exercises, name)(wrong)

    def not_solved(self, name: str) -> None:
        """The student build's stub is reported as "not solved yet", never as an error."""
        exercises.set_strict(False)
        assert bool(getattr(exercises, name)(_stub)) is False
        assert "not solved yet" in self.capsys.readouterr().out


@pytest.fixture
def exercise_asserts(capsys: pytest.CaptureFixture[str]) -> ExerciseAsserts:
    """Helpers asserting that a check passes, fails with a hint, or reports a stub."""
    return ExerciseAsserts(capsys)
