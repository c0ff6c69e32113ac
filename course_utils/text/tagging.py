"""Part-of-speech tags for the lemmatizer: a small averaged-perceptron tagger trained here
on tagged corpus data in seconds (no pickled download). Notebook 05.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from course_utils.data import ensure_nltk
from course_utils.text.porter import _check_tokens

#: WordNet's part-of-speech codes, the lemmatizer's ``pos`` argument.
NOUN, VERB, ADJECTIVE, ADVERB = "n", "v", "a", "r"
WORDNET_POS = (NOUN, VERB, ADJECTIVE, ADVERB)

if TYPE_CHECKING:
    from nltk.tag.perceptron import AveragedPerceptron

__all__ = [
    "ADJECTIVE",
    "ADVERB",
    "DEFAULT_NUM_ITERATIONS",
    "HELD_OUT_FRACTION",
    "MAX_NUM_ITERATIONS",
    "NOUN",
    "SENTENCE_END",
    "SENTENCE_START",
    "SUFFIX_CHARS",
    "TAGDICT_MIN_COUNT",
    "TAGDICT_MIN_SHARE",
    "TAGGED_CORPORA",
    "TREEBANK_EMPTY_TAG",
    "UNIVERSAL_TO_WORDNET",
    "VERB",
    "WORDNET_POS",
    "YEAR_DIGITS",
    "PosTagger",
    "TaggedSentence",
    "load_tagged_sentences",
    "split_tagged_sentences",
    "tagging_accuracy",
    "train_pos_tagger",
    "wordnet_pos",
]


#: Universal tags of the four classes WordNet knows; every other tag maps to None.
UNIVERSAL_TO_WORDNET: dict[str, str] = {
    "NOUN": NOUN,
    "VERB": VERB,
    "ADJ": ADJECTIVE,
    "ADV": ADVERB,
}
TAGGED_CORPORA = ("treebank", "brown")
#: Penn Treebank's tag for empty elements (traces such as "*T*-1"): not words, dropped.
TREEBANK_EMPTY_TAG = "-NONE-"
HELD_OUT_FRACTION = 0.1
DEFAULT_NUM_ITERATIONS = 5
MAX_NUM_ITERATIONS = 100
#: A word seen this often with one tag this consistently is tagged by lookup (Honnibal).
TAGDICT_MIN_COUNT = 20
TAGDICT_MIN_SHARE = 0.97
SENTENCE_START = ("-START-", "-START2-")
SENTENCE_END = ("-END-", "-END2-")
YEAR_DIGITS = 4
#: The tagger looks at the last three letters of a word ("-ing", "-ous", "-ed").
SUFFIX_CHARS = 3

TaggedSentence = list[tuple[str, str]]


def wordnet_pos(universal_tag: str) -> str | None:
    """WordNet class of a universal tag: NOUN n, VERB v, ADJ a, ADV r, else None. Notebook 05."""
    return UNIVERSAL_TO_WORDNET.get(universal_tag)


def load_tagged_sentences(
    corpus: str = "treebank", max_sentences: int | None = None
) -> list[TaggedSentence]:
    """Sentences of a tagged NLTK corpus as ``[(word, universal_tag)]``. Notebook 05.

    "treebank" (3,914 WSJ sentences; empty elements such as "*T*-1" dropped) or "brown"
    (57,340 sentences), in corpus order; ``max_sentences`` keeps the first ones.
    """
    if corpus not in TAGGED_CORPORA:
        raise ValueError(f"unknown tagged corpus {corpus!r}; choose one of {TAGGED_CORPORA}.")
    if max_sentences is not None and max_sentences < 1:
        raise ValueError(f"max_sentences must be None or at least 1, got {max_sentences}.")
    ensure_nltk(corpus, "universal_tagset")
    import nltk.corpus
    from nltk.tag.mapping import map_tag

    sentences = getattr(nltk.corpus, corpus).tagged_sents()[:max_sentences]
    source = "en-ptb" if corpus == "treebank" else "en-brown"
    tagged = (
        [
            (word, map_tag(source, "universal", tag))
            for word, tag in sentence
            if tag != TREEBANK_EMPTY_TAG
        ]
        for sentence in sentences
    )
    return [sentence for sentence in tagged if sentence]


def split_tagged_sentences(
    sentences: Sequence[TaggedSentence], held_out_fraction: float = HELD_OUT_FRACTION
) -> tuple[list[TaggedSentence], list[TaggedSentence]]:
    """Fixed ``(train, held_out)`` split: the last ``held_out_fraction`` is held out.

    No shuffling, so whole documents stay on one side and the split never changes. Notebook 05.
    """
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}.")
    cut = len(sentences) - round(len(sentences) * held_out_fraction)
    if cut <= 0 or cut >= len(sentences):
        raise ValueError(
            f"{len(sentences)} sentences are too few to hold out {held_out_fraction:.0%}; "
            "pass more sentences."
        )
    return list(sentences[:cut]), list(sentences[cut:])


def _shape(word: str) -> str:
    """The word as the tagger's features see it: numbers and hyphenated words collapse."""
    if "-" in word and not word.startswith("-"):
        return "!HYPHEN"
    if word.isdigit() and len(word) == YEAR_DIGITS:
        return "!YEAR"
    if word[:1].isdigit():
        return "!DIGITS"
    return word.lower()


