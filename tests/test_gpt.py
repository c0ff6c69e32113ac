"""GPT decoding, the training loop and the in-context-learning episodes (notebook 09)."""

from __future__ import annotations

import copy
import itertools
import random

import pytest
import torch

from course_utils.gpt import (
    CharTokenizer,
    LMTrainingConfig,
    TinyGPT,
    TinyGPTConfig,
    char_batches,
    continuation_log_prob,
    estimate_loss,
    generate,
    learning_rate,
    next_token_probabilities,
    top_k_filter,
    top_p_filter,
    train_lm,
    train_val_split,
)
from course_utils.icl import (
    ICL_BLOCK,
    ICL_CHARS,
    MAX_SHOTS,
    TASK_LETTERS,
    TASKS,
    _greedy_answers,
    copy_sources,
    episode_targets,
    icl_accuracy,
    icl_batches,
    lookup_attention,
    make_episode,
    task_function,
)
from course_utils.transformer import IGNORE_INDEX

VOCAB = 11


@pytest.fixture
def model() -> TinyGPT:
    torch.manual_seed(0)
    config = TinyGPTConfig(
        vocab_size=VOCAB, max_position=16, d_model=32, num_layers=2, num_heads=4, d_ff=64
    )
    return TinyGPT(config).eval()


def test_top_k_never_keeps_more_than_the_k_most_likely():
    logits = torch.randn(64, 50, generator=torch.Generator().manual_seed(0))
    probs = next_token_probabilities(logits, top_k=5)
    allowed = torch.topk(logits, 5).indices
    assert torch.all((probs > 0).sum(-1) == 5)
    assert torch.all(probs.gather(-1, allowed).sum(-1).sub(1).abs() < 1e-6)
    samples = torch.multinomial(probs, 200, replacement=True)
    assert torch.all((samples[:, :, None] == allowed[:, None, :]).any(-1))
    assert torch.isinf(top_k_filter(logits, 5)).sum() == 64 * 45


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    for p, kept in [(0.5, 1), (0.51, 2), (0.8, 2), (0.81, 3), (1.0, 4)]:
        filtered = top_p_filter(logits, p)
        assert torch.isfinite(filtered).sum() == kept, p
    shuffled = logits[:, [2, 0, 3, 1]]
    assert torch.isfinite(top_p_filter(shuffled, 0.8)).tolist() == [[False, True, False, True]]


def test_temperature_zero_is_greedy(model):
    prompt = torch.tensor([[1, 2, 3]])
    out = generate(model, prompt, 6, temperature=0.0)
    manual = prompt
    for _ in range(6):
        manual = torch.cat([manual, model(manual)[:, -1].argmax(-1, keepdim=True)], 1)
    assert torch.equal(out, manual)


def test_same_seed_same_text_and_sampling_varies(model):
    prompt = torch.tensor([[1, 2, 3]])

    def sample(seed: int) -> torch.Tensor:
        return generate(
            model, prompt, 12, top_p=0.9, generator=torch.Generator().manual_seed(seed)
        )

    assert torch.equal(sample(0), sample(0))
    assert any(not torch.equal(sample(0), sample(seed)) for seed in range(1, 5))


