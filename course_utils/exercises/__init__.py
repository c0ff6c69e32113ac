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
from course_utils.exercises.nb00_course_map import check_majority_baseline, check_share_positive
from course_utils.exercises.nb01_rules import (
    check_find_numbers,
    check_my_rules,
    check_negation_scope,
)

__all__ = [
    "CheckFailedError",
    "ExerciseCheckError",
    "check_find_numbers",
    "check_majority_baseline",
    "check_my_rules",
    "check_negation_scope",
    "check_share_positive",
    "exercise_check",
    "learner_call",
    "require",
    "set_strict",
    "strict_mode",
]
