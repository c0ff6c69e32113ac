"""Tests of course_utils.hf_convert: same weights, same logits, both ways (notebook 07)."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoModelForPreTraining,
    BertConfig,
    BertForPreTraining,
    GPT2Config,
    GPT2LMHeadModel,
)

from course_utils.bert import TinyBert, TinyBertConfig
from course_utils.gpt import TinyGPT, TinyGPTConfig
from course_utils.hf_convert import (
    bert_parameter_names,
    gpt_parameter_names,
    hf_bert_config,
    hf_gpt2_config,
    hf_to_tiny_bert,
    hf_to_tiny_gpt,
    tiny_bert_to_hf,
    tiny_gpt_to_hf,
)
from course_utils.transformer import count_parameters

SIZES = {
    "vocab_size": 53,
    "max_position": 20,
    "d_model": 24,
    "num_layers": 2,
    "num_heads": 4,
    "d_ff": 40,
}
TOLERANCE = {"atol": 1e-5, "rtol": 0.0}  # float32, as the task requires
BATCH, LENGTH = 3, 16


def _randomize(model: torch.nn.Module, seed: int) -> None:
    """Give every parameter (biases and LayerNorms too) a random value."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(0.3 * torch.randn(parameter.shape, generator=generator))


def _bert_inputs() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    lengths = torch.tensor([LENGTH, 11, 5])
    return {
        "input_ids": torch.randint(0, SIZES["vocab_size"], (BATCH, LENGTH), generator=generator),
        "token_type_ids": (torch.arange(LENGTH) >= 6).long().expand(BATCH, -1).contiguous(),
        "attention_mask": (torch.arange(LENGTH) < lengths[:, None]).long(),
    }


def _gpt_inputs() -> torch.Tensor:
    generator = torch.Generator().manual_seed(8)
    return torch.randint(0, SIZES["vocab_size"], (BATCH, LENGTH), generator=generator)


def _compare_bert(tiny: TinyBert, hf: BertForPreTraining) -> None:
    inputs = _bert_inputs()
    ours = tiny(**inputs)
    theirs = hf(**inputs)
    real = inputs["attention_mask"].bool()  # padded positions are not compared
    torch.testing.assert_close(ours.mlm_logits[real], theirs.prediction_logits[real], **TOLERANCE)
    torch.testing.assert_close(ours.nsp_logits, theirs.seq_relationship_logits, **TOLERANCE)


def _compare_gpt(tiny: TinyGPT, hf: GPT2LMHeadModel) -> None:
    idx = _gpt_inputs()
    torch.testing.assert_close(tiny(idx), hf(idx).logits, **TOLERANCE)


@pytest.fixture(scope="module")
def tiny_bert() -> TinyBert:
    torch.manual_seed(0)
    model = TinyBert(TinyBertConfig(**SIZES))
    _randomize(model, seed=1)
    return model.eval()


@pytest.fixture(scope="module")
def tiny_gpt() -> TinyGPT:
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(**SIZES))
    _randomize(model, seed=2)
    return model.eval()


@torch.no_grad()
def test_tiny_bert_to_hf_same_logits(tiny_bert):
    hf = tiny_bert_to_hf(tiny_bert)
    assert isinstance(hf, BertForPreTraining) and not hf.training
    assert hf.config.hidden_act == "gelu"
    _compare_bert(tiny_bert, hf)


@torch.no_grad()
def test_hf_bert_to_tiny_same_logits():
    torch.manual_seed(3)
    hf = BertForPreTraining(hf_bert_config(TinyBertConfig(**SIZES)))
    _randomize(hf, seed=4)
    hf.eval()
    tiny = hf_to_tiny_bert(hf)
    assert isinstance(tiny, TinyBert) and not tiny.training
    _compare_bert(tiny, hf)


@torch.no_grad()
def test_tiny_gpt_to_hf_same_logits(tiny_gpt):
    hf = tiny_gpt_to_hf(tiny_gpt)
    assert isinstance(hf, GPT2LMHeadModel) and hf.config.activation_function == "gelu_new"
    _compare_gpt(tiny_gpt, hf)


