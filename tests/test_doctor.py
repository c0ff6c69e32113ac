"""course_utils.doctor and the command line: clean in the course environment, precise fixes."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from course_utils import doctor


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
