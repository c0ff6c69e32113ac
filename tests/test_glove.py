"""Tests of the GloVe part of course_utils.embeddings (notebook 04) against NumPy and gensim."""

from __future__ import annotations

import math
import socket
import time
from dataclasses import asdict

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from gensim.models import KeyedVectors

from course_utils import data
from course_utils.data import OFFLINE_VARIABLES, DataUnavailableError
from course_utils.experiments import vectors as experiments_vectors
from course_utils.vectors import benchmarks, counts, word2vec
from course_utils.vectors import glove as vectors_glove

SMALL_SOURCE = "inaugural"  # 138k tokens: the command runs end to end in seconds
TINY_COOC = np.array(
    [
        [0.0, 3.0, 120.0, 1.0],
        [3.0, 0.0, 2.0, 0.5],
        [120.0, 2.0, 0.0, 7.0],
        [1.0, 0.5, 7.0, 0.0],
    ]
)
TINY_VOCAB = counts.Vocab(["a", "b", "c", "d"], [10, 8, 6, 4])
TOPICS = (("ice", "snow", "frost", "cold"), ("steam", "vapour", "boil", "hot"))
FILLER = ("the", "is", "and", "a")


def topic_corpus(n_sentences: int = 300, seed: int = 3) -> list[list[str]]:
    """Sentences that each mix one topic's words with filler words; topics never meet."""
    rng = np.random.default_rng(seed)
    sentences = []
    for number in range(n_sentences):
        words = TOPICS[number % 2]
        length = int(rng.integers(6, 12))
        sentences.append(
            [str(rng.choice(FILLER if rng.random() < 0.3 else words)) for _ in range(length)]
        )
    return sentences


def numpy_glove_loss(
    model: vectors_glove.GloVe, matrix: np.ndarray, x_max: float = 100.0
) -> float:
    """Equation 8 of the paper, term by term over the nonzero entries, in float64."""
    w = model.word_vectors.weight.detach().double().numpy()
    c = model.context_vectors.weight.detach().double().numpy()
    bw = model.word_biases.weight.detach().double().numpy()[:, 0]
    bc = model.context_biases.weight.detach().double().numpy()[:, 0]
    total = 0.0
    for i, j in zip(*np.nonzero(matrix), strict=True):
        x = matrix[i, j]
        weight = min(x / x_max, 1.0) ** 0.75
        total += weight * (w[i] @ c[j] + bw[i] + bc[j] - np.log(x)) ** 2
    return total


# ---------------------------------------------------------------------------
# Co-occurrence ratios
# ---------------------------------------------------------------------------


def test_cooccurrence_ratios_match_the_dense_formula():
    sentences = topic_corpus()
    vocab = counts.build_vocab(sentences)
    cooc = counts.cooccurrence(sentences, vocab, window=4, weighting="harmonic")
    dense = cooc.toarray()
    probes = ["cold", "hot", "the", "frost"]
    rows = vectors_glove.cooccurrence_ratios(cooc, vocab, "ice", "steam", probes)
    i, j = vocab.index["ice"], vocab.index["steam"]
    for row, probe in zip(rows, probes, strict=True):
        k = vocab.index[probe]
        assert row.probe == probe
        assert row.count_i == dense[i, k] and row.count_j == dense[j, k]
        assert row.p_given_i == pytest.approx(dense[i, k] / dense[i].sum())
        assert row.p_given_j == pytest.approx(dense[j, k] / dense[j].sum())
    by_probe = {row.probe: row.ratio for row in rows}
    assert by_probe["cold"] == math.inf  # cold only meets ice: P(cold | steam) = 0
    assert by_probe["hot"] == 0.0
    assert 0.5 < by_probe["the"] < 2.0  # a word of both topics: a ratio near 1
    assert math.isnan(vectors_glove.RatioRow("never", 0.0, 0.0, 0.0, 0.0).ratio)


def test_cooccurrence_ratios_reject_bad_input():
    with pytest.raises(ValueError, match="not in the vocabulary: \\['zebra'\\]"):
        vectors_glove.cooccurrence_ratios(TINY_COOC, TINY_VOCAB, "a", "b", ["zebra"])
    with pytest.raises(ValueError, match="4 x 4"):
        vectors_glove.cooccurrence_ratios(TINY_COOC[:3, :3], TINY_VOCAB, "a", "b", ["c"])
    lonely = TINY_COOC.copy()
    lonely[1, :] = 0.0
    with pytest.raises(ValueError, match="\\['b'\\] never co-occur"):
        vectors_glove.cooccurrence_ratios(lonely, TINY_VOCAB, "a", "b", ["c"])


