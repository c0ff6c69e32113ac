"""Seeds, devices and thread counts (notebook 00 and every training command)."""

from __future__ import annotations

import platform

import pytest
import torch

from course_utils.reproducibility import (
    evaluation_mode,
    has_fast_bfloat16,
    resolve_device,
    set_seed,
    torch_threads,
)


def test_set_seed_repeats_torch_draws():
    set_seed(3)
    first = torch.rand(4)
    set_seed(3)
    assert torch.equal(first, torch.rand(4))


def test_torch_threads_sets_and_restores_even_on_error():
    before = torch.get_num_threads()
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(2):
        raise RuntimeError("training failed")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="at least 1"), torch_threads(0):
        pass


def test_evaluation_mode_switches_dropout_off_and_restores_the_flag_even_on_error():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).train()
    x = torch.ones(2, 4)
    with evaluation_mode(model):
        assert not model.training and torch.equal(model(x), model(x))
    assert model.training
    with pytest.raises(RuntimeError), evaluation_mode(model):
        raise RuntimeError
    assert model.training
    model.eval()
    with evaluation_mode(model):
        pass
    assert not model.training


def test_unknown_device_is_explained():
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="choose one of"):
        resolve_device("tpu")


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="an x86 CPU check")
def test_fast_bfloat16_means_avx512_on_x86():
    """bfloat16 only pays on x86 CPUs with AVX-512 (emulated on AVX2, about ten times slower
    than float32 there): the answer must follow the instruction set torch dispatches to."""
    capability = torch.backends.cpu.get_cpu_capability()
    assert has_fast_bfloat16("cpu") is capability.startswith("AVX512")


def test_fast_bfloat16_is_false_where_the_device_is_not_there():
    assert has_fast_bfloat16("mps") is False
    if not torch.cuda.is_available():
        assert has_fast_bfloat16("cuda") is False
