"""``--detector`` on ``render`` and ``bench``, and ``bench --json`` as strict JSON on a face-free clip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snowcam.cli import main
from snowcam.resources import assets_dir, models_dir
from tests.helpers import textured_frame, write_video

DEMO = assets_dir() / "demo.mp4"
pytestmark = pytest.mark.skipif(
    not (models_dir() / "keypoints.tflite").is_file(), reason="the shipped model is not built yet"
)
BENCH_KEYS = {
    "frames",
    "frames_with_face",
    "filters",
    "median_ms",
    "detector_runs",
    "detect_ms_when_run",
    "processing_no_filters_ms_mean",
    "processing_no_filters_ms_median",
    "keypoints_ms_per_face",
    "filters_ms",
    "fps",
    "input",
    "size",
    "source_fps",
    "detector",
}


def _strict_json(text: str) -> dict[str, Any]:
    """Exactly one JSON object; NaN and Infinity (not JSON) fail."""

    def reject(token: str) -> None:
        raise ValueError(f"not valid JSON: {token}")

    value = json.loads(text, parse_constant=reject)
    assert isinstance(value, dict)
    return value


def _bench(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["bench", "--json", *args]) == 0
    return _strict_json(capsys.readouterr().out)


def test_bench_json_on_a_face_free_clip_is_strict_and_reports_no_face(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "empty.mp4"
    write_video(clip, (textured_frame(480, 640, seed=k) for k in range(8)), 30)
    report = _bench(capsys, str(clip))
    assert set(report) == BENCH_KEYS
    assert report["frames"] == 8 and report["frames_with_face"] == 0
    assert report["keypoints_ms_per_face"] is None  # nothing to measure: null, not NaN
    assert report["detector"] == "blazeface" and report["detector_runs"] == 8


@pytest.mark.parametrize("detector", ["blazeface", "haar"])
def test_bench_and_render_with_each_detector(
    detector: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _bench(capsys, "--max-frames", "6", "--detector", detector)
    assert set(report) == BENCH_KEYS
    assert report["detector"] == detector and report["frames_with_face"] == 6
    assert report["keypoints_ms_per_face"] > 0 and report["detect_ms_when_run"] > 0
    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    args = ["render", str(DEMO), "-o", str(out), "--stats", str(stats), "--max-frames", "4"]
    assert main([*args, "--detector", detector]) == 0
    assert all(len(f["faces"]) == 1 for f in json.loads(stats.read_text())["frames"])


def test_an_unknown_detector_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--detector", "yunet"])
    assert exit_info.value.code == 2
    assert "blazeface" in capsys.readouterr().err
