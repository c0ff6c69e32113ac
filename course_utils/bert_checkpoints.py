"""The shipped TinyBert of notebook 08 and the commands that reproduce it and its curves.

``python -m course_utils pretrain-bert`` trains a WordPiece tokenizer and pre-trains a
TinyBert (MLM + NSP) on the course corpus plus unlabelled in-domain movie text, never on
MR dev/test sentences; the run saves its full state at every evaluation, so a stopped
run continues where it stopped. The result lives in ``data/models/tiny-bert/``: safetensors
weights, the tokenizer (``AutoTokenizer`` loads it) and a provenance record.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from course_utils import data
from course_utils.bert import (
    TinyBert,
    TinyBertConfig,
    TinyBertForSequenceClassification,
    TinyBertForTokenClassification,
    init_from_word_vectors,
)
from course_utils.checkpoints import (
    CHECKPOINT_DIR,
    cap_steps,
    load_checkpoint,
    load_provenance,
    load_vectors,
    save_checkpoint,
    save_results,
)
from course_utils.fine_tuning import (
    FineTuningConfig,
    LabelledIds,
    fine_tune,
    first_piece_labels,
    labelled_accuracy,
)
from course_utils.hf_convert import tiny_bert_to_hf
from course_utils.pretraining import (
    BertVocab,
    PretrainingBatchFn,
    PretrainingConfig,
    PretrainingCorpus,
    PretrainingHistory,
    PretrainingState,
    evaluate_pretraining,
    masked_batch,
    pretrain,
)
from course_utils.reproducibility import evaluation_mode, resolve_device, set_seed, torch_threads
from course_utils.subwords import train_wordpiece
from course_utils.text import tagging
from course_utils.training import AUTO_PRECISION, with_resolved_precision
from course_utils.transformer import count_parameters

__all__ = [
    "CURVE_COMMAND",
    "CURVE_FINE_TUNING",
    "CURVE_SEEDS",
    "ENCODE_CHUNK",
    "EPOCH_CAPS",
    "EVAL_SEED",
    "FINAL_EVAL_BATCHES",
    "FULL_SET_EPOCHS",
    "GRID_MAX_SIZE",
    "HELD_OUT_EVERY",
    "INITS",
    "IN_DOMAIN_SOURCES",
    "LABEL_BUDGETS",
    "LABEL_CURVE",
    "LR_GRID",
    "MODELS_DIR",
    "NSP_BREAKDOWN_CHUNK",
    "NSP_BREAKDOWN_PAIRS",
    "OTHER_SOURCE",
    "PAIR_KINDS",
    "POS_DEV_SENTENCES",
    "RECIPES",
    "RESUME_FILE",
    "SAME_SOURCE",
    "SNAPSHOT_DIR",
    "TASK_DESCRIPTIONS",
    "TINY_BERT",
    "TINY_BERT_RECIPE",
    "TINY_BERT_WORDS",
    "TINY_BERT_WORDS_RECIPE",
    "TOKENIZER_FILES",
    "TRUE_NEXT",
    "WEIGHTS_NAME",
    "BertRecipe",
    "HeldOutText",
    "TaskData",
    "corpus_texts",
    "curve_config",
    "curve_summary",
    "encode_corpus",
    "encode_sentences",
    "evaluate_held_out",
    "export_hf",
    "fine_tuning_model",
    "held_out_batches",
    "held_out_text",
    "label_curve",
    "load_bert",
    "load_label_curve",
    "load_snapshot",
    "model_dir",
    "mr_task",
    "normalize_text",
    "nsp_accuracy_by_pair_kind",
    "pos_task",
    "pretrain_bert",
    "run_fine_tuning",
    "subset",
]

MODELS_DIR = CHECKPOINT_DIR / "models"
TINY_BERT = "tiny-bert"
WEIGHTS_NAME = "model"
#: What ``save_pretrained`` writes for the WordPiece tokenizer; the provenance hashes them
#: with the weights, so an edited vocabulary is refused like an edited weight.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
RESUME_FILE = "resume.pt"
#: Sources whose sentences also serve alone as in-domain MLM examples (movie text).
IN_DOMAIN_SOURCES = ("movie_reviews", "subjectivity", "mr_train")
#: Every HELD_OUT_EVERY-th document and single sentence is held out for evaluation.
HELD_OUT_EVERY = 50
#: Held-out batches of the final, reported MLM / NSP accuracies (more than during training).
FINAL_EVAL_BATCHES = 50
#: The seed of the held-out batches (a fixed masking, the same pairs at every evaluation).
EVAL_SEED = 12345
ENCODE_CHUNK = 10_000


@dataclass(frozen=True)
class BertRecipe:
    """How the shipped TinyBert is made: tokenizer, model sizes, batches, schedule."""

    name: str
    description: str
    model: dict[str, Any]
    vocab_size: int
    training: PretrainingConfig
    batch_size: int
    seed: int = 0
    sources: tuple[str, ...] = data.CORPUS_SOURCES
    in_domain: tuple[str, ...] = IN_DOMAIN_SOURCES
    command: str = "python -m course_utils pretrain-bert"
    #: Shipped word vectors whose whole-word pieces start the token embeddings
    #: (:func:`course_utils.bert.init_from_word_vectors`); None = all random.
    word_vectors: str | None = None


TINY_BERT_RECIPE = BertRecipe(
    name=TINY_BERT,
    description=(
        "TinyBert pre-trained with MLM + NSP: half of each batch NSP pairs from course-corpus "
        "documents, half single in-domain movie sentences (MR train, subjectivity, movie_reviews)"
    ),
    model={
        "max_position": 64,
        "d_model": 128,
        "num_layers": 4,
        "num_heads": 4,
        "d_ff": 512,
        "dropout": 0.1,
    },
    vocab_size=4000,
    training=PretrainingConfig(
        max_steps=16000,
        lr=2e-3,
        warmup_steps=400,
        eval_every=250,
        eval_batches=10,
        precision=AUTO_PRECISION,
    ),
    batch_size=64,
)

#: The same model and schedule with a 16k vocabulary whose whole-word pieces start from
#: the course's skip-gram vectors: 4k WordPiece pieces split most sentiment words
#: ("gripping" -> gri ##pp ##ing), and the vectors already know what the words mean.
TINY_BERT_WORDS = "tiny-bert-words"
TINY_BERT_WORDS_RECIPE = replace(
    TINY_BERT_RECIPE,
    name=TINY_BERT_WORDS,
    description=TINY_BERT_RECIPE.description
    + "; 16k WordPiece vocabulary, whole-word pieces start from the skip-gram vectors",
    vocab_size=16000,
    word_vectors="word2vec_sg",
    command="python -m course_utils pretrain-bert --recipe tiny-bert-words",
)
RECIPES = {recipe.name: recipe for recipe in (TINY_BERT_RECIPE, TINY_BERT_WORDS_RECIPE)}
SNAPSHOT_DIR = "snapshots"


def model_dir(name: str = TINY_BERT, directory: str | Path | None = None) -> Path:
    """The folder of shipped model ``name`` (default ``data/models/<name>``)."""
    return Path(directory) / name if directory is not None else MODELS_DIR / name


def _text(sentence: list[str]) -> str:
    return " ".join(sentence)


def corpus_texts(recipe: BertRecipe = TINY_BERT_RECIPE) -> dict[str, Any]:
    """The recipe's pre-training text, split into training and held-out parts.

    Returns ``{"train_documents", "train_singles", "eval_documents", "eval_singles"}`` as
    sentences (strings), and ``"train_sources"`` / ``"eval_sources"``, the source of each
    document; every :data:`HELD_OUT_EVERY`-th document (and in-domain sentence) is held
    out. MR dev/test sentences never appear (:func:`data.iter_corpus_documents`).
    """
    parts: dict[str, list] = {
        f"{split}_{part}": []
        for split in ("train", "eval")
        for part in ("documents", "singles", "sources")
    }
    for source in recipe.sources:
        for index, document in enumerate(data.iter_corpus_documents([source])):
            split = "eval" if index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else "train"
            texts = [_text(sentence) for sentence in document]
            if len(texts) > 1:
                parts[f"{split}_documents"].append(texts)
                parts[f"{split}_sources"].append(source)
            if source in recipe.in_domain:
                parts[f"{split}_singles"].extend(texts)
    return parts


def _encode(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> list[list[int]]:
    ids: list[list[int]] = []
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunk = texts[start : start + ENCODE_CHUNK]
        ids.extend(tokenizer(chunk, add_special_tokens=False, verbose=False)["input_ids"])
    return ids


def encode_corpus(
    tokenizer: PreTrainedTokenizerFast, documents: list[list[str]], singles: list[str]
) -> PretrainingCorpus:
    """Encode documents and single sentences into a :class:`PretrainingCorpus`."""
    flat = _encode(tokenizer, [text for document in documents for text in document])
    encoded, position = [], 0
    for document in documents:
        encoded.append(flat[position : position + len(document)])
        position += len(document)
    return PretrainingCorpus(encoded, _encode(tokenizer, singles))


def _sampler(
    corpus: PretrainingCorpus, tokenizer: PreTrainedTokenizerFast, recipe: BertRecipe
) -> PretrainingBatchFn:
    vocab = BertVocab.from_tokenizer(tokenizer)

    def batches(generator: torch.Generator) -> dict[str, torch.Tensor]:
        return corpus.sample(recipe.batch_size, vocab, recipe.model["max_position"], generator)

    return batches


@dataclass(frozen=True)
class HeldOutText:
    """The recipe's held-out documents and sentences, encoded, and each document's source."""

    corpus: PretrainingCorpus
    document_sources: np.ndarray


def held_out_text(
    tokenizer: PreTrainedTokenizerFast, recipe: BertRecipe = TINY_BERT_RECIPE
) -> HeldOutText:
    """Read and encode the held-out text once (never trained on); see :func:`corpus_texts`."""
    texts = corpus_texts(recipe)
    corpus = encode_corpus(tokenizer, texts["eval_documents"], texts["eval_singles"])
    return HeldOutText(corpus, np.array(texts["eval_sources"]))


def held_out_batches(
    tokenizer: PreTrainedTokenizerFast,
    recipe: BertRecipe = TINY_BERT_RECIPE,
    held_out: HeldOutText | None = None,
) -> PretrainingBatchFn:
    """Masked batches of the recipe's held-out documents and sentences."""
    held_out = held_out_text(tokenizer, recipe) if held_out is None else held_out
    return _sampler(held_out.corpus, tokenizer, recipe)


