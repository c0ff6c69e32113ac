"""Shipped checkpoints: safetensors round trip, provenance, sha256 verification."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_utils.checkpoints import (
    FILES_KEY,
    RECORD_SHA256_KEY,
    CheckpointError,
    cap_steps,
    checkpoint_paths,
    load_checkpoint,
    load_provenance,
    load_vectors,
    record_digest,
    record_name,
    save_checkpoint,
    save_results,
    save_vectors,
    shipped_records,
    verify_checkpoint,
)
from course_utils.data import sha256_of
from course_utils.gpt import LMTrainingConfig

PROVENANCE = {"command": "python -m course_utils test", "seed": 0}


def test_cap_steps_shortens_the_run_and_says_so_in_the_command():
    full = LMTrainingConfig(max_steps=2000, lr=1e-3)
    assert cap_steps(full, PROVENANCE["command"], None) == (full, PROVENANCE["command"])
    capped, command = cap_steps(full, PROVENANCE["command"], 7)
    assert (capped.max_steps, capped.lr) == (7, full.lr)
    assert command == f"{PROVENANCE['command']} --max-steps 7"
    with pytest.raises(ValueError, match="max_steps"):
        cap_steps(full, PROVENANCE["command"], 0)


def test_checkpoint_round_trip_and_provenance(tmp_path):
    weights = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    path = save_checkpoint("tiny", weights, PROVENANCE, metadata={"k": "v"}, directory=tmp_path)
    tensors, metadata = load_checkpoint("tiny", tmp_path)
    np.testing.assert_array_equal(tensors["w"], weights["w"])
    assert metadata == {"k": "v"}
    record = load_provenance("tiny", tmp_path)
    assert record["seed"] == 0 and record["file"] == path.name
    assert record["bytes"] == path.stat().st_size and "torch" in record["libraries"]


def test_vectors_round_trip_as_keyed_vectors(tmp_path):
    words = ["the", "film", "good"]
    vectors = np.random.default_rng(0).normal(size=(3, 4))
    save_vectors("vec", words, vectors, PROVENANCE, directory=tmp_path)
    kv = load_vectors("vec", tmp_path)
    assert kv.index_to_key == words
    np.testing.assert_allclose(kv["film"], vectors[1], atol=1e-3)  # float16 storage


def test_altered_file_is_refused(tmp_path):
    path = save_checkpoint("tiny", {"w": np.zeros(3, np.float32)}, PROVENANCE, directory=tmp_path)
    path.write_bytes(path.read_bytes()[:-4] + b"\x00\x00\x80\x3f")
    with pytest.raises(CheckpointError, match="does not match its provenance"):
        load_checkpoint("tiny", tmp_path)


def test_missing_checkpoint_says_how_to_get_it(tmp_path):
    with pytest.raises(CheckpointError, match="git checkout -- data/"):
        load_checkpoint("absent", tmp_path)


@pytest.mark.parametrize(
    ("words", "shape", "message"),
    [
        (["a", "b"], (3, 2), "shape"),
        (["a", "a"], (2, 2), "unique"),
        (["a", "b\nc"], (2, 2), "newline"),
    ],
)
def test_bad_vectors_are_refused(tmp_path, words, shape, message):
    with pytest.raises(ValueError, match=message):
        save_vectors("bad", words, np.zeros(shape), PROVENANCE, directory=tmp_path)


def test_provenance_must_say_how_to_retrain(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        save_checkpoint("x", {"w": np.zeros(1, np.float32)}, {"seed": 0}, directory=tmp_path)


def test_bad_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="plain file stem"):
        save_checkpoint("../x", {}, PROVENANCE, directory=tmp_path)
    assert not list(tmp_path.iterdir())


def test_results_without_weights_get_a_provenance_file(tmp_path):
    path = save_results("curve", {**PROVENANCE, "points": [1, 2]}, directory=tmp_path)
    assert load_provenance("curve", tmp_path)["points"] == [1, 2]
    assert "numpy" in load_provenance("curve", tmp_path)["libraries"]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with pytest.raises(ValueError, match="missing"):
        save_results("curve", {"points": []}, directory=tmp_path)


# --- every file and every number is checked ----------------------------------------


def _rewrite(path, change):
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")


def test_results_records_carry_a_checksum_of_their_own_contents(tmp_path):
    path = save_results("curve", {**PROVENANCE, "points": [0.5, 0.75]}, directory=tmp_path)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record[RECORD_SHA256_KEY] == record_digest(record)
    _rewrite(path, lambda r: r.update(points=[0.97, 0.97]))
    with pytest.raises(CheckpointError) as error:
        load_provenance("curve", tmp_path)
    message = str(error.value)
    assert str(path) in message and "changed after it was written" in message
    assert "git checkout -- data/" in message and PROVENANCE["command"] in message


def test_the_checksum_ignores_layout_but_not_values():
    record = {"command": "c", "seed": 0, "scores": {"dev": 0.5, "test": 0.25}}
    reordered = {"scores": {"test": 0.25, "dev": 0.5}, "seed": 0, "command": "c"}
    assert record_digest(record) == record_digest(reordered)
    assert record_digest(record) == record_digest({**record, RECORD_SHA256_KEY: "anything"})
    assert record_digest(record) != record_digest({**record, "seed": 1})
    assert record_digest(record) != record_digest({**record, "scores": {"dev": 0.5, "test": 0.3}})


def test_a_reindented_record_still_loads(tmp_path):
    path = save_results("curve", {**PROVENANCE, "points": [1, 2]}, directory=tmp_path)
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    assert load_provenance("curve", tmp_path)["points"] == [1, 2]


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b'{"command": "c", "seed": ', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'[{"command": "c", "seed": 0}]', "holds a JSON list"),
        (b'"just a string"', "holds a JSON str"),
        (b'{"command": "c", "seed": 0}', "carries no checksum"),
    ],
)
def test_damaged_records_name_the_file_and_the_fix(tmp_path, payload, problem):
    _, path = checkpoint_paths("curve", tmp_path)
    path.write_bytes(payload)
    with pytest.raises(CheckpointError) as error:
        load_provenance("curve", tmp_path)
    assert str(path) in str(error.value) and problem in error.value.problem
    assert "git checkout -- data/" in error.value.fix


def test_companion_files_are_hashed_and_verified(tmp_path):
    (tmp_path / "tokenizer.json").write_text('{"vocab": {"good": 5, "bad": 6}}', encoding="utf-8")
    weights = {"w": np.ones(2, np.float32)}
    save_checkpoint(
        "model", weights, PROVENANCE, directory=tmp_path, companions=["tokenizer.json"]
    )
    record = verify_checkpoint("model", tmp_path)
    assert record[FILES_KEY] == {"tokenizer.json": sha256_of(tmp_path / "tokenizer.json")}
    (tmp_path / "tokenizer.json").write_text('{"vocab": {"good": 6, "bad": 5}}', encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"tokenizer\.json does not match") as error:
        load_checkpoint("model", tmp_path)
    assert PROVENANCE["command"] in str(error.value)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match=r"tokenizer\.json is missing"):
        load_checkpoint("model", tmp_path)


def test_companions_must_exist_before_the_checkpoint_is_saved(tmp_path):
    with pytest.raises(ValueError, match="companion files"):
        save_checkpoint(
            "model",
            {"w": np.ones(1, np.float32)},
            PROVENANCE,
            directory=tmp_path,
            companions=["tokenizer.json"],
        )


def test_results_only_records_have_no_weights_to_load(tmp_path):
    save_results("curve", PROVENANCE, directory=tmp_path)
    assert verify_checkpoint("curve", tmp_path)["seed"] == 0
    with pytest.raises(CheckpointError, match="results only"):
        load_checkpoint("curve", tmp_path)


def test_shipped_records_include_those_a_deletion_left_behind(tmp_path):
    save_checkpoint("vec", {"w": np.ones(1, np.float32)}, PROVENANCE, directory=tmp_path)
    save_results("curve", PROVENANCE, directory=tmp_path / "sub")
    _, record = checkpoint_paths("vec", tmp_path)
    record.unlink()
    expected = ["gone.provenance.json", "README.md"]
    found = shipped_records(tmp_path, expected)
    assert found == sorted(
        [record, tmp_path / "gone.provenance.json", tmp_path / "sub" / "curve.provenance.json"]
    )
    assert [record_name(path) for path in found] == ["gone", "curve", "vec"]
