"""Fault injection for every shipped file: each file under data/ is flipped, truncated and
deleted in a copy, then loaded through its loader and through the doctor. Each time the
answer is a CheckpointError (or a ✗ line) naming the file and the fix, never a result.

The files are found by listing data/ (git's view of it: tracked and new files, not ignored
run state), so a record added later is covered without touching this file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from course_utils import bert_checkpoints, doctor
from course_utils.bert_checkpoints import TINY_BERT, load_bert, load_label_curve
from course_utils.checkpoints import (
    CHECKPOINT_DIR,
    PROVENANCE_SUFFIX,
    RESTORE_COMMAND,
    SHA256_KEY,
    CheckpointError,
    checkpoint_paths,
    covered_files,
    load_checkpoint,
    load_provenance,
    load_vectors,
    record_name,
    shipped_records,
    verify_checkpoint,
)
from course_utils.distillation import TEACHER, load_teacher
from course_utils.experiments.vectors import load_learning_curve
from course_utils.gpt_checkpoints import CHAR_GPT, ICL_GPT, load_gpt, load_icl_ablation

#: Read by people, loaded by nothing.
DOCUMENTATION = frozenset({"README.md"})
GIT_TIMEOUT_S = 30


def _shipped_files() -> list[str]:
    """Every shipped file under data/, relative to it: what git tracks plus new files it
    does not ignore (without git: every file)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=CHECKPOINT_DIR,
            capture_output=True,
            check=True,
            timeout=GIT_TIMEOUT_S,
        ).stdout.decode("utf-8")
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        names = [str(path.relative_to(CHECKPOINT_DIR)) for path in CHECKPOINT_DIR.rglob("*")]
    return sorted(
        name
        for name in set(names)
        if (CHECKPOINT_DIR / name).is_file() and Path(name).name not in DOCUMENTATION
    )


SHIPPED = _shipped_files()


def _record_files(record_path: Path) -> list[Path]:
    """A provenance file and every file it vouches for (checked first)."""
    name, folder = record_name(record_path), record_path.parent
    weights_path, _ = checkpoint_paths(name, folder)
    return [record_path, *covered_files(verify_checkpoint(name, folder), weights_path)]


def _covering_records(directory: Path) -> dict[Path, Path]:
    """Each file under ``directory`` that a provenance record vouches for -> that record."""
    return {
        path: record_path
        for record_path in shipped_records(directory)
        for path in _record_files(record_path)
    }


def test_data_holds_shipped_files():
    assert any(name.endswith(PROVENANCE_SUFFIX) for name in SHIPPED)
    assert "models/tiny-bert/tokenizer.json" in SHIPPED


def test_every_shipped_file_is_vouched_for_by_a_provenance_record():
    cover = _covering_records(CHECKPOINT_DIR)
    uncovered = [name for name in SHIPPED if CHECKPOINT_DIR / name not in cover]
    assert not uncovered, (
        f"{uncovered} are checked by no provenance record: save them with "
        "checkpoints.save_checkpoint (companions=...) or save_results"
    )


# --- the faults -----------------------------------------------------------------------


def flip(path: Path) -> None:
    """Change one bit of the middle byte (a digit of a JSON number becomes another)."""
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    path.write_bytes(bytes(payload))


def truncate(path: Path) -> None:
    """Keep the first half, as a download that stopped would."""
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def delete(path: Path) -> None:
    path.unlink()


FAULTS: dict[str, Callable[[Path], None]] = {"flip": flip, "truncate": truncate, "delete": delete}


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, Path]]:
    """A copy of the shipped files, and which record covers each file of the copy."""
    root = tmp_path_factory.mktemp("shipped") / "data"
    for name in SHIPPED:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKPOINT_DIR / name, root / name)
    return root, _covering_records(root)


@pytest.fixture
def damaged(request: pytest.FixtureRequest, data_copy) -> Iterator[tuple[Path, Path, Path]]:
    """(copy root, damaged file, its record) with the fault applied; restored afterwards."""
    root, cover = data_copy
    name, fault = request.param
    path = root / name
    FAULTS[fault](path)
    yield root, path, cover[path]
    shutil.copy2(CHECKPOINT_DIR / name, path)


def load_record_files(record_path: Path) -> object:
    """What a loader of this record does first: the checked record, then the weights."""
    name, folder = record_name(record_path), record_path.parent
    record = load_provenance(name, folder)
    return load_checkpoint(name, folder) if SHA256_KEY in record else record