def evaluate_held_out(
    model: TinyBert,
    tokenizer: PreTrainedTokenizerFast,
    recipe: BertRecipe = TINY_BERT_RECIPE,
    *,
    batches: PretrainingBatchFn | None = None,
    held_out: HeldOutText | None = None,
) -> dict[str, float]:
    """MLM and NSP accuracy on the held-out text, as stored in the provenance. Notebook 08."""
    batches = held_out_batches(tokenizer, recipe, held_out) if batches is None else batches
    return evaluate_pretraining(model, batches, FINAL_EVAL_BATCHES, seed=EVAL_SEED)


#: Kinds of NSP pair in :func:`nsp_accuracy_by_pair_kind`: B is A's true next sentence, or
#: a random sentence from a document of another source, or of the same source.
TRUE_NEXT = "true next sentence"
OTHER_SOURCE = "random B, another source"
SAME_SOURCE = "random B, same source"
PAIR_KINDS = (TRUE_NEXT, OTHER_SOURCE, SAME_SOURCE)
#: Held-out pairs drawn for the breakdown, and how many go through the model at once.
NSP_BREAKDOWN_PAIRS = 4000
NSP_BREAKDOWN_CHUNK = 500


@torch.no_grad()
def nsp_accuracy_by_pair_kind(
    model: TinyBert,
    tokenizer: PreTrainedTokenizerFast,
    recipe: BertRecipe = TINY_BERT_RECIPE,
    *,
    held_out: HeldOutText | None = None,
    num_pairs: int = NSP_BREAKDOWN_PAIRS,
    seed: int = EVAL_SEED,
) -> list[dict[str, Any]]:
    """Held-out NSP accuracy by the source A comes from and the kind of B (:data:`PAIR_KINDS`).

    One row per source and kind: ``source``, ``documents`` (held-out documents of that
    source), ``kind``, ``pairs`` and ``accuracy``. Pairs are drawn and masked as in
    pre-training, so the pooled accuracy estimates the stored held-out NSP accuracy. It
    shows what NSP learns: whether B is on A's topic more than whether it follows A.
    Pass ``held_out`` (:func:`held_out_text`) to reuse text already read. Notebook 08.
    """
    held_out = held_out_text(tokenizer, recipe) if held_out is None else held_out
    corpus, sources = held_out.corpus, held_out.document_sources
    vocab = BertVocab.from_tokenizer(tokenizer)
    generator = torch.Generator().manual_seed(seed)
    firsts, seconds, is_next = corpus.draw_pairs(num_pairs, generator)
    correct = np.empty(num_pairs, dtype=bool)
    with evaluation_mode(model):
        for start in range(0, num_pairs, NSP_BREAKDOWN_CHUNK):
            part = slice(start, start + NSP_BREAKDOWN_CHUNK)
            examples = corpus.pair_examples(
                firsts[part], seconds[part], is_next[part], vocab, recipe.model["max_position"]
            )
            batch = masked_batch(examples, vocab, generator)
            hidden, _ = model.encode(
                batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
            )
            predicted = model.nsp_head(model.pool(hidden)).argmax(-1)
            correct[part] = (predicted == batch["next_sentence_label"]).numpy()
    a_source = sources[corpus.document[firsts]]
    same_source = a_source == sources[corpus.document[seconds]]
    kinds = np.where(is_next, TRUE_NEXT, np.where(same_source, SAME_SOURCE, OTHER_SOURCE))
    rows = []
    for source in recipe.sources:
        for kind in PAIR_KINDS:
            selected = (a_source == source) & (kinds == kind)
            if selected.any():
                rows.append(
                    {
                        "source": source,
                        "documents": int((sources == source).sum()),
                        "kind": kind,
                        "pairs": int(selected.sum()),
                        "accuracy": float(correct[selected].mean()),
                    }
                )
    return rows


