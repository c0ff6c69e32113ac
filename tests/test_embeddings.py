"""Tests of course_utils.embeddings (notebooks 03 and 04) against gensim, NumPy and scipy."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import asdict, replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath

from course_utils.experiments import vectors as experiments_vectors
from course_utils.vectors import benchmarks, word2vec
from course_utils.vectors import counts as vectors_counts

GOOGLE_QUESTIONS = 19_544
TOY_SEED = 7


def toy_corpus(n_sentences: int = 400, seed: int = TOY_SEED) -> list[list[str]]:
    """Two topics that never share a sentence: animals and vehicles, plus filler words."""
    rng = np.random.default_rng(seed)
    topics = [
        ["cat", "dog", "horse", "cow", "sheep", "goat"],
        ["car", "bus", "truck", "train", "plane", "boat"],
    ]
    filler = ["the", "a", "and", "of"]
    sentences = []
    for number in range(n_sentences):
        words = topics[number % 2]
        length = int(rng.integers(5, 12))
        sentence = [
            str(rng.choice(filler)) if rng.random() < 0.3 else str(rng.choice(words))
            for _ in range(length)
        ]
        sentences.append(sentence)
    return sentences


@pytest.fixture(scope="module")
def corpus_kv() -> KeyedVectors:
    """gensim skip-gram vectors of part of the course corpus (the benchmarks' reference)."""
    from course_utils.data import corpus_sentences

    sentences = corpus_sentences(names=("state_union", "webtext", "inaugural"))
    model = Word2Vec(sentences, vector_size=32, window=5, min_count=3, epochs=1, workers=1, seed=0)
    kv = model.wv
    rng = np.random.default_rng(0)
    extra = ["Washington", "France", "Paris", "GOOD"]  # case variants, less frequent
    kv.add_vectors(extra, rng.normal(size=(len(extra), kv.vector_size)).astype(np.float32))
    return kv


# ---------------------------------------------------------------------------
# Vocabulary, co-occurrence, PPMI, SVD
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_ties", [False, True])
def test_build_vocab_matches_gensim_order_and_counts(with_ties):
    sentences = toy_corpus()
    if with_ties:  # many words with equal counts: gensim's tie order matters
        sentences = [[f"w{i % 37}", f"v{i % 11}", "the"] for i in range(200)]
    vocab = vectors_counts.build_vocab(sentences, min_count=2)
    reference = Word2Vec(min_count=2, vector_size=8)
    reference.build_vocab(sentences)
    assert vocab.words == reference.wv.index_to_key
    expected = [reference.wv.get_vecattr(word, "count") for word in vocab.words]
    np.testing.assert_array_equal(vocab.counts, expected)
    assert vocab.total == sum(map(len, sentences))


def test_build_vocab_min_count_max_size_and_encode():
    sentences = [["a", "b", "a", "c"], ["a", "b", "d"]]
    vocab = vectors_counts.build_vocab(sentences, min_count=2)
    assert vocab.words == ["a", "b"] and list(vocab.counts) == [3, 2]
    assert "c" not in vocab and "a" in vocab
    assert vectors_counts.build_vocab(sentences, max_size=3).words == ["a", "b", "d"]  # d, c tie
    np.testing.assert_array_equal(vocab.encode(["d", "b", "a", "zzz"]), [1, 0])
    ids, sentence_ids = vectors_counts.encode_corpus(sentences, vocab)
    np.testing.assert_array_equal(ids, [0, 1, 0, 0, 1])
    np.testing.assert_array_equal(sentence_ids, [0, 0, 0, 1, 1])


def test_sentences_must_be_token_lists():
    with pytest.raises(TypeError, match="list of tokens"):
        vectors_counts.build_vocab(["a whole sentence as one string"])
    with pytest.raises(ValueError, match="min_count"):
        vectors_counts.build_vocab([["a"]], min_count=0)


def brute_force_cooccurrence(sentences, vocab, window, harmonic):
    counts = np.zeros((len(vocab), len(vocab)))
    for sentence in sentences:
        ids = [vocab.index[w] for w in sentence if w in vocab]
        for i, word in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    counts[word, ids[j]] += 1.0 / abs(i - j) if harmonic else 1.0
    return counts


@pytest.mark.parametrize("weighting", ["uniform", "harmonic"])
def test_cooccurrence_matches_brute_force(weighting):
    sentences = [*toy_corpus(60), ["cat", "unknownword", "car"], ["dog"]]
    vocab = vectors_counts.build_vocab(sentences, min_count=2)
    got = vectors_counts.cooccurrence(sentences, vocab, window=3, weighting=weighting)
    expected = brute_force_cooccurrence(sentences, vocab, 3, weighting == "harmonic")
    assert sp.issparse(got) and got.shape == (len(vocab), len(vocab))
    np.testing.assert_allclose(got.toarray(), expected)
    np.testing.assert_allclose(got.toarray(), got.toarray().T)


def test_cooccurrence_rejects_bad_arguments():
    vocab = vectors_counts.build_vocab([["a", "b"]])
    with pytest.raises(ValueError, match="weighting"):
        vectors_counts.cooccurrence([["a", "b"]], vocab, window=2, weighting="gaussian")
    with pytest.raises(ValueError, match="window"):
        vectors_counts.cooccurrence([["a", "b"]], vocab, window=0)


@pytest.mark.parametrize("alpha", [1.0, 0.75])
def test_ppmi_matches_dense_formula(alpha):
    rng = np.random.default_rng(0)
    counts = rng.poisson(1.0, size=(7, 9)).astype(float)
    total = counts.sum()
    p_word = counts.sum(axis=1, keepdims=True) / total
    smoothed = counts.sum(axis=0, keepdims=True) ** alpha
    p_context = smoothed / smoothed.sum()
    with np.errstate(divide="ignore"):
        expected = np.maximum(np.log(counts / total / (p_word * p_context)), 0.0)
    got = vectors_counts.ppmi(sp.csr_matrix(counts), alpha=alpha)
    np.testing.assert_allclose(got.toarray(), expected, atol=1e-12)
    assert got.data.min() > 0


def test_ppmi_rejects_negative_and_empty():
    with pytest.raises(ValueError, match="non-negative"):
        vectors_counts.ppmi(np.array([[1.0, -1.0], [0.0, 2.0]]))
    with pytest.raises(ValueError, match="all zeros"):
        vectors_counts.ppmi(np.zeros((3, 3)))


def test_svd_vectors_match_numpy():
    rng = np.random.default_rng(1)
    matrix = rng.random((30, 20))
    got = vectors_counts.svd_vectors(sp.csr_matrix(matrix), 5, eigenvalue_weight=1.0)
    u, s, _ = np.linalg.svd(matrix, full_matrices=False)
    expected = u[:, :5] * s[:5]
    signs = np.sign(np.sum(got * expected, axis=0))
    np.testing.assert_allclose(got, expected * signs, atol=1e-8)
    strongest = np.abs(got).argmax(axis=0)
    assert np.all(got[strongest, np.arange(5)] > 0)
    np.testing.assert_allclose(
        vectors_counts.svd_vectors(matrix, 5, eigenvalue_weight=0.0), u[:, :5] * signs, atol=1e-8
    )
    with pytest.raises(ValueError, match="dim must be between"):
        vectors_counts.svd_vectors(matrix, 20)


# ---------------------------------------------------------------------------
# Word2Vec pieces
# ---------------------------------------------------------------------------


def test_keep_probabilities_match_gensim():
    sentences = toy_corpus()
    reference = Word2Vec(min_count=1, vector_size=8, sample=1e-2)
    reference.build_vocab(sentences)
    vocab = vectors_counts.build_vocab(sentences)
    got = word2vec.keep_probabilities(vocab.counts, 1e-2)
    expected = [reference.wv.get_vecattr(w, "sample_int") / (2**32 - 1) for w in vocab.words]
    np.testing.assert_allclose(got, expected, atol=1e-8)
    assert got.min() < 1.0  # frequent words are thinned
    np.testing.assert_array_equal(word2vec.keep_probabilities(vocab.counts, 0.0), 1.0)


def test_noise_distribution_matches_gensim_cum_table():
    sentences = toy_corpus()
    reference = Word2Vec(min_count=1, vector_size=8)
    reference.build_vocab(sentences)
    vocab = vectors_counts.build_vocab(sentences)
    domain = 2**31 - 1
    cumulative = np.cumsum(word2vec.noise_distribution(vocab.counts)) * domain
    np.testing.assert_allclose(cumulative, reference.cum_table, atol=1.0)


def collect_batches(sentences, architecture, window, sample=0.0, negative=3, seed=0):
    vocab = vectors_counts.build_vocab(sentences)
    ids, sentence_ids = vectors_counts.encode_corpus(sentences, vocab)
    batches = list(
        word2vec.word2vec_batches(
            ids,
            sentence_ids,
            architecture=architecture,
            window=window,
            negative=negative,
            keep=word2vec.keep_probabilities(vocab.counts, sample),
            noise=word2vec.noise_distribution(vocab.counts),
            batch_size=64,
            rng=np.random.default_rng(seed),
        )
    )
    return vocab, batches


def test_skipgram_batches_with_window_one_are_all_neighbour_pairs():
    sentences = toy_corpus(50)
    vocab, batches = collect_batches(sentences, "skipgram", window=1)
    got = Counter(
        (int(c), int(t)) for b in batches for c, t in zip(b.inputs, b.targets, strict=True)
    )
    expected = Counter()
    for sentence in sentences:
        ids = vocab.encode(sentence)
        for left, right in itertools.pairwise(ids):
            expected[(int(left), int(right))] += 1
            expected[(int(right), int(left))] += 1
    assert got == expected
    assert batches[-1].progress == pytest.approx(1.0)
    assert all(b.negatives.shape == (len(b.targets), 3) for b in batches)


def test_cbow_batches_hold_the_true_context():
    sentences = [["a", "b", "c", "d"], ["e", "f"]]
    vocab, batches = collect_batches(sentences, "cbow", window=1)
    rows = {}
    for batch in batches:
        for inputs, mask, target in zip(batch.inputs, batch.mask, batch.targets, strict=True):
            rows[vocab.words[target]] = sorted(vocab.words[i] for i in inputs[mask])
    assert rows == {
        "a": ["b"],
        "b": ["a", "c"],
        "c": ["b", "d"],
        "d": ["c"],
        "e": ["f"],
        "f": ["e"],
    }


def test_dynamic_window_and_negatives_follow_their_distributions():
    sentences = toy_corpus(300)
    vocab, batches = collect_batches(sentences, "skipgram", window=4, negative=5)
    noise = word2vec.noise_distribution(vocab.counts)
    negatives = np.concatenate([b.negatives.ravel() for b in batches])
    frequency = np.bincount(negatives, minlength=len(vocab)) / len(negatives)
    np.testing.assert_allclose(frequency, noise, atol=0.01)
    # Window sizes 1..4 equally likely: a pair at distance d survives with (5 - d) / 4,
    # so the pairs per token are 2 * (4 + 3 + 2 + 1) / 4 = 5 away from sentence ends.
    pairs = sum(len(b.targets) for b in batches)
    tokens = sum(map(len, sentences))
    assert 3.5 * tokens < pairs < 5.0 * tokens


def test_skipgram_loss_matches_formula():
    torch.manual_seed(0)
    model = word2vec.SkipGramNS(10, 4)
    with torch.no_grad():
        model.output_vectors.weight.normal_()
    centres, contexts = torch.tensor([1, 2]), torch.tensor([3, 4])
    negatives = torch.tensor([[5, 6], [4, 7]])  # 4 equals the true context: skipped
    got = model(centres, contexts, negatives)
    v = model.input_vectors.weight.detach().numpy()
    u = model.output_vectors.weight.detach().numpy()

    def log_sigmoid(x):
        return -np.log1p(np.exp(-x))

    expected = -(
        log_sigmoid(u[3] @ v[1])
        + log_sigmoid(-u[5] @ v[1])
        + log_sigmoid(-u[6] @ v[1])
        + log_sigmoid(u[4] @ v[2])
        + log_sigmoid(-u[7] @ v[2])
    )
    assert got.item() == pytest.approx(expected, rel=1e-5)
    got.backward()
    assert model.input_vectors.weight.grad.is_sparse


def test_cbow_averages_the_masked_context():
    torch.manual_seed(0)
    model = word2vec.CBOW(10, 4)
    with torch.no_grad():
        model.output_vectors.weight.normal_()
    contexts = torch.tensor([[1, 2, 3], [4, 0, 0]])
    mask = torch.tensor([[True, True, True], [True, False, False]])
    got = model(contexts, mask, torch.tensor([5, 6]), torch.tensor([[7], [8]]))
    v = model.input_vectors.weight.detach()
    u = model.output_vectors.weight.detach()
    h1, h2 = v[1:4].mean(dim=0), v[4]
    expected = -(
        torch.nn.functional.logsigmoid(u[5] @ h1)
        + torch.nn.functional.logsigmoid(-u[7] @ h1)
        + torch.nn.functional.logsigmoid(u[6] @ h2)
        + torch.nn.functional.logsigmoid(-u[8] @ h2)
    )
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match="at least one context"):
        model(contexts, torch.zeros_like(mask), torch.tensor([5, 6]), torch.tensor([[7], [8]]))


