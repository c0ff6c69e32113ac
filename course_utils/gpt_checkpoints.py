"""The shipped GPT checkpoints of notebook 09 and the commands that reproduce them.

``python -m course_utils train-char-gpt`` trains a character-level TinyGPT on Tiny
Shakespeare; ``python -m course_utils train-icl-gpt`` trains one on in-context-learning
episodes only, and ``python -m course_utils icl-ablation`` measures why that model
departs from GPT-2 (scores only). Each recipe is plain data (nanoGPT style); a run saves
its full state at every validation, so an interrupted run continues where it stopped;
the result is a safetensors file with a provenance record under ``data/models/<name>/``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from course_utils import data
from course_utils.checkpoints import (
    CHECKPOINT_DIR,
    cap_steps,
    load_checkpoint,
    load_provenance,
    save_checkpoint,
    save_results,
)
from course_utils.gpt import (
    CharTokenizer,
    LMHistory,
    LMTrainingConfig,
    TinyGPT,
    TinyGPTConfig,
    TrainingState,
    char_batches,
    estimate_loss,
    generate,
    train_lm,
    train_val_split,
)
from course_utils.hf_convert import hf_char_tokenizer, tiny_gpt_to_hf
from course_utils.icl import (
    ICL_BLOCK,
    ICL_CHARS,
    ICL_SMEAR_WIDTH,
    TASKS,
    icl_accuracy,
    icl_batches,
)
from course_utils.reproducibility import resolve_device, set_seed, torch_threads
from course_utils.transformer import count_parameters

__all__ = [
    "CHAR_GPT",
    "CHAR_GPT_RECIPE",
    "ICL_ABLATION",
    "ICL_ABLATION_BATCH",
    "ICL_ABLATION_COMMAND",
    "ICL_ABLATION_EPISODES",
    "ICL_ABLATION_MODEL",
    "ICL_ABLATION_TASK",
    "ICL_ABLATION_TRAINING",
    "ICL_ABLATION_VARIANTS",
    "ICL_EVAL_SEED",
    "ICL_EVAL_SHOTS",
    "ICL_GPT",
    "ICL_GPT_RECIPE",
    "MODELS_DIR",
    "RECIPES",
    "RESUME_FILE",
    "SAMPLE_LENGTH",
    "SAMPLE_PROMPT",
    "WEIGHTS_NAME",
    "GPTRecipe",
    "export_hf",
    "icl_ablation",
    "load_gpt",
    "load_icl_ablation",
    "model_dir",
    "train_gpt",
]

MODELS_DIR = CHECKPOINT_DIR / "models"
WEIGHTS_NAME = "model"
RESUME_FILE = "resume.pt"
CHAR_GPT = "char-gpt-shakespeare"
ICL_GPT = "icl-gpt"
#: The prompt and length of the sample stored with the character model.
SAMPLE_PROMPT, SAMPLE_LENGTH = "ROMEO:", 300
ICL_EVAL_SHOTS = (0, 1, 2, 4, 8)
#: The seed of held-out episodes (training episodes come from a torch.Generator).
ICL_EVAL_SEED = 12345


@dataclass(frozen=True)
class GPTRecipe:
    """How a shipped GPT is trained: model sizes, batches and the optimisation schedule."""

    name: str
    description: str
    model: dict[str, Any]
    training: LMTrainingConfig
    batch_size: int
    seed: int = 0
    #: Validation batches of the final, reported loss (more than during training).
    final_eval_batches: int = 200
    #: Held-out episodes per (task, shots) cell of the in-context-learning table.
    icl_eval_episodes: int = 200
    corpus: str = ""
    command: str = ""
    anchors: dict[str, float] = field(default_factory=dict)


CHAR_GPT_RECIPE = GPTRecipe(
    name=CHAR_GPT,
    description="character-level TinyGPT on Tiny Shakespeare (first 90% train, last 10% val)",
    model={
        "max_position": 128,
        "d_model": 192,
        "num_layers": 4,
        "num_heads": 6,
        "d_ff": 768,
        "dropout": 0.1,
    },
    training=LMTrainingConfig(
        max_steps=5000, lr=1e-3, min_lr=1e-4, warmup_steps=200, eval_every=250, eval_batches=20
    ),
    batch_size=32,
    corpus="Tiny Shakespeare (karpathy/char-rnn), 1,115,394 characters",
    command="python -m course_utils train-char-gpt",
    anchors={
        "nanoGPT CPU recipe (4 layers, 128 dims, block 64)": 1.88,
        "nanoGPT GPU model (10.7M parameters)": 1.47,
        "bigram model": 2.5,
    },
)

ICL_GPT_RECIPE = GPTRecipe(
    name=ICL_GPT,
    description="TinyGPT trained only on task episodes (copy, reverse, shift, cipher, sort)",
    model={
        "max_position": ICL_BLOCK,
        "d_model": 128,
        "num_layers": 2,
        "num_heads": 4,
        "d_ff": 512,
        "dropout": 0.0,
        # Two departures from GPT-2; notebook 09 and `icl-ablation` show why.
        "smear_width": ICL_SMEAR_WIDTH,
        "tie_embeddings": False,
    },
    training=LMTrainingConfig(
        max_steps=4000, lr=2e-3, min_lr=2e-4, warmup_steps=200, eval_every=250, eval_batches=20
    ),
    batch_size=32,
    corpus="random episodes from course_utils.gpt.icl_batches (nothing downloaded)",
    command="python -m course_utils train-icl-gpt",
)

RECIPES = {recipe.name: recipe for recipe in (CHAR_GPT_RECIPE, ICL_GPT_RECIPE)}


def _recipe(name: str | GPTRecipe) -> GPTRecipe:
    if isinstance(name, GPTRecipe):
        return name
    if name not in RECIPES:
        raise ValueError(f"unknown GPT recipe {name!r}; choose one of {sorted(RECIPES)}.")
    return RECIPES[name]


def _batches(recipe: GPTRecipe) -> tuple[CharTokenizer, Any, Any]:
    """The tokenizer and the train / validation batch functions of a recipe."""
    block = recipe.model["max_position"]
    if recipe.name == CHAR_GPT:
        text = data.tiny_shakespeare()
        tokenizer = CharTokenizer.from_text(text)
        train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
        return (
            tokenizer,
            char_batches(train_ids, block, recipe.batch_size),
            char_batches(val_ids, block, recipe.batch_size),
        )
    tokenizer = CharTokenizer(ICL_CHARS)
    return (
        tokenizer,
        icl_batches(recipe.batch_size, tokenizer),
        icl_batches(recipe.batch_size, tokenizer, seed_offset=ICL_EVAL_SEED),
    )


def model_dir(name: str, directory: str | Path | None = None) -> Path:
    """The folder of shipped model ``name`` (default ``data/models/<name>``)."""
    return Path(directory) / name if directory is not None else MODELS_DIR / name


def _save_state(path: Path, model: TinyGPT, state: TrainingState) -> None:
    """Write the full training state (our own file, read back with ``weights_only=True``)."""
    payload = {
        "model": model.state_dict(),
        "optimizer": state.optimizer,
        "generator": state.generator,
        "rng": state.rng,
        "history": asdict(state.history),
        "step": state.step,
    }
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


def _load_state(path: Path, model: TinyGPT) -> TrainingState:
    payload = torch.load(path, weights_only=True)
    model.load_state_dict(payload["model"])
    history = LMHistory(**payload["history"])
    return TrainingState(
        payload["optimizer"], payload["generator"], history, payload["step"], payload["rng"]
    )


def _evaluate(recipe: GPTRecipe, model: TinyGPT, tokenizer: CharTokenizer, val_batches) -> dict:
    """What the provenance records about the trained model (the notebook recomputes it)."""
    if recipe.name == CHAR_GPT:
        prompt = torch.tensor([tokenizer.encode(SAMPLE_PROMPT)])
        sample = generate(
            model, prompt, SAMPLE_LENGTH, generator=torch.Generator().manual_seed(recipe.seed)
        )
        return {
            "val_loss": estimate_loss(model, val_batches, recipe.final_eval_batches),
            "val_batches": recipe.final_eval_batches,
            "sample": tokenizer.decode(sample[0]),
        }
    table = {
        task: {
            str(shots): icl_accuracy(
                model, tokenizer, task, shots, recipe.icl_eval_episodes, seed=ICL_EVAL_SEED
            )
            for shots in ICL_EVAL_SHOTS
        }
        for task in TASKS
    }
    named = {
        task: icl_accuracy(
            model, tokenizer, task, 0, recipe.icl_eval_episodes, named=True, seed=ICL_EVAL_SEED
        )
        for task in TASKS
    }
    top = str(max(ICL_EVAL_SHOTS))
    return {
        "accuracy": table,
        "named_zero_shot": named,
        "mean_accuracy_at_max_shots": sum(row[top] for row in table.values()) / len(table),
        "episodes_per_cell": recipe.icl_eval_episodes,
    }


def train_gpt(
    name: str | GPTRecipe,
    *,
    device: str = "cpu",
    max_steps: int | None = None,
    directory: str | Path | None = None,
    threads: int = 1,
    progress: bool = True,
) -> Path:
    """Train recipe ``name`` (resuming a stopped run) and save it with its provenance."""
    recipe = _recipe(name)
    name = recipe.name
    training, command = cap_steps(recipe.training, recipe.command, max_steps)
    folder = model_dir(name, directory)
    folder.mkdir(parents=True, exist_ok=True)
    resume_path = folder / RESUME_FILE
    device = resolve_device(device)
    with torch_threads(threads):
        set_seed(recipe.seed)
        tokenizer, train_batches, val_batches = _batches(recipe)
        config = TinyGPTConfig(vocab_size=tokenizer.vocab_size, **recipe.model)
        model = TinyGPT(config)
        resume = _load_state(resume_path, model) if resume_path.is_file() else None
        if resume is not None and progress:
            print(f"Resuming {name} from step {resume.step} ({resume_path})", file=sys.stderr)
        history = train_lm(
            model,
            train_batches,
            val_batches,
            training,
            seed=recipe.seed,
            device=device,
            progress=progress,
            resume=resume,
            on_eval=lambda state: _save_state(resume_path, model, state),
        )
        model.to("cpu").eval()
        results = _evaluate(recipe, model, tokenizer, val_batches)
    provenance = {
        "command": command,
        "description": recipe.description,
        "seed": recipe.seed,
        "corpus": recipe.corpus,
        "device": device,
        "threads": threads,
        "model_config": asdict(config),
        "parameters": count_parameters(model),
        "training": asdict(training),
        "batch_size": recipe.batch_size,
        "steps": training.max_steps,
        "tokens_per_second": history.tokens_per_second,
        "wall_seconds": history.seconds,
        "final_train_loss": history.train_loss[-1],
        "eval_steps": history.eval_steps,
        "val_loss_curve": history.val_loss,
        "anchors": recipe.anchors,
        **results,
    }
    weights = {key: value.detach().numpy() for key, value in model.state_dict().items()}
    metadata = {"chars": tokenizer.chars, "config": json.dumps(asdict(config))}
    path = save_checkpoint(WEIGHTS_NAME, weights, provenance, metadata=metadata, directory=folder)
    resume_path.unlink(missing_ok=True)
    return path


def load_gpt(
    name: str, directory: str | Path | None = None
) -> tuple[TinyGPT, CharTokenizer, dict[str, object]]:
    """A shipped TinyGPT (in eval mode), its tokenizer and its provenance record. Notebook 09."""
    folder = model_dir(name, directory)
    tensors, metadata = load_checkpoint(WEIGHTS_NAME, folder)
    config = TinyGPTConfig(**json.loads(metadata["config"]))
    model = TinyGPT(config)
    model.load_state_dict({key: torch.from_numpy(value) for key, value in tensors.items()})
    return model.eval(), CharTokenizer(metadata["chars"]), load_provenance(WEIGHTS_NAME, folder)


def export_hf(name: str, out_dir: str | Path, directory: str | Path | None = None) -> Path:
    """Save shipped model ``name`` as a Hugging Face GPT-2 model + tokenizer in ``out_dir``.

    ``pipeline("text-generation", model=out_dir)`` and ``AutoModelForCausalLM`` then load
    it offline. Notebook 09.
    """
    model, tokenizer, _ = load_gpt(name, directory)
    out = Path(out_dir)
    tiny_gpt_to_hf(model).save_pretrained(out)
    hf_char_tokenizer(tokenizer.chars).save_pretrained(out)
    return out


# ---------------------------------------------------------------------------
# The ablation behind the in-context-learning model's departures from GPT-2
# ---------------------------------------------------------------------------

ICL_ABLATION = "icl_ablation"
ICL_ABLATION_COMMAND = "python -m course_utils icl-ablation"
#: One task whose answers can only be looked up in the prompt, no task names.
ICL_ABLATION_TASK = "cipher"
#: The variants: GPT-2 blocks, each departure alone, and both (the shipped recipe's).
ICL_ABLATION_VARIANTS: dict[str, dict[str, Any]] = {
    "GPT-2 blocks": {"smear_width": 0, "tie_embeddings": True},
    "smeared queries and keys": {"smear_width": ICL_SMEAR_WIDTH, "tie_embeddings": True},
    "untied output layer": {"smear_width": 0, "tie_embeddings": False},
    "both (the shipped recipe's)": {"smear_width": ICL_SMEAR_WIDTH, "tie_embeddings": False},
}
ICL_ABLATION_MODEL: dict[str, Any] = {
    "max_position": ICL_BLOCK,
    "d_model": 64,
    "num_layers": 2,
    "num_heads": 2,
    "d_ff": 256,
    "dropout": 0.0,
}
ICL_ABLATION_TRAINING = LMTrainingConfig(
    max_steps=1000,
    lr=1e-3,
    min_lr=1e-3,
    warmup_steps=50,
    weight_decay=0.0,
    eval_every=100,
    eval_batches=10,
)
ICL_ABLATION_BATCH = 32
ICL_ABLATION_EPISODES = 200


def icl_ablation(
    *,
    device: str = "cpu",
    max_steps: int | None = None,
    directory: str | Path | None = None,
    threads: int = 1,
    progress: bool = True,
) -> Path:
    """Train one small GPT per :data:`ICL_ABLATION_VARIANTS` on cipher episodes; record each.

    Same data, seed and steps for all; only the architecture differs. Writes
    ``icl_ablation.provenance.json`` (validation-loss curves and k-shot cipher accuracy on
    held-out episodes, no weights). Notebook 09 plots it.
    """
    training, command = cap_steps(ICL_ABLATION_TRAINING, ICL_ABLATION_COMMAND, max_steps)
    tokenizer = CharTokenizer(ICL_CHARS)
    device = resolve_device(device)
    tasks = (ICL_ABLATION_TASK,)
    variants = {}
    with torch_threads(threads):
        for name, departures in ICL_ABLATION_VARIANTS.items():
            set_seed(0)
            config = TinyGPTConfig(
                vocab_size=tokenizer.vocab_size, **ICL_ABLATION_MODEL, **departures
            )
            model = TinyGPT(config)
            history = train_lm(
                model,
                icl_batches(ICL_ABLATION_BATCH, tokenizer, tasks=tasks, named_share=0.0),
                icl_batches(
                    ICL_ABLATION_BATCH,
                    tokenizer,
                    tasks=tasks,
                    named_share=0.0,
                    seed_offset=ICL_EVAL_SEED,
                ),
                training,
                device=device,
                progress=progress,
            )
            model.to("cpu").eval()
            variants[name] = {
                "config": departures,
                "parameters": count_parameters(model),
                "eval_steps": history.eval_steps,
                "val_loss_curve": history.val_loss,
                "accuracy": {
                    str(shots): icl_accuracy(
                        model,
                        tokenizer,
                        ICL_ABLATION_TASK,
                        shots,
                        ICL_ABLATION_EPISODES,
                        seed=ICL_EVAL_SEED,
                    )
                    for shots in ICL_EVAL_SHOTS
                },
                "wall_seconds": history.seconds,
            }
    provenance = {
        "command": command,
        "seed": 0,
        "device": device,
        "threads": threads,
        "task": ICL_ABLATION_TASK,
        "model": ICL_ABLATION_MODEL,
        "training": asdict(training),
        "batch_size": ICL_ABLATION_BATCH,
        "episodes_per_cell": ICL_ABLATION_EPISODES,
        "variants": variants,
    }
    return save_results(ICL_ABLATION, provenance, directory=directory)


def load_icl_ablation(directory: str | Path | None = None) -> dict[str, object]:
    """The record written by :func:`icl_ablation` (``data/icl_ablation.provenance.json``)."""
    return load_provenance(ICL_ABLATION, directory)
