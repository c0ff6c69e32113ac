"""Convert the course's TinyBert / TinyGPT to and from Hugging Face Transformers models.

Taught in notebook 07 and used in notebooks 08-09: a model trained with the course's
code becomes a ``BertForPreTraining`` / ``GPT2LMHeadModel`` (so ``save_pretrained``,
``pipeline("fill-mask")`` and ``generate`` work on it), and a Hugging Face checkpoint
of the same shape becomes a course model. The weights are the same numbers; only the
names differ, plus two layout details: GPT-2 stores its projections in ``Conv1D``
layers whose weight is the transpose of ``nn.Linear``'s, and packs the query, key and
value projections into one ``c_attn`` matrix. BERT's activation "gelu" is the exact
erf GELU, GPT-2's "gelu_new" the tanh approximation, as in the course models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    BertConfig,
    BertForPreTraining,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedTokenizerFast,
)

from course_utils.bert import TinyBert, TinyBertConfig
from course_utils.gpt import TinyGPT, TinyGPTConfig

__all__ = [
    "BERT_GELU",
    "DEFAULT_ATTN_IMPLEMENTATION",
    "EVERY_CHARACTER",
    "GPT2_GELU",
    "GPT2_TANH_GELUS",
    "QKV_PROJECTIONS",
    "WEIGHT",
    "WEIGHT_AND_BIAS",
    "StateDict",
    "Transform",
    "bert_parameter_names",
    "gpt_parameter_names",
    "hf_bert_config",
    "hf_char_tokenizer",
    "hf_gpt2_config",
    "hf_to_tiny_bert",
    "hf_to_tiny_gpt",
    "tiny_bert_config",
    "tiny_bert_to_hf",
    "tiny_gpt_config",
    "tiny_gpt_to_hf",
]

#: Attention implementation of the Hugging Face models we build: the plain math path.
DEFAULT_ATTN_IMPLEMENTATION = "eager"
#: GPT-2 activations equal to the course's tanh-approximated GELU.
GPT2_TANH_GELUS = ("gelu_new", "gelu_pytorch_tanh")
BERT_GELU = "gelu"
GPT2_GELU = "gelu_new"
WEIGHT = ("weight",)
WEIGHT_AND_BIAS = ("weight", "bias")
#: The course's projections that GPT-2 packs, in this order, into one ``c_attn``.
QKV_PROJECTIONS = ("q_proj", "k_proj", "v_proj")

#: Splits a text into single characters, new lines included.
EVERY_CHARACTER = r"[\s\S]"

StateDict = dict[str, torch.Tensor]
Transform = Callable[[torch.Tensor], torch.Tensor]


def _same(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


def _transpose(tensor: torch.Tensor) -> torch.Tensor:
    """nn.Linear stores (out, in); GPT-2's Conv1D stores (in, out). Its own inverse."""
    return tensor.t().contiguous()


def _with_params(pairs: list[tuple[str, str]], names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(f"{tiny}.{name}", f"{hf}.{name}") for tiny, hf in pairs for name in names]


def bert_parameter_names(num_layers: int) -> list[tuple[str, str]]:
    """(TinyBert name, BertForPreTraining name) for every parameter. Notebook 07."""
    embeddings = [
        ("token_embed", "bert.embeddings.word_embeddings"),
        ("segment_embed", "bert.embeddings.token_type_embeddings"),
        ("position_embed", "bert.embeddings.position_embeddings"),
    ]
    modules = [
        ("embed_ln", "bert.embeddings.LayerNorm"),
        ("pooler", "bert.pooler.dense"),
        ("mlm_transform", "cls.predictions.transform.dense"),
        ("mlm_ln", "cls.predictions.transform.LayerNorm"),
        ("nsp_head", "cls.seq_relationship"),
    ]
    for i in range(num_layers):
        tiny, hf = f"blocks.{i}", f"bert.encoder.layer.{i}"
        modules += [
            (f"{tiny}.attn.q_proj", f"{hf}.attention.self.query"),
            (f"{tiny}.attn.k_proj", f"{hf}.attention.self.key"),
            (f"{tiny}.attn.v_proj", f"{hf}.attention.self.value"),
            (f"{tiny}.attn.out_proj", f"{hf}.attention.output.dense"),
            (f"{tiny}.ln_attn", f"{hf}.attention.output.LayerNorm"),
            (f"{tiny}.ffn.fc_in", f"{hf}.intermediate.dense"),
            (f"{tiny}.ffn.fc_out", f"{hf}.output.dense"),
            (f"{tiny}.ln_ffn", f"{hf}.output.LayerNorm"),
        ]
    return (
        _with_params(embeddings, WEIGHT)
        + _with_params(modules, WEIGHT_AND_BIAS)
        + [("mlm_bias", "cls.predictions.bias")]
    )


