"""Run the exported keypoint model with LiteRT (no TensorFlow import at run time).

A model is a ``.tflite`` file plus its model card, a ``.json`` file of the same stem, which
says how to feed it (input size, normalisation), what it outputs (point names, coordinate
space) and how crops are cut (the crop rule and the detector calibration).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from snowcam.geometry import (
    MODEL_INPUT_SIZE,
    DetectorCalibration,
    apply_affine,
    crop_face,
    invert_affine,
    region_from_box,
    region_from_keypoints,
)
from snowcam.types import (
    KAGGLE15_NAMES,
    N_KEYPOINTS,
    POINT_NAMES_68,
    CropRegion,
    FaceBox,
    Frame,
    Keypoints,
    flip_permutation,
)

CARD_FORMAT = "snowcam-keypoints/1"


def open_interpreter(path: Path, num_threads: int, what: str, fix: str) -> Any:
    """A LiteRT interpreter for the ``.tflite`` file at ``path``, its tensors allocated.

    Raises:
        ModelError: ``"<what> <path> is missing; <fix>"`` or ``"<path> is not a valid .tflite
            model (...); <fix>"``.
    """
    if not path.is_file():
        raise ModelError(f"{what} {path} is missing; {fix}")
    from ai_edge_litert.interpreter import Interpreter

    try:
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path} is not a valid .tflite model ({exc}); {fix}") from None
    return interpreter


class ModelError(RuntimeError):
    """The model file or its card is missing, corrupt or of the wrong kind; the message says which."""


MIRROR_OFFSET_NOTE = (
    "how far right of the mirror-symmetric position the model puts its points (image px, median over "
    "the validation faces, snowcam.evaluate.mirror_offsets_px): the annotators' habit, which flip "
    "averaging adds back"
)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ModelError(f"{where} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """The model card ``keypoints.json``: validated fields the runtime needs, and the whole card.

    ``input_size`` is the crop side in pixels; ``point_names`` the model's points in output order;
    ``calibration`` maps detector boxes to the crop rule; ``mirror_offset_px`` (image pixels, 0
    when the card has none) is what flip averaging adds back; ``raw`` is the full card (data,
    training, metrics...). Every reader and writer of cards goes through :meth:`load`,
    :meth:`from_dict` and :meth:`save`, so a card is validated the same way everywhere.
    """

    input_size: int
    point_names: tuple[str, ...]
    calibration: DetectorCalibration
    mirror_offset_px: float
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, raw: Any, where: str = "model card") -> ModelCard:
        """Validate a card's content.

        Raises:
            ModelError: it is not a snowcam card, or a field is missing or has a bad value.
        """
        if not isinstance(raw, dict) or raw.get("format") != CARD_FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
            raise ModelError(f"{where}: not a snowcam model card (format {found!r})")
        try:
            size_value = raw["input"]["size"]
            names = tuple(raw["output"]["point_names"])
            cal = raw["crop"]["detector_calibration"]
            calibration = DetectorCalibration(
                _number(cal["dx"], f"{where}: crop.detector_calibration.dx"),
                _number(cal["dy"], f"{where}: crop.detector_calibration.dy"),
                _number(cal["scale"], f"{where}: crop.detector_calibration.scale"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{where}: model card is missing or has a bad field ({exc})") from None
        if isinstance(size_value, bool) or not isinstance(size_value, int) or size_value != MODEL_INPUT_SIZE:
            raise ModelError(f"{where}: input size {size_value!r} is not the crop size {MODEL_INPUT_SIZE}")
        if names not in (POINT_NAMES_68, KAGGLE15_NAMES):
            raise ModelError(f"{where}: unknown point names; expected the 68-point or the Kaggle-15 model")
        if calibration.scale <= 0:
            raise ModelError(
                f"{where}: crop.detector_calibration.scale must be positive, got {calibration.scale}"
            )
        output = raw["output"]
        offset = 0.0
        if "mirror_offset_px" in output:
            offset = _number(output["mirror_offset_px"], f"{where}: output.mirror_offset_px (pixels)")
        return cls(size_value, names, calibration, offset, raw)

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        """Read and validate the card at ``path``.

        Raises:
            ModelError: the file is missing, not JSON, or not a valid card (the message says which).
        """
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"model card {path} is missing; it must sit beside the .tflite file") from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"model card {path} is not valid JSON: {exc}") from None
        return cls.from_dict(raw, str(path))

    def to_dict(self) -> dict[str, Any]:
        """The whole card as JSON-ready data (a copy; changing it does not change this card)."""
        return copy.deepcopy(self.raw)

    def save(self, path: str | Path) -> Path:
        """Write the card to ``path`` (indented JSON, atomically; see :mod:`snowcam.files`)."""
        from snowcam.files import strict_json, write_text_atomic

        return write_text_atomic(path, strict_json(self.raw, indent=2) + "\n")

    def training_split(self) -> tuple[int, float] | None:
        """``(seed, val_fraction)`` of the run that trained the model, or ``None`` if the card lacks them."""
        try:
            config = self.raw["training"]["config"]
            seed, fraction = config["seed"], config["val_fraction"]
        except (KeyError, TypeError):
            return None
        if isinstance(seed, bool) or not isinstance(seed, int):
            return None
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
            return None
        return seed, float(fraction)


class KeypointModel:
    """The 68-point model on LiteRT.

    ``predict_crops`` takes grey ``uint8`` crops and returns points in crop pixels and face
    scores; ``predict`` cuts the crops from a frame and returns keypoints in frame pixels.
    """

    def __init__(self, model_path: str | Path, num_threads: int = 1, flip_average: bool = False) -> None:
        """Load a model and its card.

        Args:
            model_path: the ``.tflite`` file; its card is the ``.json`` beside it.
            num_threads: LiteRT threads (1 leaves the other core to the UI and the camera).
            flip_average: also predict on the mirrored crop and average (test-time augmentation):
                more accurate, twice the model time. The mirrored half is moved by the card's
                ``output.mirror_offset_px`` (see :func:`snowcam.evaluate.mirror_offsets_px`):
                the model learned the annotators' habit of marking points about 1 px right of the
                mirror-symmetric position, which a plain average would cancel.
        """
        path = Path(model_path)
        self.flip_average = flip_average
        self.path = path
        self.card = ModelCard.load(path.with_suffix(".json"))
        self.mirror_offset_px = self.card.mirror_offset_px
        self._interpreter = open_interpreter(
            path, num_threads, "model file", "rebuild it with `snowcam train`"
        )
        inp = self._interpreter.get_input_details()[0]
        outputs = {int(np.prod(o["shape"][1:])): o["index"] for o in self._interpreter.get_output_details()}
        size = self.card.input_size
        self.n_points = len(self.card.point_names)
        if tuple(inp["shape"][1:]) != (size, size, 1) or self.n_points * 2 not in outputs:
            raise ModelError(
                f"{path}: expected input (1, {size}, {size}, 1) and {self.n_points * 2} outputs, "
                f"got {tuple(inp['shape'])} and outputs of sizes {sorted(outputs)}"
            )
        self._input_index = inp["index"]
        self._output_index = outputs[self.n_points * 2]
        self._confidence_index = outputs.get(1)
        self._batch = 1

    @property
    def calibration(self) -> DetectorCalibration:
        return self.card.calibration

    @property
    def has_confidence(self) -> bool:
        """Whether the model scores how face-like each crop is (heat-map models do)."""
        return self._confidence_index is not None

    def predict_crops(
        self, crops: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Points ``(n, K, 2)`` in crop pixels and face scores ``(n,)`` for grey crops ``(n, size, size)``
        uint8 (K = 68 or 15).

        The face score says how face-like each crop is: about 0.2 on faces, 0.1 on background;
        all 1.0 for a model without a confidence output (see :attr:`has_confidence`).
        """
        crops = np.asarray(crops)
        n = crops.shape[0]
        if n == 0:
            return np.zeros((0, self.n_points, 2), np.float32), np.zeros(0, np.float32)
        if n != self._batch:
            self._interpreter.resize_tensor_input(self._input_index, [n, *crops.shape[1:], 1])
            self._interpreter.allocate_tensors()
            self._batch = n
        self._interpreter.set_tensor(self._input_index, crops.astype(np.float32)[..., None])
        self._interpreter.invoke()
        out = self._interpreter.get_tensor(self._output_index)
        if self._confidence_index is not None:
            scores = self._interpreter.get_tensor(self._confidence_index).reshape(n).copy()
        else:
            scores = np.ones(n, np.float32)
        return out.reshape(n, self.n_points, 2) * self.card.input_size, scores

    def predict_points(self, frame: Frame, regions: Sequence[CropRegion]) -> list[npt.NDArray[np.float32]]:
        """``(K, 2)`` points in frame pixels for each crop region of a BGR frame."""
        return self._points_and_scores(frame, regions)[0]

    def _points_and_scores(
        self, frame: Frame, regions: Sequence[CropRegion]
    ) -> tuple[list[npt.NDArray[np.float32]], npt.NDArray[np.float32]]:
        if not regions:
            return [], np.zeros(0, np.float32)
        crops, affines = [], []
        for region in regions:
            crop, affine = crop_face(frame, region, self.card.input_size)
            crops.append(crop)
            affines.append(affine)
        stack = np.stack(crops)
        if self.flip_average:
            both, both_scores = self.predict_crops(np.concatenate([stack, stack[:, :, ::-1]]))
            points, mirrored = both[: len(crops)], both[len(crops) :]
            mirrored[..., 0] = (self.card.input_size - 1) - mirrored[..., 0]
            perm = flip_permutation(self.n_points)
            points = (points + mirrored[:, list(perm)]) / 2.0
            # The mirrored-back points sit 2·offset left of the plain ones; the average, offset left.
            offset = np.array([self.mirror_offset_px, 0.0])
            points = points + np.stack([a[:, :2] @ offset for a in affines])[:, None, :]
            scores = (both_scores[: len(crops)] + both_scores[len(crops) :]) / 2
        else:
            points, scores = self.predict_crops(stack)
        frame_points = [apply_affine(p, invert_affine(a)) for p, a in zip(points, affines, strict=True)]
        return frame_points, scores

    def predict(self, frame: Frame, regions: Sequence[CropRegion]) -> list[Keypoints]:
        """The 68 keypoints in frame pixels for each crop region of a BGR frame."""
        if self.n_points != N_KEYPOINTS:
            raise ModelError(f"{self.path} predicts {self.n_points} points; the app needs the 68-point model")
        points, scores = self._points_and_scores(frame, regions)
        return [Keypoints(p, float(c)) for p, c in zip(points, scores, strict=True)]

    def predict_from_box(self, frame: Frame, box: FaceBox, refine_passes: int = 1) -> Keypoints:
        """Keypoints for a detector box: crop by the calibration, then re-crop from the points."""
        return self.predict_refined(frame, region_from_box(box, self.calibration), refine_passes)

    def predict_refined(self, frame: Frame, region: CropRegion, refine_passes: int = 1) -> Keypoints:
        """Keypoints from a rough crop region (a detector box, a scan window), then re-cropped.

        Each refinement pass crops again around the points just found (upright, as the tracker
        does), which removes most of the error that a loose first crop causes.
        """
        keypoints = self.predict(frame, [region])[0]
        for _ in range(refine_passes):
            keypoints = self.predict(frame, [region_from_keypoints(keypoints.xy_px, rotate=True)])[0]
        return keypoints


def default_model_path() -> Path:
    """The shipped model, ``models/keypoints.tflite``."""
    from snowcam.resources import models_dir

    return models_dir() / "keypoints.tflite"
