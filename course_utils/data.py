"""Data layer: the MR split, the course corpus, Tiny Shakespeare and NLTK resources.

Taught in notebook 00 (the running task and its split). Every loader reads local data
first (NLTK's search path, ``COURSE_DATA_MIRROR``, the course cache), downloads what is
missing when a network is there, verifies it (sha256) and writes it atomically, and
otherwise raises :class:`DataUnavailableError` with the exact fixes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import tempfile
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from course_utils import validation

__all__ = [
    "CACHE_ENV",
    "CORPUS_SOURCES",
    "DAMAGED_ARCHIVE_ERRORS",
    "DEFAULT_CACHE",
    "DEV_FRACTION",
    "DOWNLOAD_TIMEOUT_S",
    "FILE_MODE",
    "HASH_CHUNK_BYTES",
    "HF_HUB_HOST",
    "MAX_SENTENCE_TOKENS",
    "MAX_SPLIT_SEED",
    "MIRROR_ENV",
    "MIRROR_FOLDERS",
    "MR_SPLIT_SHA256",
    "NEGATIVE",
    "NLTK_DATA_ENV",
    "NLTK_MESSAGE_PREFIX",
    "NLTK_PROXY_OPT_IN_ENV",
    "NLTK_RESOURCES",
    "OFFLINE_ENV",
    "OFFLINE_VARIABLES",
    "POSITIVE",
    "PROBE_TIMEOUT_S",
    "REPLACE_DAMAGED",
    "SENTENCE_END",
    "SENTENCE_SOURCES",
    "SPLIT_NAMES",
    "SPLIT_SEED",
    "TEST_FRACTION",
    "TINY_SHAKESPEARE",
    "TINY_SHAKESPEARE_CHARS",
    "TRUE_VALUES",
    "WORD_PATTERN",
    "DataUnavailableError",
    "Example",
    "RemoteFile",
    "T",
    "atomic_write_bytes",
    "cache_dir",
    "chunk",
    "corpus_sentences",
    "ensure_nltk",
    "environment_problems",
    "fetch_file",
    "iter_corpus_documents",
    "iter_corpus_sentences",
    "load_mr_split",
    "locate_file",
    "make_mr_split",
    "mirror_dir",
    "mr_evaluation_sentences",
    "network_allowed",
    "nltk_resource_location",
    "offline_variable",
    "proxy_refusal",
    "read_resource",
    "sha256_of",
    "split_digest",
    "split_sentences",
    "texts_and_labels",
    "tiny_shakespeare",
    "tokenize_words",
]

MIRROR_ENV = "COURSE_DATA_MIRROR"
CACHE_ENV = "COURSE_DATA_CACHE"
OFFLINE_ENV = "COURSE_OFFLINE"
#: Each of these set to yes asks for no network: the course's own, then Hugging Face's.
OFFLINE_VARIABLES = (OFFLINE_ENV, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
#: The Hugging Face hub, where the optional hub models of notebooks 08, 09 and 11 come from.
HF_HUB_HOST = ("huggingface.co", 443)
#: How long :func:`network_allowed` waits for a host to answer.
PROBE_TIMEOUT_S = 3.0
NLTK_DATA_ENV = "NLTK_DATA"
#: NLTK downloads nothing through a web proxy unless this is set (its SSRF protection).
NLTK_PROXY_OPT_IN_ENV = "NLTK_ALLOW_PROXIED_URLOPEN"
#: Values of a yes/no environment variable that mean yes.
TRUE_VALUES = frozenset({"1", "true", "yes"})
#: What the top folder of a mirror holds (see ``../shared/course-data/README.md``).
MIRROR_FOLDERS = ("nltk_data", "tinyshakespeare")
#: NLTK's downloader starts every line it prints with this.
NLTK_MESSAGE_PREFIX = "[nltk_data]"
#: What reading a damaged zip raises: a bad archive, a corrupt deflate stream, a cut file.
DAMAGED_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)
DEFAULT_CACHE = Path.home() / ".cache" / "from-rules-to-gpt"
DOWNLOAD_TIMEOUT_S = 30
HASH_CHUNK_BYTES = 1 << 20
#: Permissions of the files the course writes (before the umask), like ``open(..., "w")``.
FILE_MODE = 0o666

# ---------------------------------------------------------------------------
# Errors and environment
# ---------------------------------------------------------------------------


class DataUnavailableError(RuntimeError):
    """A data set is neither on this machine nor downloadable; the message says how to fix it."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in TRUE_VALUES