def test_cbow_gives_each_context_word_the_full_gradient_like_word2vec():
    grads = {}
    for exact in (False, True):
        model = word2vec.CBOW(
            10, 4, exact_gradient=exact, generator=torch.Generator().manual_seed(0)
        )
        with torch.no_grad():
            model.output_vectors.weight.normal_(generator=torch.Generator().manual_seed(1))
        contexts = torch.tensor([[1, 2, 3, 0]])
        mask = torch.tensor([[True, True, True, False]])
        model(contexts, mask, torch.tensor([5]), torch.tensor([[7, 8]])).backward()
        grads[exact] = model.input_vectors.weight.grad.to_dense()
    torch.testing.assert_close(grads[False][1], grads[False][3])  # the same for each word
    torch.testing.assert_close(grads[False][1:4], 3 * grads[True][1:4])  # not 1/3 of it
    assert grads[False][0].abs().sum() == 0  # the padded slot gets nothing


def test_models_reject_bad_shapes():
    model = word2vec.SkipGramNS(10, 4)
    with pytest.raises(ValueError, match="contexts must have shape"):
        model(torch.tensor([1, 2]), torch.tensor([3]), torch.tensor([[5], [6]]))
    with pytest.raises(ValueError, match="negatives must have shape"):
        model(torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([5, 6]))
    with pytest.raises(ValueError, match="context_mask"):
        word2vec.CBOW(10, 4)(
            torch.tensor([[1, 2]]), torch.tensor([True]), torch.tensor([1]), torch.tensor([[2]])
        )


