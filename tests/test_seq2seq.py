"""Tests of course_utils.seq2seq: the digit task, the GRU encoder-decoder and the
attention-only encoder of notebook 06."""

from __future__ import annotations

import pytest
import torch

from course_utils import seq2seq
from course_utils.seq2seq import (
    BOS_ID,
    DIGIT_OFFSET,
    EOS_ID,
    PAD_ID,
    VOCAB_SIZE,
    AttentionOnlyEncoder,
    Seq2Seq,
    Seq2SeqBatch,
    accuracy_by_length,
    attention_maps,
    batch_from_digits,
    batch_from_strings,
    random_batch,
    sequence_accuracy,
    tokens_to_string,
    train_seq2seq,
)

SMALL = {"embed_dim": 8, "hidden_size": 12}
ATTENTION_KINDS = ["additive", "dot"]
CLOSE = {"atol": 1e-6, "rtol": 1e-5}
FAST_LR = 2e-2  # tiny models, few steps


def _digits(ids: torch.Tensor) -> list[int]:
    return [int(token) - DIGIT_OFFSET for token in ids if int(token) >= DIGIT_OFFSET]


def _model(attention: str | None, seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(attention, **SMALL).eval()


def test_batch_from_strings_known_tensors():
    batch = batch_from_strings(["123", "40 715"])
    d = DIGIT_OFFSET
    assert torch.equal(
        batch.src, torch.tensor([[1 + d, 2 + d, 3 + d, 0, 0], [4 + d, d, 7 + d, 1 + d, 5 + d]])
    )
    assert torch.equal(batch.src_lengths, torch.tensor([3, 5]))
    assert torch.equal(
        batch.tgt_in,
        torch.tensor(
            [[BOS_ID, 3 + d, 2 + d, 1 + d, 0, 0], [BOS_ID, 5 + d, 1 + d, 7 + d, d, 4 + d]]
        ),
    )
    assert torch.equal(
        batch.tgt_out,
        torch.tensor(
            [[3 + d, 2 + d, 1 + d, EOS_ID, 0, 0], [5 + d, 1 + d, 7 + d, d, 4 + d, EOS_ID]]
        ),
    )
    assert len(batch) == 2
    assert [tokens_to_string(row) for row in batch.tgt_out] == ["321", "51704"]


@pytest.mark.parametrize(
    ("task", "reference"),
    [("reverse", lambda d: d[::-1]), ("copy", list), ("sort", sorted)],
)
def test_random_batch_targets_padding_and_eos(task, reference):
    generator = torch.Generator().manual_seed(0)
    batch = random_batch(64, 2, 9, task=task, generator=generator)
    width = batch.src.shape[1]
    assert batch.src.shape == (64, width) and batch.tgt_out.shape == (64, width + 1)
    assert int(batch.src_lengths.min()) >= 2 and int(batch.src_lengths.max()) == width <= 9
    for row in range(64):
        length = int(batch.src_lengths[row])
        source = _digits(batch.src[row])
        assert len(source) == length and torch.all(batch.src[row, length:] == PAD_ID)
        assert _digits(batch.tgt_out[row]) == list(reference(source))
        assert int(batch.tgt_out[row, length]) == EOS_ID
        assert torch.all(batch.tgt_out[row, length + 1 :] == PAD_ID)
        assert int(batch.tgt_in[row, 0]) == BOS_ID
        # decoder input = target shifted right by one, starting with BOS
        assert torch.equal(batch.tgt_in[row, 1 : length + 1], batch.tgt_out[row, :length])
        assert torch.all(batch.tgt_in[row, length + 1 :] == PAD_ID)
    again = random_batch(64, 2, 9, task=task, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again.src, batch.src)


def test_batch_from_digits_equals_strings_and_moves_devices():
    assert torch.equal(
        batch_from_digits([[0, 9, 9]], task="sort").tgt_out,
        batch_from_strings(["099"], "sort").tgt_out,
    )
    batch = batch_from_strings(["12"]).to("cpu")
    assert isinstance(batch, Seq2SeqBatch) and batch.src.device.type == "cpu"


@pytest.mark.parametrize("attention", [None, *ATTENTION_KINDS])
def test_forward_shapes_and_weights_sum_to_one_over_real_positions(attention):
    model = _model(attention)
    batch = batch_from_strings(["1", "4071", "99999"])
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt_in)
    assert logits.shape == (3, 6, VOCAB_SIZE)
    if attention is None:
        assert weights is None
        return
    assert weights.shape == (3, 6, 5)
    real = torch.arange(5) < batch.src_lengths[:, None, None]
    assert torch.all(weights[~real.expand_as(weights)] == 0.0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 6))


