"""BERT pre-training data: masking statistics and NSP pairs (notebook 08)."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from course_utils import training
from course_utils.bert import (
    IS_NEXT,
    NOT_NEXT,
    TinyBert,
    TinyBertConfig,
    TinyBertForSequenceClassification,
    TinyBertForTokenClassification,
    make_nsp_pairs,
    mask_tokens,
    pad_examples,
    pair_example,
    single_example,
)
from course_utils.fine_tuning import (
    FineTuningConfig,
    fine_tune,
    first_piece_labels,
    labelled_accuracy,
    predict,
)
from course_utils.pretraining import (
    BertVocab,
    PretrainingConfig,
    PretrainingCorpus,
    PretrainingState,
    evaluate_pretraining,
    pretrain,
)
from course_utils.training import resolve_precision, warmup_linear_decay, with_resolved_precision
from course_utils.transformer import IGNORE_INDEX

PAD, UNK, CLS, SEP, MASK = range(5)
SPECIAL = (PAD, UNK, CLS, SEP, MASK)
VOCAB = 1000
TOLERANCE = 0.01


def _batch(rows: int = 400, length: int = 300) -> torch.Tensor:
    ids = torch.randint(5, VOCAB, (rows, length), generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, -1], ids[:, -20:-1] = CLS, SEP, PAD
    return ids


def test_masking_rates_are_15_and_80_10_10():
    ids = _batch()
    inputs, labels = mask_tokens(
        ids,
        mask_id=MASK,
        vocab_size=VOCAB,
        special_ids=SPECIAL,
        generator=torch.Generator().manual_seed(1),
    )
    ordinary = ~torch.isin(ids, torch.tensor(SPECIAL))
    chosen = labels != IGNORE_INDEX
    assert ordinary.sum() > 100_000
    assert abs(chosen.sum() / ordinary.sum() - 0.15) < TOLERANCE
    masked = (inputs == MASK) & chosen
    unchanged = (inputs == ids) & chosen
    random_ = chosen & ~masked & ~unchanged
    for part, share in ((masked, 0.8), (unchanged, 0.1), (random_, 0.1)):
        assert abs(part.sum() / chosen.sum() - share) < TOLERANCE, share
    assert torch.equal(labels[chosen], ids[chosen])
    assert not chosen[~ordinary].any() and torch.equal(inputs[~ordinary], ids[~ordinary])
    assert not torch.isin(inputs[random_], torch.tensor(SPECIAL)).any()
    assert torch.equal(inputs[~chosen], ids[~chosen])


def test_masking_is_seeded_and_leaves_the_input_alone():
    ids = _batch(10, 50)
    copy = ids.clone()

    def run(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        return mask_tokens(
            ids,
            mask_id=MASK,
            vocab_size=VOCAB,
            special_ids=SPECIAL,
            generator=torch.Generator().manual_seed(seed),
        )

    first, second = run(3), run(3)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert not torch.equal(run(3)[1], run(4)[1]) and torch.equal(ids, copy)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mlm_probability": 0.0}, ValueError, "mlm_probability"),
        ({"mask_id": VOCAB}, ValueError, "mask_id"),
        ({"vocab_size": 10}, ValueError, "input_ids must lie"),
    ],
)
def test_bad_masking_arguments(kwargs, error, message):
    arguments = {"mask_id": MASK, "vocab_size": VOCAB, "special_ids": SPECIAL, **kwargs}
    with pytest.raises(error, match=message):
        mask_tokens(_batch(2, 60), **arguments)
    with pytest.raises(TypeError, match="LongTensor"):
        mask_tokens(_batch(2, 20).float(), mask_id=MASK, vocab_size=VOCAB, special_ids=SPECIAL)


def test_pair_layout_and_truncation():
    example = pair_example(
        [10, 11, 12, 13, 14], [20, 21], IS_NEXT, cls_id=CLS, sep_id=SEP, max_length=8
    )
    assert example.input_ids == [CLS, 10, 11, 12, SEP, 20, 21, SEP]
    assert example.token_type_ids == [0, 0, 0, 0, 0, 1, 1, 1]


def test_nsp_pairs_are_half_true_and_random_b_comes_from_another_document():
    documents = [[[doc * 100 + s] for s in range(30)] for doc in range(1, 41)]
    examples = make_nsp_pairs(documents, cls_id=CLS, sep_id=SEP, max_length=16, seed=0)
    assert len(examples) == 40 * 29
    share_next = sum(e.next_sentence_label == IS_NEXT for e in examples) / len(examples)
    assert abs(share_next - 0.5) < 0.03
    for e in examples:
        a, b = e.input_ids[1], e.input_ids[3]
        same_doc_next = b // 100 == a // 100 and b == a + 1
        assert same_doc_next == (e.next_sentence_label == IS_NEXT)
        if e.next_sentence_label == NOT_NEXT:
            assert b // 100 != a // 100


def test_nsp_needs_two_documents_and_padding_masks():
    with pytest.raises(ValueError, match="two documents"):
        make_nsp_pairs([[[1], [2]]], cls_id=CLS, sep_id=SEP, max_length=8)
    examples = [
        pair_example([7], [8], IS_NEXT, cls_id=CLS, sep_id=SEP, max_length=8),
        pair_example([7, 7, 7], [8, 8], NOT_NEXT, cls_id=CLS, sep_id=SEP, max_length=8),
    ]
    batch = pad_examples(examples, PAD)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].sum(1).tolist() == [5, 8]
    assert batch["next_sentence_label"].tolist() == [IS_NEXT, NOT_NEXT]


# ---------------------------------------------------------------------------
# Pre-training corpus, loop and resume
# ---------------------------------------------------------------------------

TINY = TinyBertConfig(
    vocab_size=VOCAB, max_position=24, d_model=16, num_layers=1, num_heads=2, d_ff=32, dropout=0.1
)
TINY_VOCAB = BertVocab(
    size=VOCAB, pad_id=PAD, cls_id=CLS, sep_id=SEP, mask_id=MASK, special_ids=SPECIAL
)


def _documents(count: int = 12, sentences: int = 6) -> list[list[list[int]]]:
    """Sentence s of document d is [100 + 10 d + s] * 3: its document can be read back."""
    return [[[100 + 10 * d + s] * 3 for s in range(sentences)] for d in range(count)]


def _corpus() -> PretrainingCorpus:
    return PretrainingCorpus(_documents(), [[900 + i] * 4 for i in range(20)])


def _original(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.where(batch["labels"] != IGNORE_INDEX, batch["labels"], batch["input_ids"])


def test_sampled_batches_mix_pairs_and_singles():
    batch = _corpus().sample(400, TINY_VOCAB, 16, torch.Generator().manual_seed(0))
    ids, nsp = _original(batch), batch["next_sentence_label"]
    pairs, singles = nsp != IGNORE_INDEX, nsp == IGNORE_INDEX
    assert pairs.sum() == 200 and singles.sum() == 200
    assert abs((nsp[pairs] == IS_NEXT).float().mean() - 0.5) < 0.08
    for row in torch.nonzero(pairs).squeeze(1).tolist():
        a, b = ids[row, 1].item(), ids[row, 5].item()
        assert ids[row, 0] == CLS and ids[row, 4] == SEP and batch["token_type_ids"][row, 5] == 1
        if nsp[row] == IS_NEXT:
            assert b == a + 1
        else:
            assert (b - 100) // 10 != (a - 100) // 10
    assert (ids[singles, 1] >= 900).all() and (batch["token_type_ids"][singles] == 0).all()
    chosen = batch["labels"] != IGNORE_INDEX
    assert not torch.isin(ids[chosen], torch.tensor(SPECIAL)).any()


def test_corpus_needs_two_documents():
    with pytest.raises(ValueError, match="two non-empty documents"):
        PretrainingCorpus([[[5, 6], [7]]], [[8]])
    assert single_example([5] * 40, cls_id=CLS, sep_id=SEP, max_length=10).input_ids == [
        CLS,
        *[5] * 8,
        SEP,
    ]


def _fixed_batches(generator: torch.Generator) -> dict[str, torch.Tensor]:
    return _corpus().sample(32, TINY_VOCAB, 16, torch.Generator().manual_seed(5))


def test_pretraining_reduces_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = TinyBert(TINY)
    config = PretrainingConfig(
        max_steps=40, lr=3e-3, warmup_steps=5, eval_every=40, eval_batches=1
    )
    before = evaluate_pretraining(model, _fixed_batches, 1)
    history = pretrain(model, _fixed_batches, _fixed_batches, config, progress=False)
    after = evaluate_pretraining(model, _fixed_batches, 1)
    assert after["mlm_loss"] < before["mlm_loss"] - 1.0
    assert history.eval_steps == [40] and len(history.loss) == 40 and history.tokens > 0
    assert 0.0 <= after["mlm_accuracy"] <= 1.0 and after["nsp_pairs"] == 16


def _corpus_batches(generator: torch.Generator) -> dict[str, torch.Tensor]:
    return _corpus().sample(8, TINY_VOCAB, 16, generator)


def test_resume_continues_exactly_like_an_uninterrupted_run():
    config = PretrainingConfig(max_steps=6, lr=1e-3, warmup_steps=2, eval_every=3, eval_batches=1)
    torch.manual_seed(0)
    straight = TinyBert(TINY)
    pretrain(straight, _corpus_batches, _corpus_batches, config, progress=False)

    torch.manual_seed(0)
    first = TinyBert(TINY)
    saved: list[PretrainingState] = []

    class InterruptedRunError(Exception):
        pass

    def stop_after_first_eval(state: PretrainingState) -> None:
        saved.append(copy.deepcopy(state))
        raise InterruptedRunError

    with pytest.raises(InterruptedRunError):
        pretrain(
            first,
            _corpus_batches,
            _corpus_batches,
            config,
            progress=False,
            on_eval=stop_after_first_eval,
        )
    assert saved[0].step == 3
    torch.manual_seed(123)  # a restarted process has another global random state
    resumed = TinyBert(TINY)
    resumed.load_state_dict(first.state_dict())
    history = pretrain(
        resumed, _corpus_batches, _corpus_batches, config, progress=False, resume=saved[0]
    )
    assert history.steps == list(range(1, 7))
    for key, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 0}, "max_steps must be an integer in"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"warmup_steps": -1}, "warmup"),
        ({"precision": "float16"}, "precision"),
    ],
)
def test_bad_pretraining_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PretrainingConfig(**kwargs)


@pytest.mark.parametrize(("fast", "expected"), [(True, "bfloat16"), (False, "float32")])
def test_auto_precision_uses_bfloat16_only_where_the_device_computes_it(
    monkeypatch, fast, expected
):
    monkeypatch.setattr(training, "has_fast_bfloat16", lambda device: fast)
    assert resolve_precision("auto", "cpu") == expected
    for explicit in ("float32", "bfloat16"):
        assert resolve_precision(explicit, "cpu") == explicit
    for config in (PretrainingConfig(precision="auto"), FineTuningConfig(precision="auto")):
        resolved = with_resolved_precision(config, "cpu")
        assert resolved.precision == expected
        assert replace(resolved, precision="auto") == config
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("float16", "cpu")


def test_schedule_warms_up_then_decays_to_zero():
    rates = [warmup_linear_decay(step, 1.0, 10, 110) for step in range(111)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert rates[60] == pytest.approx(0.5) and rates[110] == 0.0
    assert max(rates) == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# Fine-tuning
# ---------------------------------------------------------------------------


def _toy_task(count: int, seed: int) -> list[tuple[list[int], int]]:
    """Label 1 if token 7 occurs in the sentence: learnable from the tokens alone."""
    generator = torch.Generator().manual_seed(seed)
    examples = []
    for i in range(count):
        ids = torch.randint(10, 60, (8,), generator=generator).tolist()
        if i % 2:
            ids[int(torch.randint(8, (1,), generator=generator))] = 7
        examples.append(([CLS, *ids, SEP], i % 2))
    return examples


def _classifier(seed: int = 0) -> TinyBertForSequenceClassification:
    torch.manual_seed(seed)
    return TinyBertForSequenceClassification(TinyBert(TINY), 2)


def test_fine_tuning_learns_and_keeps_the_best_dev_epoch():
    model = _classifier()
    config = FineTuningConfig(lr=3e-3, batch_size=16, max_epochs=15, patience=15)
    result = fine_tune(model, _toy_task(160, 0), _toy_task(60, 1), config, progress=False)
    assert result.best_dev_accuracy == max(result.dev_accuracy) >= 0.9
    assert labelled_accuracy(model, _toy_task(60, 1)) == pytest.approx(result.best_dev_accuracy)
    assert result.steps == len(result.dev_accuracy) * 10


def test_fine_tuning_stops_early():
    model = _classifier()
    config = FineTuningConfig(lr=1e-9, batch_size=16, max_epochs=20, patience=2)
    result = fine_tune(model, _toy_task(32, 0), _toy_task(32, 1), config, progress=False)
    assert len(result.dev_accuracy) < 20 and result.best_epoch <= len(result.dev_accuracy) - 2
    patient = FineTuningConfig(lr=1e-9, batch_size=16, max_epochs=20, patience=2, min_steps=20)
    result = fine_tune(_classifier(), _toy_task(32, 0), _toy_task(32, 1), patient, progress=False)
    assert result.steps == 20  # no early stop before min_steps: 10 epochs of 2 steps


def test_fine_tuning_rejects_bad_input():
    model = _classifier()
    one_class = [(ids, 1) for ids, _ in _toy_task(10, 0)]
    with pytest.raises(ValueError, match="single class"):
        fine_tune(model, one_class, _toy_task(4, 1), progress=False)
    too_long = [([CLS, *[9] * 30, SEP], 0), ([CLS, 9, SEP], 1)]
    with pytest.raises(ValueError, match=r"max_position=24.*truncation=True"):
        fine_tune(model, too_long, _toy_task(4, 1), progress=False)
    with pytest.raises(TypeError, match="one integer label"):
        fine_tune(
            model,
            [([CLS, 9, SEP], [0, 1, 0]), ([CLS, 9, SEP], 1)],
            _toy_task(4, 1),
            progress=False,
        )
    with pytest.raises(ValueError, match="outside"):
        fine_tune(model, [([CLS, 9, SEP], 0), ([CLS, 9, SEP], 5)], _toy_task(4, 1), progress=False)


def test_token_classification_uses_first_pieces_only():
    torch.manual_seed(0)
    tagger = TinyBertForTokenClassification(TinyBert(TINY), 3)
    word_ids = [None, 0, 0, 1, 2, 2, 2, None]
    labels = first_piece_labels(word_ids, [2, 0, 1])
    assert labels == [
        IGNORE_INDEX,
        2,
        IGNORE_INDEX,
        0,
        1,
        IGNORE_INDEX,
        IGNORE_INDEX,
        IGNORE_INDEX,
    ]
    ids = [CLS, 11, 12, 13, 14, 15, 16, SEP]
    examples = [(ids, labels), ([CLS, 13, 11, SEP], [IGNORE_INDEX, 0, 2, IGNORE_INDEX])]
    config = FineTuningConfig(lr=1e-2, batch_size=2, max_epochs=30, patience=30)
    result = fine_tune(tagger, examples, examples, config, progress=False)
    assert result.best_dev_accuracy == 1.0
    predicted = predict(tagger, [ids])
    assert len(predicted[0]) == len(ids)
    with pytest.raises(ValueError, match="one label per token"):
        fine_tune(tagger, [(ids, labels[:3])], examples, progress=False)


def test_fine_tuning_takes_numpy_labels_and_refuses_raw_text():
    model = _classifier()
    numpy_labels = [(ids, np.int64(label)) for ids, label in _toy_task(16, 0)]
    config = FineTuningConfig(batch_size=8, max_epochs=1, patience=1)
    result = fine_tune(model, numpy_labels, _toy_task(8, 1), config, progress=False)
    assert result.steps == 2
    with pytest.raises(TypeError, match=r"holds text .* encode the texts first"):
        fine_tune(model, [("a good film", 1), ("a bad film", 0)], _toy_task(4, 1), progress=False)


@pytest.mark.parametrize("setting", ["lr", "weight_decay", "grad_clip", "warmup_fraction"])
def test_fine_tuning_settings_must_be_finite(setting):
    with pytest.raises(ValueError, match=f"{setting} must be a finite number"):
        FineTuningConfig(**{setting: float("nan")})


@pytest.mark.parametrize(
    ("special_ids", "error", "message"),
    [
        ([150], ValueError, r"special_ids must be an integer in \[0, 100\], got 150"),
        ([-1], ValueError, r"special_ids must be an integer in \[0, 100\], got -1"),
        ([1.5], TypeError, "special_ids must be an integer"),
        (3, TypeError, "special_ids must be a list of token ids"),
    ],
)
def test_mask_tokens_refuses_special_ids_outside_the_vocabulary(special_ids, error, message):
    with pytest.raises(error, match=message):
        mask_tokens(
            torch.tensor([[5, 6, 7]]), mask_id=MASK, vocab_size=101, special_ids=special_ids
        )


def test_mask_tokens_asks_for_a_tensor():
    with pytest.raises(TypeError, match=r"torch.LongTensor .* torch.tensor\(ids\)"):
        mask_tokens([[5, 6, 7]], mask_id=MASK, vocab_size=VOCAB, special_ids=SPECIAL)
