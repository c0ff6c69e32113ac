"""Tests of course_utils.transformer: blocks against torch, causality, padding, counts (nb 07)."""

from __future__ import annotations

import dataclasses
import functools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.attention import causal_mask
from course_utils.bert import (
    TinyBert,
    TinyBertConfig,
    TinyBertForSequenceClassification,
    TinyBertForTokenClassification,
)
from course_utils.gpt import TinyGPT, TinyGPTConfig
from course_utils.transformer import Block, TransformerConfig, count_parameters

VOCAB, MAX_POSITION, D_MODEL, LAYERS, HEADS, D_FF = 61, 24, 16, 2, 4, 32
SIZES = {
    "vocab_size": VOCAB,
    "max_position": MAX_POSITION,
    "d_model": D_MODEL,
    "num_layers": LAYERS,
    "num_heads": HEADS,
    "d_ff": D_FF,
}
EXACT = {"atol": 1e-10, "rtol": 0.0}  # float64


@pytest.fixture
def bert() -> TinyBert:
    torch.manual_seed(0)
    return TinyBert(TinyBertConfig(**SIZES)).double().eval()


@pytest.fixture
def gpt() -> TinyGPT:
    torch.manual_seed(0)
    return TinyGPT(TinyGPTConfig(**SIZES)).double().eval()


def _ids(batch: int, length: int, seed: int = 1, upper: int = VOCAB) -> torch.Tensor:
    return torch.randint(0, upper, (batch, length), generator=torch.Generator().manual_seed(seed))


def _torch_layer(block: Block, gelu: str, pre_norm: bool) -> nn.TransformerEncoderLayer:
    """torch's encoder layer carrying the weights of ``block``."""
    layer = nn.TransformerEncoderLayer(
        D_MODEL,
        HEADS,
        D_FF,
        dropout=0.0,
        activation=functools.partial(F.gelu, approximate=gelu),
        batch_first=True,
        norm_first=pre_norm,
        layer_norm_eps=block.ln_attn.eps,
        dtype=torch.float64,
    )
    with torch.no_grad():
        attn = block.attn
        layer.self_attn.in_proj_weight.copy_(
            torch.cat([attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight])
        )
        layer.self_attn.in_proj_bias.copy_(
            torch.cat([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias])
        )
        pairs = [
            (layer.self_attn.out_proj, attn.out_proj),
            (layer.linear1, block.ffn.fc_in),
            (layer.linear2, block.ffn.fc_out),
            (layer.norm1, block.ln_attn),
            (layer.norm2, block.ln_ffn),
        ]
        for theirs, ours in pairs:
            theirs.weight.copy_(ours.weight)
            theirs.bias.copy_(ours.bias)
    return layer.eval()


@pytest.mark.parametrize(("pre_norm", "gelu"), [(False, "none"), (True, "tanh")])
def test_block_equals_torch_transformer_encoder_layer(pre_norm, gelu):
    torch.manual_seed(5)
    config = TransformerConfig(**SIZES, dropout=0.0)
    block = Block(config, pre_norm=pre_norm, gelu=gelu).double().eval()
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.normal_(std=0.5)
    x = torch.randn(3, 9, D_MODEL, dtype=torch.float64)
    mask = causal_mask(9)
    output, weights = block(x, mask)
    expected = _torch_layer(block, gelu, pre_norm)(x, src_mask=~mask)
    torch.testing.assert_close(output, expected, **EXACT)
    assert weights.shape == (3, HEADS, 9, 9)


@pytest.fixture
def smeared_gpt() -> TinyGPT:
    """Notebook 09's in-context-learning variant: smeared queries and keys, untied output."""
    torch.manual_seed(0)
    config = TinyGPTConfig(**SIZES, smear_width=4, tie_embeddings=False)
    return TinyGPT(config).double().eval()