def topic_separation(kv: KeyedVectors) -> float:
    within = kv.similarity("cat", "dog") + kv.similarity("car", "bus")
    across = kv.similarity("cat", "car") + kv.similarity("dog", "bus")
    return float(within - across) / 2


@pytest.mark.parametrize("architecture", ["skipgram", "cbow"])
def test_train_word2vec_learns_topics_and_lowers_loss(architecture):
    sentences = toy_corpus(600)
    config = word2vec.Word2VecConfig(
        architecture=architecture, vector_size=16, window=3, min_count=1, sample=0.0, epochs=3
    )
    kv, history = word2vec.train_word2vec(
        sentences, config, batch_size=128, seed=0, progress=False, log_every=5
    )
    assert isinstance(kv, KeyedVectors)
    assert kv.index_to_key == vectors_counts.build_vocab(sentences).words
    assert kv.get_vecattr("cat", "count") == sum(s.count("cat") for s in sentences)
    assert history.loss[-1] < history.loss[0]
    assert history.words == 3 * sum(map(len, sentences))
    assert history.words_per_second > 0 and history.words_per_cpu_second > 0
    if architecture == "cbow":  # one example per token: no subsampling, no lone words
        assert history.examples == history.words
    else:  # one per (centre, context) pair
        assert history.examples > 2 * history.words
    assert topic_separation(kv) > 0.6
    # gensim, same data and settings, learns the same structure.
    reference, reference_history = word2vec.train_gensim_word2vec(sentences, config)
    assert reference.index_to_key == kv.index_to_key
    assert reference_history.words == history.words and reference_history.cpu_seconds > 0
    assert topic_separation(reference) > 0.6


