"""Shipped checkpoints: what the course's own commands train, saved under ``data/``.

Each checkpoint is a safetensors file (never a pickle) next to a provenance JSON file that
records how it was made (command, seed, steps, corpus, losses, wall time, library versions)
and the file's sha256, which every load verifies. Word vectors (notebooks 03-05) are stored
as a float16 matrix plus the word list, and load as gensim ``KeyedVectors``.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
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

ConfigT = TypeVar("ConfigT")

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "data"
CHECKPOINT_SUFFIX = ".safetensors"
PROVENANCE_SUFFIX = ".provenance.json"
SHA256_KEY = "sha256"
VERSIONED_PACKAGES = ("torch", "numpy", "gensim", "nltk", "safetensors", "transformers")
VECTORS_KEY = "vectors"
WORDS_KEY = "words"
WORD_SEPARATOR = "\n"
STORED_FLOAT = np.float16
JSON_INDENT = 2
REQUIRED_PROVENANCE = ("command", "seed")


class CheckpointError(RuntimeError):
    """A shipped checkpoint is missing, altered or malformed; the message says how to fix it."""


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
) -> Path:
    """Write ``tensors`` as safetensors plus a provenance file; both written atomically."""
    _check_provenance(provenance)
    weights_path, provenance_path = checkpoint_paths(name, directory)
    arrays = {key: np.ascontiguousarray(value) for key, value in tensors.items()}
    payload = save_safetensors_bytes(arrays, metadata=dict(metadata or {}))
    atomic_write_bytes(weights_path, payload)
    file_record = {
        "file": weights_path.name,
        SHA256_KEY: sha256_of(weights_path),
        "bytes": weights_path.stat().st_size,
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


def _write_provenance(path: Path, provenance: Mapping[str, object]) -> None:
    """The record plus library versions, as sorted JSON, written atomically."""
    record = {**provenance, "libraries": library_versions()}
    text = json.dumps(record, indent=JSON_INDENT, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def load_provenance(name: str, directory: str | Path | None = None) -> dict[str, object]:
    """The provenance record of checkpoint ``name``."""
    _, provenance_path = checkpoint_paths(name, directory)
    if not provenance_path.is_file():
        raise CheckpointError(_missing(name, provenance_path))
    return json.loads(provenance_path.read_text(encoding="utf-8"))


def load_checkpoint(
    name: str, directory: str | Path | None = None
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load checkpoint ``name`` after checking its sha256 against the provenance file."""
    weights_path, _ = checkpoint_paths(name, directory)
    record = load_provenance(name, directory)
    if not weights_path.is_file():
        raise CheckpointError(_missing(name, weights_path))
    digest = sha256_of(weights_path)
    if digest != record.get(SHA256_KEY):
        raise CheckpointError(
            f"{weights_path} does not match its provenance file (sha256 {digest[:12]}..., "
            f"expected {str(record.get(SHA256_KEY))[:12]}...). Restore it with "
            f"`git checkout -- data/` or retrain it with `{record.get('command', 'its command')}`."
        )
    payload = weights_path.read_bytes()
    try:
        tensors = load_safetensors_bytes(payload)
    except SafetensorError as error:
        raise CheckpointError(f"{weights_path} is not a valid safetensors file: {error}") from None
    header_size = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8 : 8 + header_size])
    return tensors, dict(header.get("__metadata__", {}))


def _missing(name: str, path: Path) -> str:
    return (
        f"checkpoint {name!r} not found at {path}. It ships with the course repository; "
        "restore it with `git checkout -- data/`, or retrain it with the command listed in "
        "data/README.md."
    )


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