def _save_state(path: Path, model: TinyBert, state: PretrainingState) -> None:
    """Write the full training state (our own file, read back with ``weights_only=True``)."""
    payload = {
        "model": model.state_dict(),
        "optimizer": state.optimizer,
        "generator": state.generator,
        "history": asdict(state.history),
        "step": state.step,
        "dropout_rng": state.dropout_rng,
    }
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


def _on_eval(
    folder: Path,
    model: TinyBert,
    state: PretrainingState,
    config: TinyBertConfig,
    snapshots: tuple[int, ...],
    record: dict[str, Any],
) -> None:
    """Save the resumable state, and the weights alone when ``state.step`` is a snapshot."""
    _save_state(folder / RESUME_FILE, model, state)
    if state.step in snapshots:
        weights = {key: value.detach().cpu().numpy() for key, value in model.state_dict().items()}
        save_checkpoint(
            f"step-{state.step:05d}",
            weights,
            {**record, "steps": state.step},
            metadata={"config": json.dumps(asdict(config))},
            directory=folder / SNAPSHOT_DIR,
        )


def load_snapshot(
    step: int, name: str = TINY_BERT, directory: str | Path | None = None
) -> TinyBert:
    """The weights a pre-training run saved at ``step`` (``--snapshots``). Notebook 08."""
    tensors, metadata = load_checkpoint(
        f"step-{step:05d}", model_dir(name, directory) / SNAPSHOT_DIR
    )
    model = TinyBert(TinyBertConfig(**json.loads(metadata["config"])))
    model.load_state_dict({key: torch.from_numpy(value) for key, value in tensors.items()})
    return model.eval()