@pytest.mark.parametrize("attention", [None, *ATTENTION_KINDS])
def test_padding_does_not_change_the_result(attention):
    model = _model(attention)
    alone = batch_from_strings(["4071"])
    padded = batch_from_strings(["4071", "123456789"])
    logits_alone, _ = model(alone.src, alone.src_lengths, alone.tgt_in)
    logits_padded, _ = model(padded.src, padded.src_lengths, padded.tgt_in)
    torch.testing.assert_close(logits_padded[0, :5], logits_alone[0], **CLOSE)


@pytest.mark.parametrize("attention", [None, *ATTENTION_KINDS])
def test_greedy_decoding_agrees_with_teacher_forcing(attention):
    model = _model(attention, seed=1)
    batch = random_batch(16, 1, 6, generator=torch.Generator().manual_seed(1))
    predicted, greedy_weights = model.greedy_decode(batch.src, batch.src_lengths, max_length=8)
    assert predicted.shape == (16, 8)
    tgt_in = torch.cat([torch.full((16, 1), BOS_ID), predicted[:, :-1]], dim=1)
    logits, forced_weights = model(batch.src, batch.src_lengths, tgt_in)
    for row in range(16):
        ended = (predicted[row] == EOS_ID).nonzero()
        stop = int(ended[0]) + 1 if len(ended) else predicted.shape[1]
        assert torch.equal(logits[row, :stop].argmax(-1), predicted[row, :stop])
        assert torch.all(predicted[row, stop:] == PAD_ID)
        if attention is not None:
            torch.testing.assert_close(greedy_weights[row, :stop], forced_weights[row, :stop])
            assert torch.all(greedy_weights[row, stop:] == 0.0)
    assert (greedy_weights is None) == (attention is None)


def test_sequence_accuracy_counts_whole_sequences(monkeypatch):
    model = _model("dot")
    batch = batch_from_strings(["12", "345", "6789", "0"])
    wrong = batch.tgt_out.clone()
    wrong[1, 0] = DIGIT_OFFSET + 9  # one digit of row 1
    wrong[3, 1] = PAD_ID  # row 3 forgets its EOS
    monkeypatch.setattr(model, "greedy_decode", lambda *args: (wrong, None))
    assert sequence_accuracy(model, batch) == 0.5
    monkeypatch.setattr(model, "greedy_decode", lambda *args: (batch.tgt_out, None))
    assert sequence_accuracy(model, batch) == 1.0


def test_tiny_training_lowers_the_loss_and_is_reproducible():
    def run() -> tuple[Seq2Seq, seq2seq.Seq2SeqHistory]:
        model = Seq2Seq("dot", **SMALL)
        history = train_seq2seq(
            model, min_length=1, max_length=4, batch_size=32, max_steps=40, log_every=10,
            lr=FAST_LR, seed=3, progress=False,
        )  # fmt: skip
        return model, history

    torch.manual_seed(0)
    model, history = run()
    assert history.steps == [10, 20, 30, 40] and history.sequences == 40 * 32
    assert history.loss[-1] < 0.9 * history.loss[0]
    assert history.sequences_per_second > 0 and not model.training
    torch.manual_seed(0)
    _, again = run()
    assert again.loss == history.loss
    accuracies = accuracy_by_length(model, [1, 3], n_sequences=20)
    assert list(accuracies) == [1, 3] and all(0.0 <= a <= 1.0 for a in accuracies.values())


def test_attention_only_encoder_shapes_masks_and_positions():
    torch.manual_seed(0)
    model = AttentionOnlyEncoder(10, d_model=8, num_heads=2, num_layers=3).eval()
    batch = batch_from_strings(["4071", "123456"])
    logits, attentions = model(batch.src, batch.src_lengths)
    assert logits.shape == (2, 6, VOCAB_SIZE) and len(attentions) == 3
    for weights in attentions:
        assert weights.shape == (2, 2, 6, 6)
        assert torch.all(weights[0, :, :, 4:] == 0.0)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 6))
    loss = model.loss(batch)
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_attention_only_encoder_without_positions_is_permutation_equivariant():
    torch.manual_seed(0)
    blind = AttentionOnlyEncoder(8, d_model=8, positions=False).eval()
    batch = batch_from_strings(["40715"])
    order = torch.tensor([4, 2, 0, 1, 3])
    logits, _ = blind(batch.src, batch.src_lengths)
    permuted, _ = blind(batch.src[:, order], batch.src_lengths)
    torch.testing.assert_close(permuted, logits[:, order], **CLOSE)
    torch.manual_seed(0)
    seeing = AttentionOnlyEncoder(8, d_model=8).eval()
    logits, _ = seeing(batch.src, batch.src_lengths)
    permuted, _ = seeing(batch.src[:, order], batch.src_lengths)
    assert not torch.allclose(permuted, logits[:, order], **CLOSE)


