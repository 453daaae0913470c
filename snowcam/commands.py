"""``snowcam render`` and ``snowcam bench`` (the pipeline on video files, without a window) and
``snowcam filters`` (the catalogue)."""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snowcam.errors import EXIT_DAMAGED_INPUT, UserError, check_output_file, positive_int
from snowcam.files import atomic_write, strict_json
from snowcam.sinks import SinkError, explain_os_error
from snowcam.types import FrameResult

if TYPE_CHECKING:
    from snowcam.filters.selection import Selection
    from snowcam.pipeline import Pipeline


def add_pipeline_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``render`` and ``bench`` subcommands on the main parser."""
    render = sub.add_parser(
        "render",
        help="replay a video through the pipeline and write the filtered mp4",
        epilog="exit codes: 0 done; 2 a problem to fix (bad argument, unreadable input, full disk...; "
        "nothing is written); 3 the input ended before its declared frame count (damaged or cut short: "
        "the output holds what could be read); 130/143 stopped by Ctrl+C/SIGTERM (partial output removed)",
    )
    render.add_argument("input", help="a video file OpenCV can read (its sound is carried over)")
    render.add_argument(
        "-o", "--output", required=True, help="the mp4 to write (H.264, AAC sound; never the input)"
    )
    render.add_argument("--filter", action="append", default=[], help="a filter name; repeat to stack them")
    render.add_argument(
        "--stats", default=None, help="write per-frame faces, keypoints and stage times (JSON)"
    )
    render.add_argument("--max-frames", type=positive_int, default=None, help="stop after N frames (N ≥ 1)")
    render.add_argument("--model", default=None, help="a .tflite model (default: the shipped one)")
    add_detector_option(render)
    render.set_defaults(handler=cmd_render)

    bench = sub.add_parser("bench", help="per-stage median times and frames per second over a clip")
    bench.add_argument(
        "input", nargs="?", default=None, help="a video file (default: the built-in demo clip)"
    )
    bench.add_argument(
        "--filter", action="append", default=None, help="filters to time (default: big-eyes, glasses)"
    )
    bench.add_argument("--max-frames", type=positive_int, default=None, help="stop after N frames (N ≥ 1)")
    bench.add_argument("--model", default=None)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--all-filters",
        action="store_true",
        help="also time every registered filter alone on one face at 640×480 (median_ms['filter:NAME'])",
    )
    add_detector_option(bench)
    bench.set_defaults(handler=cmd_bench)

    listing = sub.add_parser("filters", help="list every filter: name, title, group, slots, source")
    listing.add_argument("--json", action="store_true", help="print a JSON list of objects")
    listing.set_defaults(handler=cmd_filters)


def add_detector_option(parser: argparse.ArgumentParser) -> None:
    """``--detector``: BlazeFace (default) or OpenCV's Haar cascades."""
    from snowcam.detection import DETECTORS

    parser.add_argument(
        "--detector",
        choices=DETECTORS,
        default=DETECTORS[0],
        help="the face finder: BlazeFace short-range (default) or OpenCV's Haar cascades",
    )


def _replaced_by(name: str, selection: Selection) -> str:
    from snowcam.filters import FILTERS
    from snowcam.filters.selection import conflicts

    info = FILTERS[name]
    if info.group == "none":
        return "it draws nothing"
    rivals = [n for n in selection.names if conflicts(info, FILTERS[n])]
    if info.group == "face":
        shared = sorted(set().union(*(set(info.slots) & set(FILTERS[n].slots) for n in rivals)))
        return f"{', '.join(rivals)} takes its place (they share the slot {', '.join(map(repr, shared))})"
    return f"{', '.join(rivals)} takes its place (one {info.group} at a time)"


def _build(model: str | None, filters: Sequence[str], detector: str = "blazeface") -> Pipeline:
    """The real pipeline; a UserError that says what to fix for an unknown filter or a bad model."""
    from snowcam.filters import filter_names
    from snowcam.keypoints import ModelError
    from snowcam.pipeline import PipelineSettings, build_pipeline

    unknown = [f for f in filters if f not in filter_names()]
    if unknown:
        from snowcam.filters.catalog import why_missing

        broken = why_missing(unknown[0])
        if broken is not None:
            raise UserError(f"filter {unknown[0]!r} could not be loaded: {broken}")
        raise UserError(f"unknown filter {unknown[0]!r}; choose from: {', '.join(filter_names())}")
    from snowcam.filters.selection import Selection

    selection, left_out = Selection.combining(filters)
    for name in left_out:
        print(f"snowcam: --filter {name} is not used: {_replaced_by(name, selection)}", file=sys.stderr)
    try:
        return build_pipeline(PipelineSettings(model_path=model, detector=detector), selection.names)
    except ModelError as exc:
        raise UserError(str(exc)) from None


