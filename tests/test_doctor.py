"""course_utils.doctor and the command line: clean in the course environment, precise fixes."""

from __future__ import annotations

import subprocess
import sys

from course_utils import doctor


def test_requirements_are_parsed():
    pins = doctor.pinned_requirements()
    assert pins["torch"] == "2.13.0"
    assert "nbval" in pins


def test_doctor_is_clean_in_the_course_environment(capsys):
    assert doctor.doctor(show_paths=False) is True
    out = capsys.readouterr().out
    assert "✗" not in out
    for check in doctor.run_checks(show_paths=False):
        assert check.status != doctor.WARN or check.name == "Jupyter kernel", check.line()


def test_missing_and_mismatched_packages_get_fixes():
    checks = doctor.check_packages({"numpy": "0.0.1", "surely-not-installed-pkg": "1.0"})
    mismatch, missing = checks
    assert mismatch.status == doctor.WARN and "pip install numpy==0.0.1" in mismatch.line()
    assert missing.status == doctor.FAIL and "pip install -r requirements.txt" in missing.line()


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
