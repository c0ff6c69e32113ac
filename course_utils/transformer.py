"""The transformer block, an encoder (TinyBert) and a decoder (TinyGPT), nanoGPT style.

Taught in notebook 07; pre-trained in notebook 08 (BERT: masked language modelling and
next-sentence prediction) and notebook 09 (GPT: next-token prediction). Both models are
small on purpose (they train on a 2-core CPU) but are parameter-for-parameter the
architectures of BERT (Devlin et al. 2019) and GPT-2 (Radford et al. 2019), so
:mod:`course_utils.hf_convert` turns them into Hugging Face models with equal logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.attention import MultiHeadAttention, causal_mask, padding_mask

#: Standard deviation of the normal initialisation used by BERT and GPT-2.
INIT_STD = 0.02
#: Cross-entropy ignores targets equal to this (PyTorch's and Hugging Face's convention).
IGNORE_INDEX = -100
#: BERT's next-sentence prediction classes: 0 = B follows A, 1 = B is random.
NSP_CLASSES = 2
#: GELU variants: BERT uses the exact erf form, GPT-2 the tanh approximation ("gelu_new").
GELU_EXACT = "none"
GELU_TANH = "tanh"


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


@dataclass(frozen=True)
class TinyBertConfig(TransformerConfig):
    """A BERT configuration (BERT-Base: d_model 768, 12 layers, 12 heads, d_ff 3072). Notebook 08.

    ``type_vocab_size`` segments (A and B); ``pad_token_id`` is the padding row of the
    token embedding (no gradient), as in Hugging Face's ``BertConfig``.
    """

    layer_norm_eps: float = 1e-12
    type_vocab_size: int = 2
    pad_token_id: int | None = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.type_vocab_size <= 0:
            raise ValueError(f"type_vocab_size must be positive, got {self.type_vocab_size}.")
        if self.pad_token_id is not None and not 0 <= self.pad_token_id < self.vocab_size:
            raise ValueError(
                f"pad_token_id={self.pad_token_id} must lie in [0, vocab_size={self.vocab_size})"
                " or be None."
            )


@dataclass(frozen=True)
class TinyGPTConfig(TransformerConfig):
    """A GPT-2 configuration (GPT-2 small: d_model 768, 12 layers, 12 heads). Notebook 09.

    Two departures from GPT-2, both used by the in-context-learning model of notebook 09
    and both measured there to make in-context lookup learnable within a CPU budget:
    ``smear_width > 0`` mixes queries and keys with their ``smear_width - 1``
    predecessors (:func:`~course_utils.attention.causal_smear`), a shortcut to induction
    heads; ``tie_embeddings=False`` gives the output layer its own matrix. Such models
    have no Hugging Face GPT-2 equivalent.
    """

    smear_width: int = 0
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.smear_width < 0:
            raise ValueError(f"smear_width must be 0 (off) or positive, got {self.smear_width}.")


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


def _check_ids(name: str, ids: torch.Tensor, upper: int, max_position: int) -> None:
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


@dataclass
class BertOutput:
    """What :class:`TinyBert` returns; shapes use B = batch, L = length, V = vocabulary."""

    mlm_logits: torch.Tensor  # (B, L, V): masked-language-model scores
    nsp_logits: torch.Tensor  # (B, 2): next-sentence scores from the pooled [CLS]
    hidden_states: torch.Tensor  # (B, L, d_model): the encoder's last layer
    pooled: torch.Tensor  # (B, d_model): tanh(dense([CLS]))
    attentions: list[torch.Tensor]  # per layer, (B, heads, L, L)


class TinyBert(nn.Module):
    """BERT (Devlin et al. 2019): a post-LN encoder with MLM and NSP heads. Notebooks 07-08.

    Token + segment + learned position embeddings are summed, normalised and passed
    through bidirectional blocks. The MLM head (dense, GELU, LayerNorm, then a decoder
    tied to the token embedding plus a bias) scores every position; the NSP head reads
    the pooled [CLS] vector (dense + tanh), which also feeds sequence classification.
    """

    def __init__(self, config: TinyBertConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.token_embed = nn.Embedding(config.vocab_size, d, padding_idx=config.pad_token_id)
        self.segment_embed = nn.Embedding(config.type_vocab_size, d)
        self.position_embed = nn.Embedding(config.max_position, d)
        self.embed_ln = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.embed_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            Block(config, pre_norm=False, gelu=GELU_EXACT) for _ in range(config.num_layers)
        )
        self.pooler = nn.Linear(d, d)
        self.mlm_transform = nn.Linear(d, d)
        self.mlm_act = nn.GELU(approximate=GELU_EXACT)
        self.mlm_ln = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.mlm_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.nsp_head = nn.Linear(d, NSP_CLASSES)
        self.apply(init_weights)

    def encode(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The encoder alone: ``(hidden_states (B, L, d_model), attentions per layer)``.

        ``attention_mask`` (B, L): 1 = token, 0 = padding (padding is never attended to).
        """
        config = self.config
        _check_ids("input_ids", input_ids, config.vocab_size, config.max_position)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        for name, extra in (
            ("token_type_ids", token_type_ids),
            ("attention_mask", attention_mask),
        ):
            if extra is not None and extra.shape != input_ids.shape:
                raise ValueError(
                    f"{name} must have the shape of input_ids {tuple(input_ids.shape)}, "
                    f"got {tuple(extra.shape)}."
                )
        _check_ids("token_type_ids", token_type_ids, config.type_vocab_size, config.max_position)
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = (
            self.token_embed(input_ids)
            + self.segment_embed(token_type_ids)
            + self.position_embed(positions)
        )
        x = self.embed_dropout(self.embed_ln(x))
        mask = None if attention_mask is None else padding_mask(attention_mask)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask)
            attentions.append(weights)
        return x, attentions

    def pool(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """BERT's pooler: tanh(dense(hidden state of [CLS])), shape (B, d_model)."""
        return torch.tanh(self.pooler(hidden_states[:, 0]))

    def mlm_logits(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Vocabulary scores for every position, (B, L, V), decoder tied to the embedding."""
        h = self.mlm_ln(self.mlm_act(self.mlm_transform(hidden_states)))
        return F.linear(h, self.token_embed.weight, self.mlm_bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> BertOutput:
        """Encode ``input_ids`` (B, L) and apply both pre-training heads."""
        hidden, attentions = self.encode(input_ids, token_type_ids, attention_mask)
        pooled = self.pool(hidden)
        return BertOutput(
            mlm_logits=self.mlm_logits(hidden),
            nsp_logits=self.nsp_head(pooled),
            hidden_states=hidden,
            pooled=pooled,
            attentions=attentions,
        )


class _FineTuningHead(nn.Module):
    """A (pre-trained) :class:`TinyBert` with dropout and a fresh linear classifier on top."""

    def __init__(self, bert: TinyBert, num_labels: int) -> None:
        super().__init__()
        if num_labels <= 0:
            raise ValueError(f"num_labels must be positive, got {num_labels}.")
        self.bert = bert
        self.dropout = nn.Dropout(bert.config.dropout)
        self.classifier = nn.Linear(bert.config.d_model, num_labels)
        init_weights(self.classifier)


class TinyBertForSequenceClassification(_FineTuningHead):
    """A pre-trained :class:`TinyBert` plus dropout + linear on the pooled [CLS]. Notebook 08.

    BERT's single-sentence and sentence-pair fine-tuning set-up (Hugging Face's
    ``BertForSequenceClassification``).
    """

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Class scores (B, num_labels)."""
        hidden, _ = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return self.classifier(self.dropout(self.bert.pool(hidden)))


class TinyBertForTokenClassification(_FineTuningHead):
    """A pre-trained :class:`TinyBert` plus dropout + linear on every token. Notebook 08.

    BERT's token-level set-up (tagging, e.g. part of speech); with two labels per token
    (start, end) it is the span-extraction head of extractive question answering.
    """

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Per-token scores (B, L, num_labels)."""
        hidden, _ = self.bert.encode(input_ids, token_type_ids, attention_mask)
        return self.classifier(self.dropout(hidden))


class TinyGPT(nn.Module):
    """GPT-2 (Radford et al. 2019): a pre-LN causal decoder with a tied LM head. Notebook 09.

    Token + learned position embeddings, blocks whose attention sees only the past,
    a final LayerNorm, and logits from the token embedding matrix (no bias). The
    feed-forward GELU is GPT-2's tanh approximation ("gelu_new").
    """

    def __init__(self, config: TinyGPTConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embed = nn.Embedding(config.vocab_size, config.d_model)
        self.position_embed = nn.Embedding(config.max_position, config.d_model)
        self.embed_dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            Block(config, pre_norm=True, gelu=GELU_TANH, smear_width=config.smear_width)
            for _ in range(config.num_layers)
        )
        self.ln_final = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.lm_head = (
            None
            if config.tie_embeddings
            else nn.Linear(config.d_model, config.vocab_size, bias=False)
        )
        self.apply(init_weights)
        # GPT-2: scale the residual projections by 1/sqrt(2 * layers) at initialisation.
        residual_std = INIT_STD / math.sqrt(2 * config.num_layers)
        for block in self.blocks:
            nn.init.normal_(block.attn.out_proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(block.ffn.fc_out.weight, mean=0.0, std=residual_std)

    def encode(self, idx: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Final hidden states (B, L, d_model) after ``ln_final`` and per-layer attentions."""
        _check_ids("idx", idx, self.config.vocab_size, self.config.max_position)
        length = idx.shape[1]
        positions = torch.arange(length, device=idx.device)
        x = self.embed_dropout(self.token_embed(idx) + self.position_embed(positions))
        mask = causal_mask(length, device=idx.device)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask)
            attentions.append(weights)
        return self.ln_final(x), attentions

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Next-token logits (batch, sequence, vocabulary) for token ids ``idx`` (B, L)."""
        hidden, _ = self.encode(idx)
        if self.lm_head is not None:
            return self.lm_head(hidden)
        return F.linear(hidden, self.token_embed.weight)

    def loss(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the logits against ``targets`` (B, L); -100 is ignored."""
        if targets.shape != idx.shape:
            raise ValueError(
                f"targets must have the shape of idx {tuple(idx.shape)}, got "
                f"{tuple(targets.shape)}; targets are idx shifted left by one token."
            )
        logits = self(idx)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX
        )
