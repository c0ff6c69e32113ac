"""Attention: scaled dot-product, additive (Bahdanau), multi-head, positions and masks.

Taught in notebook 06 (and used by the transformer blocks of notebook 07). Masks are
boolean everywhere in the course: ``True`` means "this query may attend to this key".
That is the convention of ``torch.nn.functional.scaled_dot_product_attention``; note
that ``torch.nn.MultiheadAttention``'s ``key_padding_mask`` uses the opposite one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from course_utils import validation

__all__ = [
    "POSITION_BASE",
    "AdditiveAttention",
    "MultiHeadAttention",
    "apply_temperature",
    "causal_mask",
    "causal_smear",
    "check_mask",
    "masked_softmax",
    "padding_mask",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
]

#: The base of the sinusoidal wavelengths in Vaswani et al. (2017), section 3.5.
POSITION_BASE = 10_000.0


def _autocast(tensor: torch.Tensor) -> bool:
    """Under autocast, mixed dtypes are intended (bfloat16 activations, float32 weights)."""
    return torch.is_autocast_enabled(tensor.device.type)


def _check_same_dtype(**tensors: torch.Tensor) -> None:
    """One dtype for all: torch's own error for a mix (float64 q, float32 k) names no fix."""
    dtypes = {name: tensor.dtype for name, tensor in tensors.items()}
    first = next(iter(tensors))
    if len(set(dtypes.values())) > 1 and not _autocast(tensors[first]):
        raise TypeError(
            f"{', '.join(f'{name} is {dtype}' for name, dtype in dtypes.items())}: they must "
            f"share one dtype; convert with e.g. .to({first}.dtype)."
        )


def _check_module_dtype(module: nn.Module, name: str, tensor: torch.Tensor) -> None:
    """The input has the dtype of the module's weights (torch's mismatch error names none)."""
    weight = next(module.parameters())
    if tensor.dtype != weight.dtype and not _autocast(tensor):
        raise TypeError(
            f"{name} is {tensor.dtype} but this {type(module).__name__}'s weights are "
            f"{weight.dtype}; convert the input with {name}.to({weight.dtype}) (or the module "
            f"with .to({tensor.dtype}))."
        )


def _check_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    for name, tensor in (("q", q), ("k", k), ("v", v)):
        validation.finite_tensor(name, tensor)
        if tensor.dim() < 2:
            raise ValueError(
                f"{name} must have shape (..., length, features), got shape "
                f"{tuple(tensor.shape)}; add a length dimension with .unsqueeze(0)."
            )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same feature size d_k: q has shape {tuple(q.shape)} "
            f"(d_k={q.shape[-1]}), k has shape {tuple(k.shape)} (d_k={k.shape[-1]})."
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same length L_k: k has shape {tuple(k.shape)}, "
            f"v has shape {tuple(v.shape)}."
        )
    if not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        raise ValueError(
            "q, k and v must share their leading (batch, heads) dimensions: got "
            f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}."
        )
    _check_same_dtype(q=q, k=k, v=v)


