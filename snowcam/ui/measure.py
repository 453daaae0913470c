"""Measure the app as a user sees it: launch to first frame, displayed fps, age of the shown frame.

Run in a fresh process, so that "launch" includes the interpreter and every import::

    python -m snowcam.ui.measure --video assets/demo.mp4 --filters big-eyes,glasses-round --seconds 10

The real window is opened (any Qt platform: a desktop, Xvfb or ``QT_QPA_PLATFORM=offscreen``)
with a throwaway settings file, the clip is replayed in real time with the filters on, and a
JSON summary is printed. The age of a shown frame is the time from when it was due (a file) or
captured (a camera) until it was painted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PyQt6.QtCore import QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from snowcam.resources import assets_dir
from snowcam.ui.app import (
    AppDeps,
    create_window,
    quiet_libraries,
    seconds_since_process_start,
    undo_opencv_qt_environment,
)
from snowcam.ui.theme import apply_theme


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snowcam.ui.measure", description=__doc__.split("\n")[0])
    parser.add_argument("--video", default=str(assets_dir() / "demo.mp4"), help="clip to replay")
    parser.add_argument("--filters", default="big-eyes,glasses-round", help="comma-separated filter names")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds ignored after the first frame")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--model", default=None, help="a .tflite model (default: the shipped one)")
    args = parser.parse_args(argv)

    launched_s = time.monotonic() - seconds_since_process_start()
    quiet_libraries()
    undo_opencv_qt_environment()
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="snowcam-measure-") as tmp:
        store = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        store.setValue("filters/selection", json.dumps({"names": args.filters.split(","), "strengths": {}}))
        deps = AppDeps(store=store, camera_lister=lambda: [], watch_cameras=False)
        if args.model:
            from snowcam.pipeline import PipelineSettings, build_pipeline

            deps.processor_factory = lambda: build_pipeline(PipelineSettings(model_path=args.model))
        window = create_window(args.video, None, deps, launched_s)
        window.show()
        stages: dict[str, list[float]] = {}
        seen: dict[str, object] = {"frame": None, "start": None}
        faces: list[int] = []

        def on_frame() -> None:
            frame = window.last_frame
            if frame is None or frame is seen["frame"] or seen["start"] is None:
                return
            seen["frame"] = frame
            faces.append(len(frame.result.faces))
            for stage, ms in frame.result.stage_ms.items():
                stages.setdefault(stage, []).append(ms)

        def begin() -> None:
            window.preview.stats.history = []
            seen["start"] = time.monotonic()
            QTimer.singleShot(int(args.seconds * 1000), app.quit)

        window.worker.frame_ready.connect(on_frame)
        window.preview.first_frame_shown.connect(lambda: QTimer.singleShot(int(args.warmup * 1000), begin))
        QTimer.singleShot(int((args.warmup + args.seconds + 30) * 1000), app.quit)
        app.exec()
        history = window.preview.stats.history or []
        last = window.last_frame
        window.close()

    if len(history) < 2:
        print(json.dumps({"error": "no frames were shown"}))
        return 1
    span_s = history[-1][0] - history[0][0]
    ages_ms = [age * 1000.0 for _, age in history]
    summary = {
        "video": args.video,
        "filters": list(window.active_filters),
        "pipeline": "filters on" if window.gallery.isEnabled() else "unfiltered (model could not be loaded)",
        "launch_to_first_frame_ms": round(window.first_frame_ms or float("nan")),
        "measured_s": round(span_s, 2),
        "displayed_fps": round((len(history) - 1) / span_s, 2),
        "shown_frame_age_ms": {
            "median": round(statistics.median(ages_ms), 1),
            "p95": round(_percentile(ages_ms, 0.95), 1),
            "max": round(max(ages_ms), 1),
        },
        "frames_skipped_to_stay_current": last.skipped if last else None,
        "frames_with_a_face": f"{sum(1 for n in faces if n)}/{len(faces)}",
        "stage_ms_median": {k: round(statistics.median(v), 2) for k, v in stages.items()},
        "stage_ms_p95": {k: round(_percentile(v, 0.95), 2) for k, v in stages.items()},
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
