"""Shipped checkpoints: what the course's own commands train, saved under ``data/``.

Each checkpoint is a safetensors file (never a pickle) next to a provenance JSON file that
records how it was made (command, seed, steps, corpus, losses, wall time, library versions),
the sha256 of the weights and of every companion file (a tokenizer), and a checksum of the
record itself (``record_sha256``); a results-only record (a learning curve) carries that
checksum too. Every load verifies all of them, so a changed byte anywhere in a shipped model
or in a reported number is refused with the file's name and the fix. Word vectors
(notebooks 03-05) are stored as a float16 matrix plus the word list, and load as gensim
``KeyedVectors``.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TypeVar

import numpy as np
from gensim.models import KeyedVectors
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors_bytes
from safetensors.numpy import save as save_safetensors_bytes

from course_utils.data import atomic_write_bytes, sha256_of

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_SUFFIX",
    "FILES_KEY",
    "JSON_INDENT",
    "PROVENANCE_SUFFIX",
    "RECORD_SHA256_KEY",
    "REQUIRED_PROVENANCE",
    "RESTORE_COMMAND",
    "SHA256_KEY",
    "STORED_FLOAT",
    "VECTORS_KEY",
    "VERSIONED_PACKAGES",
    "WORDS_KEY",
    "WORD_SEPARATOR",
    "CheckpointError",
    "ConfigT",
    "cap_steps",
    "checkpoint_paths",
    "covered_files",
    "library_versions",
    "load_checkpoint",
    "load_provenance",
    "load_vectors",
    "read_record",
    "record_digest",
    "record_name",
    "restore_fix",
    "save_checkpoint",
    "save_results",
    "save_vectors",
    "shipped_records",
    "verify_checkpoint",
]

ConfigT = TypeVar("ConfigT")

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "data"
CHECKPOINT_SUFFIX = ".safetensors"
PROVENANCE_SUFFIX = ".provenance.json"
SHA256_KEY = "sha256"
#: Companion files of a checkpoint (e.g. its tokenizer): ``{file name: sha256}``.
FILES_KEY = "files"
#: The checksum of the provenance record itself (its canonical JSON without this key).
RECORD_SHA256_KEY = "record_sha256"
RESTORE_COMMAND = "git checkout -- data/"
VERSIONED_PACKAGES = ("torch", "numpy", "gensim", "nltk", "safetensors", "transformers")
VECTORS_KEY = "vectors"
WORDS_KEY = "words"
WORD_SEPARATOR = "\n"
STORED_FLOAT = np.float16
JSON_INDENT = 2
REQUIRED_PROVENANCE = ("command", "seed")


class CheckpointError(RuntimeError):
    """A shipped checkpoint is missing, altered or malformed; the message names the file and
    says how to fix it. ``problem`` and ``fix`` hold the two parts (the doctor prints them on
    two lines)."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem} {fix}".strip())
        self.problem = problem
        self.fix = fix


def restore_fix(command: object = None) -> str:
    """How to get a shipped file back: from git, or by rerunning the ``command`` that made
    it (data/README.md lists every command when the record itself is unreadable)."""
    rerun = (
        f"rerun `{command}`"
        if isinstance(command, str) and command
        else "retrain it with the command listed in data/README.md"
    )
    return f"Restore it with `{RESTORE_COMMAND}`, or {rerun}."


def library_versions() -> dict[str, str]:
    """Python and key package versions, recorded in every provenance file."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def cap_steps(training: ConfigT, command: str, max_steps: int | None) -> tuple[ConfigT, str]:
    """A training config and its command, shortened to ``max_steps`` when given (a smoke run).

    The command gains ``--max-steps N`` so the provenance says how the shorter run was made.
    """
    if max_steps is None:
        return training, command
    return replace(training, max_steps=max_steps), f"{command} --max-steps {max_steps}"


def checkpoint_paths(name: str, directory: str | Path | None = None) -> tuple[Path, Path]:
    """The (safetensors, provenance) paths of checkpoint ``name`` (default folder ``data/``)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"checkpoint name {name!r} must be a plain file stem like 'word2vec_sg'.")
    folder = Path(directory) if directory is not None else CHECKPOINT_DIR
    return folder / f"{name}{CHECKPOINT_SUFFIX}", folder / f"{name}{PROVENANCE_SUFFIX}"