def _load_state(path: Path, model: TinyBert) -> PretrainingState:
    payload = torch.load(path, weights_only=True)
    model.load_state_dict(payload["model"])
    history = PretrainingHistory(**payload["history"])
    return PretrainingState(
        payload["optimizer"],
        payload["generator"],
        history,
        payload["step"],
        payload["dropout_rng"],
    )


def pretrain_bert(
    *,
    recipe: BertRecipe = TINY_BERT_RECIPE,
    device: str = "cpu",
    max_steps: int | None = None,
    directory: str | Path | None = None,
    threads: int = 1,
    snapshots: tuple[int, ...] = (),
    progress: bool = True,
) -> Path:
    """Pre-train the recipe's TinyBert (resuming a stopped run) and save it. Notebook 08.

    Writes weights, tokenizer and provenance to ``model_dir(recipe.name, directory)``, and
    the weights at each step of ``snapshots`` (multiples of the evaluation interval) to its
    ``snapshots/`` folder: what the model knows after less compute.
    """
    every = recipe.training.eval_every
    odd = [step for step in snapshots if step <= 0 or step % every]
    if odd:
        raise ValueError(f"snapshot steps {odd} must be positive multiples of {every}.")
    training, command = cap_steps(recipe.training, recipe.command, max_steps)
    folder = model_dir(recipe.name, directory)
    folder.mkdir(parents=True, exist_ok=True)
    resume_path = folder / RESUME_FILE
    device = resolve_device(device)
    training = with_resolved_precision(training, device)
    with torch_threads(threads):
        set_seed(recipe.seed)
        texts = corpus_texts(recipe)
        resume_tokenizer = resume_path.is_file() and all(
            (folder / name).is_file() for name in TOKENIZER_FILES
        )
        if resume_tokenizer:
            tokenizer = AutoTokenizer.from_pretrained(folder)
        else:
            training_text = (
                text
                for texts_ in (*texts["train_documents"], texts["train_singles"])
                for text in texts_
            )
            tokenizer = train_wordpiece(
                training_text, recipe.vocab_size, model_max_length=recipe.model["max_position"]
            )
            tokenizer.save_pretrained(folder)
        vocab = BertVocab.from_tokenizer(tokenizer)
        train = encode_corpus(tokenizer, texts["train_documents"], texts["train_singles"])
        held_out = encode_corpus(tokenizer, texts["eval_documents"], texts["eval_singles"])
        train_batches = _sampler(train, tokenizer, recipe)
        eval_batches = _sampler(held_out, tokenizer, recipe)
        config = TinyBertConfig(vocab_size=vocab.size, pad_token_id=vocab.pad_id, **recipe.model)
        model = TinyBert(config)
        if recipe.word_vectors is not None:
            init_from_word_vectors(
                model.token_embed.weight,
                tokenizer.get_vocab(),
                load_vectors(recipe.word_vectors),
                seed=recipe.seed,
            )
        resume = _load_state(resume_path, model) if resume_path.is_file() else None
        if resume is not None and progress:
            print(
                f"Resuming {recipe.name} from step {resume.step} ({resume_path})", file=sys.stderr
            )
        history = pretrain(
            model,
            train_batches,
            eval_batches,
            training,
            seed=recipe.seed,
            device=device,
            progress=progress,
            resume=resume,
            on_eval=lambda state: _on_eval(
                folder,
                model,
                state,
                config,
                snapshots,
                {"command": command, "seed": recipe.seed, "word_vectors": recipe.word_vectors},
            ),
        )
        model.to("cpu").eval()
        final = evaluate_held_out(model, tokenizer, recipe, batches=eval_batches)
    provenance = {
        "command": command,
        "description": recipe.description,
        "seed": recipe.seed,
        "corpus": {
            "sources": list(recipe.sources),
            "in_domain_singles": list(recipe.in_domain),
            "held_out": f"every {HELD_OUT_EVERY}th document and in-domain sentence",
            "excluded": "MR dev and test sentences (data.mr_evaluation_sentences)",
            "train_tokens": train.num_tokens,
            "held_out_tokens": held_out.num_tokens,
            "train_documents": len(texts["train_documents"]),
            "train_singles": len(texts["train_singles"]),
        },
        "device": device,
        "threads": threads,
        "model_config": asdict(config),
        "parameters": count_parameters(model),
        "tokenizer": {"kind": "WordPiece", "vocab_size": vocab.size},
        "word_vectors": recipe.word_vectors,
        "snapshots": sorted(snapshots),
        "training": asdict(training),
        "batch_size": recipe.batch_size,
        "steps": training.max_steps,
        "tokens_per_second": history.tokens_per_second,
        "wall_seconds": history.seconds,
        "final_train_loss": history.loss[-1],
        "curve": {
            "eval_steps": history.eval_steps,
            "mlm_loss": history.eval_mlm_loss,
            "mlm_accuracy": history.eval_mlm_accuracy,
            "nsp_accuracy": history.eval_nsp_accuracy,
        },
        "held_out": {**final, "batches": FINAL_EVAL_BATCHES, "seed": EVAL_SEED},
    }
    weights = {key: value.detach().numpy() for key, value in model.state_dict().items()}
    metadata = {"config": json.dumps(asdict(config))}
    path = save_checkpoint(
        WEIGHTS_NAME,
        weights,
        provenance,
        metadata=metadata,
        directory=folder,
        companions=TOKENIZER_FILES,
    )
    resume_path.unlink(missing_ok=True)
    return path


