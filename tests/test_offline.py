"""One offline rule: with only ``COURSE_OFFLINE=1`` set (no Hugging Face variable), every
code path that could reach the hub or a download server decides with
``data.network_allowed()`` and opens no connection. A socket guard fails the test on any
attempt, so a path that ignores the rule cannot hide behind ``HF_HUB_OFFLINE``."""

from __future__ import annotations

import socket

import nbformat
import pytest

from course_utils import data, leaderboard, prompting
from course_utils.classroom.student import NOTEBOOK_DIR
from course_utils.vectors import glove

#: The notebook cells that may load a model from the hub, found by what they call.
HUB_CELLS = {
    "08_bert_mlm_nsp.ipynb": "network_allowed(HF_HUB_HOST)",
    "09_gpt_generation_and_prompting.ipynb": "network_allowed(HF_HUB_HOST)",
    "11_evolution_leaderboard.ipynb": "network_allowed(HF_HUB_HOST)",
}


def _refuse(*args, **kwargs):
    raise AssertionError(f"a network connection was attempted: {args[:2]}")


@pytest.fixture
def course_offline(monkeypatch):
    """COURSE_OFFLINE=1 alone, and a socket that refuses to connect or resolve."""
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


def test_the_rule_refuses_the_network_without_touching_it(course_offline):
    assert data.offline_variable() == data.OFFLINE_ENV
    assert data.network_allowed() is False
    assert data.network_allowed(data.HF_HUB_HOST) is False


def test_hugging_face_variables_count_too(monkeypatch):
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert data.offline_variable() is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert data.offline_variable() == "HF_HUB_OFFLINE" and not data.network_allowed()


def test_an_unreachable_host_is_not_allowed(monkeypatch):
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def unreachable(address, timeout):
        raise OSError("no route to host")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    assert data.network_allowed() is True
    assert data.network_allowed(("host.invalid", 443), timeout=0.1) is False


def test_pretrained_glove_stays_offline(course_offline, monkeypatch, tmp_path):
    import gensim.downloader

    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="COURSE_OFFLINE is set"):
        glove.pretrained_glove_path()


def test_a_missing_download_stays_offline(course_offline, monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    with pytest.raises(data.DataUnavailableError, match="COURSE_OFFLINE is set"):
        data.fetch_file(data.TINY_SHAKESPEARE)


@pytest.mark.parametrize("name", sorted(HUB_CELLS))
def test_the_notebooks_hub_cells_stay_offline(course_offline, capsys, name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    (cell,) = [c for c in notebook.cells if HUB_CELLS[name] in c.source]
    # What the cell uses from earlier cells: anything that would load a model fails.
    namespace = {used: _refuse for used in ("pipeline", "AutoModelForCausalLM", "torch")}
    namespace |= {"lb": leaderboard, "prompting": prompting, "split": None}
    exec(compile(cell.source, name, "exec"), namespace)
    assert "kipped" in capsys.readouterr().out
    assert namespace.get("hub_model") is None
