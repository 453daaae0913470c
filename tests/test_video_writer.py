"""The H.264/AAC writer: normal files, write errors, crash leftovers and their recovery."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from snowcam.sinks import SinkError
from snowcam.video_writer import (
    AudioFormat,
    VideoWriter,
    complete_boxes_end,
    leftover_path,
    recover_recordings,
)
from tests.media import FailingFile, moov_first, streams

W, H = 160, 120
FPS = 30.0


def make_frame(i: int) -> np.ndarray:
    frame = np.random.default_rng(i % 4).integers(0, 256, (H, W, 3), dtype=np.uint8)
    frame[:, : (i * 3) % W] = (i * 7) % 256
    return frame


def write_frames(writer: VideoWriter, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        writer.write(make_frame(i), i / FPS)


def test_writes_fast_start_h264_with_source_timestamps_and_leaves_no_hidden_file(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    writer = VideoWriter(target, FPS, (W, H))
    write_frames(writer, 45)
    assert not target.exists(), "an unfinished file must not be at the final name"
    assert writer.partial_path == tmp_path / ".clip.recording.mp4" == leftover_path(target)
    saved = writer.close()
    assert saved.path == target and saved.frames == 45
    assert saved.duration_s == pytest.approx(1.5, abs=1e-3)
    assert os.listdir(tmp_path) == ["clip.mp4"]
    info = streams(target)
    assert info["video"]["codec"] == "h264" and info["video"]["pix_fmt"] == "yuv420p"
    assert info["video"]["frames"] == 45 and "audio" not in info
    assert moov_first(target)
    with av.open(str(target)) as container:
        times = [frame.time for frame in container.decode(video=0)]
    assert times == pytest.approx([i / FPS for i in range(45)], abs=1e-3)


def test_timestamps_with_a_gap_are_kept(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "gap.mp4", FPS, (W, H))
    for i, t_s in enumerate([10.0, 10.0 + 1 / FPS, 11.0, 11.0 + 1 / FPS]):
        writer.write(make_frame(i), t_s)
    writer.close()
    with av.open(str(tmp_path / "gap.mp4")) as container:
        times = [frame.time for frame in container.decode(video=0)]
    assert times == pytest.approx([0.0, 1 / FPS, 1.0, 1.0 + 1 / FPS], abs=1e-3)


def test_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        writer = VideoWriter(tmp_path / "clip.mp4", FPS, (W, H))
        write_frames(writer, 3)
        saved = writer.close()
    finally:
        os.umask(old)
    assert saved.path.stat().st_mode & 0o777 == 0o640


def test_odd_sizes_lose_one_pixel_row_and_column(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "odd.mp4", FPS, (W + 1, H + 1))
    writer.write(np.zeros((H + 1, W + 1, 3), np.uint8))
    writer.close()
    with av.open(str(tmp_path / "odd.mp4")) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (W, H)


def test_bad_frames_and_arguments_raise_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.mp4"):
        VideoWriter(tmp_path / "clip.avi", FPS, (W, H))
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "clip.mp4", float("nan"), (W, H))
    writer = VideoWriter(tmp_path / "clip.mp4", FPS, (W, H))
    with pytest.raises(ValueError, match="160×120"):
        writer.write(np.zeros((H + 2, W, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        writer.write(np.zeros((H, W, 3), np.float32))
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_abort_and_empty_close_leave_nothing_and_keep_an_older_file(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"older")
    writer = VideoWriter(target, FPS, (W, H))
    write_frames(writer, 5)
    writer.abort()
    writer.abort()
    with pytest.raises(SinkError, match="aborted"):
        writer.close()
    empty = VideoWriter(target, FPS, (W, H))
    with pytest.raises(SinkError, match="No frames"):
        empty.close()
    assert os.listdir(tmp_path) == ["clip.mp4"] and target.read_bytes() == b"older"


def test_a_second_writer_to_the_same_name_is_refused(tmp_path: Path) -> None:
    first = VideoWriter(tmp_path / "clip.mp4", FPS, (W, H))
    with pytest.raises(SinkError, match="in progress"):
        VideoWriter(tmp_path / "clip.mp4", FPS, (W, H))
    first.abort()


def test_unusable_folder_raises_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(SinkError, match=r"clip\.mp4"):
        VideoWriter(blocker / "clip.mp4", FPS, (W, H))
    assert os.listdir(tmp_path) == ["not_a_folder"]


def write_until_failure(writer: VideoWriter, max_frames: int = 600) -> SinkError:
    with pytest.raises(SinkError) as failure:
        write_frames(writer, max_frames)
    return failure.value


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EROFS])
def test_a_write_error_stops_the_writer_and_abort_keeps_the_older_file(tmp_path: Path, code: int) -> None:
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"older")
    writer = VideoWriter(target, FPS, (W, H), opener=lambda p: FailingFile(p, 60_000, code))  # type: ignore[arg-type,return-value]
    error = write_until_failure(writer)
    assert error.errno == code and error.disk_full == (code == errno.ENOSPC)
    assert "clip.mp4" in str(error)
    with pytest.raises(SinkError):
        writer.write(make_frame(0))
    with pytest.raises(SinkError):
        writer.close()
    writer.abort()
    assert os.listdir(tmp_path) == ["clip.mp4"] and target.read_bytes() == b"older"


def test_after_a_full_disk_salvage_keeps_a_playable_file_with_what_was_written(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    writer = VideoWriter(target, FPS, (W, H), opener=lambda p: FailingFile(p, 200_000))  # type: ignore[arg-type,return-value]
    error = write_until_failure(writer)
    assert error.disk_full
    written = writer.frames_written
    saved = writer.salvage()
    assert saved is not None and saved.path == target
    assert os.listdir(tmp_path) == ["clip.mp4"]
    info = streams(target)
    assert info["video"]["frames"] == saved.frames
    # Everything up to the last keyframe (one a second) reached the disk.
    assert written - 2 * FPS <= saved.frames <= written
    assert saved.duration_s == pytest.approx(saved.frames / FPS, abs=1e-3)


def tone(seconds: float, rate: int, channels: int, t0_s: float = 0.0) -> np.ndarray:
    t = t0_s + np.arange(round(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1)


@pytest.mark.parametrize("channels", [1, 2])
def test_audio_track_is_aac_and_ends_within_one_frame_of_the_video(tmp_path: Path, channels: int) -> None:
    target = tmp_path / "sound.mp4"
    writer = VideoWriter(target, FPS, (W, H), audio=AudioFormat(48000, channels))
    chunk_s = 0.1
    for i in range(60):
        writer.write(make_frame(i), 5.0 + i / FPS)
        if i % 3 == 0:  # audio arrives in chunks, as from a microphone
            writer.write_audio(tone(chunk_s, 48000, channels), 5.0 + i / FPS)
    saved = writer.close()
    info = streams(target)
    assert info["video"]["codec"] == "h264" and info["audio"]["codec"] == "aac"
    assert abs(float(info["audio"]["end_s"]) - float(info["video"]["end_s"])) <= 1 / FPS
    assert saved.duration_s == pytest.approx(2.0, abs=0.05)
    with av.open(str(target)) as container:
        assert container.streams.audio[0].codec_context.channels == channels


def test_audio_before_the_first_frame_is_dropped_and_gaps_are_silent(tmp_path: Path) -> None:
    target = tmp_path / "gaps.mp4"
    writer = VideoWriter(target, FPS, (W, H), audio=AudioFormat(16000, 1))
    writer.write_audio(tone(0.5, 16000, 1), 0.0)  # no video yet: nothing to align it to
    write_frames(writer, 30)
    writer.write_audio(tone(0.25, 16000, 1), 0.0)
    writer.write_audio(tone(0.25, 16000, 1), 0.75)  # 0.5 s gap
    writer.write_audio(tone(0.25, 16000, 1), 0.9)  # overlaps the previous chunk
    writer.close()
    with av.open(str(target)) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    level = [
        float(np.abs(pcm[int(a * 16000) : int(b * 16000)]).max())
        for a, b in [(0.05, 0.2), (0.35, 0.7), (0.8, 0.95)]
    ]
    assert level[0] > 0.2 and level[1] < 0.02 and level[2] > 0.2


def test_complete_boxes_end_drops_a_cut_off_fragment(tmp_path: Path) -> None:
    def box(kind: bytes, size: int) -> bytes:
        return size.to_bytes(4, "big") + kind + b"\0" * (size - 8)

    path = tmp_path / "f.mp4"
    whole = box(b"ftyp", 16) + box(b"moov", 40) + box(b"moof", 24) + box(b"mdat", 100)
    path.write_bytes(whole + box(b"moof", 24) + box(b"mdat", 100)[:50])
    assert complete_boxes_end(path) == len(whole)
    path.write_bytes(whole + box(b"moof", 24))
    assert complete_boxes_end(path) == len(whole)


RECORDER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from snowcam.video_writer import AudioFormat, VideoWriter
    writer = VideoWriter(sys.argv[1], 30.0, (160, 120), audio=AudioFormat(16000, 1))
    rng = np.random.default_rng(0)
    n = int(sys.argv[2])
    for i in range(n):
        frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
        writer.write(frame, i / 30)
        writer.write_audio(np.full((16000 // 30, 1), 0.1, np.float32), i / 30)
    print("recorded", flush=True)
    time.sleep(600)
    """
)


