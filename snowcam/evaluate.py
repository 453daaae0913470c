"""``snowcam eval``: run the real pipeline (detect, crop, predict, map back) on labelled images.

No TensorFlow: it runs the exported ``.tflite`` with LiteRT, as the app does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.datasets import LandmarkSet
from snowcam.detection import FaceDetector
from snowcam.geometry import (
    DetectorCalibration,
    box_from_points,
    crop_face,
    nme_percent,
    outer_eye_distance_px,
    region_from_box,
    region_from_keypoints,
)
from snowcam.keypoints import MIRROR_OFFSET_NOTE, KeypointModel
from snowcam.types import KAGGLE15_NAMES, FaceBox, to_kaggle15

FAILURE_NME_PERCENT = 10.0
MIN_OVERLAP_IOU = 0.3


@dataclass
class EvalResult:
    """Per-image outcome of an evaluation.

    ``nme_68`` is NaN where no face was found, and everywhere for a Kaggle-15 model (which is
    then judged on ``nme_k15``).
    """

    files: list[str]
    found: npt.NDArray[np.bool_]
    nme_68: npt.NDArray[np.float64]
    nme_k15: npt.NDArray[np.float64]
    point_nme_k15: npt.NDArray[np.float64]  # (n, 15), NaN where no face
    predictions: npt.NDArray[np.float32]  # (n, 68, 2), NaN where no face
    predictions_k15: npt.NDArray[np.float32]  # (n, 15, 2), NaN where no face
    ms_per_face: list[float] = field(default_factory=list)

    def shown_predictions(self, i: int) -> npt.NDArray[np.float32]:
        """The richest prediction of image i: 68 points, else the Kaggle-15 view."""
        return self.predictions[i] if not np.isnan(self.predictions[i]).any() else self.predictions_k15[i]

    @property
    def primary_nme(self) -> npt.NDArray[np.float64]:
        """NME-68 for a 68-point model, NME-K15 for a Kaggle-15 model (NaN where no face)."""
        return self.nme_68 if not np.isnan(self.nme_68[self.found]).all() else self.nme_k15

    def summary(self) -> dict[str, Any]:
        """The numbers ``snowcam eval --json`` prints."""
        n = len(self.files)
        found = self.found
        failures = (~found) | (np.nan_to_num(self.primary_nme, nan=np.inf) > FAILURE_NME_PERCENT)
        has_68 = found.any() and not np.isnan(self.nme_68[found]).all()
        return {
            "n_images": n,
            "n_faces_found": int(found.sum()),
            "no_face_rate": float(1.0 - found.mean()) if n else 0.0,
            "nme_68": float(np.nanmean(self.nme_68)) if has_68 else None,
            "nme_k15": float(np.nanmean(self.nme_k15)) if found.any() else None,
            "failure_rate": float(failures.mean()) if n else 0.0,
            "per_point_nme_k15": {
                name: float(v)
                for name, v in zip(KAGGLE15_NAMES, np.nanmean(self.point_nme_k15, axis=0), strict=True)
            }
            if found.any()
            else {},
            "ms_per_face": float(np.median(self.ms_per_face)) if self.ms_per_face else None,
        }


def evaluate(
    data: LandmarkSet,
    model: KeypointModel,
    detector: FaceDetector | None,
    boxes: Literal["detector", "truth"] = "detector",
    refine_passes: int = 1,
) -> EvalResult:
    """Evaluate on every image of a 68-point set (images BGR or grey).

    With ``boxes="detector"`` the face is the detection that overlaps the true face best
    (IoU ≥ 0.3 with the box of the true points); without one the image counts as "no face".
    With ``boxes="truth"`` the box of the true points stands in for the detector.
    """
    if data.n_points != 68:
        raise ValueError("evaluation needs 68-point ground truth (the faces68 layout)")
    n = len(data)
    preds = np.full((n, 68, 2), np.nan, np.float32)
    preds15 = np.full((n, 15, 2), np.nan, np.float32)
    times: list[float] = []
    for i, (image, truth) in enumerate(zip(data.images, data.points, strict=True)):
        true_box = box_from_points(truth)
        if boxes == "truth":
            box: FaceBox | None = _truth_box_as_detector(truth, model.calibration)
        else:
            assert detector is not None
            found = detector.detect(image)
            best = max(found, key=lambda b: b.iou(true_box), default=None)
            box = best if best is not None and best.iou(true_box) >= MIN_OVERLAP_IOU else None
            if box is None:
                continue
        start = time.perf_counter()
        if model.n_points == 68:
            preds[i] = model.predict_from_box(image, box, refine_passes=refine_passes).xy_px
        else:
            preds15[i] = model.predict_points(image, [region_from_box(box, model.calibration)])[0]
        times.append((time.perf_counter() - start) * 1000.0)
    iod = outer_eye_distance_px(data.points)
    if model.n_points == 68:
        nme68 = nme_percent(preds, data.points, iod)
        preds15 = to_kaggle15(preds)
    else:
        nme68 = np.full(n, np.nan)
    point_k15 = np.linalg.norm(preds15 - to_kaggle15(data.points), axis=-1) / iod[:, None] * 100.0
    found = ~np.isnan(preds15).any(axis=(1, 2))
    return EvalResult(
        list(data.files), found, nme68, point_k15.mean(axis=1), point_k15, preds, preds15, times
    )


def mirror_offsets_px(model: KeypointModel, data: LandmarkSet) -> npt.NDArray[np.float64]:
    """How far right of the mirror-symmetric position the model puts its points, in image pixels,
    per fully annotated face.

    Per face (upright crop of its true points): half the mean x gap between the points predicted
    on the crop and those predicted on the mirrored crop, mirrored back (a mean over all points
    needs no relabelling of left and right). A model
    trained on these data sets learns their annotators' habit (about 1 px right on both); test-time
    flip averaging must add it back (``KeypointModel``'s ``flip_average``, from the card's
    ``output.mirror_offset_px``).
    """
    last = model.card.input_size - 1
    offsets = []
    for image, points in zip(data.images, data.points, strict=True):
        if np.isnan(points).any():
            continue
        crop, affine = crop_face(image, region_from_keypoints(points), model.card.input_size)
        plain, mirrored = model.predict_crops(np.stack([crop, crop[:, ::-1]]))[0]
        gap_crop_px = float(plain[:, 0].mean() - (last - mirrored[:, 0]).mean())
        # Upright crop: one crop pixel is 1 / affine[0, 0] image pixels.
        offsets.append(gap_crop_px / 2.0 / affine[0, 0])
    return np.array(offsets, np.float64)


def mirror_offset_card_entry(model: KeypointModel, sets: list[LandmarkSet]) -> dict[str, Any]:
    """The card's ``output.mirror_offset_px`` (median over the faces of ``sets``) and its note."""
    offsets = np.concatenate([mirror_offsets_px(model, data) for data in sets] or [np.zeros(0)])
    if not len(offsets):
        return {}
    return {"mirror_offset_px": round(float(np.median(offsets)), 3), "mirror_offset_note": MIRROR_OFFSET_NOTE}