def test_train_word2vec_is_reproducible_and_bounded():
    sentences = toy_corpus(200)
    config = word2vec.Word2VecConfig(vector_size=8, window=2, min_count=1, epochs=50)
    settings = dict(batch_size=64, max_steps=30, progress=False, log_every=10)
    first, history = word2vec.train_word2vec(sentences, config, seed=3, **settings)
    second, _ = word2vec.train_word2vec(sentences, config, seed=3, **settings)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert history.steps == [10, 20, 30]
    # Linear decay from 0.025 to min_lr over the 30 steps (max_steps ends the run first).
    start, end = word2vec.DEFAULT_LR["skipgram"], word2vec.DEFAULT_MIN_LR
    assert history.lr == pytest.approx([start - (start - end) * k / 3 for k in (1, 2, 3)])
    other, _ = word2vec.train_word2vec(sentences, config, seed=4, **settings)
    assert not np.array_equal(first.vectors, other.vectors)


def test_gensim_max_steps_bounds_the_words_trained():
    sentences = toy_corpus(2000)  # about 16,000 tokens
    config = word2vec.Word2VecConfig(vector_size=8, min_count=1, epochs=2)
    kv, history = word2vec.train_gensim_word2vec(sentences, config, max_steps=1)
    assert history.words == word2vec.GENSIM_BATCH_WORDS  # half the budget in each of 2 epochs
    assert len(kv) == len(
        vectors_counts.build_vocab(sentences)
    )  # the vocabulary comes from all of it
    _, full = word2vec.train_gensim_word2vec(sentences, config)
    assert full.words == 2 * sum(map(len, sentences))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"architecture": "glove"}, "architecture must be one of"),
        ({"window": 0}, "window must be positive"),
        ({"min_count": 0}, "min_count must be at least 1"),
        ({"sample": -1e-3}, "sample must be >= 0"),
        ({"lr": 0.01, "min_lr": 0.02}, "min_lr must be between 0 and lr = 0.01"),
    ],
)
def test_word2vec_config_rejects_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        word2vec.Word2VecConfig(**settings)
    assert word2vec.Word2VecConfig(architecture="cbow").start_lr == word2vec.DEFAULT_LR["cbow"]