def test_untied_gpt_has_its_own_output_matrix(gpt, smeared_gpt):
    smear = smeared_gpt.config.smear_width
    extra = VOCAB * D_MODEL + LAYERS * 2 * smear * D_MODEL  # output matrix; query, key smears
    assert count_parameters(smeared_gpt) == count_parameters(gpt) + extra
    hidden, _ = smeared_gpt.encode(_ids(1, 5))
    torch.testing.assert_close(smeared_gpt(_ids(1, 5)), smeared_gpt.lm_head(hidden), **EXACT)
    assert gpt.lm_head is None


@pytest.mark.parametrize("name", ["gpt", "smeared_gpt"])
def test_gpt_is_causal(name, request):
    gpt = request.getfixturevalue(name)
    idx = _ids(2, 12)
    logits = gpt(idx)
    assert logits.shape == (2, 12, VOCAB)
    for t in range(11):
        changed = idx.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 7) % VOCAB
        new_logits = gpt(changed)
        torch.testing.assert_close(new_logits[:, : t + 1], logits[:, : t + 1], **EXACT)
        # ... and the change is visible from the first changed position on.
        assert not torch.allclose(new_logits[:, t + 1], logits[:, t + 1])


def test_bert_ignores_padded_tokens(bert):
    idx, segments = _ids(3, 10), _ids(3, 10, seed=2, upper=2)
    lengths = torch.tensor([10, 6, 3])
    attention_mask = (torch.arange(10) < lengths[:, None]).long()
    out = bert(idx, segments, attention_mask)
    changed_idx, changed_segments = idx.clone(), segments.clone()
    padded = attention_mask == 0
    changed_idx[padded] = (changed_idx[padded] + 11) % VOCAB
    changed_segments[padded] = 1 - changed_segments[padded]
    changed = bert(changed_idx, changed_segments, attention_mask)
    real = attention_mask.bool()
    torch.testing.assert_close(changed.hidden_states[real], out.hidden_states[real], **EXACT)
    torch.testing.assert_close(changed.mlm_logits[real], out.mlm_logits[real], **EXACT)
    torch.testing.assert_close(changed.nsp_logits, out.nsp_logits, **EXACT)
    # Without the mask the padding would leak into every position.
    unmasked = bert(changed_idx, changed_segments).hidden_states[1, 0]
    assert not torch.allclose(unmasked, bert(idx, segments).hidden_states[1, 0])


def test_bert_output_shapes_and_tied_decoder(bert):
    out = bert(_ids(2, 7))
    assert out.mlm_logits.shape == (2, 7, VOCAB)
    assert out.nsp_logits.shape == (2, 2)
    assert out.hidden_states.shape == (2, 7, D_MODEL)
    assert out.pooled.shape == (2, D_MODEL) and out.pooled.abs().max() <= 1.0
    assert len(out.attentions) == LAYERS
    head = bert.mlm_ln(bert.mlm_act(bert.mlm_transform(out.hidden_states)))
    expected = head @ bert.token_embed.weight.T + bert.mlm_bias
    torch.testing.assert_close(out.mlm_logits, expected, **EXACT)


def test_fine_tuning_heads(bert):
    attention_mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
    idx = _ids(2, 7)
    sequence = TinyBertForSequenceClassification(bert, num_labels=3).double().eval()
    tokens = TinyBertForTokenClassification(bert, num_labels=5).double().eval()
    logits = sequence(idx, attention_mask=attention_mask)
    assert logits.shape == (2, 3)
    expected = sequence.classifier(bert(idx, attention_mask=attention_mask).pooled)
    torch.testing.assert_close(logits, expected, **EXACT)
    assert tokens(idx, attention_mask=attention_mask).shape == (2, 7, 5)


def _expected_gpt_parameters() -> int:
    per_layer = 4 * (D_MODEL * D_MODEL + D_MODEL) + 2 * 2 * D_MODEL
    per_layer += D_MODEL * D_FF + D_FF + D_FF * D_MODEL + D_MODEL
    return (VOCAB + MAX_POSITION) * D_MODEL + LAYERS * per_layer + 2 * D_MODEL


