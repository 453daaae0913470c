"""The default microphone as PCM chunks for a recording (Qt Multimedia's ``QAudioSource``).

Qt Multimedia is imported only when a recording with sound starts: loading it is slow and, on a
machine without audio, noisy. Without a microphone (or without Qt Multimedia) there is simply
no sound track.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from snowcam.video_writer import AudioFormat

logger = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 48000

AudioCallback = Callable[[npt.NDArray[np.int16], float], None]


class Microphone:
    """Captures the default input device; ``on_audio(samples, t_s)`` gets ``(n, channels)`` int16
    PCM and the ``time.monotonic()`` second its first sample was captured (estimated from the
    arrival time minus the chunk's length). Lives and delivers in the thread that creates it."""

    def __init__(self, source: Any, device_io: Any, fmt: AudioFormat, on_audio: AudioCallback) -> None:
        self._source = source
        self._io = device_io
        self.format = fmt
        self._on_audio = on_audio
        self._io.readyRead.connect(self._read)

    @classmethod
    def start(cls, on_audio: AudioCallback) -> Microphone | None:
        """Open the default microphone, or ``None`` when there is none (logged, not an error)."""
        try:
            from PyQt6.QtMultimedia import QAudioFormat, QAudioSource, QMediaDevices
        except ImportError as exc:
            logger.info("No sound in recordings: Qt Multimedia is not available (%s)", exc)
            return None
        device = QMediaDevices.defaultAudioInput()
        if device.isNull():
            logger.info("No sound in recordings: no microphone found")
            return None
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE_HZ)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            fmt = device.preferredFormat()
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            fmt.setChannelCount(min(2, max(1, fmt.channelCount())))
        source = QAudioSource(device, fmt)
        device_io = source.start()
        if device_io is None:
            logger.warning("No sound in recordings: the microphone could not be opened (%s)", source.error())
            return None
        from snowcam.video_writer import AudioFormat

        logger.info("Recording sound from %s", device.description())
        return cls(source, device_io, AudioFormat(fmt.sampleRate(), fmt.channelCount()), on_audio)

    def _read(self) -> None:
        data = bytes(self._io.readAll())
        frame_bytes = 2 * self.format.channels
        usable = len(data) - len(data) % frame_bytes
        if usable == 0:
            return
        samples = np.frombuffer(data[:usable], np.int16).reshape(-1, self.format.channels)
        t_s = time.monotonic() - samples.shape[0] / self.format.sample_rate_hz
        self._on_audio(samples.copy(), t_s)

    def stop(self) -> None:
        """Stop capturing; safe to call twice."""
        if self._source is not None:
            self._source.stop()
            self._source = None