def test_train_word2vec_rejects_bad_input():
    small = word2vec.Word2VecConfig(min_count=1, negative=2)
    with pytest.raises(ValueError, match="corpus is empty"):
        word2vec.train_word2vec([], progress=False)
    with pytest.raises(ValueError, match="corpus is empty"):
        word2vec.train_gensim_word2vec([[], []])
    with pytest.raises(ValueError, match="negative=5 noise words need"):
        word2vec.train_word2vec(
            [["a", "b", "c"]], word2vec.Word2VecConfig(min_count=1), progress=False
        )
    with pytest.raises(ValueError, match="no sentence has two"):
        word2vec.train_word2vec([[w] for w in "abcdefgh"], small, progress=False)
    with pytest.raises(ValueError, match="removed every training pair"):
        word2vec.train_word2vec(
            [["a", "b"], ["c", "d"]], replace(small, sample=1e-9), progress=False
        )
    with pytest.raises(TypeError, match="list of tokens"):
        word2vec.train_word2vec(["the cat sat", "the dog ran"], progress=False)
    with pytest.raises(ValueError, match="device"):
        word2vec.train_word2vec(toy_corpus(10), small, device="tpu", progress=False)
    with pytest.raises(ValueError, match="max_steps must be positive"):
        word2vec.train_gensim_word2vec(toy_corpus(10), small, max_steps=0)


