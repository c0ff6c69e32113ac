"""Tests of course_utils.text (notebook 05): Porter from scratch against Porter's reference
vocabulary and NLTK, the NLTK wrappers, the POS tagger, normalization and Heaps' law."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy import stats

from course_utils.text import normalization as text_normalization
from course_utils.text import porter, tagging
from course_utils.text.normalization import lemmatize, lemmatize_sentence, normalize
from course_utils.text.porter import (
    load_porter_reference,
    porter_stem,
    porter_trace,
    stemmer_agreement,
)

ODD_INPUTS = [
    "",
    "123",
    "café",
    "naïve",
    "HeLLo",
    "!!!",
    "don't",
    " ",
    "ß",
    "日本語",
    "yyyy",
    "x" * 500,
]
PORTER_TARGET_AGREEMENT = 0.999
TAGGER_TARGET_ACCURACY = 0.93
#: Our perceptron and NLTK's (same design, same data) may differ by at most this much.
TAGGER_MAX_GAP_TO_NLTK = 0.01
TAGGER_COMPARISON_SENTENCES = 1000
PORTER_VOCABULARY_SIZE = 23_531


# ---------------------------------------------------------------------------
# Porter: definitions, steps and the paper's examples
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "m"),
    [
        (["tr", "ee", "tree", "y", "by"], 0),
        (["trouble", "oats", "trees", "ivy"], 1),
        (["troubles", "private", "oaten", "orrery"], 2),
    ],
)
def test_measure_matches_the_papers_examples(words, m):
    assert [porter.measure(word) for word in words] == [m] * len(words)


def test_consonants_follow_the_papers_definition():
    # "in TOY the consonants are T and Y, and in SYZYGY they are S, Z and G"
    assert porter.consonant_vowel_pattern("toy") == "cvc"
    assert porter.consonant_vowel_pattern("syzygy") == "cvcvcv"
    assert porter.contains_vowel("sky") and not porter.contains_vowel("tr")


def test_double_consonant_and_cvc_conditions():
    assert porter.ends_double_consonant("hopp") and porter.ends_double_consonant("fall")
    assert not porter.ends_double_consonant("fee") and not porter.ends_double_consonant("a")
    assert porter.ends_cvc("wil") and porter.ends_cvc("hop")
    assert not any(porter.ends_cvc(stem) for stem in ("how", "box", "tray", "hoop", "ho"))


# Every example that the paper prints beside its rules, step by step.
PAPER_EXAMPLES = {
    porter.step_1a: {"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress",
                   "cats": "cat"},
    porter.step_1b: {"feed": "feed", "agreed": "agree", "plastered": "plaster", "bled": "bled",
                   "motoring": "motor", "sing": "sing"},
    porter.step_1b_cleanup: {"conflat": "conflate", "troubl": "trouble", "siz": "size",
                           "hopp": "hop", "tann": "tan", "fall": "fall", "hiss": "hiss",
                           "fizz": "fizz", "fail": "fail", "fil": "file"},
    porter.step_1c: {"happy": "happi", "sky": "sky"},
    porter.step_2: {"relational": "relate", "conditional": "condition", "rational": "rational",
                  "valenci": "valence", "hesitanci": "hesitance", "digitizer": "digitize",
                  "conformabli": "conformable", "radicalli": "radical",
                  "differentli": "different", "vileli": "vile", "analogousli": "analogous",
                  "vietnamization": "vietnamize", "predication": "predicate",
                  "operator": "operate", "feudalism": "feudal", "decisiveness": "decisive",
                  "hopefulness": "hopeful", "callousness": "callous", "formaliti": "formal",
                  "sensitiviti": "sensitive", "sensibiliti": "sensible"},
    porter.step_3: {"triplicate": "triplic", "formative": "form", "formalize": "formal",
                  "electriciti": "electric", "electrical": "electric", "hopeful": "hope",
                  "goodness": "good"},
    porter.step_4: {"revival": "reviv", "allowance": "allow", "inference": "infer",
                  "airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust",
                  "defensible": "defens", "irritant": "irrit", "replacement": "replac",
                  "adjustment": "adjust", "dependent": "depend", "adoption": "adopt",
                  "homologou": "homolog", "communism": "commun", "activate": "activ",
                  "angulariti": "angular", "homologous": "homolog", "effective": "effect",
                  "bowdlerize": "bowdler"},
    porter.step_5a: {"probate": "probat", "rate": "rate", "cease": "ceas"},
    porter.step_5b: {"controll": "control", "roll": "roll"},
}  # fmt: skip


@pytest.mark.parametrize("step", list(PAPER_EXAMPLES), ids=lambda step: step.__name__)
def test_each_step_reproduces_the_papers_examples(step):
    examples = PAPER_EXAMPLES[step]
    assert {word: step(word)[0] for word in examples} == examples


def test_only_the_longest_matching_suffix_may_fire():
    # EED matches "feed" but m("f") = 0: the rule fails and ED is never tried.
    assert porter.step_1b("feed") == ("feed", None)
    # ATIONAL matches "rational" but m("r") = 0: TIONAL is never tried.
    assert porter.step_2("rational") == ("rational", None)
    # SS -> SS fires (and changes nothing), so S -> is not applied to "caress".
    assert porter.step_1a("caress") == ("caress", porter.STEP_1A[2])


@pytest.mark.parametrize(
    ("word", "stem"),
    [("running", "run"), ("runs", "run"), ("ran", "ran"), ("runner", "runner"), ("cats", "cat")],
)
def test_course_notes_examples(word, stem):
    assert porter_stem(word) == stem


def test_porter_stem_lower_cases_first():
    assert porter_stem("Running") == porter_stem("RUNNING") == "run"


def test_trace_shows_each_step_firing():
    trace = porter_trace("generalizations")
    assert [step.step for step in trace] == ["1a", "1b", "1c", "2", "3", "4", "5a", "5b"]
    fired = [(step.step, str(step.rule), step.after) for step in trace if step.fired]
    assert fired == [
        ("1a", "S ->", "generalization"),
        ("2", "(m>0) IZATION -> IZE", "generalize"),
        ("3", "(m>0) ALIZE -> AL", "general"),
        ("4", "(m>1) AL ->", "gener"),
    ]


@pytest.mark.parametrize("word", ["hopping", "conflated", "falling", "cats", "feed", "sing"])
def test_trace_is_a_chain_and_cleanup_runs_only_after_ed_or_ing(word):
    trace = porter_trace(word)
    assert trace[0].before == word
    assert all(a.after == b.before for a, b in itertools.pairwise(trace))
    assert trace[-1].after == porter_stem(word)
    removed_ed_or_ing = trace[1].rule in (porter.ED_RULE, porter.ING_RULE)
    assert ("1b cleanup" in [step.step for step in trace]) == removed_ed_or_ing
    assert removed_ed_or_ing == (word in {"hopping", "conflated", "falling"})


def test_rules_print_as_in_the_paper():
    assert str(porter.STEP_2[0]) == "(m>0) ATIONAL -> ATE"
    assert str(porter.STEP_4[11]) == "(m>1 and (*S or *T)) ION ->"
    assert str(porter.STEP_5B[0]) == "(m>1 and *d and *L) -> single letter"
    assert str(porter.STEP_1A[0]) == "SSES -> SS"


# ---------------------------------------------------------------------------
# Porter against the reference vocabulary and NLTK
# ---------------------------------------------------------------------------


def test_reference_vocabulary_loads_every_variant():
    for variant in porter.PORTER_REFERENCE_FILES:
        pairs = load_porter_reference(variant)
        assert len(pairs) == PORTER_VOCABULARY_SIZE
        assert pairs[0][0] == "a"
    with pytest.raises(ValueError, match="choose one of"):
        load_porter_reference("porter2")


def test_agreement_with_porters_original_output():
    result = stemmer_agreement()
    for word, expected, got in result.disagreements:
        print(f"disagreement: {word!r}: reference {expected!r}, ours {got!r}")
    print(f"agreement with porter_original_output.txt: {result.agreement:.4%}")
    assert result.num_words == PORTER_VOCABULARY_SIZE
    assert result.agreement >= PORTER_TARGET_AGREEMENT


def test_agreement_with_nltk_original_algorithm():
    from nltk.stem import PorterStemmer

    nltk_stem = PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM).stem
    words = [word for word, _ in load_porter_reference()]
    result = stemmer_agreement(reference=[(word, nltk_stem(word)) for word in words])
    print(f"agreement with NLTK ORIGINAL_ALGORITHM: {result.agreement:.4%}")
    assert result.agreement >= PORTER_TARGET_AGREEMENT


def test_martins_departures_show_up_as_disagreements():
    # Porter's own C code departs from the paper (e.g. BLI -> BLE, no stemming of 1-2
    # letter words): the published algorithm must not agree with it everywhere.
    result = stemmer_agreement(reference=load_porter_reference("martin"))
    assert PORTER_TARGET_AGREEMENT - 0.01 < result.agreement < 1.0
    assert ("possibly", "possibl", "possibli") in result.disagreements


def test_agreement_counts_disagreements():
    result = stemmer_agreement(str.upper, reference=[("a", "A"), ("b", "b")])
    assert result.agreement == 0.5
    assert result.disagreements == [("b", "b", "B")]
    with pytest.raises(ValueError, match="empty"):
        stemmer_agreement(reference=[])
    with pytest.raises(TypeError, match="function"):
        stemmer_agreement("porter")


# ---------------------------------------------------------------------------
# NLTK stemmers and WordNet
# ---------------------------------------------------------------------------


def test_nltk_stemmer_wrappers_match_nltk():
    from nltk.stem import LancasterStemmer, SnowballStemmer

    words = [word for word, _ in load_porter_reference()[::20]]
    snowball, lancaster = SnowballStemmer("english"), LancasterStemmer()
    assert [text_normalization.snowball_stem(w) for w in words] == [
        snowball.stem(w) for w in words
    ]
    assert [text_normalization.lancaster_stem(w) for w in words] == [
        lancaster.stem(w) for w in words
    ]
    assert text_normalization.snowball_stem("generously") == "generous"
    assert text_normalization.lancaster_stem("maximum") == "maxim"


@pytest.mark.parametrize("word", ODD_INPUTS)
@pytest.mark.parametrize("name", [*text_normalization.STEMMERS, "lemmatize", "lemmatize_verb"])
def test_every_normalizer_accepts_any_string(name, word):
    functions = {
        **text_normalization.STEMMERS,
        "lemmatize": lemmatize,
        "lemmatize_verb": lambda w: lemmatize(w, "v"),
    }
    assert isinstance(functions[name](word), str)


@pytest.mark.parametrize("function", [*text_normalization.STEMMERS.values(), lemmatize])
def test_non_strings_are_refused_with_a_hint(function):
    with pytest.raises(TypeError, match="tokenize"):
        function(["running"])


def test_wordnet_lemmatizer_needs_the_part_of_speech():
    assert [lemmatize(w) for w in ("running", "ate", "better")] == ["running", "ate", "better"]
    assert [lemmatize("running", "v"), lemmatize("ate", "v"), lemmatize("better", "a")] == [
        "run",
        "eat",
        "good",
    ]
    with pytest.raises(ValueError, match="wordnet_pos"):
        lemmatize("running", "VERB")


def test_universal_tags_map_to_wordnet_classes():
    mapping = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r", "DET": None, "PRON": None}
    assert {tag: tagging.wordnet_pos(tag) for tag in mapping} == mapping


# ---------------------------------------------------------------------------
# The POS tagger
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def treebank_split():
    return tagging.split_tagged_sentences(tagging.load_tagged_sentences("treebank"))


@pytest.fixture(scope="module")
def tagger(treebank_split):
    train, _ = treebank_split
    return tagging.train_pos_tagger(train, seed=0, progress=False)


def test_treebank_split_is_fixed_and_has_no_empty_elements(treebank_split):
    train, held_out = treebank_split
    assert (len(train), len(held_out)) == (3523, 391)
    tags = {tag for sentence in train + held_out for _, tag in sentence}
    assert tags <= {"NOUN", "VERB", "ADJ", "ADV", "ADP", "CONJ", "DET", "NUM", "PRT", "PRON",
                    ".", "X"}  # fmt: skip
    assert not any(word.startswith("*") for sentence in train for word, _ in sentence)


def test_tagger_reaches_the_target_accuracy(tagger, treebank_split):
    _, held_out = treebank_split
    accuracy = tagging.tagging_accuracy(tagger, held_out)
    print(f"held-out accuracy {accuracy:.4f}, trained in {tagger.train_seconds:.1f} s")
    assert accuracy >= TAGGER_TARGET_ACCURACY
    assert tagger.train_seconds > 0 and tagger.tokens_per_second > 0


def test_tagger_matches_nltks_perceptron_on_the_same_data(treebank_split):
    from nltk.tag.perceptron import PerceptronTagger

    train, held_out = treebank_split
    subset = train[:TAGGER_COMPARISON_SENTENCES]
    ours = tagging.train_pos_tagger(subset, seed=0, num_iterations=2, progress=False)
    state = random.getstate()
    random.seed(0)  # NLTK's trainer shuffles with the global generator
    reference = PerceptronTagger(load=False)
    reference.train([list(sentence) for sentence in subset], nr_iter=2)
    random.setstate(state)
    gold = [tag for sentence in held_out for _, tag in sentence]
    predicted = [tag for s in held_out for _, tag in reference.tag([w for w, _ in s])]
    nltk_accuracy = float(np.mean(np.array(predicted) == np.array(gold)))
    ours_accuracy = tagging.tagging_accuracy(ours, held_out)
    assert ours_accuracy == pytest.approx(nltk_accuracy, abs=TAGGER_MAX_GAP_TO_NLTK)


def test_tagger_is_deterministic_given_a_seed(treebank_split):
    train, held_out = treebank_split
    small = train[:300]
    first, second, other = (
        tagging.train_pos_tagger(small, seed=seed, num_iterations=2, progress=False)
        for seed in (1, 1, 2)
    )
    sentences = [[w for w, _ in s] for s in held_out[:50]]
    assert [first.tag(s) for s in sentences] == [second.tag(s) for s in sentences]
    assert first.model.weights == second.model.weights
    assert first.model.weights != other.model.weights


def test_lowercase_tagger_handles_lowercase_tokens(treebank_split):
    train, held_out = treebank_split
    tagger = tagging.train_pos_tagger(train[:1000], seed=0, num_iterations=2, lowercase=True,
                                   progress=False)  # fmt: skip
    lowered = [[(w.lower(), t) for w, t in s] for s in held_out]
    assert tagging.tagging_accuracy(tagger, lowered) == tagging.tagging_accuracy(tagger, held_out)
    assert tagger.tag(["The", "Dog"])[1] == ("Dog", "NOUN")


def test_tagger_input_errors(tagger):
    assert tagger.tag([]) == []
    with pytest.raises(TypeError, match="list of tokens"):
        tagger.tag("the dog barks")
    with pytest.raises(ValueError, match="num_iterations"):
        tagging.train_pos_tagger([[("a", "DET")]], num_iterations=0)
    with pytest.raises(ValueError, match=r"\(word, tag\)"):
        tagging.train_pos_tagger([["a", "b"]])
    with pytest.raises(ValueError, match="no training sentences"):
        tagging.train_pos_tagger([])
    with pytest.raises(ValueError, match="held_out_fraction"):
        tagging.split_tagged_sentences([[("a", "DET")]] * 10, held_out_fraction=1.5)
    with pytest.raises(ValueError, match="choose one of"):
        tagging.load_tagged_sentences("penn")


def test_lemmatize_sentence_uses_the_predicted_tags(tagger):
    tokens = ["The", "children", "were", "running", "and", "the", "dogs", "barked"]
    lemmas = lemmatize_sentence(tokens, tagger)
    assert lemmas == ["The", "child", "be", "run", "and", "the", "dog", "bark"]
    # pronouns have no WordNet class, so "us" is not turned into the noun "u"
    assert lemmatize_sentence(["they", "saw", "us"], tagger)[2] == "us"


# ---------------------------------------------------------------------------
# Stop words and the normalization pipeline
# ---------------------------------------------------------------------------


def test_stopwords_are_nltks_english_list():
    from nltk.corpus import stopwords

    assert text_normalization.english_stopwords() == frozenset(stopwords.words("english"))
    assert {"the", "and", "not"} <= text_normalization.english_stopwords()
    assert text_normalization.is_stopword("The") and not text_normalization.is_stopword("movie")


TOKENS = ["The", "Cats", "were", "running", "happily"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["the", "cats", "were", "running", "happily"]),
        ({"lowercase": False}, TOKENS),
        ({"stem": "porter"}, ["the", "cat", "were", "run", "happili"]),
        ({"stem": "snowball", "remove_stopwords": True}, ["cat", "run", "happili"]),
        ({"lemmatize": True}, ["the", "cat", "were", "running", "happily"]),
        ({"stem": str.upper, "remove_stopwords": True}, ["CATS", "RUNNING", "HAPPILY"]),
    ],
)
def test_normalize_options(options, expected):
    assert normalize(TOKENS, **options) == expected


def test_normalize_with_a_tagger_lemmatizes_by_part_of_speech(tagger):
    result = normalize(TOKENS, lemmatize=True, tagger=tagger, remove_stopwords=True)
    assert result == ["cat", "run", "happily"]


def test_normalize_errors():
    with pytest.raises(ValueError, match="choose one of"):
        normalize(TOKENS, stem="krovetz")
    with pytest.raises(TypeError, match="list of tokens"):
        normalize("The cats")
    with pytest.raises(ValueError, match="lemmatize=True"):
        normalize(TOKENS, tagger=object())


def test_normalize_sentences_streams_lazily():
    endless = itertools.cycle([["Cats", "running"], ["the", "dogs"]])
    stream = text_normalization.normalize_sentences(endless, stem="porter", remove_stopwords=True)
    assert list(itertools.islice(stream, 3)) == [["cat", "run"], ["dog"], ["cat", "run"]]


def test_compare_normalizers_on_typed_text(tagger):
    rows = text_normalization.compare_normalizers("Runners were running, US!", tagger)
    assert list(rows) == [*text_normalization.STEMMERS, "wordnet (no POS)", "wordnet (POS)"]
    assert rows["porter"] == ["runner", "were", "run", "u"]
    assert rows["wordnet (POS)"][1:3] == ["be", "run"]
    assert all(len(row) == 4 for row in rows.values())


def test_conflation_classes_group_words_by_stem():
    classes = text_normalization.conflation_classes(
        ["running", "runs", "run", "ran", "runs"], "porter"
    )
    assert classes == {"ran": ["ran"], "run": ["run", "running", "runs"]}
    assert list(text_normalization.conflation_classes(["b", "a"], str.upper)) == ["A", "B"]
    with pytest.raises(ValueError, match="choose one of"):
        text_normalization.conflation_classes(["a"], "krovetz")
    with pytest.raises(ValueError, match="not None"):
        text_normalization.conflation_classes(["a"], None)
    with pytest.raises(TypeError, match="list of tokens"):
        text_normalization.conflation_classes("running", "porter")


def test_cached_normalizers_match_the_uncached_ones():
    from nltk.stem import WordNetLemmatizer

    words = [word for word, _ in load_porter_reference()[::50]]
    for name, stem in text_normalization.STEMMERS.items():
        assert normalize(words, stem=name) == [stem(word) for word in words]
    wordnet = WordNetLemmatizer()
    for pos in tagging.WORDNET_POS:
        assert [lemmatize(w, pos) for w in words] == [wordnet.lemmatize(w, pos) for w in words]


# ---------------------------------------------------------------------------
# Heaps' law and OOV
# ---------------------------------------------------------------------------


def test_type_token_curve_matches_brute_force():
    rng = np.random.default_rng(0)
    tokens = [f"w{i}" for i in rng.zipf(1.5, size=3000)]
    num_tokens, num_types = text_normalization.type_token_curve(iter(tokens), num_points=20)
    assert num_tokens[0] == 1 and num_tokens[-1] == len(tokens)
    assert np.all(np.diff(num_tokens) > 0) and np.all(np.diff(num_types) >= 0)
    assert num_types.tolist() == [len(set(tokens[:n])) for n in num_tokens]


def _heaps_stream(k: float, beta: float, length: int) -> list[str]:
    """A stream whose n-th token is new exactly when K n^beta passes a whole number."""
    tokens, types = [], 0
    for n in range(1, length + 1):
        if types < min(n, int(k * n**beta)):
            types += 1
            tokens.append(f"type{types}")
        else:
            tokens.append("type1")
    return tokens


def test_heaps_law_recovers_known_parameters():
    k, beta = text_normalization.fit_heaps_law(
        *text_normalization.type_token_curve(_heaps_stream(5.0, 0.6, 200_000))
    )
    assert k == pytest.approx(5.0, rel=0.05)
    assert beta == pytest.approx(0.6, abs=0.01)


def test_heaps_fit_is_least_squares_in_log_space():
    rng = np.random.default_rng(1)
    tokens = [str(i) for i in rng.zipf(1.3, size=20_000)]
    num_tokens, num_types = text_normalization.type_token_curve(tokens, num_points=30)
    used = num_tokens >= text_normalization.HEAPS_MIN_TOKENS
    reference = stats.linregress(np.log(num_tokens[used]), np.log(num_types[used]))
    k, beta = text_normalization.fit_heaps_law(num_tokens, num_types)
    assert beta == pytest.approx(reference.slope)
    assert k == pytest.approx(np.exp(reference.intercept))
    assert 0 < beta < 1


def test_heaps_errors():
    with pytest.raises(ValueError, match="at least one token"):
        text_normalization.type_token_curve([])
    with pytest.raises(ValueError, match="num_points"):
        text_normalization.type_token_curve(["a"], num_points=1)
    with pytest.raises(ValueError, match="min_tokens"):
        text_normalization.fit_heaps_law(*text_normalization.type_token_curve(["a", "b", "c"]))
    with pytest.raises(ValueError, match="equally long"):
        text_normalization.fit_heaps_law([1, 2, 3], [1, 2])


def test_oov_rate():
    assert text_normalization.oov_rate({"a", "b"}, ["a", "c", "d", "b"]) == 0.5
    assert text_normalization.oov_rate(iter(["a"]), ["a"]) == 0.0
    with pytest.raises(ValueError, match="at least one token"):
        text_normalization.oov_rate({"a"}, [])


def test_oov_rate_streams_its_tokens():
    import tracemalloc

    num_tokens = 500_000  # a list of them would take 4 MB of pointers alone
    tracemalloc.start()
    rate = text_normalization.oov_rate({"a"}, ("a" if i % 4 else "b" for i in range(num_tokens)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rate == 0.25
    assert peak < 1_000_000, f"oov_rate held {peak:,} bytes: the tokens were materialized"
    with pytest.raises(TypeError, match="list of tokens"):
        text_normalization.oov_rate({"a"}, "abc")


# ---------------------------------------------------------------------------
# The same pipeline in parallel (dask.bag)
# ---------------------------------------------------------------------------

PARALLEL_CORPUS = [
    ["The", "cats", "were", "running", "happily"],
    ["Dogs", "barked", "at", "us"],
    [],
    ["Better", "films", "ran", "longer"],
] * 5


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
@pytest.mark.parametrize(
    "options", [{}, {"stem": "porter", "remove_stopwords": True}, {"lowercase": False}]
)
def test_parallel_normalization_equals_the_serial_pipeline(scheduler, options):
    serial = list(text_normalization.normalize_sentences(PARALLEL_CORPUS, **options))
    for npartitions in (1, 3, 50):
        parallel = text_normalization.normalize_corpus_parallel(
            PARALLEL_CORPUS, scheduler=scheduler, npartitions=npartitions, **options
        )
        assert parallel == serial


def test_parallel_normalization_on_worker_processes_with_a_tagger(tagger):
    options = {"lemmatize": True, "tagger": tagger}
    serial = list(text_normalization.normalize_sentences(PARALLEL_CORPUS, **options))
    assert text_normalization.normalize_corpus_parallel(
        PARALLEL_CORPUS, scheduler="processes", **options
    ) == (serial)


def test_parallel_normalization_on_a_distributed_client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        parallel = text_normalization.normalize_corpus_parallel(
            PARALLEL_CORPUS, scheduler=client, stem="porter"
        )
    assert parallel == list(text_normalization.normalize_sentences(PARALLEL_CORPUS, stem="porter"))


def test_parallel_normalization_errors_come_before_any_work():
    with pytest.raises(ValueError, match="choose one of"):
        text_normalization.normalize_corpus_parallel(PARALLEL_CORPUS, stem="krovetz")
    with pytest.raises(ValueError, match="lemmatize=True"):
        text_normalization.normalize_corpus_parallel(PARALLEL_CORPUS, tagger=object())
    with pytest.raises(TypeError, match="sequence"):
        text_normalization.normalize_corpus_parallel(iter(PARALLEL_CORPUS))
    with pytest.raises(ValueError, match="npartitions"):
        text_normalization.normalize_corpus_parallel(PARALLEL_CORPUS, npartitions=0)
    assert text_normalization.normalize_corpus_parallel([], scheduler="synchronous") == []