def test_count_parameters_counts_tied_weights_once(gpt, bert):
    for model in (gpt, bert):
        unique = {p.data_ptr(): p.numel() for p in model.parameters()}
        assert count_parameters(model) == sum(unique.values())
    assert count_parameters(gpt) == _expected_gpt_parameters()
    # BERT adds segments, an embedding LayerNorm, pooler, MLM transform + bias, NSP head.
    bert_extra = 2 * D_MODEL + 2 * D_MODEL + 2 * (D_MODEL * D_MODEL + D_MODEL)
    bert_extra += 2 * D_MODEL + VOCAB + 2 * D_MODEL + 2
    assert count_parameters(bert) == _expected_gpt_parameters() - 2 * D_MODEL + bert_extra
    gpt.position_embed.weight.requires_grad_(False)
    trainable = count_parameters(gpt, trainable_only=True)
    assert trainable == count_parameters(gpt) - MAX_POSITION * D_MODEL


def test_gpt_loss_is_cross_entropy_and_starts_near_log_vocab(gpt):
    idx = _ids(4, 16)
    targets = torch.roll(idx, -1, dims=1)
    targets[:, -1] = -100
    loss = gpt.loss(idx, targets)
    logits = gpt(idx)
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), idx[:, 1:].reshape(-1))
    torch.testing.assert_close(loss, expected, **EXACT)
    assert abs(loss.item() - math.log(VOCAB)) < 0.05
    with pytest.raises(ValueError, match="targets must have the shape"):
        gpt.loss(idx, targets[:, :-1])


def test_gpt_initialisation_scales_residual_projections():
    torch.manual_seed(0)
    big = TinyGPT(TinyGPTConfig(vocab_size=VOCAB, d_model=64, d_ff=256, num_layers=8))
    expected = 0.02 / math.sqrt(2 * 8)
    assert abs(big.blocks[0].attn.out_proj.weight.std().item() - expected) < 0.1 * expected
    assert abs(big.blocks[0].attn.q_proj.weight.std().item() - 0.02) < 0.002


def test_too_long_sequences_and_bad_ids_raise(gpt, bert):
    with pytest.raises(
        ValueError, match=rf"length {MAX_POSITION + 1}.*max_position={MAX_POSITION}"
    ):
        gpt(_ids(1, MAX_POSITION + 1))
    with pytest.raises(
        ValueError, match=rf"length {MAX_POSITION + 2}.*max_position={MAX_POSITION}"
    ):
        bert(_ids(1, MAX_POSITION + 2))
    with pytest.raises(ValueError, match=rf"\[0, {VOCAB}\)"):
        gpt(torch.tensor([[0, VOCAB]]))
    with pytest.raises(TypeError, match="integer"):
        gpt(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="unsqueeze"):
        bert(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="token_type_ids"):
        bert(_ids(2, 5), token_type_ids=torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"token_type_ids must lie in \[0, 2\)"):
        bert(_ids(2, 5), token_type_ids=torch.full((2, 5), 2))


def test_config_validation():
    with pytest.raises(ValueError, match="smear_width"):
        TinyGPTConfig(vocab_size=10, smear_width=-2)
    with pytest.raises(ValueError, match="divisible"):
        TinyGPTConfig(vocab_size=10, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="positive"):
        TinyBertConfig(vocab_size=0)
    with pytest.raises(ValueError, match="pad_token_id"):
        TinyBertConfig(vocab_size=10, pad_token_id=10)
    config = TinyBertConfig(vocab_size=10)
    assert config.layer_norm_eps == 1e-12 and TinyGPTConfig(vocab_size=10).layer_norm_eps == 1e-5
    assert dataclasses.replace(config, num_layers=4).num_layers == 4


def test_adamw_decays_matrices_only():
    from course_utils.transformer import adamw

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    decay, no_decay = adamw(model, 1e-3, 0.1, (0.9, 0.99)).param_groups
    assert [p.shape for p in decay["params"]] == [(4, 3)] and decay["weight_decay"] == 0.1
    assert len(no_decay["params"]) == 3 and no_decay["weight_decay"] == 0.0
