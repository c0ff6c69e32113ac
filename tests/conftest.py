"""Shared fixtures. Data comes from NLTK_DATA / COURSE_DATA_MIRROR (set by make test)."""

from __future__ import annotations

import pytest

from course_utils import exercises


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