def cmd_filters(args: argparse.Namespace) -> int:
    """Print the catalogue in gallery order; entries that failed to load go to stderr."""
    from snowcam.filters import FILTERS, filter_names
    from snowcam.filters.catalog import load_errors

    rows = [
        {
            "name": info.name,
            "title": info.title,
            "group": info.group,
            "slots": list(info.slots),
            "source": info.source,
            "has_strength": info.has_strength,
        }
        for info in (FILTERS[n] for n in filter_names())
    ]
    if args.json:
        print(strict_json(rows, indent=2, ensure_ascii=False))
    else:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            slots = ",".join(r["slots"]) or "-"
            print(f"{r['name']:<{width}s}  {r['group']:<7s} {slots:<18s} {r['title']}  [{r['source']}]")
    for error in load_errors():
        print(f"snowcam filters: not loaded: {error.message}", file=sys.stderr)
    return 0


def face_record(result: FrameResult) -> dict[str, Any]:
    """One frame of ``--stats``: time, faces (track id, box, 68 points, frame px), stage times."""
    return {
        "t_s": round(result.t_s, 6),
        "faces": [
            {
                "track_id": face.track_id,
                "box_xywh": [round(v, 2) for v in (face.box.x, face.box.y, face.box.w, face.box.h)],
                "keypoints_xy": None
                if face.keypoints is None
                else np.round(face.keypoints.xy_px.astype(np.float64), 2).tolist(),
            }
            for face in result.faces
        ],
        "stage_ms": {k: round(v, 4) for k, v in result.stage_ms.items()},
    }


def _sink_user_error(exc: SinkError) -> UserError:
    return UserError(f"disk full: {exc}" if exc.disk_full else str(exc))


def damaged_input_note(
    decoded: int, declared: int | None, max_frames: int | None, *, exact: bool = True
) -> str | None:
    """The sentence for an input that ended before the frames its container declares, else ``None``.

    ``exact`` says ``declared`` is the container's own count; otherwise it is an estimate from
    the duration (Matroska, WebM...), and only a shortfall of more than 1 % (at least 2 frames)
    counts, so a healthy file is never called damaged for a rounding.
    """
    if declared is None:
        return None
    expected = declared if max_frames is None else min(declared, max_frames)
    slack = 0 if exact else max(2, round(0.01 * declared))
    if decoded + slack >= expected:
        return None
    about = "" if exact else "about "
    return f"decoded {decoded} of {about}{declared} frames: the file is damaged or cut short"


def cmd_render(args: argparse.Namespace) -> int:
    from snowcam.pipeline import run
    from snowcam.sources import FileAudio, SourceError, VideoFileSource, declared_frame_count
    from snowcam.video_writer import VideoWriter, discard_stale_leftover

    output, input_path = Path(args.output), Path(args.input)
    if output.suffix.lower() != ".mp4":
        raise UserError(f"{output}: the output must be an .mp4 file")
    check_output_file(output, "-o", {"the input": input_path})
    stats_path = Path(args.stats) if args.stats else None
    if stats_path is not None:
        check_output_file(stats_path, "--stats", {"the input": input_path, "the -o output": output})
    try:
        source = VideoFileSource(input_path)
    except SourceError as exc:
        raise UserError(str(exc)) from None
    n = with_face = 0
    with source:
        pipeline = _build(args.model, args.filter, args.detector)
        if discard_stale_leftover(output):
            print(
                f"snowcam render: removed the leftover of an interrupted render of {output}", file=sys.stderr
            )
        info = source.info
        audio = FileAudio.open(input_path)
        feed = _AudioFeed(audio)
        stats: StatsWriter | None = None
        writer: VideoWriter | None = None
        try:
            if stats_path is not None:
                stats = StatsWriter(stats_path, input_path, info)
            writer = VideoWriter(
                output, info.fps, (info.width, info.height), audio=audio.format if audio else None
            )
            for result in run(source, pipeline):
                writer.write(result.output, result.t_s)
                feed.until(writer, result.t_s + 1.0 / info.fps)
                if stats is not None:
                    stats.add(face_record(result))
                with_face += bool(result.faces)
                n += 1
                if args.max_frames is not None and n >= args.max_frames:
                    break
            if n == 0:
                raise UserError(f"{args.input}: no frame could be read")
            declared = declared_frame_count(input_path)
            note = damaged_input_note(
                n, declared or info.frame_count, args.max_frames, exact=declared is not None
            )
            if stats is not None:
                stats.finish(decoded_frames=n, declared_frames=declared or info.frame_count, damaged=note)
            saved = writer.close()
            if stats is not None:
                stats.commit()
        except BaseException as exc:
            # Nothing half-written stays: the output and the stats keep their older files, if any.
            if writer is not None:
                writer.abort()
            if stats is not None:
                stats.abort()
            if isinstance(exc, SinkError):
                raise _sink_user_error(exc) from None
            if isinstance(exc, OSError):  # the video writer raises SinkError: this is the stats file
                raise _sink_user_error(explain_os_error(exc, "write", stats_path or output)) from None
            if isinstance(exc, SourceError):
                raise UserError(str(exc)) from None
            raise
    detail = f", a face in {with_face}/{n} frames" if stats_path is not None else ""
    sound = ", with sound" if audio is not None else ""
    print(f"wrote {saved.path}: {n} frames ({saved.duration_s:.2f} s){sound}{detail}")
    if note is not None:
        print(
            f"snowcam render: warning: {args.input}: {note}; the output holds what could be read",
            file=sys.stderr,
        )
        return EXIT_DAMAGED_INPUT
    return 0


