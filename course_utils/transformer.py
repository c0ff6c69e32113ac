"""The transformer block, nanoGPT style: configuration, feed-forward layer, the pre-LN /
post-LN block, initialisation and the optimizer both models share. Notebook 07.

The encoder that stacks these blocks is :class:`course_utils.bert.TinyBert`, the decoder
:class:`course_utils.gpt.TinyGPT`. Both are small on purpose (they train on a 2-core CPU)
but are parameter-for-parameter the architectures of BERT (Devlin et al. 2019) and GPT-2
(Radford et al. 2019), so :mod:`course_utils.hf_convert` turns them into Hugging Face
models with equal logits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from course_utils.attention import MultiHeadAttention

#: Cross-entropy ignores targets equal to this (PyTorch's and Hugging Face's convention).
IGNORE_INDEX = -100

if TYPE_CHECKING:
    pass

__all__ = [
    "GELU_EXACT",
    "IGNORE_INDEX",
    "INIT_STD",
    "Block",
    "FeedForward",
    "TransformerConfig",
    "adamw",
    "check_input_ids",
    "count_parameters",
    "init_weights",
]

#: Standard deviation of the normal initialisation used by BERT and GPT-2.
INIT_STD = 0.02
#: GELU variants: BERT uses the exact erf form, GPT-2 the tanh approximation ("gelu_new").
GELU_EXACT = "none"


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes shared by both models: vocabulary, positions, width, depth, heads. Notebook 07.

    ``d_ff`` is the hidden size of the feed-forward sublayer (4·d_model in both papers).
    """

    vocab_size: int
    max_position: int = 128
    d_model: int = 128
    num_layers: int = 2
    num_heads: int = 4
    d_ff: int = 512
    dropout: float = 0.1
    layer_norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        sizes = ("vocab_size", "max_position", "d_model", "num_layers", "num_heads", "d_ff")
        bad = {name: getattr(self, name) for name in sizes if getattr(self, name) <= 0}
        if bad:
            raise ValueError(f"sizes must be positive, got {bad}.")
        if self.d_model % self.num_heads != 0:
            raise ValueError(
                f"d_model={self.d_model} must be divisible by num_heads={self.num_heads}."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}.")


class FeedForward(nn.Module):
    """Position-wise feed-forward sublayer: Linear → GELU → Linear → dropout. Notebook 07."""

    def __init__(self, d_model: int, d_ff: int, dropout: float, gelu: str = GELU_EXACT) -> None:
        super().__init__()
        self.fc_in = nn.Linear(d_model, d_ff)
        self.act = nn.GELU(approximate=gelu)
        self.fc_out = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Transform every position independently."""
        return self.dropout(self.fc_out(self.act(self.fc_in(x))))


class Block(nn.Module):
    """One transformer layer: self-attention and feed-forward, each with residual + LayerNorm.

    ``pre_norm=False`` (post-LN, ``x = LN(x + f(x))``) is the original transformer and
    BERT, and is needed for exact equality with Hugging Face's ``BertModel``;
    ``pre_norm=True`` (``x = x + f(LN(x))``) is GPT-2's choice, which trains deep stacks
    stably without learning-rate warm-up tricks. Notebook 07.
    """

    def __init__(
        self,
        config: TransformerConfig,
        *,
        pre_norm: bool,
        gelu: str = GELU_EXACT,
        smear_width: int = 0,
    ) -> None:
        super().__init__()
        self.pre_norm = pre_norm
        self.attn = MultiHeadAttention(
            config.d_model, config.num_heads, config.dropout, smear_width=smear_width
        )
        self.attn_dropout = nn.Dropout(config.dropout)
        self.ln_attn = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.ffn = FeedForward(config.d_model, config.d_ff, config.dropout, gelu)
        self.ln_ffn = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(x, attention weights)``; ``mask`` is boolean, True = may attend."""
        if self.pre_norm:
            attended, weights = self.attn(self.ln_attn(x), mask=mask)
            x = x + self.attn_dropout(attended)
            return x + self.ffn(self.ln_ffn(x)), weights
        attended, weights = self.attn(x, mask=mask)
        x = self.ln_attn(x + self.attn_dropout(attended))
        return self.ln_ffn(x + self.ffn(x)), weights


@torch.no_grad()
def init_weights(module: nn.Module, std: float = INIT_STD) -> None:
    """BERT / GPT-2 initialisation: normal(0, std) weights, zero biases, unit LayerNorms."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if module.padding_idx is not None:
            nn.init.zeros_(module.weight[module.padding_idx])
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def adamw(
    model: nn.Module, lr: float, weight_decay: float, betas: tuple[float, float]
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only, not on biases, LayerNorms or positions.

    The optimizer of both pre-training loops (BERT, notebook 08; GPT, notebook 09).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of unique parameters (tied weights counted once). Notebooks 07 and 11."""
    # Module.parameters() yields a shared (tied) Parameter only once.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def check_input_ids(name: str, ids: torch.Tensor, upper: int, max_position: int) -> None:
    if not isinstance(ids, torch.Tensor) or ids.dtype.is_floating_point or ids.is_complex():
        got = ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise TypeError(f"{name} must be an integer tensor (torch.long), got {got}.")
    if ids.dim() != 2:
        raise ValueError(
            f"{name} must have shape (batch, sequence), got {tuple(ids.shape)}; "
            "for a single sequence use ids.unsqueeze(0)."
        )
    if ids.shape[1] > max_position:
        raise ValueError(
            f"{name} has sequence length {ids.shape[1]}, longer than the model's "
            f"max_position={max_position}; truncate the input or use a larger config."
        )
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= upper):
        raise ValueError(
            f"{name} must lie in [0, {upper}), got values from {int(ids.min())} to "
            f"{int(ids.max())}; check the tokenizer matches the model's vocabulary."
        )