# ---------------------------------------------------------------------------
# f(x), the loss, the model
# ---------------------------------------------------------------------------


def test_glove_weight_known_values():
    x = np.array([0.0, 1.0, 50.0, 100.0, 1e4])
    expected = np.array([0.0, 0.01**0.75, 0.5**0.75, 1.0, 1.0])
    np.testing.assert_allclose(vectors_glove.glove_weight(x), expected)
    torch_values = vectors_glove.glove_weight(torch.tensor(x))
    np.testing.assert_allclose(torch_values.numpy(), expected)
    assert vectors_glove.glove_weight(10.0, x_max=10.0, alpha=0.5) == pytest.approx(1.0)
    assert vectors_glove.glove_weight(2.5, x_max=10.0, alpha=0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="non-negative"):
        vectors_glove.glove_weight(np.array([-1.0]))
    with pytest.raises(ValueError, match="x_max must be positive"):
        vectors_glove.glove_weight(1.0, x_max=0.0)


def test_glove_loss_matches_numpy_formula():
    model = vectors_glove.GloVe(4, 3, generator=torch.Generator().manual_seed(0))
    rows, cols = np.nonzero(TINY_COOC)
    got = model(
        torch.tensor(rows),
        torch.tensor(cols),
        torch.tensor(TINY_COOC[rows, cols], dtype=torch.float32),
    )
    assert got.item() == pytest.approx(numpy_glove_loss(model, TINY_COOC), rel=1e-5)
    small = vectors_glove.GloVe(4, 3, x_max=5.0, generator=torch.Generator().manual_seed(1))
    got_small = small(torch.tensor(rows), torch.tensor(cols), torch.tensor(TINY_COOC[rows, cols]))
    assert got_small.item() == pytest.approx(numpy_glove_loss(small, TINY_COOC, x_max=5.0))


def test_glove_loss_rejects_bad_shapes_and_counts():
    model = vectors_glove.GloVe(4, 3)
    with pytest.raises(ValueError, match="every count must be positive"):
        model(torch.tensor([0]), torch.tensor([0]), torch.tensor([0.0]))
    with pytest.raises(ValueError, match="rows must have shape \\(batch,\\) = \\(2,\\)"):
        model(torch.tensor([0]), torch.tensor([0, 1]), torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="counts must be 1-D"):
        vectors_glove.glove_loss(
            torch.ones(2, 3), torch.ones(2, 3), torch.ones(2), torch.ones(2), torch.ones(2, 1)
        )
    with pytest.raises(ValueError, match="biases must have shape"):
        vectors_glove.glove_loss(
            torch.ones(2, 3), torch.ones(2, 3), torch.ones(3), torch.ones(2), torch.ones(2)
        )
    with pytest.raises(ValueError, match="context_vectors must have the shape"):
        vectors_glove.glove_loss(
            torch.ones(2, 3), torch.ones(2, 4), torch.ones(2), torch.ones(2), torch.ones(2)
        )


def test_glove_init_follows_glove_c_and_vectors_are_the_sum():
    model = vectors_glove.GloVe(50, 8, generator=torch.Generator().manual_seed(0))
    bound = word2vec.INIT_SCALE / 8
    for table in (model.word_vectors, model.context_vectors, model.word_biases):
        assert table.weight.abs().max().item() <= bound
        assert table.weight.abs().max().item() > bound / 2
    expected = (model.word_vectors.weight + model.context_vectors.weight).detach().numpy()
    np.testing.assert_array_equal(model.vectors(), expected)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def test_fit_glove_lowers_the_loss():
    model = vectors_glove.GloVe(4, 3, generator=torch.Generator().manual_seed(0))
    before = numpy_glove_loss(model, TINY_COOC)
    history = vectors_glove.fit_glove(
        model, sp.csr_matrix(TINY_COOC), epochs=300, batch_size=4, seed=0, progress=False
    )
    after = numpy_glove_loss(model, TINY_COOC)
    assert history.steps[-1] == 300 * 3  # 12 nonzero entries in batches of 4
    assert history.examples == 300 * 12
    assert after < before / 10
    assert history.loss[-1] < history.loss[0] / 10


