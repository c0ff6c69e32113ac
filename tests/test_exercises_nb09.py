"""Checks of notebook 09: a right answer passes, plausible mistakes fail with the hint that
names them, the package's own function is refused, and a stub is reported as not solved yet."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from exercise_cases import exercise_tests

from course_utils import gpt, icl
from course_utils.icl import ARROW, SEPARATOR


def _top_k(logits, k, *, largest=True, fill=float("-inf"), rescale=1.0):
    kept = torch.topk(logits, k, dim=-1, largest=largest).indices
    out = torch.full_like(logits, fill)
    return out.scatter(-1, kept, logits.gather(-1, kept) * rescale)


def _top_p(logits, p, *, descending=True, strict=False, include_self=False, fill=float("-inf")):
    ordered, order = torch.sort(logits, dim=-1, descending=descending)
    probs = ordered.double().softmax(-1)
    mass = probs.cumsum(-1) if include_self else probs.cumsum(-1) - probs
    drop = mass > p if strict else mass >= p
    drop[..., 0] = drop[..., 0] & ~descending  # keep at least the top token
    return torch.full_like(logits, fill).scatter(-1, order, ordered.masked_fill(drop, fill))


def _loss(logits, ids, *, shift=1, reduction="mean"):
    vocab = logits.shape[-1]
    if shift == 1:
        logits, ids = logits[:, :-1], ids[:, 1:]
    elif shift == -1:
        logits, ids = logits[:, 1:], ids[:, :-1]
    return F.cross_entropy(logits.reshape(-1, vocab), ids.reshape(-1), reduction=reduction)


def _sample(model, idx, new_tokens, temperature, top_k, top_p, generator, *, mistake=None):
    """The sampling loop, or one with ``mistake``: the learner's likely slips."""
    for _ in range(new_tokens):
        context = idx if mistake == "no crop" else idx[:, -model.config.max_position :]
        logits = model(context)[:, 0 if mistake == "first position" else -1, :]
        if temperature == 0:
            next_ids = logits.argmax(-1, keepdim=True)
        else:
            if mistake != "no temperature" and mistake != "temperature last":
                logits = logits / temperature
            if top_k is not None:
                logits = _top_k(logits, top_k)
            if top_p is not None:
                logits = _top_p(logits, top_p)
            if mistake == "temperature last":
                logits = logits / temperature
            probs = logits.softmax(-1)
            if mistake == "argmax":
                next_ids = probs.argmax(-1, keepdim=True)
            else:
                draw_with = None if mistake == "no generator" else generator
                next_ids = torch.multinomial(probs, 1, generator=draw_with)
        idx = torch.cat([idx, next_ids], dim=1)
    return idx[:, -new_tokens:] if mistake == "new only" else idx


def _episode_example(text, tokenizer, *, shift=True, score_all=False, score_arrow=False,
                     score_separator=True, ignore=-100):  # fmt: skip
    ids = torch.tensor(tokenizer.encode(text))
    scored, in_output = [], False
    for char in text:
        if char == ARROW:
            in_output = True
            scored.append(score_arrow)
            continue
        scored.append(in_output and (score_separator or char != SEPARATOR))
        if char == SEPARATOR:
            in_output = False
    scored = torch.tensor(scored) | score_all
    if not shift:
        return ids, torch.where(scored, ids, ignore)
    return ids[:-1], torch.where(scored[1:], ids[1:], ignore)


def _mistaken(mistake):
    return lambda *args: _sample(*args, mistake=mistake)


RIGHT = {
    "check_causal_lm_loss": _loss,
    "check_top_k": _top_k,
    "check_top_p": _top_p,
    "check_sample": _sample,
    "check_episode_example": _episode_example,
}
#: name -> (wrong answer, a phrase its hint must contain)
WRONG = {
    "check_causal_lm_loss": [
        (lambda logits, ids: _loss(logits, ids, shift=0), "no shift"),
        (lambda logits, ids: _loss(logits, ids, shift=-1), "wrong way"),
        (lambda logits, ids: _loss(logits, ids, reduction="sum"), "instead of summing"),
        (lambda logits, ids: _loss(logits.softmax(-1), ids), "F.cross_entropy"),
        (lambda logits, ids: _loss(logits, ids, reduction="none"), "one-number"),
    ],
    "check_top_k": [
        (gpt.top_k_filter, "answer key"),
        (lambda logits, k: gpt.top_k_filter(logits, k), "answer key"),
        (lambda logits, k: _top_k(logits, k, fill=0.0), "-inf"),
        (lambda logits, k: _top_k(logits, min(k + 1, logits.shape[-1])), "exactly k"),
        (lambda logits, k: _top_k(logits, k, largest=False), "LARGEST"),
        (lambda logits, k: _top_k(logits, k, rescale=2.0), "unchanged"),
        (lambda logits, k: logits[:, :k], "shape"),
    ],
    "check_top_p": [
        (gpt.top_p_filter, "answer key"),
        (lambda logits, p: gpt.top_p_filter(logits, p), "answer key"),
        (lambda logits, p: _top_p(logits, p, include_self=True), "reach p"),
        (lambda logits, p: _top_p(logits, p, descending=False), "MOST likely"),
        (lambda logits, p: _top_p(logits, p, fill=0.0), "-inf"),
        (lambda logits, p: _top_p(logits, p).softmax(-1), "not probabilities"),
        (lambda logits, p: _top_p(logits, p) * 2, "unchanged"),
        (lambda logits, p: _top_p(logits, min(1.0, p + 0.05)), "smallest set"),
    ],
    "check_sample": [
        (gpt.generate, "answer key"),
        (
            lambda model, idx, n, t, k, p, g: gpt.generate(
                model, idx, n, temperature=t, top_k=k, top_p=p, generator=g
            ),
            "answer key",
        ),
        (_mistaken("argmax"), "torch.multinomial"),
        (_mistaken("no generator"), "generator=generator"),
        (_mistaken("first position"), "LAST position"),
        (_mistaken("no temperature"), "divide the logits by the temperature"),
        (_mistaken("temperature last"), "divide by T first"),
        (_mistaken("no crop"), "max_position"),
        (_mistaken("new only"), "prompt followed by the new tokens"),
    ],
    "check_episode_example": [
        (lambda text, tok: _episode_example(text, tok, shift=False), "every character but"),
        (lambda text, tok: _episode_example(text, tok, score_all=True), "inputs are random"),
        (lambda text, tok: _episode_example(text, tok, score_arrow=True), "is not part of"),
        (lambda text, tok: _episode_example(text, tok, score_separator=False), "ends each"),
        (lambda text, tok: _episode_example(text, tok, ignore=-1), "-100"),
        (lambda text, tok: _episode_example(text, tok)[1], "pair (x, y)"),
        (lambda text, tok: (icl.episode_targets(text), None), "answer key"),
    ],
}


(
    test_right_answer_passes,
    test_wrong_answer_fails_with_its_hint,
    test_stub_is_not_solved,
) = exercise_tests(RIGHT, WRONG)
