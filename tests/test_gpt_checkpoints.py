"""The shipped GPTs of notebook 09: the commands train, resume and export; the files hold up."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from transformers import AutoModelForCausalLM, pipeline

from course_utils import gpt_checkpoints
from course_utils.__main__ import main
from course_utils.checkpoints import CheckpointError
from course_utils.data import tiny_shakespeare
from course_utils.gpt import (
    LMTrainingConfig,
    char_batches,
    estimate_loss,
    generate,
    train_val_split,
)
from course_utils.gpt_checkpoints import (
    CHAR_GPT,
    CHAR_GPT_RECIPE,
    ICL_ABLATION_MODEL,
    ICL_ABLATION_VARIANTS,
    ICL_EVAL_SEED,
    ICL_EVAL_SHOTS,
    ICL_GPT,
    ICL_GPT_RECIPE,
    RESUME_FILE,
    WEIGHTS_NAME,
    export_hf,
    icl_ablation,
    load_gpt,
    load_icl_ablation,
    model_dir,
    train_gpt,
)
from course_utils.icl import ICL_CHARS, ICL_SMEAR_WIDTH, icl_accuracy, lookup_attention

#: The issue's targets for the shipped models.
CHAR_VAL_LOSS_TARGET = 1.70
#: Tasks whose name alone determines the answer, and how well the shipped model follows them.
NAMEABLE = ("copy", "reverse", "sort")
NAMED_TASK_ACCURACY = 0.9
#: The issue's in-context-learning target: mean exact match at k = 8 over the tasks.
ICL_TARGET = 0.8
#: A model still on the plateau: at most 2 of 200 cipher answers right (guessing: 1 in 8**4).
PLATEAU_ACCURACY = 0.01
TINY_MODEL = {"d_model": 16, "num_layers": 1, "num_heads": 2, "d_ff": 32, "dropout": 0.1}


def _tiny(recipe, steps=4):
    return dataclasses.replace(
        recipe,
        model={**recipe.model, **TINY_MODEL},
        training=LMTrainingConfig(max_steps=steps, eval_every=2, eval_batches=1, warmup_steps=1),
        batch_size=2,
        final_eval_batches=2,
        icl_eval_episodes=2,
    )


@pytest.mark.parametrize("recipe", [CHAR_GPT_RECIPE, ICL_GPT_RECIPE], ids=lambda r: r.name)
def test_a_recipe_trains_saves_and_loads(tmp_path, recipe):
    path = train_gpt(_tiny(recipe), directory=tmp_path, progress=False)
    model, tokenizer, record = load_gpt(recipe.name, tmp_path)
    assert path == model_dir(recipe.name, tmp_path) / f"{WEIGHTS_NAME}.safetensors"
    assert not (path.parent / RESUME_FILE).exists()
    assert record["command"] == recipe.command and record["seed"] == recipe.seed
    assert record["steps"] == 4 and record["eval_steps"] == [2, 4]
    assert record["parameters"] == sum(p.numel() for p in model.parameters())
    assert not model.training and model.config.d_model == TINY_MODEL["d_model"]
    if recipe.name == CHAR_GPT:
        assert tokenizer.vocab_size == 65 and record["sample"].startswith("ROMEO:")
    else:
        assert tokenizer.chars == ICL_CHARS
        assert set(record["accuracy"]) == {"copy", "reverse", "shift", "cipher", "sort"}


@pytest.mark.parametrize(
    "recipe",
    [_tiny(CHAR_GPT_RECIPE, steps=6), _tiny(ICL_GPT_RECIPE, steps=6)],
    ids=lambda r: r.name,
)
def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path, monkeypatch, recipe):
    train_gpt(recipe, directory=tmp_path / "whole", progress=False)
    whole, _, _ = load_gpt(recipe.name, tmp_path / "whole")

    original_save = gpt_checkpoints._save_state

    def save_then_stop(path, model, state):
        original_save(path, model, state)
        raise KeyboardInterrupt

    monkeypatch.setattr(gpt_checkpoints, "_save_state", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_gpt(recipe, directory=tmp_path / "split", progress=False)
    assert (
        torch.load(model_dir(recipe.name, tmp_path / "split") / RESUME_FILE, weights_only=True)[
            "step"
        ]
        == 2
    )
    monkeypatch.setattr(gpt_checkpoints, "_save_state", original_save)
    train_gpt(recipe, directory=tmp_path / "split", progress=False)
    resumed, _, record = load_gpt(recipe.name, tmp_path / "split")
    for (name, a), b in zip(
        whole.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), name
    assert record["eval_steps"] == [2, 4, 6]


def test_export_hf_gives_equal_logits_and_the_same_greedy_text(tmp_path):
    train_gpt(_tiny(CHAR_GPT_RECIPE), directory=tmp_path, progress=False)
    model, tokenizer, _ = load_gpt(CHAR_GPT, tmp_path)
    out = export_hf(CHAR_GPT, tmp_path / "hf", directory=tmp_path)
    hf_model = AutoModelForCausalLM.from_pretrained(out).eval()
    ids = torch.tensor([tokenizer.encode("ROMEO:\nWhat say")])
    with torch.no_grad():
        assert torch.allclose(hf_model(ids).logits, model(ids), atol=1e-5)
    generator = pipeline("text-generation", model=str(out))
    text = generator("ROMEO:", max_new_tokens=30, do_sample=False)[0]["generated_text"]
    ours = generate(model, torch.tensor([tokenizer.encode("ROMEO:")]), 30, temperature=0.0)
    assert text == tokenizer.decode(ours[0])


def test_the_ablation_trains_every_variant_on_the_same_data(tmp_path, monkeypatch):
    monkeypatch.setattr(
        gpt_checkpoints, "ICL_ABLATION_MODEL", {**ICL_ABLATION_MODEL, **TINY_MODEL}
    )
    monkeypatch.setattr(gpt_checkpoints, "ICL_ABLATION_EPISODES", 3)
    path = icl_ablation(max_steps=2, directory=tmp_path, progress=False)
    record = load_icl_ablation(tmp_path)
    assert path.parent == tmp_path and record["command"].endswith("--max-steps 2")
    assert set(record["variants"]) == set(ICL_ABLATION_VARIANTS)
    first_losses = {v["val_loss_curve"][0] for v in record["variants"].values()}
    assert len(first_losses) == len(ICL_ABLATION_VARIANTS)  # four different models
    for name, variant in record["variants"].items():
        assert variant["config"] == ICL_ABLATION_VARIANTS[name]
        assert set(variant["accuracy"]) == {str(k) for k in ICL_EVAL_SHOTS}


def test_missing_or_altered_checkpoint_says_how_to_fix_it(tmp_path):
    with pytest.raises(CheckpointError, match="provenance"):
        load_gpt(CHAR_GPT, tmp_path)
    train_gpt(_tiny(CHAR_GPT_RECIPE), directory=tmp_path, progress=False)
    weights = model_dir(CHAR_GPT, tmp_path) / f"{WEIGHTS_NAME}.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(CheckpointError, match="train-char-gpt"):
        load_gpt(CHAR_GPT, tmp_path)


def test_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="choose one of"):
        train_gpt("gpt-5")


def test_the_commands_take_device_steps_and_output(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(
        gpt_checkpoints, "train_gpt", lambda *a, **k: calls.append((a, k)) or tmp_path
    )
    assert main(["train-char-gpt", "--max-steps", "3", "--out", str(tmp_path)]) == 0
    assert main(["train-icl-gpt", "--device", "cpu", "--threads", "2"]) == 0
    monkeypatch.setattr(
        gpt_checkpoints, "icl_ablation", lambda **k: calls.append(((), k)) or tmp_path
    )
    assert main(["icl-ablation", "--max-steps", "5"]) == 0
    assert calls[2][1] == {"device": "cpu", "max_steps": 5, "directory": None, "threads": 1}
    assert calls[0] == (
        (CHAR_GPT,),
        {"device": "cpu", "max_steps": 3, "directory": str(tmp_path), "threads": 1},
    )
    assert calls[1][0] == (ICL_GPT,) and calls[1][1]["threads"] == 2


# ---------------------------------------------------------------------------
# The shipped files (data/models/): what the notebook promises
# ---------------------------------------------------------------------------


def test_shipped_char_gpt_reaches_its_target_and_its_record_holds():
    model, tokenizer, record = load_gpt(CHAR_GPT)
    assert record["val_loss"] <= CHAR_VAL_LOSS_TARGET
    assert record["command"] == CHAR_GPT_RECIPE.command
    assert (model_dir(CHAR_GPT) / f"{WEIGHTS_NAME}.safetensors").stat().st_size < 10 * 2**20
    text = tiny_shakespeare()
    _, val = train_val_split(torch.tensor(tokenizer.encode(text)))
    batches = char_batches(val, model.config.max_position, CHAR_GPT_RECIPE.batch_size)
    assert estimate_loss(model, batches, 5) == pytest.approx(record["val_loss"], abs=0.1)


def test_shipped_icl_gpt_learns_in_context_and_its_record_holds():
    """The issue's targets: accuracy rises with k, at k = 8 >= 80% averaged over tasks;
    task names work as instructions. The record matches a recomputation."""
    model, tokenizer, record = load_gpt(ICL_GPT)
    accuracy = record["accuracy"]
    assert icl_accuracy(
        model, tokenizer, "cipher", 8, record["episodes_per_cell"], seed=ICL_EVAL_SEED
    ) == pytest.approx(accuracy["cipher"]["8"])
    mean = {k: sum(row[k] for row in accuracy.values()) / len(accuracy) for k in accuracy["copy"]}
    assert mean["0"] < mean["1"] < mean["8"]
    assert record["mean_accuracy_at_max_shots"] == pytest.approx(mean["8"])
    assert mean["8"] >= ICL_TARGET
    assert all(record["named_zero_shot"][task] >= NAMED_TASK_ACCURACY for task in NAMEABLE)
    assert model.config.smear_width == ICL_SMEAR_WIDTH and not model.config.tie_embeddings


def test_shipped_icl_gpt_has_a_lookup_head():
    """One head puts most of its attention on the letters a cipher answer copies."""
    model, tokenizer, _ = load_gpt(ICL_GPT)
    lookup = lookup_attention(model, tokenizer)
    assert lookup.share.max() > 0.5 and lookup.share.max() > 10 * lookup.chance
    assert torch.median(lookup.share) < 2 * lookup.chance  # the other heads look elsewhere


def test_shipped_ablation_shows_both_departures_are_needed():
    """Only the variant with both departures from GPT-2 learns the cipher within budget."""
    variants = load_icl_ablation()["variants"]
    at_8 = {name: row["accuracy"]["8"] for name, row in variants.items()}
    both = "both (the shipped recipe's)"
    assert at_8[both] >= ICL_TARGET
    assert all(score <= PLATEAU_ACCURACY for name, score in at_8.items() if name != both)
