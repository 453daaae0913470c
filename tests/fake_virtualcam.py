"""A fake pyvirtualcam: records what a virtual camera would have received, no device needed."""

from __future__ import annotations

import numpy as np


class FakeVirtualCamera:
    """One opened virtual camera: keeps copies of the frames sent and whether it was released."""

    def __init__(self, width: int, height: int, fps: float, device: str | None) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.device = device or "/dev/video7"
        self.frames: list[np.ndarray] = []
        self.close_calls = 0
        self.fail_send: Exception | None = None

    @property
    def closed(self) -> bool:
        return self.close_calls > 0

    def send(self, frame: np.ndarray) -> None:
        # pyvirtualcam.Camera.send checks the same (uint8, the opened shape).
        assert frame.dtype == np.uint8, frame.dtype
        assert frame.shape == (self.height, self.width, 3), frame.shape
        assert not self.closed, "sent to a released camera"
        if self.fail_send is not None:
            raise self.fail_send
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.close_calls += 1


class FakeVirtualCameraFactory:
    """A ``CameraFactory`` that opens fakes (or raises ``error``); ``opened`` lists them in order."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.opened: list[FakeVirtualCamera] = []

    def __call__(self, width: int, height: int, fps: float, device: str | None) -> FakeVirtualCamera:
        if self.error is not None:
            raise self.error
        camera = FakeVirtualCamera(width, height, fps, device)
        self.opened.append(camera)
        return camera

    @property
    def last(self) -> FakeVirtualCamera:
        assert self.opened, "no virtual camera was opened"
        return self.opened[-1]