class _AudioFeed:
    """The input's sound, handed to the writer up to a time so that both tracks reach the disk together."""

    def __init__(self, audio: Any) -> None:
        self._chunks = audio.chunks() if audio is not None else iter(())
        self._pending: tuple[Any, float] | None = None

    def until(self, writer: Any, t_s: float) -> None:
        """Write every chunk that starts before ``t_s`` seconds."""
        while True:
            if self._pending is None:
                self._pending = next(self._chunks, None)
                if self._pending is None:
                    return
            if self._pending[1] >= t_s:
                return
            writer.write_audio(*self._pending)
            self._pending = None


class StatsWriter:
    """``render --stats``: the JSON document written frame by frame to disk, so memory stays flat.

    The document is ``{"input", "fps", "size", "frames": [...], "decoded_frames",
    "declared_frames", "damaged"}``, written through :func:`snowcam.files.atomic_write`:
    :meth:`finish` completes and flushes it, :meth:`commit` puts it in place (fsync, rename),
    :meth:`abort` removes it; until then ``path`` is untouched.
    """

    def __init__(self, path: Path, input_path: Path, info: Any) -> None:
        self.path = path
        self._context = atomic_write(path, "w")
        self._file = self._context.__enter__()
        head = strict_json({"input": str(input_path), "fps": info.fps, "size": [info.width, info.height]})
        self._file.write(head[:-1] + ', "frames": [\n')
        self._count = 0

    def add(self, record: dict[str, Any]) -> None:
        self._file.write(("" if self._count == 0 else ",\n") + strict_json(record))
        self._count += 1

    def finish(self, **tail: Any) -> None:
        self._file.write("\n], " + strict_json(tail)[1:] + "\n")
        self._file.flush()

    def commit(self) -> None:
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        cancelled = RuntimeError("render stopped")
        with contextlib.suppress(RuntimeError, OSError):
            self._context.__exit__(RuntimeError, cancelled, None)


def default_bench_filters() -> list[str]:
    from snowcam.filters import filter_names

    names = filter_names()
    glasses = [n for n in names if n.startswith("glasses")]
    return [n for n in ["big-eyes", *glasses[:1]] if n in names]


def cmd_bench(args: argparse.Namespace) -> int:
    from snowcam.pipeline import run
    from snowcam.resources import assets_dir
    from snowcam.sources import SourceError, VideoFileSource

    path = args.input or str(assets_dir() / "demo.mp4")
    filters = args.filter if args.filter is not None else default_bench_filters()
    pipeline = _build(args.model, filters, args.detector)
    try:
        source = VideoFileSource(path)
    except SourceError as exc:
        raise UserError(str(exc)) from None
    results: list[tuple[dict[str, float], int, bool]] = []
    samples: list[FrameResult] = []
    with source:
        info = source.info
        for result in run(source, pipeline):
            results.append((dict(result.stage_ms), len(result.faces), pipeline.tracker.last_times.detected))
            if args.all_filters and result.faces:
                samples.append(result)
            if args.max_frames is not None and len(results) >= args.max_frames:
                break
    if not results:
        raise UserError(f"{path}: no frames")
    report = bench_report(results, filters)
    report.update(
        {"input": path, "size": [info.width, info.height], "source_fps": info.fps, "detector": args.detector}
    )
    if args.all_filters:
        if not samples:
            raise UserError(f"{path}: --all-filters needs a clip with a face, none was found")
        report["median_ms"].update(time_all_filters(samples))
        report["all_filters_frames"] = len(samples)
    if args.json:
        print(strict_json(report, indent=2))
    else:
        print(
            f"{report['frames']} frames of {path} ({info.width}×{info.height}), faces in "
            f"{report['frames_with_face']} frames, detector {args.detector}"
        )
        for name, value in report["median_ms"].items():
            print(f"  {name:<24s} {value:8.3f} ms (median)")
        print(
            f"  detect when it runs       {report['detect_ms_when_run']:8.3f} ms on "
            f"{report['detector_runs']} frames"
        )
        print(
            f"  processing, no filters     {report['processing_no_filters_ms_mean']:8.3f} ms mean per frame "
            "(detector amortised)"
        )
        if report["keypoints_ms_per_face"] is not None:
            print(
                f"  keypoints per face         {report['keypoints_ms_per_face']:8.3f} ms"
                " (median over tracking frames)"
            )
        print(f"  filters together           {report['filters_ms']:8.3f} ms (median)")
        print(
            f"  total                      {report['median_ms']['total']:8.3f} ms (median) → "
            f"{report['fps']:.0f} frames/s"
        )
    return 0


