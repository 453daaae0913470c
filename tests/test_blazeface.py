"""BlazeFace short-range: the vendored file, anchors, decoder and NMS, and the demo clip's astronaut."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from snowcam.blazeface import BlazeFaceDetector, decode, ssd_anchors, weighted_nms
from snowcam.geometry import apply_affine
from snowcam.sources import VideoFileSource
from snowcam.types import FaceBox

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "face_detection_short_range.tflite"


def test_the_vendored_model_is_the_pinned_file_from_the_mediapipe_wheel() -> None:
    digest = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    assert digest == "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    card = json.loads((REPO / "models" / "face_detection_short_range.json").read_text())
    assert card["sha256"] == digest and card["bytes"] == MODEL.stat().st_size == 229_714
    assert "Apache License" in (REPO / "models" / card["licence_file"]).read_text()[:200]


def test_anchors_are_mediapipes_short_range_grid() -> None:
    anchors = ssd_anchors()
    assert anchors.shape == (896, 2)
    # Stride 8: a 16×16 map, 2 anchors per cell, row by row.
    np.testing.assert_allclose(anchors[0], anchors[1])
    np.testing.assert_allclose(anchors[0], [1 / 32, 1 / 32])
    np.testing.assert_allclose(anchors[2], [3 / 32, 1 / 32])
    np.testing.assert_allclose(anchors[32], [1 / 32, 3 / 32])
    np.testing.assert_allclose(anchors[511], [31 / 32, 31 / 32])
    # Three stride-16 layers share an 8×8 map: 6 anchors per cell.
    np.testing.assert_allclose(anchors[512:518], [[1 / 16, 1 / 16]] * 6)
    np.testing.assert_allclose(anchors[518], [3 / 16, 1 / 16])
    np.testing.assert_allclose(anchors[895], [15 / 16, 15 / 16])
    assert len(np.unique(anchors[:512], axis=0)) == 256 and len(np.unique(anchors[512:], axis=0)) == 64


def test_decoder_offsets_boxes_and_keypoints_from_their_anchor() -> None:
    anchors = ssd_anchors()
    raw = np.zeros((896, 16), np.float32)
    logits = np.full((896, 1), -20.0, np.float32)
    k = 600  # in the 8×8 map
    raw[k, :4] = [6.4, -12.8, 32.0, 48.0]  # input px: centre offset, width, height
    raw[k, 4:] = np.arange(12, dtype=np.float32)
    logits[k] = 0.0  # sigmoid 0.5
    logits[3] = 2.0
    boxes, scores, points = decode(raw, logits, anchors, min_score=0.5)
    assert len(scores) == 2
    order = np.argsort(scores)
    np.testing.assert_allclose(scores[order], [0.5, 1 / (1 + np.exp(-2.0))], rtol=1e-6)
    ax, ay = anchors[k]
    cx, cy = ax + 6.4 / 128, ay - 12.8 / 128
    expected = [cx - 16 / 128, cy - 24 / 128, cx + 16 / 128, cy + 24 / 128]
    np.testing.assert_allclose(boxes[order[0]], expected, atol=1e-6)
    np.testing.assert_allclose(points[order[0]], np.arange(12).reshape(6, 2) / 128 + anchors[k], atol=1e-6)
    assert len(decode(raw, logits, anchors, min_score=0.6)[1]) == 1


def test_weighted_nms_merges_overlapping_boxes_by_score() -> None:
    boxes = np.array([[0.1, 0.1, 0.3, 0.3], [0.12, 0.1, 0.32, 0.3], [0.6, 0.6, 0.8, 0.8]], np.float32)
    scores = np.array([0.6, 0.9, 0.7], np.float32)
    points = np.zeros((3, 6, 2), np.float32)
    points[1] += 0.3
    found = weighted_nms(boxes, scores, points)
    assert [round(d.score, 3) for d in found] == [0.9, 0.7]
    np.testing.assert_allclose(found[0].box_xyxy, (boxes[0] * 0.6 + boxes[1] * 0.9) / 1.5, atol=1e-6)
    np.testing.assert_allclose(found[0].keypoints_xy, 0.3 * 0.9 / 1.5, atol=1e-6)
    np.testing.assert_allclose(found[1].box_xyxy, boxes[2])


@pytest.fixture(scope="module")
def detector() -> BlazeFaceDetector:
    return BlazeFaceDetector()


def test_finds_the_demo_clips_astronaut_where_the_clip_put_her(detector: BlazeFaceDetector) -> None:
    meta = json.loads((REPO / "assets" / "demo.json").read_text())
    x, y, w, h = meta["face_box_frame0_xywh"]
    corners0 = np.array(meta["outer_eye_corners_frame0_xy"], np.float32)
    checked = 0
    with VideoFileSource(REPO / "assets" / "demo.mp4") as source:
        for index, (_, frame) in enumerate(source):
            if index % 20:
                continue
            affine = np.array(meta["frames"][index]["affine_from_frame0"], np.float64)
            scale = float(np.hypot(*affine[0, :2]))
            centre = apply_affine(np.array([[x + w / 2, y + h / 2]]), affine)[0]
            corners = apply_affine(corners0, affine)
            found = detector.detections(frame)
            assert len(found) == 1, f"frame {index}: {len(found)} faces"
            det = found[0]
            assert det.score > 0.75
            box = det.box_xyxy
            box_centre = (box[:2] + box[2:]) / 2
            assert np.linalg.norm(box_centre - centre) < 0.15 * w * scale
            assert 0.7 < (box[2] - box[0]) / (w * scale) < 1.3
            # Keypoints 0 and 1 are the eye centres (the subject's right, on the image left, first),
            # between the outer eye corners along the eye line.
            eyes = det.keypoints_xy[:2]
            eye_line = corners[1] - corners[0]
            along = (eyes - corners[0]) @ eye_line / (eye_line @ eye_line)
            assert 0.05 < along[0] < 0.4 and 0.6 < along[1] < 0.95
            boxes = detector.detect(frame)
            assert len(boxes) == 1 and isinstance(boxes[0], FaceBox)
            checked += 1
    assert checked == 12


def test_a_plain_frame_has_no_face(detector: BlazeFaceDetector) -> None:
    assert detector.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_zoom_tiles_cover_the_frame_with_half_a_side_of_overlap() -> None:
    from snowcam.blazeface import zoom_tiles

    assert zoom_tiles(640, 480) == [(x, y, 320) for y in (0, 160) for x in (0, 160, 320)]
    assert zoom_tiles(480, 640) == [(x, y, 320) for y in (0, 160, 320) for x in (0, 160)]
    for width, height in ((640, 480), (400, 300), (720, 360), (1280, 720), (100, 100)):
        tiles = zoom_tiles(width, height)
        side = tiles[0][2]
        assert all(x + side <= width and y + side <= height for x, y, _ in tiles)
        # Any square of half a side lies whole in some tile.
        half = side // 2
        for x0 in range(0, width - half + 1, 7):
            for y0 in range(0, height - half + 1, 7):
                assert any(
                    x <= x0 and x0 + half <= x + side and y <= y0 and y0 + half <= y + side
                    for x, y, _ in tiles
                )