def test_train_glove_history_reproducibility_and_bounds():
    config = vectors_glove.GloVeConfig(vector_size=3, epochs=200, batch_size=12, lr=0.2)
    kv, history = vectors_glove.train_glove(
        sp.csr_matrix(TINY_COOC), TINY_VOCAB, config, seed=1, progress=False, log_every=50
    )
    assert history.steps == [50, 100, 150, 200]
    assert history.loss == sorted(history.loss, reverse=True)
    assert kv.index_to_key == TINY_VOCAB.words and kv.vector_size == 3
    assert [kv.get_vecattr(word, "count") for word in kv.index_to_key] == [10, 8, 6, 4]
    again, _ = vectors_glove.train_glove(
        sp.csr_matrix(TINY_COOC), TINY_VOCAB, config, seed=1, progress=False
    )
    other, _ = vectors_glove.train_glove(
        sp.csr_matrix(TINY_COOC), TINY_VOCAB, config, seed=2, progress=False
    )
    np.testing.assert_array_equal(kv.vectors, again.vectors)
    assert not np.allclose(kv.vectors, other.vectors)
    _, bounded = vectors_glove.train_glove(
        TINY_COOC, TINY_VOCAB, config, max_steps=7, progress=False, log_every=5
    )
    assert bounded.steps == [5, 7]


def test_fit_glove_calls_back_after_each_full_epoch():
    model = vectors_glove.GloVe(4, 3, generator=torch.Generator().manual_seed(0))
    seen = []
    vectors_glove.fit_glove(
        model,
        TINY_COOC,
        epochs=3,
        batch_size=5,  # 12 entries: 3 steps per epoch
        progress=False,
        on_epoch=lambda epoch, trained: seen.append((epoch, trained is model)),
    )
    assert seen == [(1, True), (2, True), (3, True)]
    seen.clear()
    vectors_glove.fit_glove(model, TINY_COOC, epochs=3, batch_size=5, max_steps=7, progress=False,
                on_epoch=lambda epoch, _: seen.append(epoch))  # fmt: skip
    assert seen == [1, 2]


def test_train_glove_rejects_bad_input():
    with pytest.raises(ValueError, match="len\\(vocab\\) x len\\(vocab\\) = 4 x 4"):
        vectors_glove.train_glove(sp.csr_matrix(TINY_COOC[:3, :3]), TINY_VOCAB, progress=False)
    with pytest.raises(ValueError, match="no nonzero entry"):
        vectors_glove.train_glove(np.zeros((4, 4)), TINY_VOCAB, progress=False)
    with pytest.raises(ValueError, match="max_steps must be positive"):
        vectors_glove.train_glove(TINY_COOC, TINY_VOCAB, max_steps=0, progress=False)
    with pytest.raises(ValueError, match="device"):
        vectors_glove.train_glove(TINY_COOC, TINY_VOCAB, device="tpu", progress=False)
    with pytest.raises(ValueError, match="weighting must be one of"):
        vectors_glove.GloVeConfig(weighting="linear")
    with pytest.raises(ValueError, match="alpha must be positive"):
        vectors_glove.GloVeConfig(alpha=0.0)
    with pytest.raises(ValueError, match="min_count"):
        vectors_glove.GloVeConfig(min_count=0)


def test_glove_cooccurrence_follows_the_config():
    sentences = topic_corpus()
    config = vectors_glove.GloVeConfig(window=3, weighting="uniform", min_count=2)
    cooc, vocab = vectors_glove.glove_cooccurrence(sentences, config)
    assert vocab.words == counts.build_vocab(sentences, min_count=2).words
    expected = counts.cooccurrence(sentences, vocab, window=3, weighting="uniform")
    np.testing.assert_array_equal(cooc.toarray(), expected.toarray())
    with pytest.raises(ValueError, match="no word occurs min_count=99 times"):
        vectors_glove.glove_cooccurrence([["a", "b"]], vectors_glove.GloVeConfig(min_count=99))


def test_glove_learns_the_topics():
    """Words of one topic end up closer to each other than to the other topic's words."""
    sentences = topic_corpus()
    config = vectors_glove.GloVeConfig(
        vector_size=8, window=4, min_count=1, x_max=10.0, epochs=150
    )
    cooc, vocab = vectors_glove.glove_cooccurrence(sentences, config)
    kv, history = vectors_glove.train_glove(cooc, vocab, config, seed=0, progress=False)
    assert history.loss[-1] < history.loss[0] / 5
    within = [kv.similarity(a, b) for topic in TOPICS for a in topic for b in topic if a < b]
    across = [kv.similarity(a, b) for a in TOPICS[0] for b in TOPICS[1]]
    assert min(within) > max(across)


