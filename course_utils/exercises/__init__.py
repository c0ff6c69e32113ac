"""Exercise checks for every notebook: ``course_utils.exercises.check_<name>(...)``.

The machinery lives in :mod:`course_utils.exercises.core`; each notebook's checks live in
their own module (``nb01_rules`` and so on). A check is imported on first use, so that
notebook 00 does not pay for the torch, gensim and transformers imports of later ones.
"""

from __future__ import annotations

import importlib

from course_utils.exercises.core import (
    CheckFailedError,
    ExerciseCheckError,
    exercise_check,
    learner_call,
    require,
    set_strict,
    strict_mode,
)

#: Each check and the module (under ``course_utils.exercises``) that defines it.
CHECK_MODULES = {
    "check_accuracy_interval": "nb11_leaderboard",
    "check_analogy": "nb03_word2vec",
    "check_best_span": "nb08_bert",
    "check_block_parameters": "nb07_transformers",
    "check_causal_lm_loss": "nb09_gpt",
    "check_bpe_segment": "nb07_transformers",
    "check_causal_mask": "nb06_attention",
    "check_cheapest_within": "nb11_leaderboard",
    "check_cooccurrence_ratio": "nb04_glove",
    "check_distillation_loss": "nb10_distillation",
    "check_ece": "nb10_distillation",
    "check_episode_example": "nb09_gpt",
    "check_corrupt_chosen": "nb08_bert",
    "check_embedding_sum": "nb07_transformers",
    "check_find_numbers": "nb01_rules",
    "check_fit_temperature": "nb10_distillation",
    "check_fit_heaps": "nb05_text",
    "check_glove_objective": "nb04_glove",
    "check_glove_weight": "nb04_glove",
    "check_gradient_step": "nb02_features",
    "check_lemmatize_tagged": "nb05_text",
    "check_measure": "nb05_text",
    "check_log_likelihoods": "nb02_features",
    "check_majority_baseline": "nb00_course_map",
    "check_mlm_loss": "nb08_bert",
    "check_my_rules": "nb01_rules",
    "check_negation_scope": "nb01_rules",
    "check_negative_sampling_loss": "nb03_word2vec",
    "check_nsp_pair": "nb08_bert",
    "check_padding_mask": "nb06_attention",
    "check_pareto_front": "nb11_leaderboard",
    "check_pep8_names": "nb12_python_craft",
    "check_ppmi": "nb03_word2vec",
    "check_refactor_preprocess": "nb12_python_craft",
    "check_sample": "nb09_gpt",
    "check_scaled_dot_product_attention": "nb06_attention",
    "check_share_positive": "nb00_course_map",
    "check_step_1a": "nb05_text",
    "check_tfidf": "nb02_features",
    "check_top_k": "nb09_gpt",
    "check_top_p": "nb09_gpt",
}

__all__ = [
    "CheckFailedError",
    "ExerciseCheckError",
    *CHECK_MODULES,
    "exercise_check",
    "learner_call",
    "require",
    "set_strict",
    "strict_mode",
]


def __getattr__(name: str) -> object:
    """Import the module of check ``name`` when it is first asked for (PEP 562)."""
    if name not in CHECK_MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    check = getattr(importlib.import_module(f"{__name__}.{CHECK_MODULES[name]}"), name)
    globals()[name] = check
    return check


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
