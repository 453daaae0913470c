"""Face detectors: the protocol, OpenCV's Haar cascades (bundled with opencv-python < 5) and the choice
between them and BlazeFace (:mod:`snowcam.blazeface`, the default)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from snowcam.geometry import to_gray
from snowcam.types import FaceBox, Frame

#: The detectors ``--detector`` chooses from; the first is the default.
DETECTORS = ("blazeface", "haar")


class FaceDetector(Protocol):
    """Finds faces in a frame."""

    @property
    def name(self) -> str:
        """The detector's name, as ``--detector`` and the JSON reports give it."""
        ...

    def detect(self, frame: Frame) -> list[FaceBox]:
        """All faces in a BGR frame, as boxes in frame pixels in the convention of OpenCV's frontal
        Haar cascade (the keypoint model's detector calibration maps them to crops), best first."""
        ...


def _cascade(name: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise RuntimeError(
            f"OpenCV could not load its Haar cascade {path}. snowcam needs opencv-python>=4.10,<5 "
            "(OpenCV 5 no longer ships the cascades)."
        )
    return cascade


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade on a downscaled grey frame.

    The frame is shrunk so that its longer side is at most ``max_side_px`` (the cascade costs
    15–25 ms on a full 640×480 frame). Faces smaller than ``min_face_px`` (in frame pixels) are
    ignored. When the default cascade finds nothing, the ``alt2`` cascade is tried with a
    lower threshold, then the profile cascade both ways round: they find more rotated, dim and
    turned faces at the price of a few more false hits, which the tracker weeds out with the
    keypoint model's face score. No histogram equalisation: on the faces68 frames it lowered
    the share of faces found from 99.9 % to 98.7 %. With nobody in front of it, a textured
    640×480 frame costs 100–130 ms (most of it the profile fallback).
    """

    name = "haar"

    def __init__(
        self,
        min_face_px: int = 40,
        max_side_px: int = 320,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        fallback: bool = True,
    ) -> None:
        if min_face_px < 1 or max_side_px < 24:
            raise ValueError("min_face_px must be ≥ 1 and max_side_px ≥ 24")
        self.min_face_px = min_face_px
        self.max_side_px = max_side_px
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self._primary = _cascade("haarcascade_frontalface_default.xml")
        self._fallback = _cascade("haarcascade_frontalface_alt2.xml") if fallback else None
        self._fallback_neighbors = max(2, min_neighbors - 2)

    def detect(self, frame: Frame) -> list[FaceBox]:
        small, factor, min_side = self._shrunk(to_gray(frame))
        boxes = self._run(self._primary, small, min_side, self.min_neighbors)
        if not boxes and self._fallback is not None:
            boxes = self._run(self._fallback, small, min_side, self._fallback_neighbors)
        if not boxes and self._fallback is not None:
            boxes = self._profiles(small, min_side)
        return _to_frame(boxes, factor)

    def _shrunk(self, gray: np.ndarray) -> tuple[np.ndarray, float, int]:
        """The grey image shrunk to ``max_side_px``, the shrink factor and the smallest face side."""
        h, w = gray.shape
        factor = min(1.0, self.max_side_px / max(h, w))
        small = (
            gray
            if factor == 1.0
            else cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        )
        return small, factor, max(20, round(self.min_face_px * factor))

    @functools.cached_property
    def _profile(self) -> cv2.CascadeClassifier:
        """The profile cascade, loaded on first use (most frames never need it)."""
        return _cascade("haarcascade_profileface.xml")

    def _profiles(self, small: np.ndarray, min_side: int) -> list:
        """Profile faces looking either way (the cascade knows one side; the mirror finds the other)."""
        width = small.shape[1]
        mirrored = self._run(self._profile, np.ascontiguousarray(small[:, ::-1]), min_side, 3)
        back = [(width - x - w, y, w, h) for x, y, w, h in mirrored]
        return self._run(self._profile, small, min_side, 3) + back

    def _run(self, cascade: cv2.CascadeClassifier, small: np.ndarray, min_side: int, neighbors: int) -> list:
        found = cascade.detectMultiScale(
            small, scaleFactor=self.scale_factor, minNeighbors=neighbors, minSize=(min_side, min_side)
        )
        return [tuple(float(v) for v in b) for b in found] if len(found) else []


def _to_frame(boxes: list, factor: float) -> list[FaceBox]:
    """``(x, y, w, h)`` tuples found on an image shrunk by ``factor`` → frame boxes, biggest first."""
    boxes = sorted(boxes, key=lambda b: -b[2] * b[3])
    return [FaceBox(x / factor, y / factor, bw / factor, bh / factor) for x, y, bw, bh in boxes]


def still_image_detector(name: str = "haar") -> FaceDetector:
    """The detector as ``snowcam eval`` (and, for Haar, training) uses it on data sets of still images.

    Faces down to 20 px (data-set faces are small), Haar on frames shrunk to at most 400 px, no
    zoomed pass (it takes turns over a stream's frames); the app's live settings are in
    :class:`snowcam.pipeline.PipelineSettings`.
    """
    return create_detector(name, min_face_px=20, haar_max_side_px=400)


def create_detector(
    name: str,
    min_face_px: int = 48,
    haar_max_side_px: int = 320,
    haar_scale_factor: float = 1.1,
    zoom: bool = False,
) -> FaceDetector:
    """The detector called ``name`` (one of :data:`DETECTORS`), ignoring faces under ``min_face_px``.
    ``zoom`` adds BlazeFace's zoomed pass over one tile every second call (small faces in a stream; see
    :class:`snowcam.blazeface.BlazeFaceDetector`); Haar ignores it.

    Raises:
        ValueError: an unknown name.
        snowcam.keypoints.ModelError: BlazeFace's model file is missing or invalid.
    """
    if name == "blazeface":
        from snowcam.blazeface import BlazeFaceDetector

        return BlazeFaceDetector(min_face_px=min_face_px, zoom=zoom)
    if name == "haar":
        return HaarFaceDetector(
            min_face_px=min_face_px, max_side_px=haar_max_side_px, scale_factor=haar_scale_factor
        )
    raise ValueError(f"unknown detector {name!r}; choose from: {', '.join(DETECTORS)}")