# ---------------------------------------------------------------------------
# GloVe text files
# ---------------------------------------------------------------------------


def test_glove_text_round_trip_and_gensim(tmp_path):
    words = ["the", "cat", "naïve"]
    vectors = np.array([[0.1, -0.2], [1.5, 2.25], [-3.0, 0.000001]])
    path = tmp_path / "vectors.txt"
    vectors_glove.save_glove_text(path, words, vectors)
    assert path.read_text(encoding="utf-8").splitlines()[1] == "cat 1.500000 2.250000"
    ours = vectors_glove.load_glove_text(path)
    theirs = KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
    assert ours.index_to_key == theirs.index_to_key == words
    np.testing.assert_allclose(ours.vectors, vectors, atol=1e-6)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    with pytest.raises(ValueError, match="white space"):
        vectors_glove.save_glove_text(path, ["two words", "x", "y"], vectors)
    with pytest.raises(ValueError, match="shape"):
        vectors_glove.save_glove_text(path, words[:2], vectors)


def test_load_glove_text_reads_gensims_sample_file():
    from gensim.test.utils import datapath

    path = datapath("test_glove.txt")
    ours = vectors_glove.load_glove_text(path)
    theirs = KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a 1.0 2.0\nb 1.0\n", "line 2: 1 values after the word, but the first line has 2"),
        ("a 1.0 2.0\n\nb 1.0 x\n", "line 3: a value is not a number"),
        ("a\n", "line 1: no values after the word 'a'"),
        ("", "holds no vectors"),
        ("a 1 2\nb 3 4\na 3 4\n", "line 3: the word 'a' again \\(first on line 1\\)"),
        ("2 3\na 1 2 3\n", "line 2: 3 values.*word2vec header"),
    ],
)
def test_load_glove_text_rejects_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        vectors_glove.load_glove_text(path)