def save_checkpoint(
    name: str,
    tensors: Mapping[str, np.ndarray],
    provenance: Mapping[str, object],
    *,
    metadata: Mapping[str, str] | None = None,
    directory: str | Path | None = None,
    companions: Iterable[str] = (),
) -> Path:
    """Write ``tensors`` as safetensors plus a provenance file; both written atomically.

    ``companions`` names files already in the checkpoint's folder that belong to it (a
    tokenizer's ``tokenizer.json``...): their sha256 go into the record, so loading
    verifies them like the weights.
    """
    _check_provenance(provenance)
    weights_path, provenance_path = checkpoint_paths(name, directory)
    arrays = {key: np.ascontiguousarray(value) for key, value in tensors.items()}
    payload = save_safetensors_bytes(arrays, metadata=dict(metadata or {}))
    atomic_write_bytes(weights_path, payload)
    file_record: dict[str, object] = {
        "file": weights_path.name,
        SHA256_KEY: sha256_of(weights_path),
        "bytes": weights_path.stat().st_size,
    }
    names = sorted(companions)
    missing = [companion for companion in names if not (weights_path.parent / companion).is_file()]
    if missing:
        raise ValueError(
            f"companion files {missing} are not in {weights_path.parent}; write them before "
            "the checkpoint so that their sha256 can be recorded."
        )
    if names:
        file_record[FILES_KEY] = {
            companion: sha256_of(weights_path.parent / companion) for companion in names
        }
    _write_provenance(provenance_path, {**provenance, **file_record})
    return weights_path


def save_results(
    name: str, provenance: Mapping[str, object], *, directory: str | Path | None = None
) -> Path:
    """Write a provenance file with no weights beside it (e.g. a learning curve's scores)."""
    _check_provenance(provenance)
    _, provenance_path = checkpoint_paths(name, directory)
    _write_provenance(provenance_path, provenance)
    return provenance_path


def _check_provenance(provenance: Mapping[str, object]) -> None:
    missing = [key for key in REQUIRED_PROVENANCE if key not in provenance]
    if missing:
        raise ValueError(
            f"provenance must record {list(REQUIRED_PROVENANCE)}; missing {missing}. Say how "
            "the checkpoint was made so that anyone can retrain it."
        )