def test_long_prompt_is_cropped_to_the_context(model):
    prompt = torch.randint(VOCAB, (1, 40), generator=torch.Generator().manual_seed(1))
    out = generate(model, prompt, 3, temperature=0.0)
    cropped = generate(model, prompt[:, -16:], 3, temperature=0.0)
    assert torch.equal(out[:, -3:], cropped[:, -3:]) and out.shape == (1, 43)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -1.0}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": 0}, "top_k"),
    ],
)
def test_bad_sampling_settings_are_refused(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(model, torch.tensor([[1]]), 2, **kwargs)


def test_empty_prompt_is_refused(model):
    with pytest.raises(ValueError, match="non-empty"):
        generate(model, torch.zeros(1, 0, dtype=torch.long), 2)


def test_char_tokenizer_round_trip_and_unknown_characters():
    tokenizer = CharTokenizer.from_text("hello world")
    assert tokenizer.chars == " dehlorw" and tokenizer.vocab_size == 8
    assert tokenizer.decode(tokenizer.encode("hold")) == "hold"
    with pytest.raises(ValueError, match=r"\['z'\]"):
        tokenizer.encode("zoo")


def test_char_batches_are_shifted_windows():
    data = torch.arange(100)
    train, val = train_val_split(data)
    assert len(train) == 90 and torch.equal(val, torch.arange(90, 100))
    x, y = char_batches(train, 8, 4)(torch.Generator().manual_seed(0))
    assert x.shape == (4, 8) and torch.equal(y, x + 1)


def test_learning_rate_warms_up_then_decays_to_min():
    config = LMTrainingConfig(max_steps=100, lr=1e-3, min_lr=1e-4, warmup_steps=10)
    rates = [learning_rate(step, config) for step in range(101)]
    assert rates[9] == pytest.approx(1e-3) and rates[0] == pytest.approx(1e-4)
    assert rates[100] == pytest.approx(1e-4)
    assert all(a >= b for a, b in itertools.pairwise(rates[9:]))


def test_training_lowers_the_loss_on_a_repeating_stream(model):
    data = torch.tensor([1, 2, 3, 4, 5, 6, 7] * 40)
    batches = char_batches(data, 12, 16)
    before = estimate_loss(model, batches, 4)
    config = LMTrainingConfig(max_steps=60, lr=3e-3, warmup_steps=5, eval_every=30)
    history = train_lm(model, batches, batches, config, progress=False)
    assert history.val_loss[-1] < 0.5 * before and len(history.eval_steps) == 2
    assert history.tokens == 60 * 16 * 12 and history.tokens_per_second > 0


@pytest.mark.parametrize("task", TASKS)
def test_episode_tasks_do_what_they_say(task):
    rng = random.Random(3)
    episode = make_episode(task, 4, rng, named=True)
    assert episode.prompt.startswith(f"{task}:") and episode.prompt.endswith(">")
    pairs = [part.split(">") for part in episode.prompt.split(":")[1].split(";")[:-1]]
    for x, y in pairs:
        assert len(x) == len(y) and set(x + y) <= set(TASK_LETTERS)
        if task == "reverse":
            assert y == x[::-1]
        if task == "sort":
            assert y == "".join(sorted(x))
        if task == "copy":
            assert y == x
    mapping = {}
    for x, y in pairs:
        for a, b in zip(x, y, strict=True):
            assert mapping.setdefault(a, b) == b or task in {"reverse", "sort"}


def test_ciphers_and_shifts_change_per_episode():
    rng = random.Random(0)
    functions = {task_function("cipher", rng)("abcdefgh") for _ in range(20)}
    shifts = {task_function("shift", rng)("a") for _ in range(40)}
    assert len(functions) > 15 and shifts == set(TASK_LETTERS) - {"a"}


def test_answerable_episodes_draw_queries_from_the_examples():
    rng = random.Random(5)
    for shots in range(1, MAX_SHOTS + 1):
        episode = make_episode("cipher", shots, rng, answerable=True)
        *examples, query = episode.prompt.rstrip(">").split(";")
        seen = {letter for example in examples for letter in example.split(">")[0]}
        assert set(query) <= seen
    # Without shots nothing can be answered from the prompt: the query is drawn freely.
    assert len(make_episode("cipher", 0, rng, answerable=True).answer) == len(query)
    # Held-out episodes: every letter drawn freely, in order, from TASK_LETTERS.
    rng, reference = random.Random(9), random.Random(9)
    function = task_function("shift", reference)
    inputs = ["".join(reference.choice(TASK_LETTERS) for _ in range(4)) for _ in range(4)]
    expected = "".join(f"{x}>{function(x)};" for x in inputs[:3]) + f"{inputs[3]}>"
    assert make_episode("shift", 3, rng).prompt == expected


def test_episode_targets_mark_outputs_only():
    assert episode_targets("ab>ba;cd>dc;") == [
        *(False, False, False, True, True, True),
        *(False, False, False, True, True, True),
    ]


def test_icl_batches_predict_only_outputs():
    tokenizer = CharTokenizer(ICL_CHARS)
    x, y = icl_batches(8, tokenizer)(torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, ICL_BLOCK)
    arrow = tokenizer.encode(">")[0]
    for row in range(8):
        text = tokenizer.decode(x[row])
        targets = y[row][y[row] != IGNORE_INDEX]
        assert len(targets) >= 4  # at least the query's answer and ';'
        first = int((y[row] != IGNORE_INDEX).nonzero()[0])
        assert x[row, first] == arrow, text
    copies, _ = icl_batches(4, tokenizer, tasks=("copy",))(torch.Generator().manual_seed(1))
    for row in copies:
        text = tokenizer.decode(row).split(":")[-1]
        assert all(x == y for x, y in (p.split(">") for p in text.split(";")[:-1]))
    generator = torch.Generator().manual_seed(2)
    unnamed, _ = icl_batches(16, tokenizer, named_share=0.0)(generator)
    instructions, _ = icl_batches(16, tokenizer, named_share=1.0)(generator)
    assert not any(":" in tokenizer.decode(row) for row in unnamed)
    for row in map(tokenizer.decode, instructions):  # a name and a query, no example
        assert ":" in row and row.count(">") == 1, row
    with pytest.raises(ValueError, match="tasks"):
        icl_batches(2, tokenizer, tasks=("translate",))
    with pytest.raises(ValueError, match="named_share"):
        icl_batches(2, tokenizer, named_share=1.5)
    with pytest.raises(ValueError, match="shots"):
        make_episode("copy", MAX_SHOTS + 1, random.Random(0))
    with pytest.raises(ValueError, match="unknown task"):
        make_episode("translate", 1, random.Random(0))


def _untrained_icl_model() -> tuple[TinyGPT, CharTokenizer]:
    """A small, seeded, untrained GPT over the episode characters, in eval mode."""
    torch.manual_seed(0)
    tokenizer = CharTokenizer(ICL_CHARS)
    config = TinyGPTConfig(
        vocab_size=tokenizer.vocab_size,
        max_position=ICL_BLOCK,
        d_model=32,
        num_layers=2,
        num_heads=4,
        d_ff=64,
    )
    return TinyGPT(config).eval(), tokenizer


def test_batched_icl_accuracy_equals_one_episode_at_a_time():
    """Right-padding a batch of prompts changes no greedy answer (the model is causal)."""
    icl_model, tokenizer = _untrained_icl_model()
    rng = random.Random(3)
    episodes = [make_episode("reverse", shots, rng) for shots in (0, 3, 8, 1, 5)]
    one_by_one = []
    for episode in episodes:
        prompt = torch.tensor([tokenizer.encode(episode.prompt)])
        out = generate(icl_model, prompt, len(episode.answer), temperature=0.0)
        one_by_one.append(tokenizer.decode(out[0, prompt.shape[1] :]))
    batched = _greedy_answers(
        icl_model, tokenizer, [e.prompt for e in episodes], [len(e.answer) for e in episodes]
    )
    assert batched == one_by_one
    assert 0.0 <= icl_accuracy(icl_model, tokenizer, "copy", 2, 10) <= 1.0
    with pytest.raises(ValueError, match="num_episodes"):
        icl_accuracy(icl_model, tokenizer, "copy", 2, 0)


def test_copy_sources_find_the_outputs_under_the_query_letter():
    prompt = "abcd>wxyz;bbaa>xxww;dcba>"
    assert copy_sources(prompt, 2, 0) == [8]  # d: under example 1's d, the z
    assert copy_sources(prompt, 2, 2) == [6, 15, 16]  # b: three x's
    assert [prompt[i] for i in copy_sources(prompt, 2, 3)] == ["w", "w", "w"]


def test_lookup_attention_of_an_untrained_model_is_chance():
    """Small initial weights give almost even attention: every head near the chance mass."""
    model, tokenizer = _untrained_icl_model()
    lookup = lookup_attention(model, tokenizer, num_episodes=50)
    assert lookup.share.shape == (2, 4) and lookup.positions > 100
    assert 0.0 < lookup.chance < 0.2
    assert torch.allclose(
        lookup.share, torch.full((2, 4), lookup.chance, dtype=torch.float64), atol=0.01
    )
    with pytest.raises(ValueError, match="shots"):
        lookup_attention(model, tokenizer, shots=0)
    with pytest.raises(ValueError, match="letter"):
        lookup_attention(model, tokenizer, task="reverse")


def test_resumed_training_equals_an_uninterrupted_run(model):
    """The state saved at a validation, passed back as ``resume``, continues the run exactly
    (optimizer moments, batch sampler and dropout masks included)."""
    batches = char_batches(torch.arange(400) % VOCAB, 8, 4)
    config = LMTrainingConfig(max_steps=6, eval_every=3, eval_batches=1, warmup_steps=2)
    start = copy.deepcopy(model.state_dict())
    torch.manual_seed(1)
    full = train_lm(model, batches, batches, config, progress=False)
    full_weights = copy.deepcopy(model.state_dict())

    model.load_state_dict(start)
    torch.manual_seed(1)
    saved = {}

    def keep_step_three(state):
        if state.step == 3:
            saved["state"] = copy.deepcopy(state)
            saved["weights"] = copy.deepcopy(model.state_dict())

    train_lm(model, batches, batches, config, progress=False, on_eval=keep_step_three)
    model.load_state_dict(saved["weights"])  # as if the run had stopped at step 3
    resumed = train_lm(model, batches, batches, config, progress=False, resume=saved["state"])
    for key, value in model.state_dict().items():
        assert torch.allclose(value, full_weights[key], atol=1e-6), key
    assert resumed.train_loss == pytest.approx(full.train_loss, abs=1e-6)
    assert resumed.val_loss == pytest.approx(full.val_loss, abs=1e-6)


def test_continuation_log_prob_is_the_sum_of_next_token_log_probs(model):
    prompt, continuation = torch.tensor([1, 2, 3]), torch.tensor([4, 5])
    manual = 0.0
    context = prompt
    for token in continuation:
        probs = next_token_probabilities(model(context[None])[:, -1], temperature=1.0)
        manual += probs[0, token].log().item()
        context = torch.cat([context, token[None]])
    assert continuation_log_prob(model, prompt, continuation) == pytest.approx(manual, abs=1e-5)
    with pytest.raises(ValueError, match="1-D"):
        continuation_log_prob(model, torch.tensor([], dtype=torch.long), continuation)
    with pytest.raises(ValueError, match="Shorten"):
        continuation_log_prob(model, torch.zeros(20, dtype=torch.long), continuation)


def test_top_k_must_be_an_integer(model):
    with pytest.raises(TypeError, match=r"top_k \(or None: no top-k filter\) must be an integer"):
        generate(model, torch.tensor([[1, 2]]), 3, top_k=2.5)


@pytest.mark.parametrize(("rows", "vocabulary"), [(64, 1000), (2, 50_257)])
def test_top_p_one_keeps_every_token_in_float32(rows, vocabulary):
    logits = torch.randn(rows, vocabulary, generator=torch.Generator().manual_seed(0)) * 4
    assert torch.equal(top_p_filter(logits, 1.0), logits)
    probs = next_token_probabilities(logits, top_p=1.0)
    assert bool((probs > 0).all())


def test_top_p_keeps_what_hugging_face_keeps():
    from transformers.generation.logits_process import TopPLogitsWarper

    logits = torch.randn(32, 500, generator=torch.Generator().manual_seed(1)) * 3
    for p in (0.3, 0.8, 0.95):
        ours = torch.isfinite(top_p_filter(logits, p))
        theirs = torch.isfinite(TopPLogitsWarper(top_p=p)(None, logits.clone()))
        assert torch.equal(ours, theirs), p