def _gpt_mapping(num_layers: int) -> list[tuple[str, str, Transform]]:
    """(TinyGPT name, GPT2LMHeadModel name, transform) except the packed q/k/v."""
    mapping: list[tuple[str, str, Transform]] = [
        ("token_embed.weight", "transformer.wte.weight", _same),
        ("position_embed.weight", "transformer.wpe.weight", _same),
        ("ln_final.weight", "transformer.ln_f.weight", _same),
        ("ln_final.bias", "transformer.ln_f.bias", _same),
    ]
    for i in range(num_layers):
        tiny, hf = f"blocks.{i}", f"transformer.h.{i}"
        for tiny_module, hf_module in (
            ("ln_attn", "ln_1"),
            ("ln_ffn", "ln_2"),
            ("attn.out_proj", "attn.c_proj"),
            ("ffn.fc_in", "mlp.c_fc"),
            ("ffn.fc_out", "mlp.c_proj"),
        ):
            weight_transform = _same if tiny_module.startswith("ln_") else _transpose
            source, target = f"{tiny}.{tiny_module}", f"{hf}.{hf_module}"
            mapping.append((f"{source}.weight", f"{target}.weight", weight_transform))
            mapping.append((f"{source}.bias", f"{target}.bias", _same))
    return mapping


def gpt_parameter_names(num_layers: int) -> list[tuple[str, str]]:
    """(TinyGPT name, GPT2LMHeadModel name) for every parameter. Notebook 07.

    GPT-2's ``attn.c_attn`` holds the course's ``attn.q_proj``, ``k_proj`` and
    ``v_proj`` side by side (transposed), so three course names map to it.
    """
    names = [(tiny, hf) for tiny, hf, _ in _gpt_mapping(num_layers)]
    for i in range(num_layers):
        for proj in QKV_PROJECTIONS:
            for param in WEIGHT_AND_BIAS:
                names.append(
                    (f"blocks.{i}.attn.{proj}.{param}", f"transformer.h.{i}.attn.c_attn.{param}")
                )
    return names


# ---------------------------------------------------------------------------
# Configurations (save_pretrained-friendly)
# ---------------------------------------------------------------------------


def hf_bert_config(config: TinyBertConfig, **overrides: Any) -> BertConfig:
    """The ``transformers.BertConfig`` of a :class:`TinyBertConfig`. Notebook 08.

    ``overrides`` go to ``BertConfig`` (e.g. ``attn_implementation``).
    """
    settings: dict[str, Any] = {
        "vocab_size": config.vocab_size,
        "hidden_size": config.d_model,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "intermediate_size": config.d_ff,
        "hidden_act": BERT_GELU,
        "hidden_dropout_prob": config.dropout,
        "attention_probs_dropout_prob": config.dropout,
        "max_position_embeddings": config.max_position,
        "type_vocab_size": config.type_vocab_size,
        "layer_norm_eps": config.layer_norm_eps,
        "pad_token_id": config.pad_token_id,
        "tie_word_embeddings": True,
        "attn_implementation": DEFAULT_ATTN_IMPLEMENTATION,
    }
    settings.update(overrides)
    return BertConfig(**settings)


def hf_gpt2_config(config: TinyGPTConfig, **overrides: Any) -> GPT2Config:
    """The ``transformers.GPT2Config`` of a :class:`TinyGPTConfig`. Notebook 09.

    GPT-2's default bos/eos id 50256 does not exist in a small vocabulary, so both are
    None unless ``overrides`` name them (e.g. ``eos_token_id=tokenizer.eos_token_id``).
    A TinyGPT with smeared queries and keys or an untied output layer is not a GPT-2.
    """
    if config.smear_width or not config.tie_embeddings:
        raise ValueError(
            f"this TinyGPT departs from GPT-2 (smear_width={config.smear_width}, "
            f"tie_embeddings={config.tie_embeddings}); only models with smear_width=0 and "
            "tie_embeddings=True convert to Hugging Face."
        )
    settings: dict[str, Any] = {
        "vocab_size": config.vocab_size,
        "n_positions": config.max_position,
        "n_embd": config.d_model,
        "n_layer": config.num_layers,
        "n_head": config.num_heads,
        "n_inner": config.d_ff,
        "activation_function": GPT2_GELU,
        "resid_pdrop": config.dropout,
        "embd_pdrop": config.dropout,
        "attn_pdrop": config.dropout,
        "layer_norm_epsilon": config.layer_norm_eps,
        "bos_token_id": None,
        "eos_token_id": None,
        "tie_word_embeddings": True,
        "attn_implementation": DEFAULT_ATTN_IMPLEMENTATION,
    }
    settings.update(overrides)
    return GPT2Config(**settings)


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(f"cannot convert this Hugging Face model: {problem}")


