"""Test inputs made from the project's demo clip with PyAV directly (not with the code under test)."""

from __future__ import annotations

import errno
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from snowcam.resources import assets_dir

DEMO = assets_dir() / "demo.mp4"
TONE_HZ = 440.0
AUDIO_RATE = 44100


def clip_with_tone(path: Path, frames: int = 45, *, audio: bool = True, faststart: bool = True) -> Path:
    """The demo clip's first ``frames`` frames as H.264 and, with ``audio``, a stereo AAC sine tone.

    With ``faststart`` the index (moov) comes first, as in files cut short by a download.
    """
    with av.open(str(DEMO)) as src:
        images = [
            f.to_ndarray(format="bgr24") for _, f in zip(range(frames), src.decode(video=0), strict=False)
        ]
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        video = out.add_stream("libx264", rate=Fraction(30))
        video.width, video.height, video.pix_fmt = images[0].shape[1], images[0].shape[0], "yuv420p"
        video.options = {"preset": "ultrafast"}
        tone = out.add_stream("aac", rate=AUDIO_RATE) if audio else None
        if tone is not None:
            tone.codec_context.layout = "stereo"
        for i, image in enumerate(images):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if tone is not None:
            n = round(frames / 30 * AUDIO_RATE)
            t = np.arange(n) / AUDIO_RATE
            wave = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
            for start in range(0, n, 1024):
                chunk = np.stack([wave[start : start + 1024]] * 2)
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(chunk), format="fltp", layout="stereo"
                )
                frame.sample_rate, frame.pts = AUDIO_RATE, start
                out.mux(tone.encode(frame))
            out.mux(tone.encode())
    return path


def streams(path: Path) -> dict[str, dict[str, object]]:
    """Per stream type: codec name, frames decoded, duration in seconds (from the decoded data)."""
    info: dict[str, dict[str, object]] = {}
    with av.open(str(path)) as container:
        for stream in container.streams:
            info[stream.type] = {"codec": stream.codec_context.name, "frames": 0, "end_s": 0.0}
        for frame in container.decode(*container.streams):
            entry = info["video" if isinstance(frame, av.VideoFrame) else "audio"]
            entry["frames"] = int(entry["frames"]) + 1  # type: ignore[call-overload]
            if isinstance(frame, av.VideoFrame):
                entry["pix_fmt"] = frame.format.name
                end = float(frame.time) + 1 / 30
            else:
                end = float(frame.time) + frame.samples / frame.sample_rate
            entry["end_s"] = max(float(entry["end_s"]), end)  # type: ignore[arg-type]
    return info


def moov_first(path: Path) -> bool:
    """Whether the MP4 index comes before the media data (fast start)."""
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def clip_with_odd_sound(path: Path, frames: int = 30) -> Path:
    """A Matroska clip with 5.1 PCM sound at 50 kHz (a rate AAC cannot carry)."""
    with av.open(str(path), "w", format="matroska") as out:
        video = out.add_stream("libx264", rate=Fraction(30))
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        sound = out.add_stream("pcm_s16le", rate=50000)
        sound.codec_context.layout = "5.1"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), i * 8, np.uint8), format="bgr24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        rng = np.random.default_rng(0)
        for k in range(round(frames / 30 * 50)):
            pcm = rng.integers(-1000, 1000, (1, 1000 * 6), dtype=np.int16)
            chunk = av.AudioFrame.from_ndarray(pcm, format="s16", layout="5.1")
            chunk.sample_rate, chunk.pts = 50000, k * 1000
            out.mux(sound.encode(chunk))
    return path


class FailingFile:
    """A file that takes ``limit`` bytes and then fails every write with ``code`` (full disk...)."""

    def __init__(self, path: Path, limit: int, code: int = errno.ENOSPC) -> None:
        self._f = open(path, "xb", buffering=0)
        self.limit, self.code, self.written = limit, code, 0

    def write(self, data: bytes) -> int:
        if self.written + len(data) > self.limit:
            raise OSError(self.code, os.strerror(self.code))
        self.written += len(data)
        return self._f.write(data)

    def fileno(self) -> int:
        return self._f.fileno()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._f.close()
