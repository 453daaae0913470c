"""Without a display the app says so and exits 2, instead of Qt aborting the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from snowcam.ui.app import display_problem


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({}, "win32", False),
        ({}, "darwin", False),
    ],
)
def test_display_problem(environ: dict[str, str], platform: str, expected: bool) -> None:
    problem = display_problem(environ, platform)
    assert (problem is not None) == expected
    if expected:
        assert "no display" in problem and "snowcam render" in problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland rule")
def test_the_app_exits_2_with_a_message_without_a_display() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "snowcam.cli", "--video", "assets/demo.mp4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert proc.returncode == 2, proc.stderr
    assert "no display" in proc.stderr and "Traceback" not in proc.stderr