def load_bert(
    name: str = TINY_BERT, directory: str | Path | None = None
) -> tuple[TinyBert, PreTrainedTokenizerFast, dict[str, object]]:
    """The shipped TinyBert (eval mode), its tokenizer and its provenance. Notebook 08.

    The weights and the tokenizer files are checked against the provenance's sha256 first.
    """
    folder = model_dir(name, directory)
    tensors, metadata = load_checkpoint(WEIGHTS_NAME, folder)
    model = TinyBert(TinyBertConfig(**json.loads(metadata["config"])))
    model.load_state_dict({key: torch.from_numpy(value) for key, value in tensors.items()})
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return model.eval(), tokenizer, load_provenance(WEIGHTS_NAME, folder)


# ---------------------------------------------------------------------------
# What pre-training buys: fine-tuning from the checkpoint vs from random init
# ---------------------------------------------------------------------------

LABEL_CURVE = "bert_label_curve"
INITS = ("pretrained", "random")
#: Training-set sizes per task, smallest first; None = every training example.
LABEL_BUDGETS: dict[str, tuple[int | None, ...]] = {
    "mr": (100, 500, 2000, None),
    "pos": (50, 200, 1000),
}
CURVE_SEEDS = (0, 1, 2)
#: Fine-tuning learning rates tried per (task, budget, init, seed) up to GRID_MAX_SIZE
#: examples; dev accuracy chooses. Larger (slower) budgets reuse the rate chosen for the
#: same seed and init at the largest budget searched.
LR_GRID = (3e-4, 1e-3)
GRID_MAX_SIZE = 500
CURVE_FINE_TUNING = FineTuningConfig(
    batch_size=32, max_epochs=20, patience=3, min_steps=60, precision=AUTO_PRECISION
)
#: Epoch caps by training-set size (``(largest size, epochs)``, first match): big sets need
#: fewer passes, and the cap keeps the command short.
EPOCH_CAPS = ((500, 20), (2000, 6))
FULL_SET_EPOCHS = 3
#: Treebank sentences held out for dev (before the test part) and test (the last 10%).
POS_DEV_SENTENCES = 300
CURVE_COMMAND = "python -m course_utils bert-label-curve"
TASK_DESCRIPTIONS = {
    "mr": "MR polarity on the course split (train subsets; dev for early stopping and the "
    "learning rate; test reported)",
    "pos": f"universal POS tags of the treebank sample (first 90% train pool, its last "
    f"{POS_DEV_SENTENCES} sentences dev, last 10% test; accuracy over words)",
}