def test_pretrained_glove_is_skipped_at_once_when_offline(monkeypatch, tmp_path):
    import gensim.downloader

    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(tmp_path))
    for variable in OFFLINE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for variable in ("COURSE_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.setenv(variable, "1")
        started = time.perf_counter()
        with pytest.raises(DataUnavailableError, match=f"{variable} is set.*gensim.downloader"):
            vectors_glove.load_pretrained_glove()
        assert time.perf_counter() - started < 1
        monkeypatch.delenv(variable)

    def unreachable(address, timeout):
        assert address == vectors_glove.PRETRAINED_HOST and timeout == 0.5
        raise OSError("no route to host")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(DataUnavailableError, match=r"github\.com cannot be reached"):
        vectors_glove.load_pretrained_glove(timeout=0.5)


@pytest.mark.parametrize("header", ["2 3\n", ""])
def test_pretrained_glove_reads_a_local_copy_as_text(monkeypatch, tmp_path, header):
    import gzip

    import gensim.downloader

    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")  # a local copy needs no network
    name = "tiny-glove"
    (tmp_path / name).mkdir()
    with gzip.open(tmp_path / name / f"{name}.gz", "wt", encoding="utf-8") as handle:
        handle.write(header + "the 1 2 3\nof 4 5 6.5\n")
    kv = vectors_glove.load_pretrained_glove(name)
    assert kv.index_to_key == ["the", "of"]
    np.testing.assert_array_equal(kv["of"], [4.0, 5.0, 6.5])


# ---------------------------------------------------------------------------
# The train-glove command and the shipped vectors
# ---------------------------------------------------------------------------


def test_train_glove_command_still_trains(tmp_path, capsys):
    from course_utils.__main__ import main
    from course_utils.checkpoints import load_provenance, load_vectors

    argv = ["train-glove", "--max-steps", "3", "--seed", "2", "--corpus", SMALL_SOURCE]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert "WordSim-353" in capsys.readouterr().out
    record = load_provenance(experiments_vectors.GLOVE_CHECKPOINT, tmp_path)
    assert record["command"] == f"python -m course_utils {' '.join(argv)}"
    assert record["seed"] == 2 and record["config"] == asdict(experiments_vectors.SHIPPED_GLOVE)
    assert record["corpus"]["sources"] == [SMALL_SOURCE] and record["max_steps"] == 3
    assert record["steps"] == 3 and math.isfinite(record["final_loss"])
    assert 0 < record["epochs_completed"] < 1 and record["similarity_by_epoch"]["wordsim353"] == []
    kv = load_vectors(experiments_vectors.GLOVE_CHECKPOINT, tmp_path)
    assert (
        len(kv)
        == record["shipped_words"]
        == min(record["vocabulary"], experiments_vectors.SHIPPED_WORDS)
    )
    assert kv.vector_size == experiments_vectors.SHIPPED_GLOVE.vector_size
    assert benchmarks.benchmark_summary(kv) == pytest.approx(
        record["evaluation"]["shipped"], nan_ok=True
    )


def test_train_glove_vectors_rejects_bad_requests(tmp_path):
    with pytest.raises(ValueError, match="threads must be positive"):
        experiments_vectors.train_glove_vectors(threads=0, directory=tmp_path)
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        experiments_vectors.train_glove_vectors(device="tpu", directory=tmp_path)
    with pytest.raises(ValueError, match="Unknown corpus source"):
        experiments_vectors.train_glove_vectors(corpus=["wikipedia"], directory=tmp_path)
    assert not list(tmp_path.iterdir())


def test_shipped_glove_matches_its_provenance():
    from course_utils.checkpoints import load_provenance, load_vectors

    record = load_provenance(experiments_vectors.GLOVE_CHECKPOINT)
    kv = load_vectors(experiments_vectors.GLOVE_CHECKPOINT)
    assert record["command"] == experiments_vectors.GLOVE_COMMAND and record["max_steps"] is None
    assert record["config"] == asdict(experiments_vectors.SHIPPED_GLOVE) and record["seed"] == 0
    assert record["corpus"]["sources"] == list(data.CORPUS_SOURCES)
    assert record["epochs_completed"] == experiments_vectors.SHIPPED_GLOVE.epochs
    assert (
        len(record["similarity_by_epoch"]["wordsim353"])
        == experiments_vectors.SHIPPED_GLOVE.epochs
    )
    assert len(kv) == record["shipped_words"] == experiments_vectors.SHIPPED_WORDS
    assert kv.vector_size == experiments_vectors.SHIPPED_GLOVE.vector_size
    assert benchmarks.benchmark_summary(kv) == pytest.approx(record["evaluation"]["shipped"])


# ---------------------------------------------------------------------------
# The notebook's figure and explorer
# ---------------------------------------------------------------------------


def test_ratio_table_html_shows_the_ratios_and_says_what_is_wrong():
    from course_utils.widgets import ratio_table_html

    sentences = topic_corpus()
    vocab = counts.build_vocab(sentences)
    cooc = counts.cooccurrence(sentences, vocab, window=4, weighting="harmonic")
    page = ratio_table_html(cooc, vocab, "ice steam the cold hot")
    the = vectors_glove.cooccurrence_ratios(cooc, vocab, "ice", "steam", ["the"])[0].ratio
    assert f"<td>{the:.3g}</td>" in page  # near 1: not bold
    assert "<b>∞</b>" in page and "<b>0</b>" in page  # cold only with ice, hot only with steam
    assert "not in the vocabulary: [&#x27;zebra&#x27;]" in ratio_table_html(
        cooc, vocab, "ice zebra the"
    )
    assert "Type two words" in ratio_table_html(cooc, vocab, "ice steam")
    config = vectors_glove.GloVeConfig(vector_size=4, epochs=2)
    models = {"GloVe": vectors_glove.train_glove(cooc, vocab, config, progress=False)[0]}
    assert "Nearest neighbours of <code>steam</code>" in ratio_table_html(
        cooc, vocab, "ice steam the", models
    )


def test_glove_weighting_plot_draws_f():
    from course_utils.model_plots import loss_curves_plot
    from course_utils.plots import glove_weighting_plot

    fig = glove_weighting_plot([(100.0, 0.75), (10.0, 1.0)])
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]
    assert len(lines) == 2
    x, y = lines[1].get_xdata(), lines[1].get_ydata()
    np.testing.assert_allclose(y, np.minimum(x / 10.0, 1.0))
    with pytest.raises(ValueError, match="at least one"):
        glove_weighting_plot([])
    with pytest.raises(ValueError, match="2 steps but 1 losses"):
        loss_curves_plot({"run": ([1, 2], [0.5])})
