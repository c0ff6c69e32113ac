"""The shipped TinyBert, its command, the Hugging Face export and the label curve (nb 08)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, pipeline

from course_utils import bert_checkpoints as bc
from course_utils import data
from course_utils.bert import (
    IS_NEXT,
    TinyBert,
    TinyBertConfig,
    TinyBertForSequenceClassification,
    TinyBertForTokenClassification,
    fill_mask,
)
from course_utils.checkpoints import CheckpointError
from course_utils.fine_tuning import FineTuningConfig
from course_utils.pretraining import PretrainingConfig
from course_utils.subwords import train_wordpiece
from course_utils.transformer import count_parameters

#: A recipe small enough to train in seconds: two small corpora, a 300-piece vocabulary.
SMOKE_RECIPE = dataclasses.replace(
    bc.TINY_BERT_RECIPE,
    name="smoke-bert",
    sources=("inaugural", "state_union"),
    in_domain=(),
    vocab_size=300,
    model={
        "max_position": 32,
        "d_model": 16,
        "num_layers": 1,
        "num_heads": 2,
        "d_ff": 32,
        "dropout": 0.1,
    },
    training=PretrainingConfig(max_steps=4, lr=1e-3, warmup_steps=1, eval_every=2, eval_batches=1),
    batch_size=8,
)
SHIPPED = bc.model_dir() / f"{bc.WEIGHTS_NAME}.safetensors"
MAX_SHIPPED_BYTES = 10 * 2**20


@pytest.mark.slow
def test_pretraining_text_never_contains_mr_dev_or_test_sentences(mr_split):
    parts = bc.corpus_texts()
    sentences = {s for doc in parts["train_documents"] + parts["eval_documents"] for s in doc}
    sentences |= set(parts["train_singles"]) | set(parts["eval_singles"])
    held_out = data.mr_evaluation_sentences()
    assert len(held_out) > 2000 and not sentences & held_out
    train = {" ".join(data.tokenize_words(text)) for text, _ in mr_split["train"][:200]}
    assert len(train & sentences) > 190  # MR train sentences are used, without labels


@pytest.mark.slow
def test_pretrain_command_resumes_where_it_stopped(tmp_path, monkeypatch):
    trained = {}

    def one_tokenizer(texts, vocab_size, **options):
        """WordPiece ids of tied pieces vary between trainings: train once, reuse it."""
        trained.setdefault("tokenizer", train_wordpiece(texts, vocab_size, **options))
        return trained["tokenizer"]

    monkeypatch.setattr(bc, "train_wordpiece", one_tokenizer)
    straight = bc.pretrain_bert(recipe=SMOKE_RECIPE, directory=tmp_path / "a", progress=False)
    real_save = bc._save_state

    class InterruptedRunError(Exception):
        pass

    def save_then_stop(path, model, state):
        real_save(path, model, state)
        raise InterruptedRunError

    monkeypatch.setattr(bc, "_save_state", save_then_stop)
    with pytest.raises(InterruptedRunError):
        bc.pretrain_bert(recipe=SMOKE_RECIPE, directory=tmp_path / "b", progress=False)
    monkeypatch.setattr(bc, "_save_state", real_save)
    assert (tmp_path / "b" / "smoke-bert" / bc.RESUME_FILE).is_file()
    bc.pretrain_bert(recipe=SMOKE_RECIPE, directory=tmp_path / "b", progress=False)
    assert not (tmp_path / "b" / "smoke-bert" / bc.RESUME_FILE).exists()
    first, _, record = bc.load_bert("smoke-bert", tmp_path / "a")
    second, tokenizer, resumed = bc.load_bert("smoke-bert", tmp_path / "b")
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key
    assert record["curve"] == resumed["curve"] and record["steps"] == 4
    assert (
        straight.stat().st_size < MAX_SHIPPED_BYTES and len(tokenizer) == first.config.vocab_size
    )


@pytest.mark.slow
def test_pretrain_command_with_fewer_steps_says_so(tmp_path):
    bc.pretrain_bert(recipe=SMOKE_RECIPE, max_steps=2, directory=tmp_path, progress=False)
    record = bc.load_bert("smoke-bert", tmp_path)[2]
    assert record["steps"] == record["training"]["max_steps"] == 2
    assert record["command"] == f"{SMOKE_RECIPE.command} --max-steps 2"
    assert set(record["files"]) == set(bc.TOKENIZER_FILES)  # hashed with the weights


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED.is_file(), reason="run `python -m course_utils pretrain-bert`")
def test_nsp_breakdown_pools_to_the_stored_accuracy_and_sorts_pairs_by_kind():
    model, tokenizer, record = bc.load_bert()
    rows = bc.nsp_accuracy_by_pair_kind(model, tokenizer)
    pairs = sum(row["pairs"] for row in rows)
    pooled = sum(row["pairs"] * row["accuracy"] for row in rows) / pairs
    stored = record["held_out"]
    # Two samples of the same held-out pairs: within three standard errors of each other.
    spread = np.sqrt(0.25 / pairs + 0.25 / stored["nsp_pairs"])
    assert pairs == bc.NSP_BREAKDOWN_PAIRS and abs(pooled - stored["nsp_accuracy"]) < 3 * spread
    true_next = sum(row["pairs"] for row in rows if row["kind"] == bc.TRUE_NEXT)
    assert abs(true_next / pairs - 0.5) < 0.03
    for row in rows:  # another document of the same source needs two held-out documents
        assert row["kind"] != bc.SAME_SOURCE or row["documents"] >= 2
    assert {row["kind"] for row in rows} == set(bc.PAIR_KINDS)


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED.is_file(), reason="run `python -m course_utils pretrain-bert`")
def test_nsp_breakdown_of_a_model_that_always_says_next():
    model, tokenizer, _ = bc.load_bert()

    class AlwaysNext(torch.nn.Module):
        def forward(self, pooled: torch.Tensor) -> torch.Tensor:
            logits = torch.zeros(len(pooled), 2)
            logits[:, IS_NEXT] = 1.0
            return logits

    model.nsp_head = AlwaysNext()
    rows = bc.nsp_accuracy_by_pair_kind(model, tokenizer, num_pairs=300)
    assert sum(row["pairs"] for row in rows) == 300
    for row in rows:
        assert row["accuracy"] == (1.0 if row["kind"] == bc.TRUE_NEXT else 0.0), row


@pytest.mark.skipif(not SHIPPED.is_file(), reason="run `python -m course_utils pretrain-bert`")
def test_shipped_checkpoint_loads_and_matches_its_provenance():
    model, tokenizer, record = bc.load_bert()
    assert SHIPPED.stat().st_size < MAX_SHIPPED_BYTES
    assert record["parameters"] == count_parameters(model)
    assert record["model_config"] == dataclasses.asdict(model.config)
    assert len(tokenizer) == model.config.vocab_size == record["tokenizer"]["vocab_size"]
    assert tokenizer.model_max_length == model.config.max_position
    held_out = record["held_out"]  # well above chance (NSP 50%); the notebook prints them
    assert held_out["nsp_accuracy"] > 0.6 and held_out["mlm_accuracy"] > 0.25
    assert held_out["nsp_pairs"] >= 1000 and held_out["mlm_predictions"] >= 10_000
    curve = record["curve"]
    assert len(curve["eval_steps"]) == len(curve["mlm_accuracy"]) == len(curve["nsp_accuracy"])
    guesses = fill_mask(model, tokenizer, "the [MASK] was great")
    assert len(guesses) == 1 and len(guesses[0]) == 5


def test_a_missing_checkpoint_says_how_to_get_it(tmp_path):
    with pytest.raises(CheckpointError, match="retrain"):
        bc.load_bert("no-such-bert", tmp_path)


@pytest.fixture(scope="module")
def tiny_model_and_tokenizer():
    texts = ["the movie was good and the acting was great", "a bad film with a boring plot"]
    tokenizer = train_wordpiece(texts * 20, 60, model_max_length=16)
    torch.manual_seed(0)
    config = TinyBertConfig(
        vocab_size=len(tokenizer), max_position=16, d_model=16, num_layers=1, num_heads=2, d_ff=32
    )
    return TinyBert(config).eval(), tokenizer


def test_hugging_face_fill_mask_pipeline_agrees_with_the_course_model(
    tiny_model_and_tokenizer, tmp_path
):
    model, tokenizer = tiny_model_and_tokenizer
    folder = bc.export_hf(model, tokenizer, tmp_path / "hf")
    fill = pipeline("fill-mask", model=str(folder), top_k=5)
    for text in ("the movie was [MASK]", "a [MASK] film"):
        ours = fill_mask(model, tokenizer, text, top_k=5)[0]
        theirs = [
            (tokenizer.convert_ids_to_tokens(guess["token"]), guess["score"])
            for guess in fill(text)
        ]
        assert [token for token, _ in ours] == [token for token, _ in theirs]
        np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)
    reloaded = AutoTokenizer.from_pretrained(folder)
    assert reloaded("a bad film")["input_ids"] == tokenizer("a bad film")["input_ids"]


def test_fill_mask_needs_a_mask_token(tiny_model_and_tokenizer):
    model, tokenizer = tiny_model_and_tokenizer
    with pytest.raises(ValueError, match=r"no \[MASK\] token"):
        fill_mask(model, tokenizer, "the movie was good")
    with pytest.raises(ValueError, match="top_k"):
        fill_mask(model, tokenizer, "the [MASK]", top_k=0)
    with pytest.raises(ValueError, match="beyond the model's 16 positions"):
        fill_mask(model, tokenizer, "the movie was good " * 5 + "[MASK]")
    two = fill_mask(model, tokenizer, "the [MASK] was [MASK]", top_k=3)
    assert len(two) == 2 and all(len(guesses) == 3 for guesses in two)
    assert all(p1 >= p2 for guesses in two for (_, p1), (_, p2) in itertools.pairwise(guesses))


def test_tasks_encode_mr_and_pos_for_their_heads(tiny_model_and_tokenizer):
    _, tokenizer = tiny_model_and_tokenizer
    mr = bc.mr_task(tokenizer)
    assert (len(mr.train), len(mr.dev), len(mr.test)) == (8530, 1066, 1066)
    assert all(len(ids) <= 16 and ids[0] == tokenizer.cls_token_id for ids, _ in mr.train)
    pos = bc.pos_task(tokenizer)
    assert "NOUN" in pos.label_names and pos.token_level and len(pos.dev) == bc.POS_DEV_SENTENCES
    ids, labels = pos.test[0]
    assert len(ids) == len(labels) and labels[0] == -100
    assert (
        bc.subset(mr.train, 100, 1) == bc.subset(mr.train, 100, 1) != bc.subset(mr.train, 100, 2)
    )
    assert len(bc.subset(mr.train, None, 0)) == len(mr.train)


def test_fine_tuning_models_start_from_the_checkpoint_or_from_scratch(tiny_model_and_tokenizer):
    model, _ = tiny_model_and_tokenizer
    task = bc.TaskData("toy", ("a", "b"), [], [], [], token_level=False)
    pretrained = bc.fine_tuning_model(task, "pretrained", model, seed=5)
    scratch = bc.fine_tuning_model(task, "random", model, seed=5)
    assert isinstance(pretrained, TinyBertForSequenceClassification)
    key = "token_embed.weight"
    assert torch.equal(pretrained.bert.state_dict()[key], model.state_dict()[key])
    assert not torch.equal(scratch.bert.state_dict()[key], model.state_dict()[key])
    assert torch.equal(pretrained.classifier.weight, scratch.classifier.weight)
    tagger = bc.fine_tuning_model(dataclasses.replace(task, token_level=True), "random", model, 0)
    assert isinstance(tagger, TinyBertForTokenClassification)
    with pytest.raises(ValueError, match="init"):
        bc.fine_tuning_model(task, "glove", model, seed=0)


@pytest.mark.slow
def test_label_curve_writes_results_with_provenance(
    tiny_model_and_tokenizer, tmp_path, monkeypatch
):
    model, tokenizer = tiny_model_and_tokenizer
    monkeypatch.setattr(bc, "LABEL_BUDGETS", {"pos": (20, None)})
    monkeypatch.setattr(bc, "GRID_MAX_SIZE", 20)
    monkeypatch.setattr(bc, "CURVE_FINE_TUNING", FineTuningConfig(patience=1))
    monkeypatch.setattr(bc, "EPOCH_CAPS", ((10**6, 2),))
    monkeypatch.setattr(
        bc, "load_bert", lambda directory=None: (model, tokenizer, {"sha256": "0" * 64})
    )
    paths = bc.label_curve(
        tasks=("pos",), seeds=(0,), lrs=(1e-3, 1e-2), directory=tmp_path, progress=False
    )
    record = bc.load_label_curve("pos", tmp_path)
    assert [path.name for path in paths] == ["bert_label_curve_pos.provenance.json"]
    runs = record["runs"]
    assert [(run["init"], run["size"]) for run in runs[:2]] == [("pretrained", 20), ("random", 20)]
    for run in runs[:2]:
        assert run["dev"] == max(tried["dev"] for tried in run["tried"]) and len(run["tried"]) == 2
        assert 0.0 <= run["test"] <= 1.0 and run["epochs"] <= 2
    for small, full in zip(runs[:2], runs[2:], strict=True):
        assert full["size"] > 3000 and [t["lr"] for t in full["tried"]] == [small["lr"]]
    cell = record["summary"]["20/random"]
    assert cell["test_mean"] == runs[1]["test"] and cell["seeds"] == 1
    bc.label_curve(tasks=("pos",), sizes=(20,), seeds=(0,), lrs=(1e-3, 1e-2),
                   directory=tmp_path, progress=False)  # fmt: skip
    rerun = bc.load_label_curve("pos", tmp_path)

    def untimed(run):
        return {key: value for key, value in run.items() if key not in ("seconds", "tried")}

    assert [untimed(run) for run in rerun["runs"]] == [untimed(run) for run in runs]
    assert rerun["runs"][2:] == runs[2:] and rerun["wall_seconds"] > record["wall_seconds"]
    with pytest.raises(ValueError, match="not budgets"):
        bc.label_curve(tasks=("pos",), sizes=(7,), directory=tmp_path, progress=False)
    with pytest.raises(ValueError, match="unknown task"):
        bc.label_curve(tasks=("ner",))


def test_curve_epochs_shrink_with_the_training_set():
    epochs = [bc.curve_config(size).max_epochs for size in (100, 500, 501, 2000, 8530)]
    assert epochs == [20, 20, 6, 6, 3]


def test_corpus_documents_keep_sentence_order_and_drop_held_out_sentences():
    speeches = list(data.iter_corpus_documents(["inaugural"]))
    flat = [sentence for speech in speeches for sentence in speech]
    assert len(speeches) == 59 and flat == data.corpus_sentences(["inaugural"])
    assert speeches[0][0][:3] == ["fellow-citizens", "of", "the"]
    singles = list(itertools.islice(data.iter_corpus_documents(["mr_train"]), 50))
    assert all(len(document) == 1 for document in singles)
    held_out = data.mr_evaluation_sentences()
    assert not any(" ".join(document[0]) in held_out for document in singles)
    with pytest.raises(ValueError, match="Unknown corpus source"):
        next(data.iter_corpus_documents(["wikipedia"]))


@pytest.mark.slow
def test_pretraining_trend_probes_every_snapshot_of_a_run(tmp_path):
    from course_utils.checkpoints import load_provenance
    from course_utils.experiments.pretraining_trend import RECORD, pretraining_trend

    recipe = dataclasses.replace(
        SMOKE_RECIPE, training=dataclasses.replace(SMOKE_RECIPE.training, max_steps=4)
    )
    bc.pretrain_bert(recipe=recipe, snapshots=(2,), directory=tmp_path / "runs", progress=False)
    with pytest.raises(ValueError, match="multiples of 2"):
        bc.pretrain_bert(recipe=recipe, snapshots=(3,), directory=tmp_path / "x", progress=False)
    pretraining_trend(
        [tmp_path / "runs" / recipe.name],
        budgets=(20,),
        seeds=(0, 1),
        directory=tmp_path,
        progress=False,
    )
    (curve,) = load_provenance(RECORD, tmp_path)["curves"]
    assert [point["step"] for point in curve["points"]] == [0, 2, 4]
    assert curve["finished"] and curve["points"][0]["sha256"] is None
    for point in curve["points"]:
        assert len(point["runs"]) == 2 and 0.0 <= point["test_mean"]["20"] <= 1.0