def _truth_box_as_detector(truth: npt.NDArray[np.float32], calibration: DetectorCalibration) -> FaceBox:
    """The detector box whose calibrated crop is exactly the crop rule's region of the true points."""
    region = region_from_keypoints(truth)
    w = region.size_px / calibration.scale
    cx = region.center_x_px - calibration.dx * w
    cy = region.center_y_px - calibration.dy * w
    return FaceBox(cx - w / 2, cy - w / 2, w, w)


def write_report(result: EvalResult, data: LandmarkSet, out_dir: str | Path) -> list[Path]:
    """Write ``ced.png`` (cumulative error distribution) and ``worst.png``/``typical.png`` sheets.

    Raises:
        snowcam.sinks.SinkError: a picture could not be written (full disk, read-only folder...).
    """
    from snowcam.sinks import save_image_atomic

    out = Path(out_dir)
    paths = [out / "ced.png", out / "worst.png", out / "typical.png"]
    nme = result.primary_nme
    save_image_atomic(_ced_plot(nme), paths[0])
    order = np.argsort(np.nan_to_num(nme, nan=np.inf))
    found = [int(i) for i in order if result.found[i]]
    missing = [int(i) for i in order if not result.found[i]]
    worst = (missing + found[::-1])[:24]
    middle = len(found) // 2
    typical = found[max(0, middle - 12) : middle + 12]
    save_image_atomic(_contact_sheet(result, data, worst), paths[1])
    save_image_atomic(_contact_sheet(result, data, typical), paths[2])
    return paths