@pytest.mark.parametrize(
    "damaged",
    [(name, fault) for name in SHIPPED for fault in FAULTS],
    ids=[f"{name}-{fault}" for name in SHIPPED for fault in FAULTS],
    indirect=True,
)
def test_a_damaged_shipped_file_is_refused_by_its_loader_and_the_doctor(damaged):
    root, path, record_path = damaged
    with pytest.raises(CheckpointError) as error:
        load_record_files(record_path)
    assert str(path) in error.value.problem, "the error names the damaged file"
    assert RESTORE_COMMAND in error.value.fix
    checks = doctor.check_shipped(root, expected=SHIPPED)
    assert all(check.status == doctor.FAIL for check in checks), [c.line() for c in checks]
    assert any(str(path) in check.detail and RESTORE_COMMAND in check.fix for check in checks)


# --- the loaders the notebooks call ------------------------------------------------------


@pytest.fixture
def copy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of data/ that the default model folder points to."""
    root = tmp_path / "data"
    for name in SHIPPED:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKPOINT_DIR / name, root / name)
    monkeypatch.setattr(bert_checkpoints, "MODELS_DIR", root / "models")
    return root


MODEL_RECORD = "models/{}/model.provenance.json"
LOADERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "load_vectors": ("word2vec_sg.provenance.json", lambda d: load_vectors("word2vec_sg", d)),
    "load_learning_curve": (
        "word2vec_curve.provenance.json",
        lambda d: load_learning_curve("word2vec_curve", d),
    ),
    "load_gpt": (MODEL_RECORD.format(CHAR_GPT), lambda d: load_gpt(CHAR_GPT, d / "models")),
    "load_gpt(icl)": (MODEL_RECORD.format(ICL_GPT), lambda d: load_gpt(ICL_GPT, d / "models")),
    "load_icl_ablation": ("icl_ablation.provenance.json", load_icl_ablation),
    "load_bert": (MODEL_RECORD.format(TINY_BERT), lambda d: load_bert(TINY_BERT, d / "models")),
    "load_label_curve": (
        "bert_label_curve_mr.provenance.json",
        lambda d: load_label_curve("mr", d),
    ),
    "load_teacher": (
        MODEL_RECORD.format(TEACHER),
        lambda d: load_teacher(d / "models" / TEACHER),
    ),
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_each_notebook_loader_refuses_every_file_of_its_record_changed(copy_dir, loader):
    record_file, load = LOADERS[loader]
    load(copy_dir)  # the intact copy loads
    for path in _record_files(copy_dir / record_file):
        original = path.read_bytes()
        flip(path)
        with pytest.raises(CheckpointError) as error:
            load(copy_dir)
        assert str(path) in str(error.value) and RESTORE_COMMAND in str(error.value)
        path.write_bytes(original)


def _swap_vocabulary_ids(tokenizer_json: Path, first: str, second: str) -> None:
    tokenizer = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab = tokenizer["model"]["vocab"]
    vocab[first], vocab[second] = vocab[second], vocab[first]
    tokenizer_json.write_text(json.dumps(tokenizer), encoding="utf-8")


def test_swapping_good_and_bad_in_the_tokenizer_is_refused(copy_dir):
    """The issue's case: swapped ids flipped the MR teacher's P(positive) from 0.94 to 0.06."""
    tokenizer_json = copy_dir / "models" / TINY_BERT / "tokenizer.json"
    _swap_vocabulary_ids(tokenizer_json, "good", "bad")
    for load in (lambda: load_bert(), lambda: load_teacher(copy_dir / "models" / TEACHER)):
        with pytest.raises(CheckpointError, match=r"tokenizer\.json does not match") as error:
            load()
        assert "python -m course_utils pretrain-bert" in str(error.value)


def test_edited_scores_in_a_results_record_are_refused(copy_dir):
    """The issue's case: every test score set to 0.97 moved two leaderboard rows to 97%."""
    _, path = checkpoint_paths("bert_label_curve_mr", copy_dir)
    record = json.loads(path.read_text(encoding="utf-8"))
    for run in record["runs"]:
        run["test"] = 0.97
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with pytest.raises(CheckpointError, match="changed after it was written") as error:
        load_label_curve("mr", copy_dir)
    assert "bert-label-curve --tasks mr" in str(error.value)
