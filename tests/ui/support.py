"""Helpers for the window tests: waits on what the window shows (the fakes live in ``tests.clips``)."""

from __future__ import annotations

from snowcam.ui.main_window import MainWindow
from tests.clips import (  # noqa: F401  (re-exported for the window tests)
    CLIP_FPS,
    CLIP_FRAMES,
    CLIP_SIZE,
    CameraBox,
    FakeCamera,
    differs,
    fake_pipeline,
    write_clip,
)


def wait_frames(qtbot, window: MainWindow, count: int = 3, timeout_ms: int = 5000) -> None:
    """Wait until ``count`` more frames have been painted."""
    target = window.preview.stats.shown + count
    qtbot.waitUntil(lambda: window.preview.stats.shown >= target, timeout=timeout_ms)


def wait_filters(qtbot, window: MainWindow, *names: str, timeout_ms: int = 3000) -> None:
    """Wait until a shown frame was rendered with exactly ``names`` (from its stage times)."""

    def rendered() -> bool:
        frame = window.last_frame
        if frame is None:
            return False
        used = [k.removeprefix("filter:") for k in frame.result.stage_ms if k.startswith("filter:")]
        return used == list(names)

    qtbot.waitUntil(rendered, timeout=timeout_ms)


def wait_active(qtbot, window: MainWindow, *names: str, timeout_ms: int = 3000) -> None:
    """Wait until the session reported ``names`` as the active filters."""
    qtbot.waitUntil(lambda: window.active_filters == list(names), timeout=timeout_ms)
