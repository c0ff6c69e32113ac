"""Exercise checks for every notebook: ``course_utils.exercises.check_<name>(...)``.

The machinery lives in :mod:`course_utils.exercises.core`; each notebook's checks live in
their own module (``nb01_rules`` and so on) and are re-exported here.
"""

from course_utils.exercises.core import (
    CheckFailedError,
    ExerciseCheckError,
    exercise_check,
    learner_call,
    require,
    set_strict,
    strict_mode,
)

__all__ = [
    "CheckFailedError",
    "ExerciseCheckError",
    "exercise_check",
    "learner_call",
    "require",
    "set_strict",
    "strict_mode",
]
