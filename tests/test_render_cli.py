"""``snowcam render`` end to end on the demo clip, and its error paths (exit code 2, no partial file)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from snowcam.cli import main
from snowcam.resources import assets_dir, models_dir

DEMO = assets_dir() / "demo.mp4"
pytestmark = pytest.mark.skipif(
    not (models_dir() / "keypoints.tflite").is_file(), reason="the shipped model is not built yet"
)


def count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_render_writes_filtered_video_and_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    code = main(
        ["render", str(DEMO), "-o", str(out), "--filter", "big-eyes", "--filter", "glasses-round",
         "--stats", str(stats), "--max-frames", "12"]
    )  # fmt: skip
    assert code == 0
    assert count_frames(out) == 12
    data = json.loads(stats.read_text())
    assert len(data["frames"]) == 12
    first = data["frames"][0]
    assert first["t_s"] == 0.0 and data["frames"][1]["t_s"] == pytest.approx(1 / 30, abs=1e-6)
    face = first["faces"][0]
    assert len(face["keypoints_xy"]) == 68 and face["track_id"] == 1
    assert {"detect", "keypoints", "track", "filter:big-eyes", "filter:glasses-round", "total"} <= set(
        first["stage_ms"]
    )
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4", "stats.json"]


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda d: d / "missing.mp4", "missing.mp4"),
        (
            lambda d: (d / "corrupt.mp4").write_bytes(b"\x00garbage" * 500) and d / "corrupt.mp4",
            "corrupt.mp4",
        ),
    ],
    ids=["missing", "corrupt"],
)
def test_render_bad_input_exits_2_and_leaves_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_input, message: str
) -> None:
    source = make_input(tmp_path)
    out = tmp_path / "out.mp4"
    assert main(["render", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error" in err and message in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_render_unknown_filter_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(DEMO), "-o", str(tmp_path / "o.mp4"), "--filter", "dog-ears"]) == 2
    err = capsys.readouterr().err
    assert "dog-ears" in err and "big-eyes" in err
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("output", ["no/such/folder/out.mp4", "out.avi"])
def test_render_unwritable_or_wrong_output_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    assert main(["render", str(DEMO), "-o", str(tmp_path / output)]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / output).exists()


def test_bench_json_reports_stage_medians(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--json", "--max-frames", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 20
    assert report["frames_with_face"] == 20
    for stage in ("read", "detect", "keypoints", "track", "filter:big-eyes", "total"):
        assert report["median_ms"][stage] >= 0
    assert report["fps"] > 0


def test_bench_all_filters_times_every_registered_filter(capsys: pytest.CaptureFixture[str]) -> None:
    from snowcam.filters import filter_names

    assert main(["bench", "--json", "--max-frames", "5", "--all-filters"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["all_filters_frames"] == 5
    for name in filter_names():
        assert report["median_ms"][f"filter:{name}"] >= 0
    for stage in ("read", "detect", "keypoints", "track", "total"):
        assert stage in report["median_ms"], "the usual keys stay"


def test_render_follows_the_apps_combination_rules_and_says_what_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code = main(
        ["render", str(DEMO), "-o", str(out), "--filter", "glasses-round", "--filter", "glasses-aviator",
         "--filter", "big-eyes", "--max-frames", "2"]
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "--filter glasses-round is not used: glasses-aviator takes its place" in err
    assert "big-eyes" not in err
