"""course_utils.data: the fixed MR split, loaders, their offline error paths, tokenization."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import nltk
import pytest

from course_utils import data

EXPECTED_SIZES = {"train": 8530, "dev": 1066, "test": 1066}


def test_split_sizes_balance_and_labels(mr_split):
    assert {name: len(examples) for name, examples in mr_split.items()} == EXPECTED_SIZES
    for examples in mr_split.values():
        counts = Counter(label for _, label in examples)
        assert counts[1] == counts[0] == len(examples) // 2
        assert all(isinstance(text, str) and text for text, _ in examples)


def test_split_parts_are_disjoint_and_cover_mr(mr_split):
    texts = {name: {text for text, _ in examples} for name, examples in mr_split.items()}
    assert not texts["train"] & texts["dev"]
    assert not texts["train"] & texts["test"]
    assert not texts["dev"] & texts["test"]
    assert sum(len(t) for t in texts.values()) == 2 * 5331


def test_split_is_pinned_and_deterministic(mr_split):
    assert data.split_digest(mr_split) == data.MR_SPLIT_SHA256
    assert data.make_mr_split() == data.make_mr_split()
    assert data.split_digest(data.make_mr_split(seed=1)) != data.MR_SPLIT_SHA256


def test_load_mr_split_returns_fresh_lists():
    data.load_mr_split()["train"].clear()
    assert len(data.load_mr_split()["train"]) == EXPECTED_SIZES["train"]


def test_texts_and_labels_unzips(mr_split):
    texts, labels = data.texts_and_labels(mr_split["dev"][:3])
    assert list(zip(texts, labels, strict=True)) == mr_split["dev"][:3]


def test_ensure_nltk_finds_every_course_resource():
    found = data.ensure_nltk(*data.NLTK_RESOURCES)
    assert set(found) == set(data.NLTK_RESOURCES)


def test_ensure_nltk_rejects_unknown_names():
    with pytest.raises(ValueError, match="Unknown NLTK resource 'nope'"):
        data.ensure_nltk("nope")


def test_tiny_shakespeare_is_verified_text():
    text = data.tiny_shakespeare()
    assert len(text) == data.TINY_SHAKESPEARE_CHARS
    assert text.startswith("First Citizen:")


def test_corpus_sentences_are_tokenized_and_exclude_mr_evaluation(mr_split):
    sentences = data.corpus_sentences(["inaugural", "mr_train"])
    assert all(s and all(tok == tok.lower() for tok in s) for s in sentences[:1000])
    assert max(len(s) for s in sentences) <= data.MAX_SENTENCE_TOKENS
    held_out = data.mr_evaluation_sentences()
    assert not any(" ".join(s) in held_out for s in sentences)
    train_count = sum(1 for _ in data.iter_corpus_sentences(["mr_train"]))
    assert train_count <= len(mr_split["train"])


def test_corpus_rejects_unknown_sources():
    with pytest.raises(ValueError, match="Unknown corpus source"):
        data.corpus_sentences(["wikipedia_full"])


def test_tokenizer_and_sentence_splitter():
    assert data.tokenize_words("Don't stop — a well-made café, 2 stars!") == [
        "don't", "stop", "a", "well-made", "café", "2", "stars",
    ]  # fmt: skip
    assert data.split_sentences("One. Two!  Three? four") == ["One.", "Two!", "Three?", "four"]
    assert [len(c) for c in data.chunk(list(range(2500)), 1000)] == [1000, 1000, 500]


# --- the offline error paths: no network, no mirror -------------------------------------


@pytest.fixture
def no_data_anywhere(monkeypatch, tmp_path):
    """A machine with no NLTK data, no mirror, an empty cache and no network."""
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path / "empty_nltk_data")])
    monkeypatch.setattr(data, "_nltk_download", lambda name: "network is unreachable")

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data.urllib.request, "urlopen", no_network)
    data._cached_mr_split.cache_clear()
    yield
    data._cached_mr_split.cache_clear()


def _assert_explains_both_fixes(message: str, resource: str) -> None:
    assert resource in message
    assert "python -m course_utils data" in message
    assert "NLTK_DATA" in message and "COURSE_DATA_MIRROR" in message


@pytest.mark.usefixtures("no_data_anywhere")
def test_ensure_nltk_error_names_resource_and_fixes():
    with pytest.raises(data.DataUnavailableError) as error:
        data.ensure_nltk("sentence_polarity", "wordnet")
    _assert_explains_both_fixes(str(error.value), "sentence_polarity")
    assert "wordnet" in str(error.value)


@pytest.mark.usefixtures("no_data_anywhere")
def test_load_mr_split_without_data_raises():
    with pytest.raises(data.DataUnavailableError) as error:
        data.load_mr_split()
    _assert_explains_both_fixes(str(error.value), "sentence_polarity")


@pytest.mark.usefixtures("no_data_anywhere")
def test_corpus_sentences_without_data_raises():
    with pytest.raises(data.DataUnavailableError) as error:
        data.corpus_sentences(["brown"])
    _assert_explains_both_fixes(str(error.value), "brown")


@pytest.mark.usefixtures("no_data_anywhere")
def test_tiny_shakespeare_without_data_raises():
    with pytest.raises(data.DataUnavailableError) as error:
        data.tiny_shakespeare()
    _assert_explains_both_fixes(str(error.value), "tinyshakespeare/input.txt")


def test_offline_flag_skips_the_network(monkeypatch, tmp_path):
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(data.OFFLINE_ENV, "1")

    def must_not_be_called(*args, **kwargs):
        raise AssertionError("the network was used although COURSE_OFFLINE=1")

    monkeypatch.setattr(data.urllib.request, "urlopen", must_not_be_called)
    with pytest.raises(data.DataUnavailableError, match="COURSE_OFFLINE"):
        data.tiny_shakespeare()


# --- downloads are verified and atomic ------------------------------------------------


def _fake_remote(payload: bytes) -> data.RemoteFile:
    return data.RemoteFile(
        name="toy file",
        url="https://example.invalid/toy.txt",
        sha256=hashlib.sha256(payload).hexdigest(),
        mirror_path="toy/toy.txt",
    )


def test_fetch_file_downloads_verifies_and_caches(monkeypatch, tmp_path):
    payload = b"hello course\n"
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    path = data.fetch_file(_fake_remote(payload))
    assert path == tmp_path / "toy" / "toy.txt"
    assert path.read_bytes() == payload
    assert not list(path.parent.glob("*.part"))


def test_fetch_file_refuses_a_corrupt_download(monkeypatch, tmp_path):
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"evil"))
    with pytest.raises(data.DataUnavailableError, match="sha256"):
        data.fetch_file(_fake_remote(b"expected"))
    assert not (tmp_path / "toy" / "toy.txt").exists()


def test_corrupt_mirror_file_is_reported(monkeypatch, tmp_path):
    remote = _fake_remote(b"expected")
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "toy.txt").write_bytes(b"tampered")
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="corrupt"):
        data.fetch_file(remote)


def test_atomic_write_gives_normal_permissions(tmp_path):
    path = tmp_path / "sub" / "file.bin"
    data.atomic_write_bytes(path, b"abc")
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"abc")
    assert path.read_bytes() == b"abc"
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


# --- offline advice, mistyped paths, proxies ---------------------------------------------


@pytest.mark.usefixtures("no_data_anywhere")
def test_offline_advice_says_to_unset_the_flag_instead_of_repeating_the_command(monkeypatch):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.raises(data.DataUnavailableError) as error:
        data.ensure_nltk("inaugural")
    message = str(error.value)
    assert "with a network:  unset COURSE_OFFLINE (it forbids every download)" in message
    assert "with a network:  python -m course_utils data" not in message


@pytest.mark.usefixtures("no_data_anywhere")
def test_a_mistyped_mirror_is_named_in_the_message(monkeypatch, tmp_path):
    typo = tmp_path / "course-dta"
    monkeypatch.setenv(data.MIRROR_ENV, str(typo))
    with pytest.raises(data.DataUnavailableError) as error:
        data.ensure_nltk("inaugural")
    assert f"Note: COURSE_DATA_MIRROR={typo} points to no folder: check the path." in str(
        error.value
    )


def test_environment_problems_name_each_variable(monkeypatch, tmp_path):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path / "empty"))
    monkeypatch.setenv(data.NLTK_DATA_ENV, os.pathsep.join([str(tmp_path), str(tmp_path / "x")]))
    problems = data.environment_problems()
    assert "holds none of nltk_data, tinyshakespeare/" in problems[data.MIRROR_ENV]
    assert problems[data.NLTK_DATA_ENV] == (
        f"NLTK_DATA entry {tmp_path / 'x'} points to no folder: check the path."
    )
    (tmp_path / "empty" / "nltk_data").mkdir()
    monkeypatch.setenv(data.NLTK_DATA_ENV, str(tmp_path / "empty" / "nltk_data"))
    assert data.environment_problems() == {}


@pytest.mark.usefixtures("no_data_anywhere")
def test_a_proxy_nltk_refuses_is_explained_in_one_line(monkeypatch):
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(data.NLTK_PROXY_OPT_IN_ENV, raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")

    def must_not_be_called(name):
        raise AssertionError("NLTK was asked to download through a proxy it refuses")

    monkeypatch.setattr(data, "_nltk_download", must_not_be_called)
    with pytest.raises(data.DataUnavailableError) as error:
        data.ensure_nltk("inaugural", "brown")
    reason = next(line for line in str(error.value).splitlines() if "proxy" in line)
    assert "NLTK_ALLOW_PROXIED_URLOPEN=1" in reason and "offline mirror" in reason
    assert "CWE" not in str(error.value)
    monkeypatch.setenv(data.NLTK_PROXY_OPT_IN_ENV, "1")
    assert data.proxy_refusal() is None


@pytest.mark.usefixtures("no_data_anywhere")
def test_a_failed_download_is_tried_once_and_reported_once(monkeypatch):
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(data, "proxy_refusal", lambda: None)
    calls = []
    monkeypatch.setattr(data, "_nltk_download", lambda name: calls.append(name) or "timed out")
    with pytest.raises(data.DataUnavailableError) as error:
        data.ensure_nltk("inaugural", "brown", "abc")
    assert calls == ["inaugural"]
    assert str(error.value).count("Downloading failed: timed out") == 1


def test_nltk_download_errors_become_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))

    def failing_download(name, *, print_error_to, **options):
        print_error_to.write(
            "[nltk_data] Error loading abc: <urlopen error\n[nltk_data]     no route>\n"
        )
        return False

    monkeypatch.setattr(nltk, "download", failing_download)
    assert data._nltk_download("abc") == "Error loading abc: <urlopen error no route>"


# --- damaged and linked mirrors --------------------------------------------------------

MIRROR = Path(os.environ.get(data.MIRROR_ENV, "/nonexistent"))
needs_mirror = pytest.mark.skipif(
    not (MIRROR / "nltk_data").is_dir(), reason="needs the offline mirror (COURSE_DATA_MIRROR)"
)
#: A zip cut to this many bytes loses its central directory (a download that stopped).
TRUNCATED_BYTES = 100_000


def _fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "nltk_data"
    (root / "corpora").mkdir(parents=True)
    return root


@needs_mirror
def test_a_truncated_corpus_zip_names_the_file(monkeypatch, tmp_path):
    root = _fake_root(tmp_path)
    damaged = root / "corpora" / "inaugural.zip"
    damaged.write_bytes(
        (MIRROR / "nltk_data/corpora/inaugural.zip").read_bytes()[:TRUNCATED_BYTES]
    )
    monkeypatch.setattr(nltk.data, "path", [str(root), str(MIRROR / "nltk_data")])
    for load in (
        lambda: data.nltk_resource_location("inaugural"),
        lambda: data.ensure_nltk("inaugural"),
        lambda: data.corpus_sentences(["inaugural"]),
    ):
        with pytest.raises(data.DataUnavailableError) as error:
            load()
        assert "NLTK resource inaugural is damaged (BadZipFile" in str(error.value)
        assert str(damaged) in str(error.value) and "python -m course_utils data" in str(
            error.value
        )


@needs_mirror
def test_a_corrupt_member_found_while_reading_names_the_resource():
    def reader():
        yield ["first", "sentence"]
        raise zlib.error("Error -3 while decompressing data")

    rows = data.read_resource("inaugural", reader())
    assert next(rows) == ["first", "sentence"]
    with pytest.raises(data.DataUnavailableError) as error:
        next(rows)
    assert "NLTK resource inaugural is damaged (error: Error -3" in str(error.value)
    assert "inaugural.zip" in str(error.value)


@needs_mirror
def test_a_mirror_of_symlinks_is_followed(monkeypatch, tmp_path):
    root = _fake_root(tmp_path)
    real = MIRROR / "nltk_data" / "corpora" / "inaugural.zip"
    (root / "corpora" / "inaugural.zip").symlink_to(real)
    monkeypatch.setattr(nltk.data, "path", [str(root)])
    location = data.nltk_resource_location("inaugural")
    assert location is not None and location.startswith(str(real.resolve()))
    text = nltk.data.find("corpora/inaugural.zip/inaugural/1789-Washington.txt").open().read()
    assert text.startswith(b"Fellow-Citizens of the Senate")


def test_corpus_sources_must_be_a_list_not_a_string():
    with pytest.raises(TypeError, match=r"a list of corpus sources, e.g. \['inaugural'\]"):
        data.corpus_sentences("inaugural")


@needs_mirror
def test_the_tools_report_a_damaged_mirror_zip_and_go_on(tmp_path):
    root = _fake_root(tmp_path)
    damaged = root / "corpora" / "brown.zip"
    damaged.write_bytes((MIRROR / "nltk_data/corpora/brown.zip").read_bytes()[:TRUNCATED_BYTES])
    shutil.copy(MIRROR / "nltk_data/corpora/inaugural.zip", root / "corpora")
    env = {
        **os.environ,
        data.NLTK_DATA_ENV: str(root),
        data.MIRROR_ENV: str(tmp_path),
        data.CACHE_ENV: str(tmp_path / "cache"),
        data.OFFLINE_ENV: "1",
    }
    doctor = subprocess.run(
        [sys.executable, "-m", "course_utils", "doctor"], capture_output=True, text=True, env=env
    )
    assert doctor.returncode == 1 and "Traceback" not in doctor.stdout + doctor.stderr
    assert "✗ data: brown: NLTK resource brown is damaged" in doctor.stdout
    assert str(damaged) in doctor.stdout and "✓ data: inaugural" in doctor.stdout
    assert doctor.stdout.count("fix: unset COURSE_OFFLINE") == 1, "one fix line for all"
    staging = subprocess.run(
        [sys.executable, "-m", "course_utils", "data"], capture_output=True, text=True, env=env
    )
    assert staging.returncode == 1 and "Traceback" not in staging.stdout + staging.stderr
