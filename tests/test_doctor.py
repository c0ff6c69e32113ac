"""course_utils.doctor and the command line: clean in the course environment, precise fixes."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import data, doctor
from course_utils.checkpoints import CHECKPOINT_DIR

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_requirements_are_parsed():
    pins = doctor.pinned_requirements()
    assert pins["torch"] == "2.13.0"
    assert "nbval" in pins
    assert "dask" in pins, "a pin with extras (dask[bag]==...) must be read under its name"


def test_pins_with_extras_comments_and_markers(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# comment\ndask[bag, dataframe]==2026.8.0\nnumpy==2.4.6  # why\n"
        "scipy>=1.10\ntorch==2.13.0; sys_platform == 'linux'\n\n",
        encoding="utf-8",
    )
    assert doctor.pinned_requirements(requirements) == {
        "dask": "2026.8.0",
        "numpy": "2.4.6",
        "torch": "2.13.0",
    }


def test_doctor_is_clean_in_the_course_environment(capsys):
    assert doctor.doctor(show_paths=False) is True
    out = capsys.readouterr().out
    assert "✗" not in out
    assert "differ from requirements.txt" not in out
    for check in doctor.run_checks(show_paths=False):
        assert check.status != doctor.WARN or check.name == "Jupyter kernel", check.line()


def test_every_pin_is_installed_at_its_version():
    checks = doctor.check_packages(doctor.pinned_requirements())
    assert len(checks) == len(doctor.pinned_requirements())
    assert all(check.status == doctor.OK for check in checks), [
        check.line() for check in checks if check.status != doctor.OK
    ]


def test_missing_and_mismatched_packages_get_fixes():
    checks = doctor.check_packages({"numpy": "0.0.1", "surely-not-installed-pkg": "1.0"})
    mismatch, missing = checks
    assert mismatch.status == doctor.WARN
    line = mismatch.line()
    assert "numpy" in line and importlib.metadata.version("numpy") in line and "0.0.1" in line
    assert "pip install -r requirements.txt" in line and "pip install numpy==0.0.1" in line
    assert missing.status == doctor.FAIL and "pip install -r requirements.txt" in missing.line()


def test_a_faked_mismatch_warns_in_the_report(monkeypatch, capsys):
    real_version = importlib.metadata.version

    def fake_version(name: str) -> str:
        return "0.0.1" if name == "numpy" else real_version(name)

    monkeypatch.setattr(doctor.importlib.metadata, "version", fake_version)
    assert doctor.doctor(show_paths=False) is True, "a version mismatch is a warning only"
    out = capsys.readouterr().out
    pinned = doctor.pinned_requirements()["numpy"]
    assert f"! numpy: version 0.0.1 installed, but requirements.txt pins {pinned}" in out
    assert "1 installed version(s) differ from requirements.txt (numpy)" in out
    assert "run pip install -r requirements.txt" in out


def test_local_version_labels_match_their_pin(monkeypatch):
    monkeypatch.setattr(doctor.importlib.metadata, "version", lambda name: "2.13.0+cpu")
    assert doctor.check_packages({"torch": "2.13.0"})[0].status == doctor.OK


def test_cli_data_command_stages_everything():
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "data"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "MR split" in result.stdout and "sha256" in result.stdout
    assert "✗" not in result.stdout


def test_cli_rejects_unknown_commands():
    result = subprocess.run(
        [sys.executable, "-m", "course_utils", "fly"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


def test_doctor_says_which_precision_bert_training_will_use(monkeypatch):
    for fast, expected in ((True, "bfloat16 autocast"), (False, "stays in float32")):
        monkeypatch.setattr(doctor, "has_fast_bfloat16", lambda device, fast=fast: fast)
        line = next(c for c in doctor.check_torch() if c.name == "CPU bfloat16").line()
        assert expected in line
        assert "x faster" not in line, "no speed factor measured on another machine"


def _without(monkeypatch, *missing: str) -> None:
    """Pretend the ``missing`` packages are not installed."""
    real_version = importlib.metadata.version

    def version(name: str) -> str:
        if name in missing:
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(doctor.importlib.metadata, "version", version)


def test_a_learner_install_without_the_maintainer_tools_is_ready(monkeypatch, capsys):
    _without(monkeypatch, *doctor.MAINTAINER_PACKAGES)
    assert doctor.doctor(show_paths=False) is True
    out = capsys.readouterr().out
    assert "✗" not in out and "Ready for the course" in out
    assert "! pytest: not installed; only maintainers need it (it runs the unit tests)" in out
    names = [check.name for check in doctor.check_packages(doctor.pinned_requirements())]
    assert names[-len(doctor.MAINTAINER_PACKAGES) :] == [
        name for name in doctor.pinned_requirements() if name in doctor.MAINTAINER_PACKAGES
    ], "the maintainers' tools come last"


def test_a_missing_course_package_is_a_problem(monkeypatch):
    _without(monkeypatch, "gensim")
    (gensim,) = [
        c for c in doctor.check_packages(doctor.pinned_requirements()) if c.name == "gensim"
    ]
    assert gensim.status == doctor.FAIL and gensim.fix == doctor.INSTALL_FIX


def test_a_fix_shared_by_many_checks_is_printed_once():
    checks = [
        doctor.Check("data: a", doctor.FAIL, "missing", "python -m course_utils data"),
        doctor.Check("data: b", doctor.FAIL, "missing", "python -m course_utils data"),
        doctor.Check("other", doctor.WARN, "odd", "do something else"),
        doctor.Check("data: c", doctor.FAIL, "missing", "python -m course_utils data"),
    ]
    text = "\n".join(doctor.report_lines(checks))
    assert text.count("fix: python -m course_utils data") == 1
    assert "✗ data: b: missing   (fix: as above)" in text
    assert "fix: do something else" in text


def test_offline_the_data_fix_says_to_unset_the_flag(monkeypatch):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    assert doctor.data_fix().startswith("unset COURSE_OFFLINE, then: python -m course_utils data")
    for name in data.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert doctor.data_fix().startswith("python -m course_utils data")


def test_the_environment_variables_are_shown_and_a_typo_is_flagged(monkeypatch, tmp_path):
    typo = tmp_path / "course-dta"
    monkeypatch.setenv(data.MIRROR_ENV, str(typo))
    monkeypatch.setenv(data.NLTK_DATA_ENV, str(tmp_path))
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    nltk_data, mirror, offline = doctor.check_environment(show_paths=True)
    assert (nltk_data.status, nltk_data.detail) == (doctor.OK, str(tmp_path))
    assert mirror.status == doctor.WARN and str(typo) in mirror.detail
    assert "points to no folder" in mirror.detail and "export COURSE_DATA_MIRROR=" in mirror.fix
    assert offline.detail.startswith("1 (the course never uses the network)")
    hidden = doctor.check_environment(show_paths=False)
    assert hidden[0].detail == "set" and str(tmp_path) not in hidden[0].line()


def test_shipped_checkpoints_are_verified(tmp_path):
    (clean,) = doctor.check_shipped()
    assert clean.status == doctor.OK and "sha256 verified" in clean.detail
    copy = shutil.copytree(CHECKPOINT_DIR, tmp_path / "data")
    weights = copy / "word2vec_sg.safetensors"
    payload = bytearray(weights.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    weights.write_bytes(bytes(payload))
    (problem,) = doctor.check_shipped(copy, expected=[])
    assert problem.status == doctor.FAIL and problem.name == "shipped: word2vec_sg.provenance.json"
    assert str(weights) in problem.detail and "git checkout -- data/" in problem.fix
    assert "train-vectors word2vec_sg" in problem.fix


def test_git_lists_the_shipped_files_and_nothing_outside_a_checkout(tmp_path):
    tracked = doctor.tracked_files(CHECKPOINT_DIR)
    if tracked:  # a git checkout (a copy without git lists nothing)
        assert "models/tiny-bert/tokenizer.json" in tracked
    assert doctor.tracked_files(tmp_path) == []


def test_a_check_that_breaks_becomes_a_line_not_a_traceback(monkeypatch, capsys):
    def broken() -> list[doctor.Check]:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(doctor, "check_jupyter", broken)
    assert doctor.doctor(show_paths=False) is False
    out = capsys.readouterr().out
    assert "✗ Jupyter: this check broke: RuntimeError: unexpected" in out
    assert "Traceback" not in out and "✓ MR split" in out, "the later checks still run"


def _make_lab_commands(tmp_path: Path, user_id: int, lab_args: str) -> list[str]:
    """What ``make lab`` would run (``make -n``) for a user whose ``id -u`` is ``user_id``."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_id = fake_bin / "id"
    fake_id.write_text(f"#!/bin/sh\necho {user_id}\n", encoding="utf-8")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["make", "-n", "lab", f"LAB_ARGS={lab_args}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_as_root_allows_root_and_says_so(tmp_path):
    lines = _make_lab_commands(tmp_path, 0, "--no-browser --port 8890")
    lab = next(line for line in lines if "jupyter lab" in line)
    assert lab.endswith("notebooks/00_course_map.ipynb --allow-root --no-browser --port 8890")
    assert any("Running as root: JupyterLab starts with --allow-root" in line for line in lines)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_as_a_user_passes_only_the_extra_arguments(tmp_path):
    lines = _make_lab_commands(tmp_path, 1000, "--no-browser")
    lab = next(line for line in lines if "jupyter lab" in line)
    assert lab.endswith("notebooks/00_course_map.ipynb  --no-browser")
    assert not any("allow-root" in line for line in lines)


def test_the_learner_report_leaves_out_maintainer_lines_but_never_a_problem(capsys, monkeypatch):
    assert doctor.doctor(show_paths=False, learner=True) is True
    out = capsys.readouterr().out
    assert "torch:" in out and "data: sentence_polarity" in out
    assert not any(f"✓ {name}:" in out for name in doctor.LEARNER_HIDDEN), out
    missing = doctor.Check("nbval", doctor.FAIL, "not installed", doctor.INSTALL_FIX)
    monkeypatch.setattr(doctor, "run_checks", lambda show_paths: [missing])
    assert doctor.doctor(show_paths=False, learner=True) is False
    assert "✗ nbval: not installed" in capsys.readouterr().out
