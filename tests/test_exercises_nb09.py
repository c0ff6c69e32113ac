"""Checks of notebook 09: a right answer passes, plausible mistakes fail with the hint that
names them, and a stub is reported as not solved yet."""

from __future__ import annotations

import torch
from exercise_cases import exercise_tests

from course_utils.icl import ARROW, SEPARATOR


def _top_k(logits, k, *, largest=True, fill=float("-inf"), rescale=1.0):
    kept = torch.topk(logits, k, dim=-1, largest=largest).indices
    out = torch.full_like(logits, fill)
    return out.scatter(-1, kept, logits.gather(-1, kept) * rescale)


def _prompt(examples, query, *, arrow=ARROW, separator=SEPARATOR, end=ARROW):
    return "".join(f"{x}{arrow}{y}{separator}" for x, y in examples) + query + end


RIGHT = {
    "check_temperature_probs": lambda logits, t: (logits / t).softmax(-1),
    "check_top_k": _top_k,
    "check_few_shot_prompt": _prompt,
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_temperature_probs": [
        (lambda logits, t: (logits * t).softmax(-1), "you multiplied"),
        (lambda logits, t: logits.softmax(-1) / t, "sum to 1"),
        (lambda logits, t: (logits / t).softmax(0), "sum to 1"),
        (lambda logits, t: logits.softmax(-1) ** (1 / t), "sum to 1"),
    ],
    "check_top_k": [
        (lambda logits, k: _top_k(logits, k, fill=0.0), "-inf"),
        (lambda logits, k: _top_k(logits, min(k + 1, logits.shape[-1])), "exactly k"),
        (lambda logits, k: _top_k(logits, k, largest=False), "LARGEST"),
        (lambda logits, k: _top_k(logits, k, rescale=2.0), "unchanged"),
        (lambda logits, k: logits[:, :k], "shape"),
    ],
    "check_few_shot_prompt": [
        (lambda ex, q: _prompt(ex, q, separator=" ; "), "no spaces"),
        (lambda ex, q: _prompt(ex, q, end=""), "end the prompt"),
        (lambda ex, q: _prompt(ex, q, arrow="->"), "input>output;"),
        (lambda ex, q: _prompt(list(reversed(ex)), q), "input>output;"),
        (lambda ex, q: [_prompt(ex, q)], "string"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)
