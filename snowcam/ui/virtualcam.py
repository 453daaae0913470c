"""The app's virtual camera toggle: the filtered picture to video calls while the preview runs.

:class:`VirtualCameraToggle` owns a checkable action (shown as a button and in the Camera menu)
and the *Mirror the virtual camera* setting. Turning it on adds a
:class:`snowcam.virtualcam.VirtualCameraOutput` to the session; which orientation it gets is the
session's one mirroring rule (``Session.add_output(..., as_view=...)``): the camera's own
orientation by default, what the other side of a call expects, or the preview's (mirrored)
view when the setting is on. The status bar names the device in use. A missing virtual camera
or pyvirtualcam shows a banner saying what to install and turns the toggle off; nothing else
stops. Turning it off, or closing the app (the session closes its outputs), releases the device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QLabel

from snowcam.events import OutputFailed, SessionEvent
from snowcam.session import Session
from snowcam.virtualcam import CameraFactory, VirtualCameraOutput, VirtualCameraUnavailable

if TYPE_CHECKING:
    from snowcam.ui.main_window import MainWindow

OUTPUT_NAME = "virtualcam"
DEFAULT_FPS = 30.0


def _start_output(
    session: Session, output: VirtualCameraOutput, as_view: bool, failed: Callable[[str], None]
) -> None:
    """On the session thread: open the device now when a source is live, then add the output.

    Opening at once reports a missing virtual camera right away; with no source yet, the first
    frame opens it (a failure then comes back as the session's ``OutputFailed``).
    """
    info = session.info
    if info is not None and not output.is_open:
        try:
            output.open(info.width, info.height, info.fps)
        except VirtualCameraUnavailable as exc:
            failed(str(exc))
            return
    session.add_output(OUTPUT_NAME, output, as_view)


class VirtualCameraToggle(QObject):
    """The virtual camera's action, mirror setting and status label for ``window``.

    ``factory`` opens the device (``None``: pyvirtualcam; tests pass a fake). ``action`` is
    checked while the virtual camera is on; ``mirror_action`` is the persistent setting.
    """

    opened = pyqtSignal(str)
    failed = pyqtSignal(str)

    def __init__(self, window: MainWindow, factory: CameraFactory | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._factory = factory
        self._output: VirtualCameraOutput | None = None
        self.device: str | None = None
        self.action = QAction("&Virtual camera", window)
        self.action.setCheckable(True)
        self.action.setIconVisibleInMenu(False)
        self.action.setToolTip("Send the filtered picture to video calls (Zoom, Meet, Teams, Discord, OBS)")
        self.action.triggered.connect(self.set_on)
        self.mirror_action = QAction("Mirror the virtual camera", window)
        self.mirror_action.setCheckable(True)
        self.mirror_action.setChecked(window.settings.virtualcam_mirror)
        self.mirror_action.setToolTip(
            "Send the mirrored preview instead of the camera's view (the other side then sees you "
            "mirrored, and text reads backwards for them)"
        )
        self.mirror_action.triggered.connect(self.set_mirror)
        self.status_label = QLabel()
        self.status_label.setObjectName("dim")
        self.status_label.hide()
        window.statusBar().addPermanentWidget(self.status_label)
        # Both come from the session thread; Qt queues them to the UI thread.
        self.opened.connect(self._on_opened)
        self.failed.connect(self._on_failed)
        window.worker.event.connect(self.on_event)

    @property
    def is_on(self) -> bool:
        return self._output is not None

    def set_on(self, on: bool) -> None:
        """Start or stop sending to the virtual camera."""
        if on and self._output is None:
            info = self.window.source_info
            self._output = VirtualCameraOutput(
                None, self._factory, info.fps if info else DEFAULT_FPS, on_open=self.opened.emit
            )
            self.window.worker.request(
                _start_output, self._output, self.window.settings.virtualcam_mirror, self.failed.emit
            )
            self._show_status("Virtual camera: starting…")
        elif not on and self._output is not None:
            self.window.worker.request(Session.remove_output, OUTPUT_NAME)
            self._stopped()
            self.window.statusBar().showMessage("Virtual camera off: the device is released.", 4000)
        self.action.setChecked(self.is_on)

    def set_mirror(self, on: bool) -> None:
        """Whether the virtual camera gets the mirrored view; applies at once when it is on."""
        self.window.settings.virtualcam_mirror = bool(on)
        self.window.settings.save(self.window.store)
        if self._output is not None:
            # Re-adding changes only the orientation; the output reopens at its next frame.
            self.window.worker.request(Session.add_output, OUTPUT_NAME, self._output, bool(on))

    def on_event(self, event: SessionEvent) -> None:
        """A session event: the output failed mid-stream (the window shows the banner)."""
        if isinstance(event, OutputFailed) and event.name == OUTPUT_NAME and self._output is not None:
            self._stopped()

    def _on_opened(self, device: str) -> None:
        if self._output is None:
            return
        self.device = device
        self._show_status(f"Virtual camera: {device}")
        self.window.statusBar().showMessage(f"Sending the picture to the virtual camera {device}", 5000)

    def _on_failed(self, message: str) -> None:
        self._stopped()
        self.window.banner.show_message(message, "error", timeout_ms=20000)

    def _stopped(self) -> None:
        self._output = None
        self.device = None
        self.action.setChecked(False)
        self.status_label.hide()

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.show()