def _features(
    index: int, word: str, context: Sequence[str], prev: str, prev2: str
) -> dict[str, int]:
    """Honnibal's tagger features for the word at ``index`` of ``context`` (padded)."""
    i = index + len(SENTENCE_START)
    names = (
        "bias",
        f"i suffix {word[-SUFFIX_CHARS:]}",
        f"i pref1 {word[:1]}",
        f"i-1 tag {prev}",
        f"i-2 tag {prev2}",
        f"i tag+i-2 tag {prev} {prev2}",
        f"i word {context[i]}",
        f"i-1 tag+i word {prev} {context[i]}",
        f"i-1 word {context[i - 1]}",
        f"i-1 suffix {context[i - 1][-SUFFIX_CHARS:]}",
        f"i-2 word {context[i - 2]}",
        f"i+1 word {context[i + 1]}",
        f"i+1 suffix {context[i + 1][-SUFFIX_CHARS:]}",
        f"i+2 word {context[i + 2]}",
    )
    return dict.fromkeys(names, 1)


@dataclass
class PosTagger:
    """A greedy averaged-perceptron POS tagger (Honnibal's design, as NLTK's). Notebook 05.

    Frequent unambiguous words are tagged by lookup; the rest by the perceptron from the
    word, its neighbours and the two previous tags. Build it with :func:`train_pos_tagger`.
    """

    model: AveragedPerceptron
    tagdict: dict[str, str]
    lowercase: bool = False
    train_seconds: float = 0.0
    tokens_per_second: float = 0.0

    def _prepare(self, tokens: Sequence[str]) -> list[str]:
        return [token.lower() for token in tokens] if self.lowercase else list(tokens)

    def _tag_words(self, words: Sequence[str], gold: Sequence[str] | None = None) -> list[str]:
        """Tag prepared words left to right; with ``gold`` tags, learn from each mistake."""
        context = [*SENTENCE_START, *(_shape(word) for word in words), *SENTENCE_END]
        prev, prev2 = SENTENCE_START
        tags: list[str] = []
        for index, word in enumerate(words):
            guess = self.tagdict.get(word)
            if guess is None:
                features = _features(index, word, context, prev, prev2)
                guess, _ = self.model.predict(features)
                if gold is not None:
                    self.model.update(gold[index], guess, features)
            tags.append(guess)
            prev2, prev = prev, guess
        return tags

    def tag(self, tokens: Sequence[str]) -> list[tuple[str, str]]:
        """``[(token, universal_tag)]`` for one tokenized sentence."""
        words = _check_tokens(tokens)
        return list(zip(words, self._tag_words(self._prepare(words)), strict=True))