ALL_FILTERS_SIZE = (640, 480)


def time_all_filters(samples: Sequence[FrameResult]) -> dict[str, float]:
    """``{"filter:NAME": median ms}`` for every registered filter, each applied alone by
    :func:`snowcam.filters.render` to the frames in ``samples`` (in order, with their times)
    with their first face only, each frame scaled to fit 640×480 and centred on a black
    640×480 canvas (the face's box and keypoints moved alike)."""
    import cv2

    from snowcam.filters import create_filter, filter_names, render
    from snowcam.types import Face, FaceBox, Keypoints

    def one_face(result: FrameResult) -> tuple[np.ndarray, list[Face]]:
        h, w = result.frame.shape[:2]
        scale = min(ALL_FILTERS_SIZE[0] / w, ALL_FILTERS_SIZE[1] / h)
        new_w, new_h = round(w * scale), round(h * scale)
        left, top = (ALL_FILTERS_SIZE[0] - new_w) // 2, (ALL_FILTERS_SIZE[1] - new_h) // 2
        frame = np.zeros((ALL_FILTERS_SIZE[1], ALL_FILTERS_SIZE[0], 3), np.uint8)
        frame[top : top + new_h, left : left + new_w] = cv2.resize(result.frame, (new_w, new_h))
        face = result.faces[0]
        box = FaceBox(
            face.box.x * scale + left, face.box.y * scale + top, face.box.w * scale, face.box.h * scale
        )
        points = None
        if face.keypoints is not None:
            points = Keypoints(face.keypoints.xy_px * np.float32(scale) + np.float32((left, top)))
        return frame, [Face(box, points, face.track_id)]

    inputs = [(r.t_s, *one_face(r)) for r in samples]
    medians: dict[str, float] = {}
    for name in filter_names():
        filt = create_filter(name)
        times: list[float] = []
        for t_s, frame, faces in inputs:
            stage_ms: dict[str, float] = {}
            render(frame, faces, [filt], t_s, stage_ms)
            times.append(stage_ms[f"filter:{name}"])
        medians[f"filter:{name}"] = statistics.median(times)
    return medians


def bench_report(results: list[tuple[dict[str, float], int, bool]], filters: Sequence[str]) -> dict[str, Any]:
    """Medians per stage, the detector's cost when it runs, and throughput (strict JSON: None where
    nothing was measured, such as keypoints per face on a clip without a face)."""
    stages = ["read", "detect", "keypoints", "track", *(f"filter:{f}" for f in filters), "total"]
    median = {s: statistics.median(r[0].get(s, 0.0) for r in results) for s in stages}
    detect_runs = [r[0]["detect"] for r in results if r[2]]
    tracking = [r[0]["keypoints"] / r[1] for r in results if r[1] and not r[2]]
    no_filters = [r[0]["detect"] + r[0]["keypoints"] + r[0]["track"] for r in results]
    filt = [sum(r[0].get(f"filter:{f}", 0.0) for f in filters) for r in results]
    return {
        "frames": len(results),
        "frames_with_face": sum(1 for r in results if r[1]),
        "filters": list(filters),
        "median_ms": median,
        "detector_runs": len(detect_runs),
        "detect_ms_when_run": statistics.median(detect_runs) if detect_runs else 0.0,
        "processing_no_filters_ms_mean": statistics.fmean(no_filters),
        "processing_no_filters_ms_median": statistics.median(no_filters),
        "keypoints_ms_per_face": statistics.median(tracking) if tracking else None,
        "filters_ms": statistics.median(filt),
        "fps": 1000.0 / max(median["total"] + median["read"], 1e-6),
    }