@torch.no_grad()
def test_hf_gpt_to_tiny_same_logits():
    torch.manual_seed(5)
    hf = GPT2LMHeadModel(hf_gpt2_config(TinyGPTConfig(**SIZES)))
    _randomize(hf, seed=6)
    hf.eval()
    tiny = hf_to_tiny_gpt(hf)
    _compare_gpt(tiny, hf)


@torch.no_grad()
def test_round_trip_restores_every_weight(tiny_bert, tiny_gpt):
    for tiny, there, back in (
        (tiny_bert, tiny_bert_to_hf, hf_to_tiny_bert),
        (tiny_gpt, tiny_gpt_to_hf, hf_to_tiny_gpt),
    ):
        restored = back(there(tiny)).state_dict()
        for name, tensor in tiny.state_dict().items():
            assert torch.equal(restored[name], tensor), name


@torch.no_grad()
def test_float64_models_stay_float64(tiny_gpt):
    double = hf_to_tiny_gpt(tiny_gpt_to_hf(tiny_gpt)).double()
    hf = tiny_gpt_to_hf(double)
    assert next(hf.parameters()).dtype == torch.float64
    idx = _gpt_inputs()
    torch.testing.assert_close(double(idx), hf(idx).logits, atol=1e-12, rtol=0.0)


def test_parameter_counts_match_hugging_face(tiny_bert, tiny_gpt):
    for tiny, convert in ((tiny_bert, tiny_bert_to_hf), (tiny_gpt, tiny_gpt_to_hf)):
        hf = convert(tiny)
        assert count_parameters(tiny) == hf.num_parameters() == count_parameters(hf)
    assert len(bert_parameter_names(2)) == len(tiny_bert.state_dict())
    assert len(gpt_parameter_names(2)) == len(tiny_gpt.state_dict())


@torch.no_grad()
def test_save_pretrained_round_trip(tmp_path, tiny_bert, tiny_gpt):
    tiny_bert_to_hf(tiny_bert).save_pretrained(tmp_path / "bert")
    tiny_gpt_to_hf(tiny_gpt).save_pretrained(tmp_path / "gpt")
    assert (tmp_path / "bert" / "model.safetensors").is_file()
    bert = AutoModelForPreTraining.from_pretrained(tmp_path / "bert", attn_implementation="eager")
    gpt = AutoModelForCausalLM.from_pretrained(tmp_path / "gpt", attn_implementation="eager")
    _compare_bert(tiny_bert, bert.eval())
    _compare_gpt(tiny_gpt, gpt.eval())
    _compare_gpt(hf_to_tiny_gpt(gpt), gpt)


@pytest.mark.parametrize(
    ("departure", "message"),
    [({"smear_width": 3}, "smear_width=3"), ({"tie_embeddings": False}, "tie_embeddings=False")],
)
def test_gpt_departing_from_gpt2_does_not_convert(departure, message):
    with pytest.raises(ValueError, match=message):
        tiny_gpt_to_hf(TinyGPT(TinyGPTConfig(**SIZES, **departure)))


def test_models_tiny_cannot_express_raise():
    with pytest.raises(TypeError, match="BertForPreTraining"):
        hf_to_tiny_bert(GPT2LMHeadModel(GPT2Config(n_embd=8, n_layer=1, n_head=2, vocab_size=9)))
    relu = BertConfig(
        vocab_size=9, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, hidden_act="relu"
    )
    with pytest.raises(ValueError, match="hidden_act is 'relu'"):
        hf_to_tiny_bert(BertForPreTraining(relu))
    untied = GPT2LMHeadModel(
        GPT2Config(n_embd=8, n_layer=1, n_head=2, vocab_size=9, tie_word_embeddings=False)
    )
    with pytest.raises(ValueError, match="not tied"):
        hf_to_tiny_gpt(untied)