def record_digest(record: Mapping[str, object]) -> str:
    """sha256 of a provenance record's canonical JSON (sorted keys, no spaces), leaving out
    its own ``record_sha256``: any changed value changes it, re-indenting does not."""
    body = {key: value for key, value in record.items() if key != RECORD_SHA256_KEY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _write_provenance(path: Path, provenance: Mapping[str, object]) -> None:
    """The record plus library versions and its checksum, as sorted JSON, written atomically."""
    record = {**provenance, "libraries": library_versions()}
    record[RECORD_SHA256_KEY] = record_digest(record)
    text = json.dumps(record, indent=JSON_INDENT, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def read_record(path: Path) -> dict[str, object]:
    """The provenance record in file ``path``, after checking that it is a JSON object whose
    ``record_sha256`` matches its contents; a :class:`CheckpointError` names the file and
    the fix otherwise (an edited number is refused like a damaged file)."""
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"{path} is damaged: it is not valid JSON ({error}).", restore_fix()
        ) from None
    if not isinstance(record, dict):
        raise CheckpointError(
            f"{path} is damaged: it holds a JSON {type(record).__name__}, not a provenance "
            "record (a JSON object).",
            restore_fix(),
        )
    stored = record.get(RECORD_SHA256_KEY)
    if stored is None:
        raise CheckpointError(
            f"{path} carries no checksum ({RECORD_SHA256_KEY}): it was not written by "
            "course_utils.checkpoints, or the checksum was removed.",
            restore_fix(record.get("command")),
        )
    digest = record_digest(record)
    if digest != stored:
        raise CheckpointError(
            f"{path} was changed after it was written: its contents hash to {digest[:12]}..., "
            f"its {RECORD_SHA256_KEY} says {str(stored)[:12]}....",
            restore_fix(record.get("command")),
        )
    return record


def load_provenance(name: str, directory: str | Path | None = None) -> dict[str, object]:
    """The provenance record of checkpoint ``name``, checked (see :func:`read_record`)."""
    _, provenance_path = checkpoint_paths(name, directory)
    if not provenance_path.is_file():
        raise CheckpointError(_missing(name, provenance_path), restore_fix())
    return read_record(provenance_path)


def covered_files(record: Mapping[str, object], weights_path: Path) -> dict[Path, str]:
    """Every file the record vouches for, with its expected sha256: the weights (when the
    record has any) and the companion files beside them."""
    expected: dict[Path, str] = {}
    if SHA256_KEY in record:
        expected[weights_path] = str(record[SHA256_KEY])
    companions = record.get(FILES_KEY, {})
    if not isinstance(companions, dict):
        raise CheckpointError(
            f"the provenance of {weights_path} lists its {FILES_KEY} as a "
            f"{type(companions).__name__}, not a mapping of file name to sha256.",
            restore_fix(record.get("command")),
        )
    for companion, digest in companions.items():
        expected[weights_path.parent / companion] = str(digest)
    return expected


def verify_checkpoint(name: str, directory: str | Path | None = None) -> dict[str, object]:
    """The checked provenance record of ``name`` once every file it covers is present and
    matches its sha256. Only hashes (fast): what :func:`load_checkpoint` and the doctor do
    before trusting a checkpoint."""
    weights_path, _ = checkpoint_paths(name, directory)
    record = load_provenance(name, directory)
    fix = restore_fix(record.get("command"))
    for path, expected in covered_files(record, weights_path).items():
        if not path.is_file():
            raise CheckpointError(_missing(name, path), fix)
        digest = sha256_of(path)
        if digest != expected:
            raise CheckpointError(
                f"{path} does not match its provenance file (sha256 {digest[:12]}..., "
                f"expected {expected[:12]}...).",
                fix,
            )
    return record


def load_checkpoint(
    name: str, directory: str | Path | None = None
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load checkpoint ``name`` after checking it and its companion files against the
    sha256 in its provenance file (:func:`verify_checkpoint`)."""
    weights_path, provenance_path = checkpoint_paths(name, directory)
    record = verify_checkpoint(name, directory)
    if SHA256_KEY not in record:
        raise CheckpointError(
            f"{provenance_path} records results only: checkpoint {name!r} has no weights.",
            restore_fix(record.get("command")),
        )
    payload = weights_path.read_bytes()
    try:
        tensors = load_safetensors_bytes(payload)
    except SafetensorError as error:
        raise CheckpointError(
            f"{weights_path} is not a valid safetensors file: {error}.",
            restore_fix(record.get("command")),
        ) from None
    header_size = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + header_size])
    return tensors, dict(header.get("__metadata__", {}))


def _missing(name: str, path: Path) -> str:
    return f"checkpoint {name!r} not found: {path} is missing (it ships with the course)."


def shipped_records(directory: Path = CHECKPOINT_DIR, expected: Iterable[str] = ()) -> list[Path]:
    """Every provenance file that should be in ``directory``: those present (at any depth),
    the record beside every weights file (a deleted record leaves its weights behind), and
    the ``expected`` records (paths relative to ``directory``, e.g. from ``git ls-files``)."""
    records = set(directory.rglob(f"*{PROVENANCE_SUFFIX}"))
    records |= {
        weights.with_name(weights.name.removesuffix(CHECKPOINT_SUFFIX) + PROVENANCE_SUFFIX)
        for weights in directory.rglob(f"*{CHECKPOINT_SUFFIX}")
    }
    records |= {directory / path for path in expected if path.endswith(PROVENANCE_SUFFIX)}
    return sorted(records)


def record_name(provenance_path: Path) -> str:
    """The checkpoint name of a provenance file (``word2vec_sg.provenance.json`` ->
    ``word2vec_sg``), to pass to the loaders with its folder."""
    return provenance_path.name.removesuffix(PROVENANCE_SUFFIX)


def save_vectors(
    name: str,
    words: Sequence[str],
    vectors: np.ndarray,
    provenance: Mapping[str, object],
    *,
    directory: str | Path | None = None,
) -> Path:
    """Save word vectors (one row per word, most frequent first) as a float16 checkpoint."""
    matrix = np.asarray(vectors)
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise ValueError(
            f"vectors must have shape (len(words), dim) = ({len(words)}, dim); got {matrix.shape}."
        )
    bad = [word for word in words if not word or WORD_SEPARATOR in word]
    if bad:
        raise ValueError(f"words must be non-empty and contain no newline; got {bad[:3]!r}.")
    if len(set(words)) != len(words):
        raise ValueError("words must be unique: the word list has duplicates.")
    return save_checkpoint(
        name,
        {VECTORS_KEY: matrix.astype(STORED_FLOAT)},
        provenance,
        metadata={WORDS_KEY: WORD_SEPARATOR.join(words)},
        directory=directory,
    )


def load_vectors(name: str, directory: str | Path | None = None) -> KeyedVectors:
    """Load shipped word vectors as gensim ``KeyedVectors`` (float32)."""
    tensors, metadata = load_checkpoint(name, directory)
    if VECTORS_KEY not in tensors or WORDS_KEY not in metadata:
        raise CheckpointError(f"checkpoint {name!r} holds no word vectors.")
    words = metadata[WORDS_KEY].split(WORD_SEPARATOR)
    matrix = tensors[VECTORS_KEY].astype(np.float32)
    kv = KeyedVectors(vector_size=matrix.shape[1], dtype=np.float32)
    kv.add_vectors(words, matrix)
    return kv