def offline_variable() -> str | None:
    """The first of :data:`OFFLINE_VARIABLES` set to yes (``COURSE_OFFLINE`` first), or None."""
    return next((name for name in OFFLINE_VARIABLES if _env_flag(name)), None)


def network_allowed(host: tuple[str, int] | None = None, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """The course's one offline rule: may this code use the network now?

    False at once, without touching the network, when ``COURSE_OFFLINE`` (or Hugging Face's
    ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``) asks for no network: a classroom without
    one. Otherwise True; given a ``host``, only when it answers within ``timeout`` seconds,
    so an optional download is skipped at once instead of hanging. Every notebook and module
    asks this function.
    """
    if offline_variable() is not None:
        return False
    if host is None:
        return True
    try:
        socket.create_connection(host, timeout=timeout).close()
    except OSError:
        return False
    return True


def mirror_dir() -> Path | None:
    """The offline mirror named by ``COURSE_DATA_MIRROR``, if it is set and exists."""
    value = os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def cache_dir() -> Path:
    """Where the course keeps what it downloads (``COURSE_DATA_CACHE`` overrides)."""
    return Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE)).expanduser()


def environment_problems() -> dict[str, str]:
    """What is wrong with the data variables, by variable: ``COURSE_DATA_MIRROR`` or an
    ``NLTK_DATA`` entry that points to no folder (a typo is otherwise ignored silently), or
    a mirror folder that holds none of the mirror's folders. Empty when all is well."""
    problems = {}
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        path = Path(mirror).expanduser()
        if not path.is_dir():
            problems[MIRROR_ENV] = f"{MIRROR_ENV}={mirror} points to no folder: check the path."
        elif not any((path / folder).is_dir() for folder in MIRROR_FOLDERS):
            problems[MIRROR_ENV] = (
                f"{MIRROR_ENV}={mirror} holds none of {', '.join(MIRROR_FOLDERS)}/: point it "
                "at the mirror's top folder."
            )
    nowhere = [
        entry
        for entry in os.environ.get(NLTK_DATA_ENV, "").split(os.pathsep)
        if entry and not Path(entry).expanduser().is_dir()
    ]
    if nowhere:
        problems[NLTK_DATA_ENV] = (
            f"{NLTK_DATA_ENV} entry {', '.join(nowhere)} points to no folder: check the path."
        )
    return problems


def _fixes(what: str, download_hint: str) -> str:
    network = (
        f"unset {offline_variable()} (it forbids every download), then run "
        "python -m course_utils data"
        if not network_allowed()
        else f"python -m course_utils data   (or: {download_hint})"
    )
    notes = "".join(f"Note: {problem}\n" for problem in environment_problems().values())
    return (
        f"{what}\n"
        f"{notes}"
        "Fix it in one of two ways:\n"
        f"  * with a network:  {network}\n"
        "  * offline:         point the course at a prepared mirror, e.g.\n"
        f'      export {NLTK_DATA_ENV}="/path/to/course-data/nltk_data"\n'
        f'      export {MIRROR_ENV}="/path/to/course-data"\n'
        "    (the repository's CI uses ../shared/course-data; see the README, 'Offline')."
    )


#: The fix for a damaged data file (the second line of its error message).
REPLACE_DAMAGED = (
    "Replace it: delete it and run python -m course_utils data (a fresh download), or copy it "
    "again from a good mirror."
)


def _damaged(what: str, path: object, error: Exception) -> str:
    """The message for a damaged data file: which file, what is wrong, how to replace it."""
    return f"{what} is damaged ({type(error).__name__}: {error}): {path}.\n{REPLACE_DAMAGED}"