def _check_tagged(sentences: Iterable[TaggedSentence], role: str) -> list[TaggedSentence]:
    checked = [list(sentence) for sentence in sentences]
    if not checked:
        raise ValueError(f"no {role} sentences: pass e.g. load_tagged_sentences('treebank').")
    for sentence in checked:
        if not sentence or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
            for pair in sentence
        ):
            raise ValueError(
                "each sentence must be a non-empty list of (word, tag) string pairs, got "
                f"{sentence[:3]!r}..."
            )
    return checked


def _frequent_unambiguous(sentences: Iterable[Sequence[tuple[str, str]]]) -> dict[str, str]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        for word, tag in sentence:
            counts[word][tag] += 1
    tagdict = {}
    for word, tag_counts in counts.items():
        tag, top = tag_counts.most_common(1)[0]
        total = sum(tag_counts.values())
        if total >= TAGDICT_MIN_COUNT and top / total >= TAGDICT_MIN_SHARE:
            tagdict[word] = tag
    return tagdict


def train_pos_tagger(
    sentences: Iterable[TaggedSentence],
    *,
    seed: int = 0,
    num_iterations: int = DEFAULT_NUM_ITERATIONS,
    lowercase: bool = False,
    progress: bool = True,
) -> PosTagger:
    """Train an averaged-perceptron tagger on ``[(word, tag)]`` sentences. Notebook 05.

    Each of ``num_iterations`` passes visits the sentences in a seeded random order;
    progress shows training accuracy and tokens per second. ``lowercase=True`` suits the
    lower-cased tokens of :func:`tokenize_words`. About 4 s for 5 passes over the treebank.
    """
    from nltk.tag.perceptron import AveragedPerceptron

    if not 1 <= num_iterations <= MAX_NUM_ITERATIONS:
        raise ValueError(
            f"num_iterations must be between 1 and {MAX_NUM_ITERATIONS}, got {num_iterations}."
        )
    tagged = _check_tagged(sentences, "training")
    tagger = PosTagger(model=AveragedPerceptron(), tagdict={}, lowercase=lowercase)
    order = [(tagger._prepare([w for w, _ in s]), [t for _, t in s]) for s in tagged]
    tagger.tagdict = _frequent_unambiguous(zip(w, t, strict=True) for w, t in order)
    tagger.model.classes = {tag for _, tags in order for tag in tags}
    rng = random.Random(seed)
    num_tokens = sum(len(tags) for _, tags in order)
    start = time.perf_counter()
    bar = tqdm(range(num_iterations), desc="POS tagger", unit="pass", disable=not progress)
    for iteration in bar:
        rng.shuffle(order)
        correct = 0
        for words, gold in order:
            guesses = tagger._tag_words(words, gold)
            correct += sum(g == t for g, t in zip(guesses, gold, strict=True))
        elapsed = time.perf_counter() - start
        bar.set_postfix(
            train_acc=f"{correct / num_tokens:.3f}",
            tokens_per_s=f"{(iteration + 1) * num_tokens / elapsed:,.0f}",
        )
    tagger.model.average_weights()
    tagger.train_seconds = time.perf_counter() - start
    tagger.tokens_per_second = num_iterations * num_tokens / tagger.train_seconds
    return tagger


def tagging_accuracy(tagger: PosTagger, sentences: Iterable[TaggedSentence]) -> float:
    """Share of tokens whose predicted tag equals the gold tag. Notebook 05."""
    correct = total = 0
    for sentence in _check_tagged(sentences, "evaluation"):
        words = [word for word, _ in sentence]
        predicted = tagger.tag(words)
        correct += sum(p == t for (_, p), (_, t) in zip(predicted, sentence, strict=True))
        total += len(sentence)
    return correct / total