# ---------------------------------------------------------------------------
# Benchmarks, cross-checked with gensim
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted_kv() -> KeyedVectors:
    """Vectors of the analogy words with each section's offset planted, noise and case twins.

    Word pairs share a per-section offset plus noise, so 3CosAdd gets a real mix of right
    and wrong answers; upper-case twins test gensim's case-insensitive matching.
    """
    rng = np.random.default_rng(0)
    dim, noise = 24, 1.0
    vectors: dict[str, np.ndarray] = {}
    offset = np.zeros(dim)
    with open(datapath("questions-words.txt"), encoding="utf-8") as handle:
        for line in handle:
            words = line.lower().split()
            if line.startswith(":"):
                offset = rng.normal(size=dim)
                continue
            for x, y in (words[:2], words[2:]):
                base = vectors.setdefault(x, rng.normal(size=dim))
                vectors[y] = base + offset + noise * rng.normal(size=dim)
    words = [str(w) for w in rng.permutation(list(vectors))]
    twins = [w.upper() for w in words[:40]] + [w.capitalize() for w in words[:40]]
    kv = KeyedVectors(vector_size=dim)
    kv.add_vectors(words, np.stack([vectors[w] for w in words]).astype(np.float32))
    kv.add_vectors(twins, rng.normal(size=(len(twins), dim)).astype(np.float32))
    return kv


def gensim_sections(kv: KeyedVectors, restrict: int) -> tuple[float, dict[str, tuple[int, int]]]:
    score, sections = kv.evaluate_word_analogies(
        datapath("questions-words.txt"), restrict_vocab=restrict
    )
    counts = {
        s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
        for s in sections
    }
    return score, counts


@pytest.mark.parametrize("restrict", [700, 30_000])
def test_evaluate_analogies_matches_gensim(planted_kv, restrict):
    ours = benchmarks.evaluate_analogies(planted_kv, restrict_vocab=restrict)
    score, sections = gensim_sections(planted_kv, restrict)
    total = sections.pop("Total accuracy")
    assert ours.sections == sections
    assert ours.accuracy == pytest.approx(score)
    assert 0.1 < ours.accuracy < 0.9  # a real mix of right and wrong answers
    assert (
        ours.semantic_correct + ours.syntactic_correct,
        ours.semantic_total + ours.syntactic_total,
    ) == total
    assert ours.semantic_total + ours.syntactic_total + ours.skipped == GOOGLE_QUESTIONS
    semantic = [v for k, v in ours.sections.items() if not k.startswith("gram")]
    assert len(semantic) == 5 and len(ours.sections) == 14
    assert ours.semantic_correct == sum(c for c, _ in semantic)
    assert ours.semantic_accuracy == pytest.approx(ours.semantic_correct / ours.semantic_total)
    assert ours.syntactic_accuracy == pytest.approx(ours.syntactic_correct / ours.syntactic_total)


@pytest.mark.filterwarnings("error")  # no division by zero, no NaN
def test_zero_vectors_do_not_poison_the_benchmarks(planted_kv):
    kv = KeyedVectors(vector_size=planted_kv.vector_size)
    kv.add_vectors(planted_kv.index_to_key, planted_kv.vectors.copy())
    kv.vectors[kv.get_index("athens")] = 0.0  # e.g. a word without positive PPMI
    kv.vectors[kv.get_index("man")] = 0.0
    assert (
        benchmarks.evaluate_analogies(kv).accuracy
        > 0.5 * benchmarks.evaluate_analogies(planted_kv).accuracy
    )
    kv.add_vectors(["tiger", "cat"], np.zeros((2, kv.vector_size), dtype=np.float32))
    result = benchmarks.evaluate_similarity(
        kv, datasets={"wordsim353": datapath("wordsim353.tsv")}
    )
    assert result["wordsim353"].pairs > 2 and math.isfinite(result["wordsim353"].spearman)


