"""The filter catalogue: the built-in ``assets/filters.toml`` and the user's own ``filters.toml``.

Each table of a ``filters.toml`` is one filter; its ``kind`` picks the module that parses it
(:data:`PARSERS`; each exposes ``parse_entry(toml_path, name, table, source) -> FilterInfo``
and raises ``ValueError`` naming the file, the entry and the key). Images and ``.cube`` files
are relative to the TOML file.

The user's folder is ``$XDG_CONFIG_HOME/snowcam/filters/`` (default ``~/.config/snowcam/filters/``),
``%APPDATA%\\snowcam\\filters`` on Windows and ``~/Library/Application Support/snowcam/filters``
on macOS. A user entry with a new name adds a filter whose ``source`` is the user's file; one
that reuses a registered name is refused. Errors are collected per entry, so one broken entry
never stops the others: :func:`load_errors` lists them for the app's banner and the CLI.
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snowcam.filters import FilterInfo

# kind -> module exposing parse_entry; a new data-driven kind is one line here.
PARSERS: dict[str, str] = {
    "sticker": "snowcam.filters.stickers",
    "look": "snowcam.filters.looks",
}


@dataclass(frozen=True, slots=True)
class LoadError:
    """A catalogue entry (or a whole file, ``name is None``) that could not be loaded, and why."""

    path: str
    name: str | None
    message: str


_ERRORS: list[LoadError] = []


def user_filters_dir(
    platform: str = sys.platform, environ: os._Environ[str] | dict[str, str] | None = None
) -> Path:
    """The folder of the user's own filters (see the module docstring); it need not exist."""
    env = os.environ if environ is None else environ
    if platform.startswith("win"):
        base = env.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "snowcam" / "filters"
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "snowcam" / "filters"
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "snowcam" / "filters"


def _parser(kind: str) -> Callable[[Path, str, dict[str, Any], str], FilterInfo] | None:
    module_name = PARSERS.get(kind)
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, "parse_entry", None)


def read_toml(toml_path: Path) -> dict[str, Any]:
    """The tables of one ``filters.toml``.

    Raises:
        ValueError: ``"<file>: cannot read (...)"`` or ``"<file>: not valid TOML (...)"``.
    """
    path = Path(toml_path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None


def read_catalog(
    toml_path: Path, source: str, taken: Collection[str] = ()
) -> tuple[list[FilterInfo], list[LoadError]]:
    """Parse every entry of one ``filters.toml``, in file order.

    ``source`` is recorded on each entry (``"built-in"`` or the file's path); names in ``taken``
    (already registered) are refused. Returns the entries that loaded and one :class:`LoadError`
    per entry that did not (or one for the whole file: unreadable, not valid TOML).
    """
    path = Path(toml_path)
    try:
        document = read_toml(path)
    except ValueError as exc:
        return [], [LoadError(str(path), None, str(exc))]
    infos: list[FilterInfo] = []
    errors: list[LoadError] = []
    seen = set(taken)
    for name, table in document.items():

        def fail(key: str, message: str, name: str = name) -> None:
            errors.append(LoadError(str(path), name, f"{path}: [{name}] {key}: {message}"))

        if name in seen:
            what = "a built-in filter" if name in taken else "another entry"
            fail("-", f"refused: {what} already has this name; rename the entry")
            continue
        if not isinstance(table, dict):
            fail("-", f"expected a table, got {table!r}")
            continue
        kind = table.get("kind")
        if kind is None:
            fail("kind", f"missing (known: {', '.join(PARSERS)})")
            continue
        parse = _parser(kind) if isinstance(kind, str) else None
        if parse is None:
            fail("kind", f"unknown kind {kind!r} (known: {', '.join(PARSERS)})")
            continue
        try:
            infos.append(parse(path, name, table, source))
        except ValueError as exc:
            errors.append(LoadError(str(path), name, str(exc)))
            continue
        except OSError as exc:  # a file beside the TOML that exists but cannot be read
            fail("-", f"cannot read a file it needs ({exc})")
            continue
        seen.add(name)
    return infos, errors


def load_into_registry(builtin_toml: Path, user_dir: Path | None = None) -> list[LoadError]:
    """Register the built-in catalogue, then the user's (when its ``filters.toml`` exists).

    Returns (and remembers for :func:`load_errors`) every entry that could not be loaded.
    """
    from snowcam.filters import FILTERS, register

    errors: list[LoadError] = []
    infos, found = read_catalog(builtin_toml, "built-in", FILTERS)
    errors += found
    for info in infos:
        register(info)
    user_toml = (user_filters_dir() if user_dir is None else user_dir) / "filters.toml"
    if user_toml.is_file():
        infos, found = read_catalog(user_toml, str(user_toml), FILTERS)
        errors += found
        for info in infos:
            register(info)
    _ERRORS.extend(errors)
    return errors


def load_errors() -> list[LoadError]:
    """The catalogue entries that failed to load so far, in load order."""
    return list(_ERRORS)


def why_missing(name: str) -> str | None:
    """Why the filter ``name`` is not available, when a catalogue entry of that name failed to load."""
    for error in _ERRORS:
        if error.name == name:
            return error.message
    return None