def tiny_bert_config(hf_config: BertConfig) -> TinyBertConfig:
    """The :class:`TinyBertConfig` of a ``BertConfig``; ValueError if TinyBert cannot express it.

    Notebook 08. TinyBert has one dropout rate: ``hidden_dropout_prob`` is used.
    """
    _require(
        hf_config.hidden_act == BERT_GELU,
        f"hidden_act is {hf_config.hidden_act!r}, TinyBert uses {BERT_GELU!r} (exact GELU).",
    )
    _require(
        not hf_config.is_decoder and not hf_config.add_cross_attention,
        "it is configured as a decoder; TinyBert is an encoder.",
    )
    _require(
        getattr(hf_config, "position_embedding_type", "absolute") == "absolute",
        "TinyBert only has absolute (learned) position embeddings.",
    )
    return TinyBertConfig(
        vocab_size=hf_config.vocab_size,
        max_position=hf_config.max_position_embeddings,
        d_model=hf_config.hidden_size,
        num_layers=hf_config.num_hidden_layers,
        num_heads=hf_config.num_attention_heads,
        d_ff=hf_config.intermediate_size,
        dropout=float(hf_config.hidden_dropout_prob),
        layer_norm_eps=hf_config.layer_norm_eps,
        type_vocab_size=hf_config.type_vocab_size,
        pad_token_id=hf_config.pad_token_id,
    )


def tiny_gpt_config(hf_config: GPT2Config) -> TinyGPTConfig:
    """The :class:`TinyGPTConfig` of a ``GPT2Config``; ValueError if TinyGPT cannot express it."""
    _require(
        hf_config.activation_function in GPT2_TANH_GELUS,
        f"activation_function is {hf_config.activation_function!r}; TinyGPT uses the tanh "
        f"GELU ({' or '.join(GPT2_TANH_GELUS)}).",
    )
    _require(
        hf_config.scale_attn_weights and not hf_config.scale_attn_by_inverse_layer_idx,
        "TinyGPT scales attention scores by 1/sqrt(head_dim) only.",
    )
    _require(not hf_config.add_cross_attention, "TinyGPT has no cross-attention.")
    d_ff = hf_config.n_inner if hf_config.n_inner is not None else 4 * hf_config.n_embd
    return TinyGPTConfig(
        vocab_size=hf_config.vocab_size,
        max_position=hf_config.n_positions,
        d_model=hf_config.n_embd,
        num_layers=hf_config.n_layer,
        num_heads=hf_config.n_head,
        d_ff=d_ff,
        dropout=float(hf_config.resid_pdrop),
        layer_norm_eps=hf_config.layer_norm_epsilon,
    )


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


def _check_type(model: object, expected: type) -> None:
    if not isinstance(model, expected):
        raise TypeError(f"expected a {expected.__name__}, got {type(model).__name__}.")


def _reference(model: torch.nn.Module) -> torch.Tensor:
    return next(model.parameters())


def _load(target: torch.nn.Module, state: StateDict, source: torch.nn.Module) -> None:
    """Load ``state`` (strictly), matching the source model's dtype, device and mode."""
    reference = _reference(source)
    target.to(device=reference.device, dtype=reference.dtype)
    target.load_state_dict(state, strict=True)
    target.train(source.training)


def _require_tied(
    hf_model: torch.nn.Module, decoder: torch.Tensor, embedding: torch.Tensor
) -> None:
    _require(
        decoder.shape == embedding.shape and torch.equal(decoder, embedding),
        f"its output layer is not tied to the token embedding; {type(hf_model).__name__} "
        "needs tie_word_embeddings=True to be a course model.",
    )