@pytest.mark.parametrize(("positions", "low", "high"), [(True, 0.8, 1.0), (False, 0.0, 0.2)])
def test_attention_only_encoder_reverses_only_with_positions(positions, low, high):
    torch.manual_seed(0)
    model = AttentionOnlyEncoder(4, d_model=16, positions=positions)
    history = train_seq2seq(
        model, min_length=4, max_length=4, batch_size=32, max_steps=200, lr=FAST_LR, progress=False
    )
    assert history.loss[-1] < history.loss[0]
    test = random_batch(200, 4, 4, generator=torch.Generator().manual_seed(5))
    assert low <= sequence_accuracy(model, test) <= high


def test_attention_maps_labels_and_shapes():
    torch.manual_seed(0)
    encoder = AttentionOnlyEncoder(8, d_model=8, num_heads=2, num_layers=2)
    maps = attention_maps(encoder, "4071")
    assert [m.title for m in maps] == [f"layer {i}, head {j}" for i in (1, 2) for j in (1, 2)]
    assert maps[0].keys == ("4", "0", "7", "1") == maps[0].queries
    assert maps[0].weights.shape == (4, 4)
    model = _model("additive")
    (only,) = attention_maps(model, "4071")
    assert only.keys == ("4", "0", "7", "1")
    assert only.weights.shape == (len(only.queries), 4)
    torch.testing.assert_close(only.weights.sum(-1), torch.ones(len(only.queries)))
    with pytest.raises(ValueError, match="no attention"):
        attention_maps(_model(None), "4071")


def test_bad_input_errors_say_what_is_expected():
    model = _model("additive")
    batch = batch_from_strings(["4071", "12"])
    with pytest.raises(ValueError, match=r"valid ids are 0 to 12"):
        model(batch.src + 10, batch.src_lengths, batch.tgt_in)
    with pytest.raises(TypeError, match=r"torch.long.*torch.float32 tensor of shape \(2, 4\)"):
        model(batch.src.float(), batch.src_lengths, batch.tgt_in)
    with pytest.raises(ValueError, match=r"\(batch,\) = \(2,\).*\(3,\)"):
        model(batch.src, torch.tensor([4, 2, 1]), batch.tgt_in)
    with pytest.raises(TypeError, match=r"src_lengths must be a torch\.long tensor"):
        model(batch.src, [4, 2], batch.tgt_in)
    with pytest.raises(ValueError, match=r"\[1, 4\].*max 5"):
        model(batch.src, torch.tensor([5, 2]), batch.tgt_in)
    with pytest.raises(ValueError, match=r"same batch size.*\(2, 4\).*\(1, 5\)"):
        model(batch.src, batch.src_lengths, batch.tgt_in[:1])
    with pytest.raises(ValueError, match="not a string of digits"):
        batch_from_strings(["12a"])
    with pytest.raises(ValueError, match="digits must be integers 0-9"):
        batch_from_digits([[1, 10]])
    with pytest.raises(ValueError, match="empty"):
        batch_from_digits([[1], []])
    with pytest.raises(ValueError, match="min_length=5, max_length=3"):
        random_batch(4, 5, 3)
    with pytest.raises(ValueError, match="task must be one of"):
        random_batch(4, 1, 3, task="shuffle")
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2Seq("cosine")
    long = batch_from_strings(["123456789"])
    with pytest.raises(ValueError, match=r"\(1, 9\).*max_length=8"):
        AttentionOnlyEncoder(8)(long.src, long.src_lengths)
    with pytest.raises(TypeError, match="Seq2Seq or AttentionOnlyEncoder"):
        train_seq2seq(torch.nn.Linear(2, 2), progress=False)
    with pytest.raises(ValueError, match="max_steps must be positive"):
        train_seq2seq(model, max_steps=0, progress=False)


def test_format_accuracies_and_describe():
    table = seq2seq.format_accuracies({"a": {2: 1.0, 4: 0.5}, "bb": {2: 0.25, 4: 0.0}})
    assert table.splitlines() == [
        "length     2     4",
        "a      100.0  50.0",
        "bb      25.0   0.0",
    ]
    assert seq2seq.describe(_model(None)) == "GRU, no attention"
    assert seq2seq.describe(_model("dot")) == "GRU + dot attention"
    assert seq2seq.describe(AttentionOnlyEncoder(4, positions=False)) == (
        "self-attention only (no positions)"
    )
