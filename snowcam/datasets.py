"""Loaders for keypoint data sets: the faces68 folder layout and Kaggle's ``training.csv``.

Both give a :class:`LandmarkSet`: grey images of any size with their points in image pixels,
missing values as NaN. No TensorFlow here: ``snowcam eval`` uses these too.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import KAGGLE15_NAMES, N_KEYPOINTS

KAGGLE_IMAGE_SIDE = 96


class DataError(ValueError):
    """A data folder or file is missing or malformed; the message says what to fix."""


@dataclass
class LandmarkSet:
    """Face images with keypoints.

    Attributes:
        name: where it came from (folder or file name).
        images: grey ``uint8`` images, one per sample, each of its own size.
        points: ``(N, K, 2)`` float32 image pixels; NaN where a point is missing.
            ``K`` is 68 (faces68 layout) or 15 (Kaggle view, subject-side names).
        identities: one string per sample; samples of one person share it.
        files: the image file (or ``row N``) of each sample, for reports.
    """

    name: str
    images: list[npt.NDArray[np.uint8]]
    points: npt.NDArray[np.float32]
    identities: list[str]
    files: list[str]

    def __len__(self) -> int:
        return len(self.images)

    @property
    def n_points(self) -> int:
        return int(self.points.shape[1])

    def subset(self, indices: Sequence[int] | npt.NDArray[np.int64]) -> LandmarkSet:
        idx = [int(i) for i in indices]
        return LandmarkSet(
            self.name,
            [self.images[i] for i in idx],
            self.points[idx],
            [self.identities[i] for i in idx],
            [self.files[i] for i in idx],
        )


def _coordinates(values: Sequence[str], where: str) -> npt.NDArray[np.float32]:
    """Coordinates from CSV fields: an empty field is a missing point (NaN); anything else must be
    a finite number (``inf``, ``nan`` or ``1e309`` are errors, not missing points)."""
    out = np.empty(len(values), np.float32)
    for i, text in enumerate(values):
        if not text.strip():
            out[i] = np.nan
            continue
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{where}: non-numeric coordinate {text.strip()[:20]!r}") from None
        if not np.isfinite(value) or not np.isfinite(np.float32(value)):
            raise DataError(f"{where}: coordinate {text.strip()[:20]!r} is not a finite number")
        out[i] = value
    return out


def _pixels(text: str | None, where: str) -> npt.NDArray[np.float32]:
    try:
        return np.array((text or "").split(), dtype=np.float32)
    except ValueError:
        raise DataError(f"{where}: Image must be 9216 numbers separated by spaces") from None


def load_faces68_folder(folder: str | Path, color: bool = False, limit: int | None = None) -> LandmarkSet:
    """Load a folder in the faces68 layout: ``images/*`` and ``landmarks.csv``.

    ``landmarks.csv`` has a header ``image,identity,x0,y0,...,x67,y67`` and one row per image.
    With ``color`` the images stay BGR (for running the detector as the app does).

    Raises:
        DataError: the folder, the CSV or an image is missing or malformed.
    """
    root = Path(folder)
    csv_path = root / "landmarks.csv"
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected images/ and landmarks.csv inside)")
    if not csv_path.is_file():
        raise DataError(f"{root}: no landmarks.csv (expected the faces68 layout: images/ and landmarks.csv)")
    expected = ["image", "identity"] + [f"{a}{i}" for i in range(N_KEYPOINTS) for a in "xy"]
    try:
        with csv_path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != expected:
                raise DataError(
                    f"{csv_path}: header must be image,identity,x0,y0,...,x67,y67 (got {str(header)[:80]})"
                )
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{csv_path}: not a text CSV file ({exc}); expected UTF-8 text") from None
    if limit is not None:
        rows = rows[:limit]
    if not rows:
        raise DataError(f"{csv_path}: no rows")
    images, points, identities, files = [], [], [], []
    flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    for line, row in enumerate(rows, start=2):
        if len(row) != len(expected):
            raise DataError(f"{csv_path}:{line}: expected {len(expected)} fields, got {len(row)}")
        image_path = root / "images" / row[0]
        image = cv2.imread(str(image_path), flag)
        if image is None:
            raise DataError(f"{csv_path}:{line}: cannot read image {image_path}")
        xy = _coordinates(row[2:], f"{csv_path}:{line}")
        images.append(image)
        points.append(xy.reshape(N_KEYPOINTS, 2))
        identities.append(row[1])
        files.append(row[0])
    return LandmarkSet(root.name, images, np.stack(points), identities, files)


def load_kaggle_csv(path: str | Path, limit: int | None = None) -> LandmarkSet:
    """Load Kaggle Facial Keypoints' ``training.csv``: 30 coordinate columns and ``Image``.

    ``Image`` holds 9,216 space-separated grey values of a 96×96 face. Empty coordinates become
    NaN (most rows miss some points); rows are kept, for training with a masked loss. Each row
    gets its own identity (the file names no people).

    Raises:
        DataError: the file is missing or not in that format.
    """
    csv_path = Path(path)
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: no such file")
    columns = [f"{name}_{axis}" for name in KAGGLE15_NAMES for axis in "xy"]
    try:
        with csv_path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in [*columns, "Image"] if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(
                    f"{csv_path}: not a Kaggle facial keypoints CSV, missing columns {missing[:4]}"
                )
            images, points, identities, files = [], [], [], []
            for line, row in enumerate(reader, start=2):
                if limit is not None and len(images) >= limit:
                    break
                pixels = _pixels(row["Image"], f"{csv_path}:{line}")
                if pixels.size != KAGGLE_IMAGE_SIDE * KAGGLE_IMAGE_SIDE:
                    raise DataError(f"{csv_path}:{line}: Image must have 9216 values, got {pixels.size}")
                xy = _coordinates([row[c] or "" for c in columns], f"{csv_path}:{line}")
                images.append(
                    np.clip(pixels, 0, 255).astype(np.uint8).reshape(KAGGLE_IMAGE_SIDE, KAGGLE_IMAGE_SIDE)
                )
                points.append(xy.reshape(len(KAGGLE15_NAMES), 2))
                identities.append(f"{csv_path.stem}:{line}")
                files.append(f"row {line}")
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{csv_path}: not a text CSV file ({exc}); expected UTF-8 text") from None
    if not images:
        raise DataError(f"{csv_path}: no rows")
    return LandmarkSet(csv_path.stem, images, np.stack(points), identities, files)


def load_any(path: str | Path, color: bool = False) -> LandmarkSet:
    """A faces68-layout folder or a Kaggle CSV file, chosen by what ``path`` is."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() == ".csv":
        return load_kaggle_csv(p)
    return load_faces68_folder(p, color=color)


def split_by_identity(
    identities: Sequence[str], val_fraction: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Split sample indices into (train, validation) so that no identity is in both.

    An identity lands in validation when a seeded hash of its name falls below
    ``val_fraction``, so the split of a person does not change when others are added.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    train, val = [], []
    for i, ident in enumerate(identities):
        h = zlib.crc32(f"{seed}:{ident}".encode()) / 2**32
        (val if h < val_fraction else train).append(i)
    return np.array(train, np.int64), np.array(val, np.int64)