def test_evaluate_analogies_on_trained_vectors_matches_gensim(corpus_kv):
    ours = benchmarks.evaluate_analogies(corpus_kv)
    score, sections = gensim_sections(corpus_kv, benchmarks.ANALOGY_RESTRICT_VOCAB)
    sections.pop("Total accuracy")
    assert ours.sections == sections
    assert ours.accuracy == pytest.approx(score)


def test_evaluate_similarity_matches_gensim(corpus_kv):
    ours = benchmarks.evaluate_similarity(corpus_kv)
    for name, file in benchmarks.SIMILARITY_FILES.items():
        pearson, spearman, oov_ratio = corpus_kv.evaluate_word_pairs(datapath(file))
        result = ours[name]
        assert result.spearman == pytest.approx(spearman.statistic, abs=1e-9)
        assert result.pearson == pytest.approx(pearson.statistic, abs=1e-6)  # float32 sums
        assert 100 * result.skipped / (result.pairs + result.skipped) == pytest.approx(oov_ratio)
        assert result.pairs > 50


def test_evaluations_skip_out_of_vocabulary_words():
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["tiger", "cat", "zebra"], np.eye(3, dtype=np.float32))
    analogies = benchmarks.evaluate_analogies(kv)
    assert analogies.skipped == GOOGLE_QUESTIONS
    assert math.isnan(analogies.accuracy) and analogies.semantic_total == 0
    similarity = benchmarks.evaluate_similarity(kv)
    assert similarity["wordsim353"].pairs == 2  # tiger-cat and tiger-tiger
    assert similarity["wordsim353"].skipped == 351
    assert math.isnan(similarity["wordsim353"].spearman)
    assert similarity["simlex999"].pairs + similarity["simlex999"].skipped == 999
    with pytest.raises(ValueError, match="not in the vocabulary"):
        benchmarks.analogy(kv, "man", "king", "woman")


def test_analogy_helper_matches_most_similar(corpus_kv):
    got = benchmarks.analogy(corpus_kv, "man", "king", "woman", topn=3)
    assert got == corpus_kv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert {"man", "king", "woman"}.isdisjoint(word for word, _ in got)


# ---------------------------------------------------------------------------
# Shipped vectors: the train-vectors command and the files under data/
# ---------------------------------------------------------------------------

SHIPPED_VECTORS = [
    name
    for name, r in experiments_vectors.VECTOR_RECIPES.items()
    if isinstance(r, experiments_vectors.VectorRecipe)
]
SMALL_SOURCE = "inaugural"  # 138k tokens: the command runs end to end in seconds


def test_top_words_keeps_the_most_frequent(corpus_kv):
    top = benchmarks.top_words(corpus_kv, 50)
    assert top.index_to_key == corpus_kv.index_to_key[:50]
    np.testing.assert_array_equal(top.vectors, corpus_kv.vectors[:50])
    top.vectors[0] = 0.0
    assert corpus_kv.vectors[0].any()  # a copy, not a view
    assert len(benchmarks.top_words(corpus_kv, 10**9)) == len(corpus_kv)


def test_train_vectors_command_still_trains(tmp_path, capsys):
    from course_utils.__main__ import main
    from course_utils.checkpoints import load_provenance, load_vectors

    name = "word2vec_cbow"
    argv = ["train-vectors", name, "--max-steps", "2", "--corpus", SMALL_SOURCE]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert "WordSim-353" in capsys.readouterr().out
    record = load_provenance(name, tmp_path)
    recipe = experiments_vectors.VECTOR_RECIPES[name]
    assert record["command"] == f"python -m course_utils {' '.join(argv)}"
    assert record["config"] == asdict(recipe.config) and record["seed"] == recipe.seed
    assert record["corpus"]["sources"] == [SMALL_SOURCE] and record["trainer"] == "course"
    assert record["steps"] == 2 and math.isfinite(record["final_loss"])
    kv = load_vectors(name, tmp_path)
    assert len(kv) == record["shipped_words"] == min(record["vocabulary"], recipe.keep_words)
    assert benchmarks.benchmark_summary(kv) == pytest.approx(
        record["evaluation"]["shipped"], nan_ok=True
    )


