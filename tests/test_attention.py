"""Tests of course_utils.attention against torch's own attention (notebook 06)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    apply_temperature,
    causal_mask,
    causal_smear,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_positions,
)

BATCH, HEADS, L_Q, L_K, D = 2, 3, 5, 7, 8
EXACT = {"atol": 1e-12, "rtol": 0.0}  # float64
FLOAT32 = {"atol": 1e-6, "rtol": 0.0}


def _qkv(*leading: int, dtype: torch.dtype = torch.float64, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return (
        torch.randn(*leading, L_Q, D, generator=generator, dtype=dtype),
        torch.randn(*leading, L_K, D, generator=generator, dtype=dtype),
        torch.randn(*leading, L_K, D + 1, generator=generator, dtype=dtype),
    )


def _random_mask(*shape: int, seed: int = 1) -> torch.Tensor:
    """A random boolean mask in which every query may attend to at least one key."""
    mask = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.5
    mask[..., 0] = True
    return mask


@pytest.mark.parametrize("leading", [(), (BATCH,), (BATCH, HEADS)])
def test_sdpa_equals_torch_without_mask(leading):
    q, k, v = _qkv(*leading)
    output, _ = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v), **EXACT)


@pytest.mark.parametrize("leading", [(BATCH,), (BATCH, HEADS)])
def test_sdpa_equals_torch_with_boolean_mask(leading):
    q, k, v = _qkv(*leading)
    mask = _random_mask(*leading, L_Q, L_K)
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(output, expected, **EXACT)
    assert torch.all(weights[~mask] == 0.0)
    torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)), **EXACT)


def test_sdpa_causal_equals_torch_is_causal_in_float32():
    generator = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(BATCH, HEADS, L_K, D, generator=generator) for _ in range(3))
    output, weights = scaled_dot_product_attention(q, k, v, causal_mask(L_K))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(output, expected, **FLOAT32)
    assert torch.all(weights.triu(diagonal=1) == 0.0)


def test_sdpa_scale_is_a_temperature():
    q, k, v = _qkv(BATCH)
    output, weights = scaled_dot_product_attention(q, k, v, scale=0.1)
    torch.testing.assert_close(output, F.scaled_dot_product_attention(q, k, v, scale=0.1), **EXACT)
    _, sharp = scaled_dot_product_attention(q, k, v, scale=10.0)
    assert sharp.max(-1).values.mean() > weights.max(-1).values.mean()


@pytest.mark.parametrize("temperature", [0.25, 1.0, 3.0])
def test_apply_temperature_equals_dividing_the_scores(temperature):
    q, k, v = _qkv(BATCH)
    mask = _random_mask(BATCH, L_Q, L_K)
    mask[0, 1] = False  # a fully masked row stays all zero
    _, weights = scaled_dot_product_attention(q, k, v, mask)
    _, expected = scaled_dot_product_attention(q, k, v, mask, scale=1 / (temperature * D**0.5))
    torch.testing.assert_close(apply_temperature(weights, temperature), expected, **EXACT)
    with pytest.raises(ValueError, match="temperature must be a finite number in"):
        apply_temperature(weights, 0.0)


def test_sdpa_fully_masked_row_gives_zeros_not_nan():
    q, k, v = _qkv(BATCH)
    mask = _random_mask(BATCH, L_Q, L_K)
    mask[0, 1] = False
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    assert not torch.isnan(output).any()
    assert torch.all(weights[0, 1] == 0.0) and torch.all(output[0, 1] == 0.0)


def test_sdpa_shape_errors_name_shapes():
    q, k, v = _qkv(BATCH)
    with pytest.raises(ValueError, match=r"d_k.*\(2, 5, 8\).*\(2, 7, 9\)"):
        scaled_dot_product_attention(q, v, v)
    with pytest.raises(ValueError, match=r"same length L_k"):
        scaled_dot_product_attention(q, k, v[:, :-1])
    with pytest.raises(ValueError, match=r"mask of shape \(5, 5\).*\(2, 5, 7\)"):
        scaled_dot_product_attention(q, k, v, causal_mask(L_Q))
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, k, v, torch.ones(L_Q, L_K))
    with pytest.raises(ValueError, match="leading"):
        scaled_dot_product_attention(q, k[:1], v[:1])


def _torch_mha(bias: bool, seed: int = 3) -> nn.MultiheadAttention:
    torch.manual_seed(seed)
    reference = nn.MultiheadAttention(D * 2, 4, bias=bias, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for parameter in reference.parameters():  # biases start at 0: make them matter
            parameter.normal_()
    return reference.eval()


@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention_equals_torch(bias):
    reference = _torch_mha(bias)
    ours = MultiHeadAttention(D * 2, 4, bias=bias).double().load_torch_weights(reference).eval()
    x = torch.randn(BATCH, L_K, D * 2, dtype=torch.float64)
    keep = padding_mask(torch.tensor([L_K, 4]))
    causal = causal_mask(L_K)
    expected, expected_weights = reference(
        x, x, x, key_padding_mask=~keep[:, 0, 0], attn_mask=~causal, average_attn_weights=False
    )
    output, weights = ours(x, mask=keep & causal)
    torch.testing.assert_close(output, expected, **EXACT)
    torch.testing.assert_close(weights, expected_weights, **EXACT)


def test_multi_head_cross_attention_equals_torch_in_float32():
    reference = _torch_mha(bias=True).float()
    ours = MultiHeadAttention(D * 2, 4).load_torch_weights(reference).eval()
    query, memory = torch.randn(BATCH, L_Q, D * 2), torch.randn(BATCH, L_K, D * 2)
    expected, _ = reference(query, memory, memory)
    output, weights = ours(query, memory)
    torch.testing.assert_close(output, expected, **FLOAT32)
    assert weights.shape == (BATCH, 4, L_Q, L_K)


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match=r"d_model=10.*num_heads=4"):
        MultiHeadAttention(10, 4)
    attention = MultiHeadAttention(16, 4)
    with pytest.raises(ValueError, match=r"d_model=16.*\(2, 3, 8\)"):
        attention(torch.randn(2, 3, 8))
    with pytest.raises(ValueError, match="size mismatch"):
        attention.load_torch_weights(nn.MultiheadAttention(16, 2))
    with pytest.raises(ValueError, match="bias mismatch"):
        attention.load_torch_weights(nn.MultiheadAttention(16, 4, bias=False))


def test_dropout_only_in_training_and_weights_stay_distributions():
    attention = MultiHeadAttention(16, 4, dropout=0.5)
    x = torch.randn(2, 6, 16)
    torch.manual_seed(0)
    train_out, weights = attention.train()(x)
    eval_out, _ = attention.eval()(x)
    assert not torch.allclose(train_out, eval_out)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 6))


def test_sinusoidal_positions_known_values():
    n, d = 50, 16
    encoding = sinusoidal_positions(n, d)
    assert encoding.shape == (n, d) and encoding.dtype == torch.float32
    assert torch.equal(encoding[0], torch.tensor([0.0, 1.0] * (d // 2)))
    expected = torch.zeros(n, d)
    for pos in range(n):
        for i in range(0, d, 2):
            expected[pos, i] = math.sin(pos / 10_000 ** (i / d))
            expected[pos, i + 1] = math.cos(pos / 10_000 ** (i / d))
    torch.testing.assert_close(encoding, expected, atol=1e-6, rtol=0.0)
    assert sinusoidal_positions(4, 5).shape == (4, 5)
    with pytest.raises(ValueError, match=r"d must be an integer in \[1, inf\)"):
        sinusoidal_positions(4, 0)


def test_causal_mask_is_lower_triangle():
    assert torch.equal(causal_mask(4), torch.tril(torch.ones(4, 4)).bool())
    assert causal_mask(4).dtype == torch.bool


def test_padding_mask_from_lengths_and_attention_mask():
    lengths = torch.tensor([3, 1, 4])
    attention_mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]])
    from_lengths = padding_mask(lengths)
    assert from_lengths.shape == (3, 1, 1, 4)
    assert torch.equal(from_lengths, padding_mask(attention_mask))
    assert padding_mask(lengths, multi_head=False).shape == (3, 1, 4)
    assert padding_mask(lengths, max_length=6).shape == (3, 1, 1, 6)
    with pytest.raises(ValueError, match="max_length=2"):
        padding_mask(lengths, max_length=2)
    with pytest.raises(ValueError, match="shape"):
        padding_mask(torch.ones(2, 2, 2))


def test_padding_mask_hides_padded_keys_in_sdpa():
    q, k, v = _qkv(BATCH, HEADS)
    mask = padding_mask(torch.tensor([3, 6]), max_length=L_K)
    output, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.all(weights[0, ..., 3:] == 0.0) and torch.all(weights[1, ..., 6:] == 0.0)
    changed_v = v.clone()
    changed_v[0, :, 3:] = 100.0
    torch.testing.assert_close(scaled_dot_product_attention(q, k, changed_v, mask)[0], output)


def test_additive_attention_matches_its_formula():
    torch.manual_seed(4)
    attention = AdditiveAttention(query_dim=6, key_dim=D, hidden_dim=5).double()
    query = torch.randn(BATCH, L_Q, 6, dtype=torch.float64)
    keys = torch.randn(BATCH, L_K, D, dtype=torch.float64)
    mask = padding_mask(torch.tensor([L_K, 2]), multi_head=False)
    context, weights = attention(query, keys, mask=mask)
    w_q, w_k, v = attention.query_proj.weight, attention.key_proj.weight, attention.score.weight[0]
    for b in range(BATCH):
        for i in range(L_Q):
            scores = torch.stack(
                [v @ torch.tanh(w_q @ query[b, i] + w_k @ keys[b, j]) for j in range(L_K)]
            ).masked_fill(~mask[b, 0], float("-inf"))
            expected = torch.softmax(scores, dim=0)
            torch.testing.assert_close(weights[b, i], expected, **EXACT)
            torch.testing.assert_close(context[b, i], expected @ keys[b], **EXACT)
    assert torch.all(weights[1, :, 2:] == 0.0)
    with pytest.raises(ValueError, match=r"\(batch, L_q, 6\)"):
        attention(keys, keys)


def test_causal_smear_is_a_causal_depthwise_convolution():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 6, 4, generator=generator, dtype=torch.float64)
    weights = torch.randn(3, 4, generator=generator, dtype=torch.float64)
    expected = torch.zeros_like(x)
    for t in range(6):
        for offset in range(3):
            if t - offset >= 0:
                expected[:, t] += weights[offset] * x[:, t - offset]
    torch.testing.assert_close(causal_smear(x, weights), expected, **EXACT)
    # torch's grouped conv1d with the kernel flipped (it correlates) and left padding.
    kernel = weights.flip(0).T.unsqueeze(1)
    conv = F.conv1d(F.pad(x.transpose(1, 2), (2, 0)), kernel, groups=4).transpose(1, 2)
    torch.testing.assert_close(causal_smear(x, weights), conv, **EXACT)
    # Wider than the sequence: offsets past the start contribute nothing.
    torch.testing.assert_close(causal_smear(x[:, :2], weights), expected[:, :2], **EXACT)
    with pytest.raises(ValueError, match="weights"):
        causal_smear(x, weights[:, :3])


def test_smeared_attention_starts_as_an_average_and_needs_self_attention():
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2, smear_width=3).double()
    torch.testing.assert_close(attention.key_smear, torch.full((3, 8), 1 / 3, dtype=torch.float64))
    x = torch.randn(1, 5, 8, dtype=torch.float64)
    output, weights = attention(x, mask=causal_mask(5))
    assert output.shape == (1, 5, 8) and weights.shape == (1, 2, 5, 5)
    with pytest.raises(ValueError, match="self-attention"):
        attention(x, x.clone())
    with pytest.raises(ValueError, match="smear_width"):
        MultiHeadAttention(8, 2, smear_width=-1)


def test_mixed_dtypes_are_refused_with_the_fix():
    q = torch.randn(2, 3, 4, dtype=torch.float64)
    k = v = torch.randn(2, 3, 4)
    with pytest.raises(
        TypeError, match=r"q is torch.float64, k is torch.float32.*\.to\(q\.dtype\)"
    ):
        scaled_dot_product_attention(q, k, v)
    attention = MultiHeadAttention(4, 2)
    with pytest.raises(TypeError, match=r"query is torch.float64 but this MultiHeadAttention"):
        attention(q)


@pytest.mark.parametrize("dropout_p", [-0.5, 1.5, float("nan")])
def test_dropout_probability_must_lie_in_zero_one(dropout_p):
    q = k = v = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"dropout_p must be a finite number in \[0.0, 1.0\]"):
        scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)


def test_nan_inputs_are_refused_not_propagated():
    q = torch.randn(2, 3, 4)
    q[0, 1, 2] = float("nan")
    with pytest.raises(ValueError, match="q holds NaN or infinite values"):
        scaled_dot_product_attention(q, q.clone().nan_to_num(), q.clone().nan_to_num())
