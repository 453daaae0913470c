"""Replay clips through the real pipeline and report when each expression trigger fires.

Usage: python scripts/trigger_report.py [CLIP ...]   (default: ../shared/data/clips/*.mp4 and the demo clip)

For each clip and trigger (mouth open, brows up, blink; snowcam.filters.triggers) it prints a
Markdown table of how often the trigger switched on and its on-intervals in seconds, then, for
the mouth, every opening of the inner lips above the trigger's ``on`` threshold with how long it
lasted: speech makes many short ones, a deliberate open mouth a long one. Faces are followed by
track id, as the effects do.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from snowcam.filters.triggers import MOUTH_OPEN, Trigger, blink_trigger, brows_trigger, mouth_trigger
from snowcam.pipeline import build_pipeline, run
from snowcam.resources import assets_dir
from snowcam.sources import VideoFileSource

REPO = Path(__file__).resolve().parents[1]
TRIGGERS: dict[str, Callable[[], Trigger]] = {
    "mouth open": mouth_trigger,
    "brows up": brows_trigger,
    "blink": blink_trigger,
}


def intervals(flags: list[tuple[float, bool]]) -> list[tuple[float, float]]:
    """``[(start_s, end_s), ...]`` of the runs where the flag is true."""
    runs, start = [], None
    for t, on in flags:
        if on and start is None:
            start = t
        elif not on and start is not None:
            runs.append((start, t))
            start = None
    if start is not None:
        runs.append((start, flags[-1][0]))
    return runs


def main(argv: list[str]) -> int:
    clips = [Path(a) for a in argv] or [
        *sorted((REPO.parent / "shared" / "data" / "clips").glob("*.mp4")),
        assets_dir() / "demo.mp4",
    ]
    print("| clip | length | trigger | fires | on (s) |")
    print("|---|---:|---|---:|---|")
    openings: list[str] = []
    for clip in clips:
        triggers = {name: make() for name, make in TRIGGERS.items()}
        flags: dict[str, list[tuple[float, bool]]] = {name: [] for name in TRIGGERS}
        mouth: list[tuple[float, bool]] = []
        t_end = 0.0
        with VideoFileSource(clip) as source:
            for result in run(source, build_pipeline()):
                t_end = result.t_s
                faces = [f for f in result.faces if f.keypoints is not None]
                for name, trigger in triggers.items():
                    states = [trigger.update(f.track_id, f.keypoints.xy_px, result.t_s) for f in faces]  # type: ignore[union-attr]
                    flags[name].append((result.t_s, any(s.active for s in states)))
                    if name == "mouth open":
                        mouth.append((result.t_s, any(s.value > MOUTH_OPEN.on for s in states)))
        for name, flag in flags.items():
            runs = intervals(flag)
            spans = ", ".join(f"{a:.2f}–{b:.2f}" for a, b in runs) or "–"
            print(f"| {clip.name} | {t_end:.1f} s | {name} | {len(runs)} | {spans} |")
        durations = [b - a for a, b in intervals(mouth)]
        if durations:
            openings.append(
                f"{clip.name}: {len(durations)} openings above {MOUTH_OPEN.on}, lasting "
                + " ".join(f"{d:.2f}" for d in durations)
                + f" s (median {np.median(durations):.2f})"
            )
        else:
            openings.append(f"{clip.name}: no opening above {MOUTH_OPEN.on}")
    print()
    print("\n".join(openings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
