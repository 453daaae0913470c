"""Errors every command shares and the argument checks that raise them (no heavy imports)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

EXIT_USAGE = 2
"""A problem the user can fix: bad argument, bad or damaged file, full disk. Printed without a traceback."""

EXIT_DAMAGED_INPUT = 3
"""``render`` finished and wrote its output, but the input ended before the frame count it declares."""


class UserError(Exception):
    """A problem the user can fix (bad path, bad file, full disk); printed without a traceback, exit 2."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output_file(path: Path, option: str, others: Mapping[str, Path] | None = None) -> None:
    """Refuse, before any work, an output that cannot be written or would overwrite another file.

    ``others`` names the files of the same command that ``path`` must not be, e.g.
    ``{"the input": input_path, "the -o output": output}``.

    Raises:
        UserError: ``path`` is a folder, is one of ``others``, or its folder is missing or not writable.
    """
    if path.is_dir():
        raise UserError(f"{option} {path}: is a folder; name a file inside it")
    for label, other in (others or {}).items():
        if _same_file(path, other):
            raise UserError(f"{option} {path}: is {label}; choose another name (snowcam never overwrites it)")
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"{option} {path}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: the folder {folder} is not writable; choose another place")


def positive_int(text: str) -> int:
    """An argparse type: an integer of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