@torch.no_grad()
def tiny_bert_to_hf(model: TinyBert, **config_overrides: Any) -> BertForPreTraining:
    """A ``BertForPreTraining`` with the weights of ``model`` (same logits). Notebook 08."""
    _check_type(model, TinyBert)
    tiny_state = model.state_dict()
    state = {hf: tiny_state[tiny] for tiny, hf in bert_parameter_names(model.config.num_layers)}
    # The tied decoder: its weight is the token embedding, its bias the MLM bias.
    state["cls.predictions.decoder.weight"] = tiny_state["token_embed.weight"]
    state["cls.predictions.decoder.bias"] = tiny_state["mlm_bias"]
    hf_model = BertForPreTraining(hf_bert_config(model.config, **config_overrides))
    _load(hf_model, state, model)
    return hf_model


@torch.no_grad()
def hf_to_tiny_bert(hf_model: BertForPreTraining) -> TinyBert:
    """A :class:`TinyBert` with the weights of a ``BertForPreTraining``. Notebook 08."""
    _check_type(hf_model, BertForPreTraining)
    config = tiny_bert_config(hf_model.config)
    hf_state = hf_model.state_dict()
    _require_tied(
        hf_model,
        hf_state["cls.predictions.decoder.weight"],
        hf_state["bert.embeddings.word_embeddings.weight"],
    )
    state = {tiny: hf_state[hf] for tiny, hf in bert_parameter_names(config.num_layers)}
    model = TinyBert(config)
    _load(model, state, hf_model)
    return model


@torch.no_grad()
def tiny_gpt_to_hf(model: TinyGPT, **config_overrides: Any) -> GPT2LMHeadModel:
    """A ``GPT2LMHeadModel`` with the weights of ``model`` (same logits). Notebook 09."""
    _check_type(model, TinyGPT)
    tiny_state = model.state_dict()
    num_layers = model.config.num_layers
    state = {hf: transform(tiny_state[tiny]) for tiny, hf, transform in _gpt_mapping(num_layers)}
    state["lm_head.weight"] = tiny_state["token_embed.weight"]
    for i in range(num_layers):
        tiny, hf = f"blocks.{i}.attn", f"transformer.h.{i}.attn.c_attn"
        projections = [f"{tiny}.{proj}" for proj in QKV_PROJECTIONS]
        # Conv1D weight (d, 3d) = [W_q | W_k | W_v] with each W stored (in, out).
        packed = torch.cat([tiny_state[f"{name}.weight"] for name in projections], dim=0)
        state[f"{hf}.weight"] = _transpose(packed)
        state[f"{hf}.bias"] = torch.cat([tiny_state[f"{name}.bias"] for name in projections])
    hf_model = GPT2LMHeadModel(hf_gpt2_config(model.config, **config_overrides))
    _load(hf_model, state, model)
    return hf_model


@torch.no_grad()
def hf_to_tiny_gpt(hf_model: GPT2LMHeadModel) -> TinyGPT:
    """A :class:`TinyGPT` with the weights of a ``GPT2LMHeadModel``. Notebook 09."""
    _check_type(hf_model, GPT2LMHeadModel)
    config = tiny_gpt_config(hf_model.config)
    hf_state = hf_model.state_dict()
    _require_tied(hf_model, hf_state["lm_head.weight"], hf_state["transformer.wte.weight"])
    state = {
        tiny: transform(hf_state[hf]) for tiny, hf, transform in _gpt_mapping(config.num_layers)
    }
    for i in range(config.num_layers):
        tiny, hf = f"blocks.{i}.attn", f"transformer.h.{i}.attn.c_attn"
        weights = _transpose(hf_state[f"{hf}.weight"]).chunk(3, dim=0)
        biases = hf_state[f"{hf}.bias"].chunk(3)
        for proj, weight, bias in zip(QKV_PROJECTIONS, weights, biases, strict=True):
            state[f"{tiny}.{proj}.weight"] = weight
            state[f"{tiny}.{proj}.bias"] = bias
    model = TinyGPT(config)
    _load(model, state, hf_model)
    return model


def hf_char_tokenizer(chars: str) -> PreTrainedTokenizerFast:
    """A ``transformers`` tokenizer with one token per character of ``chars`` (id = index).

    The Hugging Face twin of :class:`course_utils.gpt.CharTokenizer`, so that a converted
    character GPT runs in ``pipeline("text-generation")``. Notebook 09.
    """
    if not chars or len(set(chars)) != len(chars):
        raise ValueError("chars must be a non-empty string of distinct characters.")
    vocabulary = {char: index for index, char in enumerate(chars)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(EVERY_CHARACTER), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer)
