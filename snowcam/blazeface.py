"""BlazeFace short-range (MediaPipe's selfie-distance face detector) on LiteRT, decoded in numpy.

The model (``models/face_detection_short_range.tflite``, Apache-2.0, from the ``mediapipe``
0.10.21 wheel; see ``models/README.md``) takes a 128×128 RGB image scaled to [-1, 1] and gives,
for each of 896 fixed SSD anchors, a raw score and 16 regression values: box centre offset,
width and height, and 6 keypoints (eyes, nose tip, mouth, ear tragions), all in input pixels
relative to the anchor. This module rebuilds MediaPipe's graph around it
(``face_detection_short_range.pbtxt``): letterbox, anchors, sigmoid scores, weighted
non-maximum suppression. No mediapipe import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import FaceBox, Frame

INPUT_SIZE = 128
#: SsdAnchorsCalculator settings of MediaPipe's short-range graph.
ANCHOR_STRIDES = (8, 16, 16, 16)
ANCHOR_OFFSET = 0.5
N_ANCHORS = 896
N_KEYPOINTS = 6
#: sha256 of the vendored model file (pinned by a test).
MODEL_SHA256 = "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"


def ssd_anchors(
    input_size: int = INPUT_SIZE, strides: tuple[int, ...] = ANCHOR_STRIDES, offset: float = ANCHOR_OFFSET
) -> npt.NDArray[np.float32]:
    """Anchor centres ``(896, 2)`` (x, y as fractions of the input side), in the model's output order.

    As MediaPipe's SsdAnchorsCalculator with ``fixed_anchor_size``: consecutive layers of the same
    stride share one feature map; each layer adds two anchors per cell (aspect ratio 1 and the
    interpolated scale), all of unit size. 16×16 cells × 2 + 8×8 cells × 6 = 896.
    """
    anchors: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        per_cell = 2 * (same - layer)
        cells = int(np.ceil(input_size / strides[layer]))
        for y in range(cells):
            for x in range(cells):
                anchors.extend([((x + offset) / cells, (y + offset) / cells)] * per_cell)
        layer = same
    return np.array(anchors, np.float32)


@dataclass(frozen=True, slots=True)
class Detection:
    """One decoded face: box ``(x0, y0, x1, y1)``, score (0–1) and 6 keypoints ``(6, 2)``, in the
    units of whoever made it (fractions of the input side from :func:`weighted_nms`, frame pixels
    from :meth:`BlazeFaceDetector.detections`). Keypoints: the eyes (the subject's right, on the image
    left, first), nose tip, mouth centre, then the ear tragions in the same order."""

    box_xyxy: npt.NDArray[np.float32]
    score: float
    keypoints_xy: npt.NDArray[np.float32]


def decode(
    raw_boxes: npt.ArrayLike,
    raw_scores: npt.ArrayLike,
    anchors: npt.NDArray[np.float32],
    min_score: float = 0.5,
    input_size: int = INPUT_SIZE,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Boxes ``(n, 4)`` xyxy, scores ``(n,)``, keypoints ``(n, 6, 2)`` of the anchors scoring ≥ ``min_score``.

    ``raw_boxes`` is ``(896, 16)``: x, y, w, h, then 6 (x, y) keypoints, in input pixels
    (reverse output order: x first); centres are offsets from the anchor. Scores are the sigmoid
    of the raw logits clipped to ±100. All outputs are fractions of the input side.
    """
    raw = np.asarray(raw_boxes, np.float32).reshape(-1, 4 + 2 * N_KEYPOINTS)
    logits = np.clip(np.asarray(raw_scores, np.float64).reshape(-1), -100.0, 100.0)
    scores = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    keep = scores >= min_score
    raw, scores, anchors = raw[keep], scores[keep], anchors[keep]
    centre = raw[:, :2] / input_size + anchors
    half = raw[:, 2:4] / input_size / 2.0
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:].reshape(-1, N_KEYPOINTS, 2) / input_size + anchors[:, None, :]
    return boxes, scores, keypoints