def test_a_recording_killed_with_sigkill_is_recovered_on_the_next_start(tmp_path: Path) -> None:
    target = tmp_path / "snowcam-20260101-120000-000.mp4"
    frames = 150  # 5 s
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", RECORDER, str(target), str(frames)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "recorded"
        assert recover_recordings(tmp_path).saved == (), "a recording in progress is not a leftover"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert os.listdir(tmp_path) == [leftover_path(target).name]
    recovery = recover_recordings(tmp_path)
    assert len(recovery.saved) == 1 and recovery.lost == ()
    saved = recovery.saved[0]
    assert saved.path == target and os.listdir(tmp_path) == [target.name]
    # Lost at most the last second (one keyframe interval) and the encoder's look-ahead.
    assert frames / FPS - 1.6 <= saved.duration_s <= frames / FPS
    info = streams(target)
    assert info["video"]["frames"] == saved.frames and "audio" in info
    assert moov_first(target)
    assert "Recovered" in recovery.message() and target.name in recovery.message()
    assert recover_recordings(tmp_path).saved == ()


def test_recovery_never_overwrites_and_removes_unreadable_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    writer = VideoWriter(target, FPS, (W, H))
    write_frames(writer, 40)
    writer._finish_streams()  # a crash after the last fragment was written
    target.write_bytes(b"a file the user already has")
    (tmp_path / ".old.partial.mp4").write_bytes(b"\0" * 4000)  # a leftover of snowcam before 0.2
    (tmp_path / ".garbage.recording.mp4").write_bytes(b"\0\0\0\x10moov" + b"\0" * 100)
    recovery = recover_recordings(tmp_path)
    assert [s.path.name for s in recovery.saved] == ["clip-recovered.mp4"]
    assert recovery.saved[0].frames == 40
    assert sorted(p.name for p in recovery.lost) == [".garbage.recording.mp4", ".old.partial.mp4"]
    assert sorted(os.listdir(tmp_path)) == ["clip-recovered.mp4", "clip.mp4"]
    assert target.read_bytes() == b"a file the user already has"
    assert "no readable frame" in recovery.message()


