"""Shipped checkpoints: safetensors round trip, provenance, sha256 verification."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.checkpoints import (
    CheckpointError,
    cap_steps,
    load_checkpoint,
    load_provenance,
    load_vectors,
    save_checkpoint,
    save_results,
    save_vectors,
)
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