def _ced_plot(nme: npt.NDArray[np.float64], width: int = 640, height: int = 420) -> npt.NDArray[np.uint8]:
    """Share of images with NME ≤ x, for x from 0 to 10 %, drawn with OpenCV."""
    img = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 60, width - 20, 30, height - 50
    cv2.rectangle(img, (left, top), (right, bottom), (0, 0, 0), 1)
    values = np.sort(np.nan_to_num(nme, nan=np.inf))
    xs = np.linspace(0, FAILURE_NME_PERCENT, 400)
    share = np.searchsorted(values, xs, side="right") / max(len(values), 1)
    pts = np.stack([left + xs / FAILURE_NME_PERCENT * (right - left), bottom - share * (bottom - top)], 1)
    for k in range(0, 11):
        x = int(left + k / 10 * (right - left))
        cv2.line(img, (x, bottom), (x, bottom + 5), (0, 0, 0), 1)
        cv2.putText(
            img, f"{k}", (x - 5, bottom + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA
        )
        y = int(bottom - k / 10 * (bottom - top))
        cv2.line(img, (left - 5, y), (left, y), (0, 0, 0), 1)
        cv2.putText(
            img, f"{k / 10:.1f}", (15, y + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA
        )
        cv2.line(img, (left, y), (right, y), (230, 230, 230), 1)
    cv2.polylines(img, [np.round(pts).astype(np.int32)], False, (200, 80, 0), 2, cv2.LINE_AA)
    title = "cumulative error distribution: share of images with NME-68 <= x (%)"
    cv2.putText(img, title, (left, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def _contact_sheet(
    result: EvalResult, data: LandmarkSet, indices: list[int], tile: int = 200
) -> npt.NDArray[np.uint8]:
    """Tiles of faces with true points (green) and predictions (red), their NME and file name."""
    cols = 6
    rows = max(1, (len(indices) + cols - 1) // cols)
    sheet = np.full((rows * tile, cols * tile, 3), 40, np.uint8)
    for k, i in enumerate(indices):
        image = data.images[i]
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
        truth = data.points[i]
        box = box_from_points(truth)
        side = max(box.w, box.h) * 1.6
        cx, cy = box.center_xy
        scale = tile / side
        affine = np.array([[scale, 0, tile / 2 - scale * cx], [0, scale, tile / 2 - scale * cy]])
        view = cv2.warpAffine(image, affine, (tile, tile), borderMode=cv2.BORDER_CONSTANT)
        for pts, color in ((truth, (0, 200, 0)), (result.shown_predictions(i), (0, 0, 255))):
            if np.isnan(pts).any():
                continue
            for x, y in pts @ affine[:, :2].T + affine[:, 2]:
                cv2.circle(view, (round(x), round(y)), 2, color, -1, cv2.LINE_AA)
        label = "no face" if not result.found[i] else f"{result.primary_nme[i]:.1f}%"
        cv2.putText(view, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.putText(
            view, data.files[i][:30], (4, tile - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (220, 220, 220), 1
        )
        r, c = divmod(k, cols)
        sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = view
    return sheet
