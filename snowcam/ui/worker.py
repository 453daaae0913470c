"""The Qt adapter of the live session: runs :class:`snowcam.session.Session` on its own thread.

The session (plain Python, :mod:`snowcam.session`) holds every rule; this class only gives it a
thread and turns its callbacks into two Qt signals:

* ``event(object)`` carries each session event (``snowcam.session.StateChanged``, ``PhotoSaved``,
  ...) to the UI thread, queued, in order;
* ``frame_ready()`` says a new :class:`~snowcam.session.Shown` frame can be taken with
  :meth:`SessionWorker.take_latest`. It is coalesced: not emitted again until the frame was
  taken, so a busy UI never builds a backlog of stale frames.

The UI asks the session for things with :meth:`SessionWorker.request`, which runs the session's
method on the session thread before its next frame (``worker.request(Session.take_photo)``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from snowcam.session import FrameProcessor, Session, SessionEvent, Shown

logger = logging.getLogger(__name__)

ProcessorFactory = Callable[[], FrameProcessor]


class SessionWorker(QObject):
    """Runs ``session`` in a thread; the pipeline from ``processor_factory`` is built in the background."""

    frame_ready = pyqtSignal()
    event = pyqtSignal(object)

    def __init__(
        self,
        make_session: Callable[[Callable[[SessionEvent], None], Callable[[Shown], None]], Session],
        processor_factory: ProcessorFactory | None,
        parent: QObject | None = None,
    ) -> None:
        """``make_session(on_event, on_shown)`` builds the session with this worker's callbacks."""
        super().__init__(parent)
        self._latest_lock = threading.Lock()
        self._latest: Shown | None = None
        self._emit_pending = False
        self._processor_factory = processor_factory
        self.session = make_session(self.event.emit, self._on_shown)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the session thread (and the pipeline's loading)."""
        if self._processor_factory is not None:
            self.session.load_processor(self._processor_factory)
        self._thread = threading.Thread(target=self.session.run, name="snowcam-session", daemon=True)
        self._thread.start()

    def request(self, method: Callable[..., Any], *args: Any) -> None:
        """Run ``method(session, *args)`` on the session thread before its next frame."""
        self.session.post(lambda: method(self.session, *args))

    def take_latest(self) -> Shown | None:
        """The newest shown frame (re-arms ``frame_ready``)."""
        with self._latest_lock:
            self._emit_pending = False
            return self._latest

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the session (a recording in progress is finalised); ``True`` when its thread ended."""
        self.session.stop()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.error("The session did not stop within %.0f s", timeout_s)
                return False
        return True

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _on_shown(self, shown: Shown) -> None:
        with self._latest_lock:
            self._latest = shown
            emit, self._emit_pending = not self._emit_pending, True
        if emit:
            self.frame_ready.emit()
