"""Gallery thumbnails rendered by the pipeline itself on the demo clip's first frames."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from snowcam.filters import create_filter
from snowcam.sources import SourceError, VideoFileSource
from snowcam.types import Frame
from snowcam.ui.qimage import face_crop_xywh, square_thumbnail
from snowcam.ui.worker import FrameProcessor

logger = logging.getLogger(__name__)

WARMUP_FRAMES = 4


def render_thumbnails(
    processor: FrameProcessor,
    clip: str | os.PathLike[str],
    names: Sequence[str],
    strength_of: Callable[[str], float | None] = lambda name: None,
    size_px: int = 144,
) -> dict[str, Frame]:
    """One ``size_px`` square BGR thumbnail per filter name, cropped around the demo face.

    The clip's first frames go through ``processor`` (a fresh pipeline: tracking state is
    changed) without filters until the face is tracked, then one more frame per filter with
    only that filter on. The demo clip is still for its first 1.5 s, so every thumbnail shows
    the same pose under the same crop. Returns ``{}`` when the clip cannot be read.
    """
    try:
        source = VideoFileSource(clip)
    except SourceError as exc:
        logger.warning("No gallery thumbnails: %s", exc)
        return {}
    with source:
        frames = [item for _, item in zip(range(WARMUP_FRAMES + len(names)), source, strict=False)]
    if len(frames) < WARMUP_FRAMES + len(names):
        logger.warning("No gallery thumbnails: %s is too short", clip)
        return {}
    processor.filters = ()
    crop = None
    for t_s, frame in frames[:WARMUP_FRAMES]:
        result = processor.process(frame, t_s)
        crop = face_crop_xywh(frame.shape, result.faces, zoom=1.9)
    thumbs: dict[str, Frame] = {}
    for name, (t_s, frame) in zip(names, frames[WARMUP_FRAMES:], strict=False):
        processor.filters = (create_filter(name, strength_of(name)),)
        thumbs[name] = square_thumbnail(processor.process(frame, t_s).output, size_px, crop)
    return thumbs