# ---------------------------------------------------------------------------
# NLTK resources
# ---------------------------------------------------------------------------

#: Every NLTK resource the course uses: downloader id -> path inside ``nltk_data``.
NLTK_RESOURCES: dict[str, str] = {
    "sentence_polarity": "corpora/sentence_polarity",
    "movie_reviews": "corpora/movie_reviews",
    "subjectivity": "corpora/subjectivity",
    "opinion_lexicon": "corpora/opinion_lexicon",
    "vader_lexicon": "sentiment/vader_lexicon",
    "stopwords": "corpora/stopwords",
    "wordnet": "corpora/wordnet",
    "brown": "corpora/brown",
    "abc": "corpora/abc",
    "state_union": "corpora/state_union",
    "webtext": "corpora/webtext",
    "inaugural": "corpora/inaugural",
    "treebank": "corpora/treebank",
    "words": "corpora/words",
    "porter_test": "stemmers/porter_test",
    "universal_tagset": "taggers/universal_tagset",
}


def _configure_nltk_path() -> None:
    """Let NLTK also search the mirror's ``nltk_data`` and the course cache, and follow
    the symlinks among the course's resources (:func:`_follow_symlinks`)."""
    import nltk

    extra = [cache_dir() / "nltk_data"]
    mirror = mirror_dir()
    if mirror is not None:
        extra.insert(0, mirror / "nltk_data")
    for path in extra:
        if str(path) not in nltk.data.path:
            nltk.data.path.append(str(path))
    _follow_symlinks()


def _follow_symlinks() -> None:
    """Search first the ``nltk_data`` folder that each linked course resource really lives in.

    NLTK refuses to open a file through a symlink (its guard against swapped links), so a
    mirror made of links, e.g. by ``cp -rs``, looked "missing". When a resource on NLTK's
    search path is a link to the same relative path under another folder, that folder goes
    just before the link's own, and NLTK opens the real file.
    """
    import nltk

    for root in [Path(entry) for entry in list(nltk.data.path) if isinstance(entry, str)]:
        for path in NLTK_RESOURCES.values():
            for relative in (Path(path), Path(f"{path}.zip")):
                candidate = root / relative
                if not candidate.is_symlink():
                    continue
                target = candidate.resolve()
                if target.parts[-len(relative.parts) :] != relative.parts:
                    continue
                target_root = str(target.parents[len(relative.parts) - 1])
                link_index = nltk.data.path.index(str(root))
                if target_root in nltk.data.path[:link_index]:
                    continue
                if target_root in nltk.data.path:
                    nltk.data.path.remove(target_root)
                nltk.data.path.insert(nltk.data.path.index(str(root)), target_root)


def _damaged_archive(path: str) -> Path | None:
    """The first zip of resource ``path`` on NLTK's search path that is not a readable zip."""
    import nltk

    for root in nltk.data.path:
        candidate = Path(str(root)) / f"{path}.zip"
        if candidate.is_file() and not zipfile.is_zipfile(candidate):
            return candidate
    return None


def nltk_resource_location(name: str) -> str | None:
    """Where NLTK finds resource ``name`` (a downloader id), or None if it is missing.

    A damaged archive (a cut or corrupt zip) raises :class:`DataUnavailableError` naming
    the file.
    """
    import nltk

    if name not in NLTK_RESOURCES:
        known = ", ".join(sorted(NLTK_RESOURCES))
        raise ValueError(f"Unknown NLTK resource {name!r}. Known resources: {known}.")
    _configure_nltk_path()
    path = NLTK_RESOURCES[name]
    for candidate in (path, f"{path}.zip"):
        try:
            return str(nltk.data.find(candidate))
        except LookupError:
            continue
        except DAMAGED_ARCHIVE_ERRORS as error:
            where = _damaged_archive(path) or f"{path}.zip on NLTK's data path"
            raise DataUnavailableError(_damaged(f"NLTK resource {name}", where, error)) from None
    return None


T = TypeVar("T")