def test_train_vectors_learning_curve(tmp_path, monkeypatch):
    from course_utils.checkpoints import load_provenance

    shipped = experiments_vectors.VECTOR_RECIPES["word2vec_curve"]
    assert (
        isinstance(shipped, experiments_vectors.CurveRecipe)
        and shipped.fractions == experiments_vectors.CURVE_FRACTIONS
    )
    small = word2vec.Word2VecConfig(vector_size=8, min_count=2, epochs=1)
    recipe = experiments_vectors.CurveRecipe(
        "a small curve", "course", (small,), fractions=(0.25, 1.0)
    )
    monkeypatch.setitem(experiments_vectors.VECTOR_RECIPES, "small_curve", recipe)
    path = experiments_vectors.train_vectors(
        "small_curve", max_steps=2, corpus=[SMALL_SOURCE], directory=tmp_path, progress=False
    )
    assert path.parent == tmp_path and not list(tmp_path.glob("*.safetensors"))
    points = experiments_vectors.load_learning_curve("small_curve", tmp_path)
    assert [(p["fraction"], p["architecture"]) for p in points] == [
        (0.25, "skipgram"),
        (1.0, "skipgram"),
    ]
    assert points[0]["tokens"] < points[1]["tokens"]
    assert points[1]["tokens"] == load_provenance("small_curve", tmp_path)["corpus"]["tokens"]
    assert points[0]["vocabulary"] < points[1]["vocabulary"]


def test_train_vectors_rejects_bad_requests(capsys):
    from course_utils.__main__ import main

    with pytest.raises(ValueError, match="unknown recipe 'word2vec'"):
        experiments_vectors.train_vectors("word2vec")
    with pytest.raises(ValueError, match="threads must be positive"):
        experiments_vectors.train_vectors("word2vec_sg", threads=0)
    with pytest.raises(ValueError, match="device"):
        experiments_vectors.train_vectors("word2vec_sg", device="tpu")
    with pytest.raises(ValueError, match="trainer must be one of"):
        experiments_vectors.VectorRecipe("a typo", "gensin", experiments_vectors.SHIPPED_SKIPGRAM)
    with pytest.raises(ValueError, match="fractions in \\(0, 1\\]"):
        experiments_vectors.CurveRecipe(
            "too much", "gensim", (experiments_vectors.SHIPPED_CBOW,), fractions=(0.5, 2.0)
        )
    assert main(["train-vectors", "nonsense"]) == 2
    assert "choose one of" in capsys.readouterr().out


@pytest.mark.parametrize("name", SHIPPED_VECTORS)
def test_shipped_vectors_match_their_provenance(name):
    from course_utils.checkpoints import load_provenance, load_vectors

    recipe = experiments_vectors.VECTOR_RECIPES[name]
    record = load_provenance(name)
    kv = load_vectors(name)
    assert record["command"] == f"{experiments_vectors.TRAIN_COMMAND} {name}"
    assert record["config"] == asdict(recipe.config) and record["seed"] == recipe.seed
    assert record["corpus"]["sources"] == list(recipe.corpus) and record["max_steps"] is None
    assert len(kv) == record["shipped_words"] == recipe.keep_words
    assert kv.vector_size == recipe.config.vector_size
    assert record["words"] == recipe.config.epochs * record["corpus"]["tokens"]
    assert record["train_cpu_seconds"] > 0 and record["words_per_cpu_second"] > 0
    assert benchmarks.benchmark_summary(kv) == pytest.approx(record["evaluation"]["shipped"])


def test_shipped_learning_curve_rises_with_corpus_size():
    points = experiments_vectors.load_learning_curve()
    for config in experiments_vectors.VECTOR_RECIPES["word2vec_curve"].configs:
        ours = [p for p in points if p["architecture"] == config.architecture]
        curve = sorted(ours, key=lambda point: point["tokens"])
        assert len(curve) == len(experiments_vectors.CURVE_FRACTIONS)
        for smaller, larger in itertools.pairwise(curve):
            assert smaller["tokens"] < larger["tokens"]
            assert smaller["wordsim353"] < larger["wordsim353"]
