"""``snowcam render`` when things go wrong: bad arguments, full disks, damaged inputs, sound, strict JSON.

Every bad argument exits 2 with a message and no traceback, before any work, and leaves the
input (and any older output) untouched.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from snowcam import video_writer
from snowcam.cli import main
from snowcam.resources import models_dir
from tests.helpers import write_video
from tests.media import DEMO, FailingFile, clip_with_tone, moov_first, streams

pytestmark = pytest.mark.skipif(
    not (models_dir() / "keypoints.tflite").is_file(), reason="the shipped model is not built yet"
)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def strict_json(text: str) -> Any:
    def reject(token: str) -> None:
        raise ValueError(f"not valid JSON: {token}")

    return json.loads(text, parse_constant=reject)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tone_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip_with_tone(tmp_path_factory.mktemp("clips") / "tone.mp4", frames=45)


def test_render_carries_the_sound_into_h264_and_aac_in_sync(
    tmp_path: Path, tone_clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, _ = run_cli(["render", str(tone_clip), "-o", str(out), "--filter", "big-eyes"], capsys)
    assert code == 0 and "45 frames" in stdout and "with sound" in stdout
    info = streams(out)
    assert info["video"]["codec"] == "h264" and info["video"]["pix_fmt"] == "yuv420p"
    assert info["video"]["frames"] == 45 and info["audio"]["codec"] == "aac"
    assert abs(float(info["audio"]["end_s"]) - float(info["video"]["end_s"])) <= 1 / 30
    assert moov_first(out)
    assert os.listdir(tmp_path) == ["out.mp4"]


def test_max_frames_cuts_the_sound_too(
    tmp_path: Path, tone_clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    assert run_cli(["render", str(tone_clip), "-o", str(out), "--max-frames", "15"], capsys)[0] == 0
    info = streams(out)
    assert info["video"]["frames"] == 15
    assert abs(float(info["audio"]["end_s"]) - float(info["video"]["end_s"])) <= 1 / 30


def test_stats_are_strict_json_with_the_frame_counts(
    tmp_path: Path, tone_clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    args = ["render", str(tone_clip), "-o", str(out), "--stats", str(stats), "--max-frames", "10"]
    assert run_cli(args, capsys)[0] == 0
    data = strict_json(stats.read_text())
    assert len(data["frames"]) == 10 and data["decoded_frames"] == 10
    assert data["declared_frames"] == 45 and data["damaged"] is None
    assert data["size"] == [640, 480] and data["fps"] == 30.0
    assert sorted(os.listdir(tmp_path)) == ["out.mp4", "stats.json"]


def bad_argument_cases(tmp: Path, clip: Path) -> list[tuple[list[str], str]]:
    (tmp / "folder.mp4").mkdir()
    (tmp / "stats-folder").mkdir()
    return [
        (["-o", str(tmp / "folder.mp4")], "is a folder"),
        (["-o", str(clip)], "is the input"),
        (["-o", str(tmp / "missing" / "out.mp4")], "does not exist"),
        (["-o", str(tmp / "out.avi")], ".mp4"),
        (["-o", str(tmp / "out.mp4"), "--stats", str(tmp / "missing" / "s.json")], "does not exist"),
        (["-o", str(tmp / "out.mp4"), "--stats", str(tmp / "stats-folder")], "is a folder"),
        (["-o", str(tmp / "out.mp4"), "--stats", str(clip)], "is the input"),
        (["-o", str(tmp / "out.mp4"), "--stats", str(tmp / "out.mp4")], "is the -o output"),
        (["-o", str(tmp / "out.mp4"), "--max-frames", "0"], "1 or more"),
        (["-o", str(tmp / "out.mp4"), "--max-frames", "-3"], "1 or more"),
        (["-o", str(tmp / "out.mp4"), "--filter", "dog-ears"], "dog-ears"),
    ]


def test_every_bad_argument_exits_2_before_any_work_and_leaves_the_input_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = clip_with_tone(tmp_path / "in.mp4", frames=6)
    before = digest(clip)
    for extra, message in bad_argument_cases(tmp_path, clip):
        code, stdout, err = run_cli(["render", str(clip), *extra], capsys)
        assert code == 2, extra
        assert message in err, (extra, err)
        assert "wrote" not in stdout
        assert digest(clip) == before
        assert sorted(os.listdir(tmp_path)) == ["folder.mp4", "in.mp4", "stats-folder"], extra


def test_an_unwritable_output_folder_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    code, _, err = run_cli(["render", str(DEMO), "-o", str(tmp_path / "out.mp4")], capsys)
    assert code == 2 and "not writable" in err
    assert os.listdir(tmp_path) == []


def test_a_full_disk_exits_2_removes_the_partial_output_and_keeps_the_older_file(
    tmp_path: Path, tone_clip: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    out.write_bytes(b"an older render")
    stats.write_text("{}")
    monkeypatch.setattr(video_writer, "_open_exclusive", lambda path: FailingFile(path, 40_000))
    code, stdout, err = run_cli(["render", str(tone_clip), "-o", str(out), "--stats", str(stats)], capsys)
    assert code == 2
    assert "disk full:" in err and "out.mp4" in err
    assert "wrote" not in stdout
    assert sorted(os.listdir(tmp_path)) == ["out.mp4", "stats.json"]
    assert out.read_bytes() == b"an older render" and stats.read_text() == "{}"


@pytest.mark.parametrize("damage", ["cut", "corrupt"])
def test_a_damaged_input_is_rendered_in_part_and_reported_with_both_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    clip = clip_with_tone(tmp_path / "clip.mp4", frames=90, faststart=True)
    data = bytearray(clip.read_bytes())
    if damage == "cut":
        data = data[: len(data) // 2]
    else:  # 400 bytes of the index (chunk offsets) overwritten
        at = data.find(b"stco") + 200
        data[at : at + 400] = b"\xff" * 400
    clip.write_bytes(bytes(data))
    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    code, stdout, err = run_cli(["render", str(clip), "-o", str(out), "--stats", str(stats)], capsys)
    decoded = strict_json(stats.read_text())["decoded_frames"]
    assert code == 3
    assert 0 < decoded < 90
    note = f"decoded {decoded} of 90 frames: the file is damaged or cut short"
    assert note in err
    assert strict_json(stats.read_text())["damaged"] == note
    assert f"{decoded} frames" in stdout and streams(out)["video"]["frames"] == decoded


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_or_ctrl_c_during_render_leaves_no_hidden_file(tmp_path: Path, sig: int, code: int) -> None:
    out = tmp_path / "out.mp4"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [
        sys.executable,
        "-m",
        "snowcam.cli",
        "render",
        str(DEMO),
        "-o",
        str(out),
        "--stats",
        str(tmp_path / "s.json"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    leftover = video_writer.leftover_path(out)
    for _ in range(600):  # wait until it is writing (not a timing assertion: 60 s at most)
        if leftover.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert proc.returncode in (0, code), err
    if proc.returncode == code:  # (0: it had finished before the signal came)
        assert os.listdir(tmp_path) == []


def test_bench_json_is_strict_on_a_clip_without_faces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "noise.mp4"
    write_video(
        clip,
        (np.random.default_rng(i).integers(0, 256, (120, 160, 3), dtype=np.uint8) for i in range(5)),
        30.0,
    )
    code, stdout, _ = run_cli(["bench", str(clip), "--json", "--filter", "big-eyes"], capsys)
    assert code == 0
    report = strict_json(stdout)
    assert report["frames_with_face"] == 0 and report["keypoints_ms_per_face"] is None


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_bench_max_frames_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["bench", "--max-frames", value], capsys)
    assert code == 2 and "--max-frames" in err


def test_the_leftover_of_a_killed_render_is_removed_by_the_next_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    video_writer.leftover_path(out).write_bytes(b"\0" * 1000)  # what SIGKILL left
    code, _, err = run_cli(["render", str(DEMO), "-o", str(out), "--max-frames", "3"], capsys)
    assert code == 0 and "removed the leftover" in err
    assert os.listdir(tmp_path) == ["out.mp4"]


def test_a_render_to_a_file_being_written_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mp4"
    busy = video_writer.VideoWriter(out, 30.0, (64, 48))  # another snowcam writing it
    try:
        code, _, err = run_cli(["render", str(DEMO), "-o", str(out), "--max-frames", "3"], capsys)
        assert code == 2 and "in progress" in err
        assert os.listdir(tmp_path) == [video_writer.leftover_path(out).name]
    finally:
        busy.abort()


def test_a_full_disk_while_writing_the_stats_exits_2_and_keeps_the_older_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from snowcam import commands

    out, stats = tmp_path / "out.mp4", tmp_path / "stats.json"
    out.write_bytes(b"older video")
    original = commands.StatsWriter.add

    def add(self, record):  # the disk fills up on the 5th record
        if self._count == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        original(self, record)

    monkeypatch.setattr(commands.StatsWriter, "add", add)
    code, stdout, err = run_cli(["render", str(DEMO), "-o", str(out), "--stats", str(stats)], capsys)
    assert code == 2 and "disk full:" in err and "stats.json" in err and "wrote" not in stdout
    assert os.listdir(tmp_path) == ["out.mp4"] and out.read_bytes() == b"older video"


def test_damage_is_judged_exactly_on_declared_counts_and_with_slack_on_estimates() -> None:
    from snowcam.commands import damaged_input_note

    assert damaged_input_note(89, 90, None) == "decoded 89 of 90 frames: the file is damaged or cut short"
    assert damaged_input_note(90, 90, None) is None
    assert damaged_input_note(10, 90, 10) is None, "--max-frames reached is not damage"
    assert damaged_input_note(9, 90, 10) is not None
    assert damaged_input_note(10, None, None) is None
    assert damaged_input_note(898, 900, None, exact=False) is None, "a rounding of the estimate"
    assert damaged_input_note(880, 900, None, exact=False) == (
        "decoded 880 of about 900 frames: the file is damaged or cut short"
    )


def test_sound_aac_cannot_carry_is_resampled_and_mixed_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import av

    from tests.media import clip_with_odd_sound

    clip = clip_with_odd_sound(tmp_path / "odd.mkv")
    out = tmp_path / "out.mp4"
    assert run_cli(["render", str(clip), "-o", str(out)], capsys)[0] == 0
    with av.open(str(out)) as container:
        sound = container.streams.audio[0]
        assert (sound.codec_context.name, sound.rate, sound.codec_context.channels) == ("aac", 48000, 2)
    info = streams(out)
    assert abs(float(info["audio"]["end_s"]) - float(info["video"]["end_s"])) <= 1 / 30
