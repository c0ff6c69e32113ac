"""Fixtures of the browser test: a headless JupyterLab on loopback and a headless Chromium.

The browser test runs only when its folder is named (``make test-browser``, i.e.
``pytest tests/browser``); ``pytest tests`` and ``make test`` leave it out. JupyterLab
serves copies of the course notebooks from a temporary folder, with its own settings
(autosave off, every cell rendered, no news), so nothing in the repository is written.
Chromium is Debian's (``/usr/bin/chromium``, or ``COURSE_CHROMIUM``), driven by Playwright.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from course_utils.classroom.student import REPO_ROOT, course_notebooks

BROWSER_TEST_DIR = Path(__file__).resolve().parent
SCREENSHOT_DIR = REPO_ROOT / "build" / "browser-screenshots"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--no-sandbox",  # needed as root in a container; the browser only visits loopback
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1400, "height": 1000}
LOOPBACK = "127.0.0.1"
#: Every timeout of the browser test is multiplied by this (``COURSE_BROWSER_SLOWDOWN``,
#: default 1): raise it on a machine that other work keeps busy.
SLOWDOWN = float(os.environ.get("COURSE_BROWSER_SLOWDOWN", "1"))
LAB_START_TIMEOUT_S = 180 * SLOWDOWN
POLL_INTERVAL_S = 0.5
HTTP_TIMEOUT_S = 10
SHUTDOWN_TIMEOUT_S = 20
LOG_TAIL_CHARS = 3000
#: JupyterLab settings for an unattended browser: ``{plugin file: {setting: value}}``.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}


def _named_on_the_command_line(config: pytest.Config) -> bool:
    for arg in config.args:
        path = (config.invocation_params.dir / str(arg).split("::", 1)[0]).resolve()
        if path == BROWSER_TEST_DIR or BROWSER_TEST_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the browser test out unless its folder or file was named (make test-browser)."""
    inside = collection_path == BROWSER_TEST_DIR or BROWSER_TEST_DIR in collection_path.parents
    return True if inside and not _named_on_the_command_line(config) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, token and the folder it serves."""

    url: str
    token: str
    root: Path
    log: Path

    def api(self, path: str, method: str = "GET") -> object:
        """Call the Jupyter server's REST API; return the decoded JSON (None if empty)."""
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            body = response.read()
        return json.loads(body) if body else None

    def notebook_url(self, name: str) -> str:
        """The address that opens notebook ``name`` alone (``reset``: no tabs left over)."""
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def shut_down_kernels(self) -> None:
        """End every session and kernel, so each notebook starts fresh and none lingers."""
        sessions = self.api("sessions")
        assert isinstance(sessions, list)
        for session in sessions:
            self.api(f"sessions/{session['id']}", method="DELETE")
        kernels = self.api("kernels")
        assert isinstance(kernels, list)
        for kernel in kernels:
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def log_tail(self) -> str:
        """The end of the server's log, for a failure message."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]


def _write_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _wait_until_up(lab: Lab, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + LAB_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("status")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(POLL_INTERVAL_S)
        else:
            return
    raise RuntimeError(
        f"JupyterLab did not answer in {LAB_START_TIMEOUT_S:.0f} s (on a busy machine set "
        f"COURSE_BROWSER_SLOWDOWN):\n{lab.log_tail()}"
    )


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A headless JupyterLab on 127.0.0.1, a random free port and a random token."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    root.mkdir()
    for path in course_notebooks():
        shutil.copy2(path, root / path.name)
    _write_settings(home / "settings")
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    env.pop("MPLBACKEND", None)  # a learner's kernel draws inline plots
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={LOOPBACK}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "jupyterlab.log"
    with open(log, "w", encoding="utf-8") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    lab = Lab(f"http://{LOOPBACK}:{port}", token, root, log)
    try:
        _wait_until_up(lab, server)
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package "
            "(apt-get install chromium) or set COURSE_CHROMIUM to a Chromium binary."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab: Lab) -> Iterator[object]:
    """A fresh browser page; afterwards every kernel of the lab is shut down."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
        lab.shut_down_kernels()


@pytest.fixture(scope="session")
def slowdown() -> float:
    """The factor every timeout is multiplied by (``COURSE_BROWSER_SLOWDOWN``)."""
    if SLOWDOWN < 1:
        raise ValueError(f"COURSE_BROWSER_SLOWDOWN must be at least 1, got {SLOWDOWN}.")
    return SLOWDOWN


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``build/browser-screenshots/``, where the test leaves its screenshots."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