def check_mask(mask: torch.Tensor, scores_shape: tuple[int, ...]) -> None:
    """Raise a clear error unless ``mask`` is boolean and broadcasts to ``scores_shape``.

    ``scores_shape`` is ``(..., L_q, L_k)``. Notebook 06.
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(
            f"mask must be a boolean tensor (True = may attend), got {got}; convert a 0/1 "
            "attention mask with padding_mask(...) or with `mask.bool()`."
        )
    try:
        broadcast = torch.broadcast_shapes(mask.shape, scores_shape)
    except RuntimeError:
        broadcast = None
    if broadcast != torch.Size(scores_shape):
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not broadcast to the attention scores' "
            f"shape {tuple(scores_shape)} = (..., L_q, L_k); use causal_mask(L) for "
            "(L, L) or padding_mask(...) for (batch, 1, 1, L_k)."
        )


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """:func:`masked_softmax` without the input checks (the models' inner loop)."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    # A fully masked row is softmax(-inf, ..., -inf) = NaN: make it 0 instead.
    return weights.masked_fill(~mask, 0.0)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax over the last dimension in which masked (False) keys get exactly 0. Notebook 06.

    A query whose keys are all masked gets all-zero weights instead of NaN; a score of
    -inf counts as masked.
    """
    validation.finite_tensor("scores", scores, allow_minus_inf=True)
    if scores.dim() == 0:
        raise ValueError("scores must have at least one dimension (the keys), got a scalar.")
    if mask is not None:
        check_mask(mask, tuple(scores.shape))
    if bool(torch.isneginf(scores).any()):
        finite = scores > float("-inf")
        mask = finite if mask is None else finite & mask
    return _masked_softmax(scores, mask)


def apply_temperature(weights: torch.Tensor, temperature: float) -> torch.Tensor:
    """Re-temper attention weights: softmax(scores / T) computed from softmax(scores). Notebook 06.

    Since softmax(s / T) is proportional to softmax(s) ** (1 / T), the scores are not
    needed: T < 1 sharpens each row, T > 1 flattens it; masked (zero) weights stay 0.
    """
    temperature = validation.number("temperature", temperature, low=0.0, low_open=True)
    validation.finite_tensor("weights", weights)
    if weights.dim() == 0 or bool((weights < 0).any()) or bool((weights > 1).any()):
        raise ValueError(
            "weights must be attention weights (rows of values in [0, 1]), e.g. the second "
            "output of scaled_dot_product_attention."
        )
    log_weights = torch.log(weights).masked_fill(weights == 0, float("-inf"))
    return masked_softmax(log_weights / temperature, weights > 0)


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    scale: float | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d_k) v, written out: returns ``(output, weights)``. Notebook 06.

    Works on ``(L, d)``, ``(batch, L, d)`` and ``(batch, heads, L, d)`` tensors. ``mask``
    is boolean, ``True`` = may attend, broadcastable to ``(..., L_q, L_k)``. ``scale``
    replaces 1/√d_k (a softmax temperature). The returned weights are those before
    attention dropout (``dropout_p``, applied only to compute the output), so each row
    sums to 1; a query that may attend to nothing gets all-zero weights and output.
    """
    _check_qkv(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else validation.number("scale", scale)
    dropout_p = validation.number("dropout_p", dropout_p, low=0.0, high=1.0)
    return _attend(q, k, v, mask, scale, dropout_p)


def _attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
    dropout_p: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`scaled_dot_product_attention` once its inputs are checked: the models call it
    on every layer, where checking every intermediate tensor would cost about 8% of a step."""
    if mask is not None:
        check_mask(mask, (*q.shape[:-1], k.shape[-2]))
    weights = _masked_softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, mask)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0.0 else weights
    return torch.matmul(dropped, v), weights


class AdditiveAttention(nn.Module):
    """Bahdanau et al. (2015) attention: score(q, k) = vᵀ tanh(W_q q + W_k k). Notebook 06.

    The alignment model of the first neural machine translation with attention: a small
    feed-forward network scores each (query, key) pair instead of a dot product.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int) -> None:
        super().__init__()
        for name, size in (
            ("query_dim", query_dim),
            ("key_dim", key_dim),
            ("hidden_dim", hidden_dim),
        ):
            validation.integer(name, size, low=1)
        self.query_proj = nn.Linear(query_dim, hidden_dim, bias=False)
        self.key_proj = nn.Linear(key_dim, hidden_dim, bias=False)
        self.score = nn.Linear(hidden_dim, 1, bias=False)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` (batch, L_q, d_q) to ``keys`` (batch, L_k, d_k).

        ``values`` default to the keys (as in Bahdanau et al.); returns ``(context,
        weights)`` of shapes (batch, L_q, d_v) and (batch, L_q, L_k).
        """
        values = keys if values is None else values
        for name, tensor in (("query", query), ("keys", keys), ("values", values)):
            validation.finite_tensor(name, tensor)
        _check_same_dtype(query=query, keys=keys, values=values)
        _check_module_dtype(self, "query", query)
        expected = (self.query_proj.in_features, self.key_proj.in_features)
        if query.dim() != 3 or keys.dim() != 3 or query.shape[-1] != expected[0]:
            raise ValueError(
                f"expected query (batch, L_q, {expected[0]}) and keys (batch, L_k, "
                f"{expected[1]}), got {tuple(query.shape)} and {tuple(keys.shape)}."
            )
        if keys.shape[-1] != expected[1] or values.shape[:2] != keys.shape[:2]:
            raise ValueError(
                f"expected keys (batch, L_k, {expected[1]}) and values (batch, L_k, d_v), "
                f"got {tuple(keys.shape)} and {tuple(values.shape)}."
            )
        # (batch, L_q, 1, hidden) + (batch, 1, L_k, hidden) -> scores (batch, L_q, L_k)
        hidden = torch.tanh(self.query_proj(query).unsqueeze(2) + self.key_proj(keys).unsqueeze(1))
        scores = self.score(hidden).squeeze(-1)
        if mask is not None:
            check_mask(mask, tuple(scores.shape))
        weights = _masked_softmax(scores, mask)
        return torch.matmul(weights, values), weights


class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate q/k/v projections (Vaswani et al. 2017). Notebook 06.

    Input and output are batch-first ``(batch, L, d_model)``. Each head attends in its own
    ``d_model / num_heads`` subspace; the heads are concatenated and projected back.
    :meth:`load_torch_weights` copies the weights of ``torch.nn.MultiheadAttention``
    (which packs q, k and v in one matrix); the BERT and GPT-2 converters fill the same
    four projections.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        smear_width: int = 0,
    ) -> None:
        super().__init__()
        validation.integer("smear_width (0 = off)", smear_width, low=0)
        validation.integer("d_model", d_model, low=1)
        validation.integer("num_heads", num_heads, low=1)
        validation.number("dropout", dropout, low=0.0, high=1.0)
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model must be divisible by num_heads: got d_model={d_model}, "
                f"num_heads={num_heads} (d_model / num_heads = {d_model / max(num_heads, 1)})."
            )
        self.d_model = d_model
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.smear_width = smear_width
        if smear_width:
            # Start as a plain average of the last smear_width positions, so every query
            # and key already carries its predecessors' tokens (see causal_smear).
            uniform = torch.full((smear_width, d_model), 1.0 / smear_width)
            self.query_smear = nn.Parameter(uniform.clone())
            self.key_smear = nn.Parameter(uniform.clone())

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Self-attention by default (key = value = query); returns ``(output, weights)``.

        ``mask``: boolean, True = may attend, broadcastable to (batch, heads, L_q, L_k).
        ``weights`` has shape (batch, heads, L_q, L_k), one map per head.
        """
        key = query if key is None else key
        value = key if value is None else value
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            if name == "query" or tensor is not query:  # self-attention: check one tensor
                validation.finite_tensor(name, tensor)
            if tensor.dim() != 3 or tensor.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} must have shape (batch, length, d_model={self.d_model}), got "
                    f"{tuple(tensor.shape)}."
                )
            _check_module_dtype(self, name, tensor)
        q, k = self.q_proj(query), self.k_proj(key)
        if self.smear_width:
            if key is not query:
                raise ValueError("smeared queries and keys need self-attention (key is query).")
            q, k = _smear(q, self.query_smear), _smear(k, self.key_smear)
        q, k = self._split_heads(q), self._split_heads(k)
        v = self._split_heads(self.v_proj(value))
        dropout_p = self.dropout if self.training else 0.0
        heads, weights = _attend(q, k, v, mask, 1.0 / math.sqrt(self.head_dim), dropout_p)
        batch, _, length, _ = heads.shape
        merged = heads.transpose(1, 2).reshape(batch, length, self.d_model)
        return self.out_proj(merged), weights

    @torch.no_grad()
    def load_torch_weights(self, torch_mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a ``torch.nn.MultiheadAttention`` of the same size; returns self.

        torch stacks W_q, W_k, W_v row-wise in ``in_proj_weight`` (3·d_model, d_model).
        """
        if not isinstance(torch_mha, nn.MultiheadAttention):
            raise TypeError(
                f"expected a torch.nn.MultiheadAttention, got {type(torch_mha).__name__}."
            )
        if (torch_mha.embed_dim, torch_mha.num_heads) != (self.d_model, self.num_heads):
            raise ValueError(
                f"size mismatch: this module has d_model={self.d_model}, num_heads="
                f"{self.num_heads}; the torch module has embed_dim={torch_mha.embed_dim}, "
                f"num_heads={torch_mha.num_heads}."
            )
        if torch_mha.in_proj_weight is None or torch_mha.bias_k is not None:
            raise ValueError(
                "only torch MultiheadAttention with kdim = vdim = embed_dim and "
                "add_bias_kv=False can be copied."
            )
        has_bias = torch_mha.in_proj_bias is not None
        if has_bias != (self.q_proj.bias is not None):
            raise ValueError(
                f"bias mismatch: this module has bias={self.q_proj.bias is not None}, "
                f"the torch module has bias={has_bias}; create both with the same `bias`."
            )
        projections = (self.q_proj, self.k_proj, self.v_proj)
        for proj, weight in zip(projections, torch_mha.in_proj_weight.chunk(3), strict=True):
            proj.weight.copy_(weight)
        self.out_proj.weight.copy_(torch_mha.out_proj.weight)
        if has_bias:
            for proj, bias in zip(projections, torch_mha.in_proj_bias.chunk(3), strict=True):
                proj.bias.copy_(bias)
            self.out_proj.bias.copy_(torch_mha.out_proj.bias)
        return self


def sinusoidal_positions(n: int, d: int, base: float = POSITION_BASE) -> torch.Tensor:
    """The (n, d) sinusoidal position encodings of Vaswani et al. (2017). Notebook 06.

    PE[pos, 2i] = sin(pos / base^(2i/d)) and PE[pos, 2i+1] = cos(pos / base^(2i/d)):
    every pair of dimensions is a clock of its own wavelength, so relative offsets are
    linear maps. An odd ``d`` drops the last cosine column.
    """
    n = validation.integer("n", n, low=0)
    d = validation.integer("d", d, low=1)
    base = validation.number("base", base, low=1.0, low_open=True)
    positions = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    even_dims = torch.arange(0, d, 2, dtype=torch.float64)
    angles = positions / base ** (even_dims / d)
    encoding = torch.zeros(n, d, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles[:, : d // 2])
    return encoding.to(torch.get_default_dtype())


def causal_smear(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mix each position with its predecessors: ``out[t] = sum_j weights[j] * x[t - j]``.

    ``x`` is (batch, L, d) and ``weights`` (width, d), one weight per offset and channel;
    positions before the start count as zeros, so nothing ever looks ahead. Applied to
    queries and keys this is Olsson et al.'s (2022) "smeared key" (the short convolution
    of H3 and Mamba): a key then knows the token *before* it, which an induction head
    otherwise needs a whole extra layer to learn. Notebook 09.
    """
    validation.finite_tensor("x", x)
    validation.finite_tensor("weights", weights)
    _check_same_dtype(x=x, weights=weights)
    if x.dim() != 3 or weights.dim() != 2 or weights.shape[1] != x.shape[-1]:
        raise ValueError(
            f"x must be (batch, L, d) and weights (width, d); got {tuple(x.shape)} and "
            f"{tuple(weights.shape)}."
        )
    return _smear(x, weights)


def _smear(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """:func:`causal_smear` once its inputs are checked (every layer of the ICL model)."""
    length = x.shape[1]
    out = x * weights[0]
    for offset in range(1, min(weights.shape[0], length)):
        out = out + F.pad(x[:, : length - offset], (0, 0, offset, 0)) * weights[offset]
    return out


def causal_mask(n: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(n, n) boolean mask, True on and below the diagonal: position t sees 0..t. Notebook 06."""
    n = validation.integer("n", n, low=0)
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def padding_mask(
    lengths_or_attention_mask: torch.Tensor,
    max_length: int | None = None,
    *,
    multi_head: bool = True,
) -> torch.Tensor:
    """Boolean key mask that hides padding: True = a real token. Notebook 06.

    Accepts either sequence lengths (1-D integers; ``max_length`` defaults to the
    longest) or a Hugging Face style ``attention_mask`` (batch, L) of 1 = token,
    0 = padding. Returns shape (batch, 1, 1, L), broadcastable to multi-head scores
    (batch, heads, L_q, L_k), or (batch, 1, L) for single-head scores when
    ``multi_head=False``.
    """
    given = lengths_or_attention_mask
    if not isinstance(given, torch.Tensor):
        try:
            given = torch.as_tensor(given)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                "expected lengths (a 1-D list of integers) or an attention_mask (batch, L) of "
                f"0/1, got {type(lengths_or_attention_mask).__name__}: {error}"
            ) from None
    if max_length is not None:
        max_length = validation.integer("max_length", max_length, low=0)
    if given.dim() == 1:
        if given.dtype.is_floating_point or given.dtype == torch.bool:
            raise TypeError(f"lengths must be integers, got dtype {given.dtype}.")
        longest = int(given.max()) if given.numel() else 0
        max_length = longest if max_length is None else max_length
        if given.numel() and (int(given.min()) < 0 or longest > max_length):
            raise ValueError(
                f"lengths must lie in [0, max_length={max_length}], got min "
                f"{int(given.min())} and max {longest}."
            )
        keep = torch.arange(max_length, device=given.device) < given.unsqueeze(1)
    elif given.dim() == 2:
        if max_length is not None and max_length != given.shape[1]:
            raise ValueError(
                f"attention_mask has length {given.shape[1]} but max_length={max_length}; "
                "leave max_length out when passing an attention_mask."
            )
        keep = given.bool()
    else:
        raise ValueError(
            "expected lengths of shape (batch,) or an attention_mask of shape (batch, L), "
            f"got shape {tuple(given.shape)}."
        )
    return keep[:, None, None, :] if multi_head else keep[:, None, :]
