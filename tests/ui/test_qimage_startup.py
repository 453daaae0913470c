"""Images for Qt, and a start-up that stays free of TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QColor

from snowcam.resources import assets_dir
from snowcam.ui.qimage import ndarray_to_qimage


def test_ndarray_to_qimage_keeps_bgr_and_owns_its_pixels() -> None:
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[..., 2] = 200  # red in BGR
    view = frame[:, ::2]  # not contiguous
    image = ndarray_to_qimage(view)
    del frame, view
    assert (image.width(), image.height()) == (3, 4)
    assert QColor(image.pixel(1, 1)).getRgb()[:3] == (200, 0, 0)
    with pytest.raises(ValueError, match="H×W×3"):
        ndarray_to_qimage(np.zeros((4, 6), np.uint8))


def test_starting_the_app_does_not_import_tensorflow(tmp_path: Path) -> None:
    """The real start-up path (pipeline factory included) stays free of TensorFlow."""
    code = f"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication
from snowcam.ui.app import AppDeps, create_window
app = QApplication([])
store = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
deps = AppDeps(store=store, camera_lister=lambda: [], watch_cameras=False, thumbnails=False)
window = create_window({str(assets_dir() / "demo.mp4")!r}, None, deps)
deadline = time.monotonic() + 10
while window.last_frame is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
window.close()
assert window.last_frame is not None, "no frame"
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