def test_recovery_of_a_missing_folder_recovers_nothing(tmp_path: Path) -> None:
    recovery = recover_recordings(tmp_path / "missing")
    assert recovery.saved == () and recovery.lost == () and recovery.message() == ""


def test_with_no_room_for_a_remuxed_copy_the_fragmented_file_itself_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snowcam import video_writer

    target = tmp_path / "clip.mp4"
    writer = VideoWriter(target, FPS, (W, H))
    write_frames(writer, 75)

    def no_room(src: Path, dst: Path) -> int:
        dst.write_bytes(b"\0" * 10)  # a few bytes got out before the disk filled up
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(video_writer, "_remux_faststart", no_room)
    with pytest.raises(SinkError) as failure:
        writer.close()
    assert failure.value.disk_full and leftover_path(target).exists()
    saved = writer.salvage()
    assert saved is not None and saved.path == target and saved.frames == 75  # finished, just not remuxed
    assert os.listdir(tmp_path) == ["clip.mp4"]
    assert streams(target)["video"]["frames"] == saved.frames


def test_recovery_and_render_remove_stale_fast_start_copies_only(tmp_path: Path) -> None:
    from snowcam.video_writer import discard_stale_leftover, recover_recordings

    stale = tmp_path / ".clip.mp4.0a1b2c3d.remux.tmp"  # a process was killed while finishing
    fresh = tmp_path / ".other.mp4.0a1b2c3e.remux.tmp"  # another process is finishing right now
    other_stale = tmp_path / ".other.mp4.0a1b2c3f.remux.tmp"
    for path in (stale, fresh, other_stale):
        path.write_bytes(b"\0" * 100)
    old = os.path.getmtime(fresh) - 3600
    os.utime(stale, (old, old))
    os.utime(other_stale, (old, old))
    assert not discard_stale_leftover(tmp_path / "clip.mp4")
    assert sorted(os.listdir(tmp_path)) == sorted([fresh.name, other_stale.name]), "only clip.mp4's copy"
    recover_recordings(tmp_path)
    assert os.listdir(tmp_path) == [fresh.name]