def read_resource(name: str, items: Iterable[T]) -> Iterator[T]:
    """Yield ``items`` read from NLTK resource ``name``; a damaged archive found only while
    reading (a corrupt member) raises :class:`DataUnavailableError` naming the file."""
    try:
        yield from items
    except DAMAGED_ARCHIVE_ERRORS as error:
        raise DataUnavailableError(
            _damaged(f"NLTK resource {name}", nltk_resource_location(name), error)
        ) from None


def proxy_refusal() -> str | None:
    """One line on why NLTK downloads nothing here, when a web proxy would carry its
    downloads and nobody opted in to trusting it; None otherwise."""
    from nltk.downloader import Downloader

    host = urllib.parse.urlsplit(Downloader.DEFAULT_URL).hostname or ""
    proxies = urllib.request.getproxies()
    proxied = any(proxies.get(scheme) for scheme in ("http", "https"))
    if not proxied or urllib.request.proxy_bypass(host) or _env_flag(NLTK_PROXY_OPT_IN_ENV):
        return None
    return (
        "NLTK refuses to download through the web proxy set here (HTTPS_PROXY / HTTP_PROXY), "
        f"which it cannot check: set {NLTK_PROXY_OPT_IN_ENV}=1 if you trust the proxy, or use "
        "the offline mirror below."
    )


