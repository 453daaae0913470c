"""What every filter is: the :class:`Filter` protocol, the per-face base class, groups and slots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from snowcam.types import Face, Frame

# Application order of the groups; ``none`` is the gallery's "No filter" and draws nothing.
GROUPS: tuple[str, ...] = ("none", "beauty", "face", "effect", "look", "debug")
# Where a face sticker's parts sit; two stickers sharing a slot replace each other.
SLOTS: tuple[str, ...] = ("eyes", "head", "nose", "mouth", "cheeks")


class Filter(Protocol):
    """An effect drawn on a frame.

    ``apply`` draws in place on ``out`` (an ``H×W×3`` ``uint8`` BGR frame, coordinates in frame
    pixels) for the ``faces`` found in it at time ``t_s`` (seconds, the pipeline's clock, so a
    replay draws frame for frame the same). It touches nothing but ``out``; a face whose
    ``keypoints`` is ``None`` is skipped by filters that need them. A filter that keeps state
    between frames (an effect's trigger, its particles) forgets it in ``reset`` (a new source).
    ``group`` is one of :data:`GROUPS`.
    """

    name: str
    group: str

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None: ...

    def reset(self) -> None: ...


class FaceFilter:
    """Base of filters that draw each face on its own and keep no state: implement ``apply_face``."""

    __slots__ = ()
    name: str
    group: str = "face"

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None:
        """Draw every face in turn (``t_s`` is not needed by a stateless per-face filter)."""
        for face in faces:
            self.apply_face(out, face)

    def apply_face(self, out: Frame, face: Face) -> None:
        """Draw on ``out`` for one face."""
        raise NotImplementedError

    def reset(self) -> None:
        """Nothing to forget."""
