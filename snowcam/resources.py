"""Where the bundled data folders are: ``assets/`` (filter stickers) and ``models/`` (keypoint model).

In a source checkout they sit at the repository root, next to the ``snowcam`` package. In an
installed wheel, ``pyproject.toml`` force-includes them as ``snowcam/_data/assets`` and
``snowcam/_data/models``. This module is the only code that knows both layouts.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


def assets_dir() -> Path:
    """The folder holding ``filters.toml`` and the sticker PNGs."""
    return _data_dir("assets")


def models_dir() -> Path:
    """The folder holding the exported keypoint model and its sidecar JSON."""
    return _data_dir("models")