def _iou(box: npt.NDArray[np.float32], others: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(
    boxes: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    keypoints: npt.NDArray[np.float32],
    min_iou: float = 0.3,
) -> list[Detection]:
    """MediaPipe's weighted non-maximum suppression: best first, each result is the score-weighted
    mean of the boxes (and keypoints) that overlap the best remaining one by more than ``min_iou``."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores, keypoints = boxes[order], scores[order], keypoints[order]
    remaining = np.arange(len(scores))
    out: list[Detection] = []
    while len(remaining):
        overlap = _iou(boxes[remaining[0]], boxes[remaining]) > min_iou
        group = remaining[overlap]
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        points = (keypoints[group] * weights[:, :, None]).sum(0) / weights.sum()
        out.append(Detection(box.astype(np.float32), float(scores[group[0]]), points.astype(np.float32)))
        remaining = remaining[~overlap]
    return out


def zoom_tiles(width: int, height: int) -> list[tuple[int, int, int]]:
    """Square tiles ``(x, y, side)`` in frame pixels for BlazeFace's zoomed pass: side half the frame's
    longer side (so each is seen twice as big as in the whole-frame pass), overlapping each
    neighbour by at least half a side so that any face up to half a side wide lies whole in one.
    Row by row; a 640×480 frame gives 6 tiles of 320 px (x 0, 160, 320; y 0, 160).
    """
    side = max(1, min(round(max(width, height) / 2), width, height))

    def starts(length: int) -> list[int]:
        n = int(np.ceil(max(length - side, 0) / (side / 2))) + 1
        return [round(v) for v in np.linspace(0, length - side, n)]

    return [(x, y, side) for y in starts(height) for x in starts(width)]


class BlazeFaceDetector:
    """Faces with BlazeFace short-range: the whole frame, letterboxed to 128×128, one model run,
    plus (``zoom=True``) one zoomed tile every ``zoom_every`` calls.

    Boxes are reported in the convention of OpenCV's frontal Haar cascade (square, forehead to
    chin), so that the keypoint model's detector calibration applies to them: BlazeFace's own box
    (brows to chin, a little narrower) is moved and scaled by :attr:`TO_CASCADE_BOX` (measured on
    data-set faces that both detectors find; docs/pipeline.md). The box's ``score`` (0.5–1) is
    BlazeFace's. Boxes narrower than ``min_face_px`` (frame pixels) are dropped. A short-range
    model on a 128-pixel input, it scores faces narrower than about a seventh of the frame's
    longer side (90 px in a 640×480 frame) below 0.7, and misses them below about a ninth.

    So with ``zoom``, every ``zoom_every``-th call also runs the model on one of
    :func:`zoom_tiles` (the next one, in turn: with the call count, the only state kept between
    calls), where such faces are twice as big. The tile's boxes that touch its inner edges (faces
    cut by the tile, found whole in a neighbour or by the whole frame) or are wider than
    :attr:`ZOOM_MAX_WIDTH` of the frame's longer side (the whole frame judges those) are dropped,
    the rest merged with the whole frame's by the same weighted suppression.
    """

    name = "blazeface"
    #: (dx, dy, scale): cascade box centre = BlazeFace centre + (dx, dy) × its width; side = scale × width.
    TO_CASCADE_BOX = (0.0, -0.12, 1.11)
    #: The widest box (BlazeFace's own, share of the frame's longer side) the zoomed pass reports.
    ZOOM_MAX_WIDTH = 1 / 6

    def __init__(
        self,
        model_path: str | Path | None = None,
        min_score: float = 0.5,
        min_face_px: float = 20.0,
        num_threads: int = 1,
        zoom: bool = False,
        zoom_every: int = 2,
    ) -> None:
        from snowcam.keypoints import ModelError, open_interpreter
        from snowcam.resources import models_dir

        path = Path(model_path) if model_path else models_dir() / "face_detection_short_range.tflite"
        self._interpreter = open_interpreter(path, num_threads, "face detector model", "see models/README.md")
        inp = self._interpreter.get_input_details()[0]
        outs = {tuple(o["shape"][1:]): o["index"] for o in self._interpreter.get_output_details()}
        expected = {(N_ANCHORS, 4 + 2 * N_KEYPOINTS), (N_ANCHORS, 1)}
        if tuple(inp["shape"]) != (1, INPUT_SIZE, INPUT_SIZE, 3) or expected - set(outs):
            raise ModelError(f"{path} is not BlazeFace short-range (input {tuple(inp['shape'])})")
        self._input_index = inp["index"]
        self._boxes_index, self._scores_index = outs[(N_ANCHORS, 16)], outs[(N_ANCHORS, 1)]
        self.anchors = ssd_anchors()
        self.min_score, self.min_face_px = min_score, min_face_px
        self.zoom, self.zoom_every = zoom, max(1, zoom_every)
        self._calls = 0
        self._next_tile = 0

    def detections(self, frame: Frame) -> list[Detection]:
        """BlazeFace's own detections of a BGR frame, in frame pixels, best first."""
        boxes, scores, keypoints = self._run(frame)
        return weighted_nms(boxes, scores, keypoints)

    def zoomed_detections(self, frame: Frame) -> list[Detection]:
        """The whole frame's detections merged with those of the next zoom tile, in frame pixels."""
        height, width = frame.shape[:2]
        tiles = zoom_tiles(width, height)
        x, y, side = tiles[self._next_tile % len(tiles)]
        self._next_tile = (self._next_tile + 1) % len(tiles)
        boxes, scores, keypoints = self._run(frame)
        t_boxes, t_scores, t_keypoints = self._run(frame[y : y + side, x : x + side])
        margin = 2.0  # px: a box this close to an inner edge of the tile is a cut face
        lo = np.array([x > 0, y > 0]) * margin
        hi = np.array([x + side < width, y + side < height]) * -margin + side
        whole = np.all(t_boxes[:, :2] > lo, axis=1) & np.all(t_boxes[:, 2:] < hi, axis=1)
        whole &= t_boxes[:, 2] - t_boxes[:, 0] < self.ZOOM_MAX_WIDTH * max(width, height)
        shift = np.array([x, y], np.float32)
        return weighted_nms(
            np.concatenate([boxes, t_boxes[whole] + np.tile(shift, 2)]),
            np.concatenate([scores, t_scores[whole]]),
            np.concatenate([keypoints, t_keypoints[whole] + shift]),
        )

    def _run(
        self, image: Frame
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """The model on a BGR image letterboxed to its input: boxes, scores, keypoints (as
        :func:`decode`) in the image's pixels, before suppression."""
        height, width = image.shape[:2]
        side = max(height, width)
        factor = INPUT_SIZE / side
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        square = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
        top, left = (INPUT_SIZE - small.shape[0]) // 2, (INPUT_SIZE - small.shape[1]) // 2
        square[top : top + small.shape[0], left : left + small.shape[1]] = small[..., ::-1] / 127.5 - 1.0
        self._interpreter.set_tensor(self._input_index, square[None])
        self._interpreter.invoke()
        boxes, scores, keypoints = decode(
            self._interpreter.get_tensor(self._boxes_index)[0],
            self._interpreter.get_tensor(self._scores_index)[0],
            self.anchors,
            self.min_score,
        )
        # Input fractions -> image pixels: undo the letterbox's offset and scale.
        scale, pad = INPUT_SIZE / factor, np.array([left, top], np.float32) / factor
        return boxes * scale - np.tile(pad, 2), scores, keypoints * scale - pad

    def detect(self, frame: Frame) -> list[FaceBox]:
        """Faces in a BGR frame as cascade-convention boxes in frame pixels, best score first."""
        dx, dy, k = self.TO_CASCADE_BOX
        found = []
        self._calls += 1
        zoomed = self.zoom and self._calls % self.zoom_every == 0
        for det in self.zoomed_detections(frame) if zoomed else self.detections(frame):
            x0, y0, x1, y1 = det.box_xyxy.tolist()
            w = x1 - x0
            if w < self.min_face_px or y1 - y0 <= 0:
                continue
            cx, cy = (x0 + x1) / 2 + dx * w, (y0 + y1) / 2 + dy * w
            found.append(FaceBox(cx - k * w / 2, cy - k * w / 2, k * w, k * w, det.score))
        return found
