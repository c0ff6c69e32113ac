"""Benchmarks for word vectors: Google analogies, WordSim-353 and SimLex-999.

Taught in notebooks 03 and 04; the same code scores our vectors, gensim's and downloaded
GloVe files (any gensim ``KeyedVectors``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from gensim.test.utils import datapath
from scipy import stats

from course_utils.vectors.word2vec import _check_positive

__all__ = [
    "ANALOGY_BATCH",
    "ANALOGY_FILE",
    "ANALOGY_RESTRICT_VOCAB",
    "ANALOGY_WORDS",
    "COMMENT_MARK",
    "MIN_CORRELATION_PAIRS",
    "PAIR_FIELDS",
    "SECTION_MARK",
    "SIMILARITY_FILES",
    "SIMILARITY_RESTRICT_VOCAB",
    "SYNTACTIC_PREFIX",
    "AnalogyResult",
    "SimilarityResult",
    "analogy",
    "benchmark_summary",
    "evaluate_analogies",
    "evaluate_similarity",
    "top_words",
]

ANALOGY_FILE = "questions-words.txt"
#: Section names of the Google analogy set starting with this are syntactic, the rest semantic.
SYNTACTIC_PREFIX = "gram"
SECTION_MARK = ": "
#: An analogy question a : b :: c : d has four words; a rated pair has three fields.
ANALOGY_WORDS = 4
PAIR_FIELDS = 3
#: Analogies consider only the most frequent words, as in Mikolov et al. (2013) and gensim.
ANALOGY_RESTRICT_VOCAB = 30_000
#: gensim's default vocabulary limit for similarity benchmarks.
SIMILARITY_RESTRICT_VOCAB = 300_000
SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
#: Fewer scored pairs than this give no correlation (NaN).
MIN_CORRELATION_PAIRS = 3
COMMENT_MARK = "#"
#: Analogy questions scored per matrix product (bounds memory: batch x vocabulary floats).
ANALOGY_BATCH = 512


def _case_insensitive_vocab(kv: KeyedVectors, restrict_vocab: int) -> dict[str, int]:
    """Upper-cased key -> index of its most frequent spelling among the first words (gensim)."""
    return {key.upper(): kv.get_index(key) for key in reversed(kv.index_to_key[:restrict_vocab])}


@dataclass(frozen=True)
class AnalogyResult:
    """Google analogy accuracy (3CosAdd) split into semantic and syntactic. Notebook 03.

    ``sections`` maps each section to (correct, answered); ``skipped`` counts questions
    with a word outside the restricted vocabulary (never answered, never an error).
    """

    semantic_correct: int
    semantic_total: int
    syntactic_correct: int
    syntactic_total: int
    skipped: int
    sections: dict[str, tuple[int, int]]

    @property
    def semantic_accuracy(self) -> float:
        """Share of answered semantic questions solved (NaN when none was answered)."""
        return _ratio(self.semantic_correct, self.semantic_total)

    @property
    def syntactic_accuracy(self) -> float:
        """Share of answered syntactic questions solved (NaN when none was answered)."""
        return _ratio(self.syntactic_correct, self.syntactic_total)

    @property
    def accuracy(self) -> float:
        """Share of all answered questions solved (gensim's "Total accuracy")."""
        return _ratio(
            self.semantic_correct + self.syntactic_correct,
            self.semantic_total + self.syntactic_total,
        )


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def _read_analogies(path: str | Path) -> list[tuple[str, list[list[str]]]]:
    """(section name, [[A, B, C, D], ...]) per ': section' of an analogy file, upper-cased."""
    sections: list[tuple[str, list[list[str]]]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith(SECTION_MARK):
                sections.append((line[len(SECTION_MARK) :].strip(), []))
                continue
            words = line.upper().split()
            if len(words) != ANALOGY_WORDS:
                continue
            if not sections:
                raise ValueError(f"{path}, line {number}: a question before any ': section' line.")
            sections[-1][1].append(words)
    return sections


def evaluate_analogies(
    kv: KeyedVectors,
    restrict_vocab: int = ANALOGY_RESTRICT_VOCAB,
    path: str | Path | None = None,
) -> AnalogyResult:
    """Score the Google analogy set (a : b :: c : ?) with 3CosAdd, as gensim does. Notebook 03.

    Only the ``restrict_vocab`` most frequent words take part (questions with another
    word are skipped and counted); case-insensitive. The answer is the nearest word to
    ``b - a + c`` (unit vectors) other than a, b, c. Same numbers as gensim's
    ``evaluate_word_analogies``, computed in batches. An all-zero vector (e.g. a word
    with no positive PPMI) counts as orthogonal to everything instead of giving NaN.
    """
    ok_vocab = _case_insensitive_vocab(kv, restrict_vocab)
    limit = min(restrict_vocab, len(kv))
    # Each candidate's group: the index of its most frequent same-case-insensitive spelling.
    group = np.array([ok_vocab[key.upper()] for key in kv.index_to_key[:limit]])
    kv.fill_norms()
    norms = _nonzero(kv.norms)
    candidates = kv.vectors[:limit]
    unit = kv.vectors / norms[:, None]
    counts: dict[str, tuple[int, int]] = {}
    skipped = 0
    for name, questions in _read_analogies(path or datapath(ANALOGY_FILE)):
        known = [q for q in questions if all(word in ok_vocab for word in q)]
        skipped += len(questions) - len(known)
        index = np.array([[ok_vocab[word] for word in q] for q in known], dtype=np.int64)
        correct = 0
        for start in range(0, len(index), ANALOGY_BATCH):
            a, b, c, expected = index[start : start + ANALOGY_BATCH].T
            query = unit[b] + unit[c] - unit[a]
            query /= _nonzero(np.linalg.norm(query, axis=1, keepdims=True))
            scores = (query @ candidates.T) / norms[:limit]
            for column in (a, b, c):
                scores[group[None, :] == column[:, None]] = -np.inf
            correct += int(np.sum(group[scores.argmax(axis=1)] == expected))
        counts[name] = (correct, len(known))
    semantic = [value for name, value in counts.items() if not name.startswith(SYNTACTIC_PREFIX)]
    syntactic = [value for name, value in counts.items() if name.startswith(SYNTACTIC_PREFIX)]
    return AnalogyResult(
        semantic_correct=sum(c for c, _ in semantic),
        semantic_total=sum(t for _, t in semantic),
        syntactic_correct=sum(c for c, _ in syntactic),
        syntactic_total=sum(t for _, t in syntactic),
        skipped=skipped,
        sections=counts,
    )


@dataclass(frozen=True)
class SimilarityResult:
    """Correlation of cosine similarity with human ratings on one benchmark. Notebook 03.

    ``pairs`` were scored; ``skipped`` had a word outside the vocabulary.
    """

    spearman: float
    pearson: float
    pairs: int
    skipped: int


def _read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """(WORD, WORD, rating) per ``word<TAB>word<TAB>rating`` line; '#' lines are comments."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").split("\t")
            if line.startswith(COMMENT_MARK) or len(fields) != PAIR_FIELDS:
                continue
            try:
                rating = float(fields[2])
            except ValueError as error:
                raise ValueError(f"{path}, line {number}: the rating is not a number.") from error
            pairs.append((fields[0].strip().upper(), fields[1].strip().upper(), rating))
    return pairs


def evaluate_similarity(
    kv: KeyedVectors,
    restrict_vocab: int = SIMILARITY_RESTRICT_VOCAB,
    datasets: dict[str, str | Path] | None = None,
) -> dict[str, SimilarityResult]:
    """Spearman (and Pearson) correlation with WordSim-353 and SimLex-999. Notebook 03.

    Case-insensitive, like gensim's ``evaluate_word_pairs``; pairs with an unknown word
    are skipped and counted; an all-zero vector has similarity 0 to everything.
    ``datasets`` maps names to files (default: gensim's copies).
    """
    ok_vocab = _case_insensitive_vocab(kv, restrict_vocab)
    files = datasets or {name: datapath(file) for name, file in SIMILARITY_FILES.items()}
    results = {}
    for name, path in files.items():
        pairs = _read_pairs(path)
        known = [(a, b, gold) for a, b, gold in pairs if a in ok_vocab and b in ok_vocab]
        gold = np.array([score for _, _, score in known])
        model = np.array([_cosine(kv, ok_vocab[a], ok_vocab[b]) for a, b, _ in known])
        enough = len(known) >= MIN_CORRELATION_PAIRS
        results[name] = SimilarityResult(
            spearman=float(stats.spearmanr(gold, model).statistic) if enough else math.nan,
            pearson=float(stats.pearsonr(gold, model).statistic) if enough else math.nan,
            pairs=len(known),
            skipped=len(pairs) - len(known),
        )
    return results


def _nonzero(norms: np.ndarray) -> np.ndarray:
    """Norms with zeros replaced by 1, so that a zero vector stays zero when normalized."""
    return np.where(norms > 0, norms, 1.0).astype(norms.dtype)


def _cosine(kv: KeyedVectors, i: int, j: int) -> float:
    first, second = kv.vectors[i], kv.vectors[j]
    return float(
        np.dot(first, second) / (_nonzero(np.linalg.norm(first) * np.linalg.norm(second)))
    )


def analogy(kv: KeyedVectors, a: str, b: str, c: str, topn: int = 3) -> list[tuple[str, float]]:
    """Words nearest to ``b - a + c`` (a is to b as c is to ?), inputs excluded. Notebook 03.

    ``analogy(kv, "man", "king", "woman")`` asks for the "queen" of "king - man + woman";
    an unknown word raises a ValueError that names it.
    """
    missing = [word for word in (a, b, c) if word not in kv.key_to_index]
    if missing:
        raise ValueError(f"not in the vocabulary: {missing}; try other (more frequent) words.")
    return kv.most_similar(positive=[b, c], negative=[a], topn=topn)


def top_words(kv: KeyedVectors, n: int) -> KeyedVectors:
    """The first ``n`` (most frequent) words of ``kv`` and their vectors. Notebook 03.

    What a shipped file keeps, and how notebook 03 compares models on the same words.
    """
    _check_positive(n=n)
    words = kv.index_to_key[:n]
    result = KeyedVectors(vector_size=kv.vector_size)
    result.add_vectors(words, kv.vectors[: len(words)].copy())
    return result


def benchmark_summary(
    kv: KeyedVectors, restrict_vocab: int = ANALOGY_RESTRICT_VOCAB
) -> dict[str, float | int]:
    """Every benchmark of notebook 03 in one flat dict (a table row, a provenance entry).

    Analogy accuracies (semantic, syntactic, total over answered questions, as gensim
    reports them) among the ``restrict_vocab`` most frequent words, answered and skipped
    counts, and the WordSim-353 / SimLex-999 Spearman correlations with their pair counts.
    """
    analogies = evaluate_analogies(kv, restrict_vocab=restrict_vocab)
    summary: dict[str, float | int] = {
        "analogy_semantic": analogies.semantic_accuracy,
        "analogy_syntactic": analogies.syntactic_accuracy,
        "analogy_total": analogies.accuracy,
        "analogy_answered": analogies.semantic_total + analogies.syntactic_total,
        "analogy_skipped": analogies.skipped,
    }
    for name, result in evaluate_similarity(kv).items():
        summary[name] = result.spearman
        summary[f"{name}_pairs"] = result.pairs
    return summary