def curve_config(size: int) -> FineTuningConfig:
    """The label curve's fine-tuning settings for ``size`` training examples."""
    epochs = next((cap for largest, cap in EPOCH_CAPS if size <= largest), FULL_SET_EPOCHS)
    return replace(CURVE_FINE_TUNING, max_epochs=epochs)


@dataclass(frozen=True)
class TaskData:
    """A fine-tuning task as token ids: a training pool, dev and test, and label names."""

    name: str
    label_names: tuple[str, ...]
    train: list[LabelledIds]
    dev: list[LabelledIds]
    test: list[LabelledIds]
    token_level: bool


def normalize_text(text: str) -> str:
    """Text as the pre-training corpus saw it: lower-cased words, punctuation dropped."""
    return " ".join(data.tokenize_words(text))


def encode_sentences(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> list[list[int]]:
    """``[CLS] text [SEP]`` ids of normalized texts, truncated to the model's length."""
    if not texts:
        return []  # Hugging Face's fast tokenizers fail on an empty batch
    encoded = tokenizer(
        [normalize_text(text) for text in texts],
        truncation=True,
        max_length=tokenizer.model_max_length,
    )
    return encoded["input_ids"]


def mr_task(tokenizer: PreTrainedTokenizerFast) -> TaskData:
    """MR polarity (the course's split) encoded for sequence classification."""
    split = data.load_mr_split()
    parts = {}
    for name in data.SPLIT_NAMES:
        texts, labels = data.texts_and_labels(split[name])
        parts[name] = list(zip(encode_sentences(tokenizer, texts), labels, strict=True))
    return TaskData(
        "mr",
        ("negative", "positive"),
        parts["train"],
        parts["dev"],
        parts["test"],
        token_level=False,
    )


def pos_task(tokenizer: PreTrainedTokenizerFast) -> TaskData:
    """Universal POS tags of the treebank sample, one label on each word's first piece."""
    train_pool, test = tagging.split_tagged_sentences(tagging.load_tagged_sentences("treebank"))
    train_pool, dev = train_pool[:-POS_DEV_SENTENCES], train_pool[-POS_DEV_SENTENCES:]
    tags = tuple(sorted({tag for sentence in train_pool for _, tag in sentence}))
    index = {tag: i for i, tag in enumerate(tags)}

    def encode(sentences: list[tagging.TaggedSentence]) -> list[LabelledIds]:
        words = [[word for word, _ in sentence] for sentence in sentences]
        encoded = tokenizer(
            words,
            is_split_into_words=True,
            truncation=True,
            max_length=tokenizer.model_max_length,
        )
        return [
            (ids, first_piece_labels(encoded.word_ids(row), [index[t] for _, t in sentence]))
            for row, (ids, sentence) in enumerate(
                zip(encoded["input_ids"], sentences, strict=True)
            )
        ]

    return TaskData("pos", tags, encode(train_pool), encode(dev), encode(test), token_level=True)


def subset(pool: list[LabelledIds], size: int | None, seed: int) -> list[LabelledIds]:
    """``size`` training examples drawn without replacement (the same for both inits)."""
    if size is None or size >= len(pool):
        return list(pool)
    order = np.random.RandomState(seed).permutation(len(pool))[:size]
    return [pool[i] for i in order]


def fine_tuning_model(
    task: TaskData, init: str, pretrained: TinyBert, seed: int
) -> TinyBertForSequenceClassification | TinyBertForTokenClassification:
    """A fresh classifier on a copy of ``pretrained`` or on a random TinyBert of its size."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}.")
    torch.manual_seed(seed)
    bert = TinyBert(pretrained.config)
    if init == "pretrained":
        bert.load_state_dict(pretrained.state_dict())
    head = (
        TinyBertForTokenClassification if task.token_level else TinyBertForSequenceClassification
    )
    return head(bert, len(task.label_names))


def run_fine_tuning(
    task: TaskData,
    init: str,
    size: int | None,
    seed: int,
    lr: float,
    pretrained: TinyBert,
    *,
    pad_id: int,
    device: str = "cpu",
    progress: bool = False,
) -> dict[str, float]:
    """Fine-tune once with the label curve's settings (:func:`curve_config`); returns dev
    accuracy (early stopping, lr choice), test accuracy, epochs, steps and seconds."""
    model = fine_tuning_model(task, init, pretrained, seed)
    train = subset(task.train, size, seed)
    settings = replace(curve_config(len(train)), lr=lr)
    result = fine_tune(
        model,
        train,
        task.dev,
        settings,
        pad_id=pad_id,
        seed=seed,
        device=device,
        progress=progress,
    )
    return {
        "lr": lr,
        "dev": result.best_dev_accuracy,
        "test": labelled_accuracy(model, task.test, pad_id=pad_id, device=device),
        "epochs": result.best_epoch,
        "steps": result.steps,
        "seconds": result.seconds,
    }


def curve_summary(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean test (and dev) accuracy over seeds: ``{task: {"<size>/<init>": {...}}}``."""
    cells: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for run in runs:
        cells.setdefault((run["task"], run["size"], run["init"]), []).append(run)
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for (task, size, init), group in sorted(cells.items()):
        summary.setdefault(task, {})[f"{size}/{init}"] = {
            "size": size,
            "init": init,
            "test_mean": float(np.mean([run["test"] for run in group])),
            "test_std": float(np.std([run["test"] for run in group])),
            "dev_mean": float(np.mean([run["dev"] for run in group])),
            "seeds": len(group),
        }
    return summary


def _curve_runs(
    task: TaskData,
    budgets: tuple[int | None, ...],
    seeds: tuple[int, ...],
    lrs: tuple[float, ...],
    pretrained: TinyBert,
    *,
    pad_id: int,
    device: str,
    kept: list[dict[str, Any]],
    progress: bool,
) -> list[dict[str, Any]]:
    """Every (budget, seed, init) run of one task, added to the ``kept`` stored runs."""
    chosen = {
        (run["seed"], run["init"]): run["lr"]
        for run in sorted(kept, key=lambda run: run["size"])
        if run["size"] <= GRID_MAX_SIZE
    }
    runs = list(kept)
    plan = [(size, seed, init) for size in budgets for seed in seeds for init in INITS]
    for size, seed, init in tqdm(plan, desc=f"label curve ({task.name})", disable=not progress):
        searched = size is not None and size <= GRID_MAX_SIZE
        grid = lrs if searched or (seed, init) not in chosen else (chosen[seed, init],)
        tried = [
            run_fine_tuning(task, init, size, seed, lr, pretrained, pad_id=pad_id, device=device)
            for lr in grid
        ]
        best = max(tried, key=lambda run: run["dev"])
        chosen[seed, init] = best["lr"]
        used = size if size is not None else len(task.train)
        runs.append(
            {"task": task.name, "size": used, "seed": seed, "init": init, **best, "tried": tried}
        )
    return sorted(runs, key=lambda run: (run["size"], run["seed"], INITS.index(run["init"])))


def label_curve(
    *,
    tasks: tuple[str, ...] = tuple(LABEL_BUDGETS),
    sizes: tuple[int, ...] | None = None,
    seeds: tuple[int, ...] = CURVE_SEEDS,
    lrs: tuple[float, ...] = LR_GRID,
    device: str = "cpu",
    threads: int = 1,
    directory: str | Path | None = None,
    model_directory: str | Path | None = None,
    progress: bool = True,
) -> list[Path]:
    """Fine-tune the shipped TinyBert and a random-init twin at every label budget.

    For each task, budget and seed, both inits get the same training subset; the
    learning rate is chosen per init on dev, and the test accuracy of that choice is
    stored. Writes ``bert_label_curve_<task>.provenance.json`` per task (no weights), so
    tasks can run as separate processes. ``sizes`` reruns only those budgets and keeps
    the task's other stored runs (every run is seeded: a full run gives the same
    numbers). Notebook 08.
    """
    unknown = [task for task in tasks if task not in LABEL_BUDGETS]
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; choose from {sorted(LABEL_BUDGETS)}.")
    device = resolve_device(device)
    builders = {"mr": mr_task, "pos": pos_task}
    paths = []
    with torch_threads(threads):
        pretrained, tokenizer, record = load_bert(directory=model_directory)
        for name in tasks:
            start = time.perf_counter()
            budgets, kept, earlier_seconds = LABEL_BUDGETS[name], [], 0.0
            if sizes is not None:
                missing = sorted(set(sizes) - set(budgets))
                if missing:
                    raise ValueError(f"sizes {missing} are not budgets of {name!r}: {budgets}.")
                stored = load_label_curve(name, directory)
                kept = [run for run in stored["runs"] if run["size"] not in sizes]
                budgets = tuple(size for size in budgets if size in sizes)
                earlier_seconds = stored["wall_seconds"]
            runs = _curve_runs(
                builders[name](tokenizer),
                budgets,
                seeds,
                lrs,
                pretrained,
                pad_id=tokenizer.pad_token_id,
                device=device,
                kept=kept,
                progress=progress,
            )
            provenance = {
                "command": f"{CURVE_COMMAND} --tasks {name}",
                "description": f"{TASK_DESCRIPTIONS[name]}: fine-tuning the shipped TinyBert vs "
                "the same model from random init",
                "seed": list(seeds),
                "device": device,
                "threads": threads,
                "checkpoint": {"name": TINY_BERT, "sha256": record["sha256"]},
                "fine_tuning": asdict(with_resolved_precision(CURVE_FINE_TUNING, device)),
                "epoch_caps": {
                    "by_size": [list(cap) for cap in EPOCH_CAPS],
                    "full_set": FULL_SET_EPOCHS,
                },
                "lr_grid": list(lrs),
                "lr_grid_max_size": GRID_MAX_SIZE,
                "budgets": [size or "all" for size in LABEL_BUDGETS[name]],
                "runs": runs,
                "summary": curve_summary(runs)[name],
                "wall_seconds": earlier_seconds + time.perf_counter() - start,
            }
            paths.append(save_results(f"{LABEL_CURVE}_{name}", provenance, directory=directory))
    return paths


def load_label_curve(task: str, directory: str | Path | None = None) -> dict[str, object]:
    """The stored label-budget results of :func:`label_curve` for ``task``. Notebook 08."""
    if task not in LABEL_BUDGETS:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(LABEL_BUDGETS)}.")
    return load_provenance(f"{LABEL_CURVE}_{task}", directory)


def export_hf(model: TinyBert, tokenizer: PreTrainedTokenizerFast, directory: str | Path) -> Path:
    """Save ``model`` as a Hugging Face ``BertForPreTraining`` plus its tokenizer, so that
    ``pipeline("fill-mask", model=directory)`` and ``AutoTokenizer`` load it. Notebook 08."""
    folder = Path(directory)
    tiny_bert_to_hf(model).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