def _nltk_download(name: str) -> str | None:
    """Download one NLTK resource into the course cache; None on success, else NLTK's
    error as one line (NLTK prints it over several lines per resource; they are kept quiet
    and reported once by :func:`ensure_nltk`)."""
    import nltk

    target = cache_dir() / "nltk_data"
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    errors = io.StringIO()
    try:
        done = nltk.download(name, download_dir=str(target), quiet=True, print_error_to=errors)
    except (OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    if done:
        return None
    words = errors.getvalue().replace(NLTK_MESSAGE_PREFIX, " ").split()
    return " ".join(words) or "NLTK's downloader gave no reason"


def ensure_nltk(*resources: str, download: bool = True) -> dict[str, str]:
    """Make sure NLTK resources are available; return ``{name: location}``.

    Looks on NLTK's search path (``NLTK_DATA``), in the mirror and in the course cache;
    downloads a missing one unless offline (or behind a proxy NLTK refuses; after one failed
    download it tries no more). Raises :class:`DataUnavailableError` naming the missing
    resources, why downloading failed and both fixes; a damaged archive raises it too.
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    may_download = download and network_allowed()
    failure = proxy_refusal() if may_download else None
    for name in resources:
        location = nltk_resource_location(name)
        if location is None and may_download and failure is None:
            failure = _nltk_download(name)  # after one failure, the rest would fail alike
            if failure is None:
                location = nltk_resource_location(name)
        if location is None:
            missing.append(name)
        else:
            found[name] = location
    if missing:
        names = ", ".join(missing)
        paths = ", ".join(NLTK_RESOURCES[name] for name in missing)
        reason = f" Downloading failed: {failure}" if failure else ""
        raise DataUnavailableError(
            _fixes(
                f"NLTK resource(s) {names} ({paths}) not found on this machine.{reason}",
                f"python -m nltk.downloader {' '.join(missing)}",
            )
        )
    return found


# ---------------------------------------------------------------------------
# Files outside NLTK: mirror, cache, verified download
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    """A public file the course downloads: where from, where in a mirror, its sha256."""

    name: str
    url: str
    sha256: str
    mirror_path: str


TINY_SHAKESPEARE = RemoteFile(
    name="Tiny Shakespeare",
    url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    mirror_path="tinyshakespeare/input.txt",
)
TINY_SHAKESPEARE_CHARS = 1_115_394


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so readers never see a half-written file."""
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError(
            f"payload must be bytes, got {type(payload).__name__}; encode text first, e.g. "
            "text.encode('utf-8')."
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as tmp:
        tmp.write(payload)
        tmp_path = Path(tmp.name)
    umask = os.umask(0)
    os.umask(umask)
    tmp_path.chmod(FILE_MODE & ~umask)  # a temporary file is private (0600); make it normal
    os.replace(tmp_path, path)


def locate_file(remote: RemoteFile) -> Path | None:
    """A verified local copy of ``remote`` (mirror first, then cache), or None."""
    _check_remote(remote)
    mirror = mirror_dir()
    candidates = [mirror / remote.mirror_path] if mirror is not None else []
    candidates.append(cache_dir() / remote.mirror_path)
    for path in candidates:
        if not path.is_file():
            continue
        if sha256_of(path) != remote.sha256:
            raise DataUnavailableError(
                f"{remote.name} at {path} is corrupt (sha256 mismatch). Delete it and run "
                "`python -m course_utils data` again, or restore the mirror's copy."
            )
        return path
    return None


def _check_remote(remote: object) -> None:
    if not isinstance(remote, RemoteFile):
        raise TypeError(
            "remote must be a RemoteFile (e.g. data.TINY_SHAKESPEARE), got "
            f"{type(remote).__name__}."
        )


def fetch_file(remote: RemoteFile) -> Path:
    """Return a verified local path of ``remote``, downloading it into the cache if needed."""
    path = locate_file(remote)
    if path is not None:
        return path
    problem = f"{remote.name} ({remote.mirror_path}) is not on this machine"
    if not network_allowed():
        raise DataUnavailableError(
            _fixes(f"{problem} and {offline_variable()} is set.", remote.url)
        )
    try:
        with urllib.request.urlopen(remote.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            payload = response.read()
    except OSError as error:
        raise DataUnavailableError(
            _fixes(f"{problem} and downloading it failed ({error}).", f"download {remote.url}")
        ) from error
    if hashlib.sha256(payload).hexdigest() != remote.sha256:
        raise DataUnavailableError(
            f"Downloaded {remote.name} does not match its sha256; nothing was saved. "
            "Try again later or use a mirror."
        )
    target = cache_dir() / remote.mirror_path
    atomic_write_bytes(target, payload)
    return target


def tiny_shakespeare() -> str:
    """The Tiny Shakespeare text (1,115,394 characters), verified by sha256. Notebook 09."""
    return fetch_file(TINY_SHAKESPEARE).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Tokenization shared by every loader (the course's own; no punkt needed)
# ---------------------------------------------------------------------------

#: A word: letters/digits, with inner apostrophes or hyphens ("don't", "well-made").
WORD_PATTERN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
#: A sentence ends at . ! or ? followed by space (a simple, punkt-free splitter).
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
#: gensim silently truncates longer sentences; chunk long documents below this.
MAX_SENTENCE_TOKENS = 1000


def tokenize_words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` by a regular expression (punctuation dropped)."""
    _check_text(text)
    return WORD_PATTERN.findall(text.lower())


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences at ., ! or ? followed by white space."""
    _check_text(text)
    return [part.strip() for part in SENTENCE_END.split(text) if part.strip()]


def _check_text(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}.")


def chunk(tokens: Sequence[str], max_tokens: int = MAX_SENTENCE_TOKENS) -> Iterator[list[str]]:
    """Cut a long token list into pieces of at most ``max_tokens``."""
    validation.integer("max_tokens", max_tokens, low=1)
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of tokens, not a string; tokenize it first.")
    for start in range(0, len(tokens), max_tokens):
        yield list(tokens[start : start + max_tokens])


# ---------------------------------------------------------------------------
# The running task: MR sentence polarity, one fixed split
# ---------------------------------------------------------------------------

SPLIT_SEED = 20050601  # Pang & Lee, ACL 2005
#: NumPy's legacy RandomState takes seeds of 32 bits.
MAX_SPLIT_SEED = 2**32 - 1
DEV_FRACTION = 0.1
TEST_FRACTION = 0.1
SPLIT_NAMES = ("train", "dev", "test")
POSITIVE, NEGATIVE = 1, 0
#: sha256 of the split's contents (see :func:`split_digest`); pins it across machines.
MR_SPLIT_SHA256 = "57b1edfa5c50103c16b633f5dbccfd9c52320a2566ab396ac099534e58e31294"

Example = tuple[str, int]


def _mr_sentences() -> dict[int, list[str]]:
    ensure_nltk("sentence_polarity")
    from nltk.corpus import sentence_polarity

    return {
        label: [
            " ".join(s)
            for s in read_resource(
                "sentence_polarity", sentence_polarity.sents(categories=category)
            )
        ]
        for label, category in ((POSITIVE, "pos"), (NEGATIVE, "neg"))
    }


def make_mr_split(seed: int = SPLIT_SEED) -> dict[str, list[Example]]:
    """Build the stratified 80/10/10 split of MR from scratch (see :func:`load_mr_split`).

    Each class is permuted with NumPy's legacy ``RandomState`` (its stream is frozen
    across NumPy versions), cut into test/dev/train, then each split is shuffled.
    """
    rng = np.random.RandomState(validation.integer("seed", seed, low=0, high=MAX_SPLIT_SEED))
    parts: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    for label, sentences in _mr_sentences().items():
        order = rng.permutation(len(sentences))
        n_test = round(len(sentences) * TEST_FRACTION)
        n_dev = round(len(sentences) * DEV_FRACTION)
        cuts = {
            "test": order[:n_test],
            "dev": order[n_test : n_test + n_dev],
            "train": order[n_test + n_dev :],
        }
        for name, indices in cuts.items():
            parts[name].extend((sentences[i], label) for i in indices)
    for name in SPLIT_NAMES:
        shuffled = rng.permutation(len(parts[name]))
        parts[name] = [parts[name][i] for i in shuffled]
    return parts


def split_digest(split: dict[str, list[Example]]) -> str:
    """sha256 over every (split, label, sentence) in order: equal digests, equal splits."""
    missing = [name for name in SPLIT_NAMES if not isinstance(split, dict) or name not in split]
    if missing:
        raise ValueError(f"split must map {SPLIT_NAMES} to examples; missing {missing}.")
    digest = hashlib.sha256()
    for name in SPLIT_NAMES:
        for text, label in _checked_examples(split[name]):
            digest.update(f"{name}\t{label}\t{text}\n".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _cached_mr_split() -> dict[str, tuple[Example, ...]]:
    split = make_mr_split()
    digest = split_digest(split)
    if digest != MR_SPLIT_SHA256:
        raise DataUnavailableError(
            "The MR split built on this machine differs from the course's fixed split "
            f"(sha256 {digest[:12]}..., expected {MR_SPLIT_SHA256[:12]}...). The "
            "sentence_polarity corpus on this machine is not the standard v1.0 one: "
            "re-download it (python -m nltk.downloader sentence_polarity) or use the mirror."
        )
    return {name: tuple(examples) for name, examples in split.items()}


def load_mr_split() -> dict[str, list[Example]]:
    """The course's fixed MR split: ``{"train"|"dev"|"test": [(sentence, label)]}``.

    Label 1 = positive, 0 = negative; 8,530 / 1,066 / 1,066 sentences, balanced,
    identical on every machine (checked against a pinned sha256). Notebook 00.
    """
    return {name: list(examples) for name, examples in _cached_mr_split().items()}


def texts_and_labels(examples: Iterable[Example]) -> tuple[list[str], list[int]]:
    """Unzip ``[(text, label)]`` into ``(texts, labels)``."""
    pairs = _checked_examples(examples)
    return [text for text, _ in pairs], [label for _, label in pairs]


def _checked_examples(examples: Iterable[Example]) -> list[Example]:
    """``examples`` as a list, after checking that each is a (text, integer label) pair."""
    if isinstance(examples, str):
        raise TypeError("examples must be a list of (text, label) pairs, not a string.")
    pairs = list(examples)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not isinstance(pair[0], str):
            raise TypeError(f"example {i} must be a (text, label) pair, got {pair!r:.80}.")
        validation.integer(f"the label of example {i}", pair[1])
    return pairs


# ---------------------------------------------------------------------------
# The course corpus: running English text for word vectors and pre-training
# ---------------------------------------------------------------------------

#: Sources of :func:`corpus_sentences`, each tokenized by the course's own tokenizer.
CORPUS_SOURCES = (
    "brown",
    "abc",
    "state_union",
    "webtext",
    "inaugural",
    "movie_reviews",
    "subjectivity",
    "mr_train",
)


def _pretokenized(sents: Iterable[Sequence[str]]) -> Iterator[list[str]]:
    for sentence in sents:
        tokens = tokenize_words(" ".join(sentence))
        if tokens:
            yield tokens


def _running_text(raw_documents: Iterable[str]) -> Iterator[list[str]]:
    for document in raw_documents:
        for sentence in split_sentences(document):
            tokens = tokenize_words(sentence)
            if tokens:
                yield from chunk(tokens)


def _source_sentences(name: str) -> Iterator[list[str]]:
    if name == "mr_train":
        yield from _pretokenized(text.split() for text, _ in load_mr_split()["train"])
        return
    ensure_nltk(name)
    import nltk.corpus

    reader = getattr(nltk.corpus, name)
    if name in {"brown", "subjectivity"}:
        yield from read_resource(name, _pretokenized(reader.sents()))
    else:
        yield from read_resource(
            name, _running_text(reader.raw(fileid) for fileid in reader.fileids())
        )


@lru_cache(maxsize=1)
def mr_evaluation_sentences() -> frozenset[str]:
    """Token strings of every MR dev/test sentence: never used for (pre-)training."""
    split = load_mr_split()
    return frozenset(
        " ".join(tokenize_words(text)) for name in ("dev", "test") for text, _ in split[name]
    )


def _check_sources(names: Sequence[str]) -> None:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(
            f"names must be a list of corpus sources, e.g. [{names!r}], not a "
            f"{type(names).__name__}; choose from {CORPUS_SOURCES}."
        )
    unknown = [name for name in names if name not in CORPUS_SOURCES]
    if unknown:
        raise ValueError(f"Unknown corpus source(s) {unknown}; choose from {CORPUS_SOURCES}.")


def iter_corpus_sentences(names: Sequence[str] = CORPUS_SOURCES) -> Iterator[list[str]]:
    """Stream the course corpus sentence by sentence (see :func:`corpus_sentences`)."""
    _check_sources(names)
    held_out = mr_evaluation_sentences()
    for name in names:
        for sentence in _source_sentences(name):
            if " ".join(sentence) not in held_out:
                yield sentence


def corpus_sentences(names: Sequence[str] = CORPUS_SOURCES) -> list[list[str]]:
    """Tokenized, lower-cased running English text for word vectors and pre-training.

    Sentences of the named sources, long ones chunked to at most 1,000 tokens (gensim
    truncates beyond 10,000), with every MR dev/test sentence removed. Notebook 03.
    """
    return list(iter_corpus_sentences(names))


#: Sources made of single sentences with no surrounding document (one-sentence documents).
SENTENCE_SOURCES = frozenset({"mr_train", "subjectivity"})


def _source_documents(name: str) -> Iterator[list[list[str]]]:
    if name in SENTENCE_SOURCES:
        for sentence in _source_sentences(name):
            yield [sentence]
        return
    ensure_nltk(name)
    import nltk.corpus

    reader = getattr(nltk.corpus, name)
    for fileid in reader.fileids():
        if name == "brown":
            yield list(read_resource(name, _pretokenized(reader.sents(fileid))))
        else:
            yield list(read_resource(name, _running_text([reader.raw(fileid)])))


def iter_corpus_documents(names: Sequence[str] = CORPUS_SOURCES) -> Iterator[list[list[str]]]:
    """Stream the course corpus document by document: lists of consecutive sentences.

    One document per corpus file (a Brown text, a movie review, a speech...), tokenized
    like :func:`corpus_sentences`; ``mr_train`` and ``subjectivity`` sentences come as
    one-sentence documents. MR dev/test sentences are removed. For BERT's next-sentence
    pairs (notebook 08).
    """
    _check_sources(names)
    held_out = mr_evaluation_sentences()
    for name in names:
        for document in _source_documents(name):
            kept = [sentence for sentence in document if " ".join(sentence) not in held_out]
            if kept:
                yield kept
