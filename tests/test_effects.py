"""Expression triggers (measures, hysteresis, per-track state) and the time-driven effects."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import face_from_template, template_points, textured_frame
from numpy.testing import assert_array_equal

from snowcam.filters import FILTERS, create_filter, render
from snowcam.filters.triggers import (
    BLINK,
    BROWS_UP,
    MOUTH_OPEN,
    Trigger,
    TriggerConfig,
    blink_trigger,
    brow_raise_ratio,
    brows_trigger,
    eye_aspect_ratio,
    mouth_open_ratio,
    mouth_trigger,
)
from snowcam.geometry import box_from_points
from snowcam.types import Face, Keypoints

H, W = 240, 320
CENTRE, EYES_PX = (160.0, 100.0), 80.0


def _points(mouth: float = 0.0, brows: float = 0.0, lids: float = 0.0, roll_deg: float = 0.0) -> np.ndarray:
    """Template points with the lower lip dropped by ``mouth`` eye distances, the brows lifted by
    ``brows`` eye distances and the upper lids lowered by ``lids`` of the way to the lower ones."""
    xy = template_points((0.0, 0.0), 1.0).astype(np.float64)
    xy[[55, 56, 57, 58, 59, 65, 66, 67, 5, 6, 7, 8, 9, 10, 11], 1] += mouth
    xy[17:27, 1] -= brows
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        xy[upper] += lids * (xy[lower] - xy[upper])
    theta = np.radians(roll_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return (xy @ rotation.T * EYES_PX + np.array(CENTRE)).astype(np.float32)


def _face(xy: np.ndarray, track_id: int = 1) -> Face:
    return Face(box_from_points(xy), Keypoints(xy), track_id)


def test_measures_on_constructed_faces() -> None:
    assert mouth_open_ratio(_points()) < 0.15
    assert mouth_open_ratio(_points(mouth=0.3)) > MOUTH_OPEN.on
    assert 0.25 <= eye_aspect_ratio(_points()) <= 0.4
    assert eye_aspect_ratio(_points(lids=0.9)) < 0.05
    assert brow_raise_ratio(_points(brows=0.06)) / brow_raise_ratio(_points()) > BROWS_UP.on
    # Measures are ratios: the same face rolled, moved and scaled measures the same.
    for measure in (mouth_open_ratio, eye_aspect_ratio, brow_raise_ratio):
        value = measure(_points(mouth=0.2, brows=0.03))
        assert measure(_points(mouth=0.2, brows=0.03, roll_deg=35)) == pytest.approx(value, rel=1e-4)
        assert measure(_points(mouth=0.2, brows=0.03) * 2.5 + 7) == pytest.approx(value, rel=1e-4)
    # Degenerate points do not divide by zero.
    flat = np.zeros((68, 2), np.float32)
    assert mouth_open_ratio(flat) == eye_aspect_ratio(flat) == brow_raise_ratio(flat) == 0.0


def _run(trigger: Trigger, frames: list[tuple[float, np.ndarray]], track_id: int = 1) -> list[bool]:
    return [trigger.update(track_id, xy, t).active for t, xy in frames]


def _timeline(segments: list[tuple[float, np.ndarray]], fps: float = 30.0, t0: float = 0.0) -> list:
    frames, t = [], t0
    for duration, xy in segments:
        for _ in range(round(duration * fps)):
            frames.append((t, xy))
            t += 1.0 / fps
    return frames


CLOSED, OPEN, HALF = _points(), _points(mouth=0.3), _points(mouth=0.18)


def test_mouth_trigger_needs_a_held_open_mouth() -> None:
    assert MOUTH_OPEN.off < mouth_open_ratio(HALF) < MOUTH_OPEN.on
    # Speech: openings of 0.2 s, several a second, never fire.
    speech = _timeline([(0.2, OPEN), (0.15, CLOSED)] * 15)
    assert not any(_run(mouth_trigger(), speech))
    # Held open: on once the hold has passed, not before.
    held = _timeline([(1.0, CLOSED), (1.0, OPEN)])
    active = _run(mouth_trigger(), held)
    first_on = held[active.index(True)][0]
    assert 1.0 + MOUTH_OPEN.hold_on_s - 0.04 <= first_on <= 1.0 + MOUTH_OPEN.hold_on_s + 0.04
    assert all(active[active.index(True) :])


def test_mouth_trigger_hysteresis() -> None:
    trigger = mouth_trigger()
    on = _timeline([(1.0, OPEN)])
    assert _run(trigger, on)[-1]
    t = on[-1][0]
    # Between the thresholds it stays on; a short dip below 'off' does not switch it off...
    stays = _timeline([(1.0, HALF), (0.1, CLOSED), (0.3, OPEN)], t0=t + 1 / 30)
    assert all(_run(trigger, stays))
    # ...a longer one does, and between the thresholds it then stays off.
    t = stays[-1][0]
    goes = _timeline([(0.3, CLOSED), (1.0, HALF)], t0=t + 1 / 30)
    states = _run(trigger, goes)
    assert states[0] and not states[-1]
    hold_frames = round(MOUTH_OPEN.hold_off_s * 30)
    assert states.index(False) in (hold_frames, hold_frames + 1), "off after hold_off_s below 'off'"
    assert not any(states[states.index(False) :]), "off stays off between the thresholds (no flicker)"


def test_triggers_keep_state_per_track_and_reset_clears_it() -> None:
    trigger = mouth_trigger()
    frames = _timeline([(1.0, OPEN)])
    assert _run(trigger, frames, track_id=1)[-1]
    t = frames[-1][0] + 1 / 30
    assert not trigger.update(2, OPEN, t).active, "a new track starts off"
    assert trigger.update(1, OPEN, t).active
    trigger.reset()
    assert not trigger.update(1, OPEN, t + 1 / 30).active
    # A track unseen for longer than forget_after_s starts afresh.
    later = _run(trigger, _timeline([(1.0, OPEN)], t0=t + 1.0))
    assert later[-1]
    assert not trigger.update(1, OPEN, t + 1.0 + 1.0 + MOUTH_OPEN.forget_after_s + 0.5).active


def test_brow_trigger_is_relative_to_the_faces_own_baseline() -> None:
    neutral, raised = _points(), _points(brows=0.06)
    frames = _timeline([(3.0, neutral), (0.6, raised), (1.0, neutral)])
    states = _run(brows_trigger(), frames)
    assert not any(states[:90]) and any(states[90:108])
    assert not states[-1]
    # A face whose brows are simply high (from the start) never fires.
    assert not any(_run(brows_trigger(), _timeline([(4.0, raised)])))
    # A raise held for long becomes the new normal and switches off.
    held = _run(brows_trigger(), _timeline([(3.0, neutral), (6.0, raised)]))
    assert any(held) and not held[-1]


def test_blink_trigger_fires_on_closed_eyes_only() -> None:
    open_eyes, closed = _points(), _points(lids=0.9)
    states = _run(blink_trigger(), _timeline([(2.0, open_eyes), (0.1, closed), (0.5, open_eyes)]))
    assert not any(states[:60]) and all(states[60:63]) and not any(states[63:])
    assert BLINK.on < BLINK.off


def test_trigger_config_refuses_inverted_hysteresis() -> None:
    with pytest.raises(ValueError, match="hysteresis"):
        TriggerConfig(on=0.3, off=0.5, hold_on_s=0.1, hold_off_s=0.1)
    with pytest.raises(ValueError, match="hysteresis"):
        TriggerConfig(on=0.8, off=0.6, hold_on_s=0.1, hold_off_s=0.1, above=False)


EFFECTS = [n for n in FILTERS if FILTERS[n].group == "effect"]


def _clip(fps: float = 30.0, seconds: float = 3.0) -> list[tuple[float, Face]]:
    """A face that holds still, opens its mouth wide and raises its brows at 1 s."""
    out = []
    for i in range(round(fps * seconds)):
        t = i / fps
        xy = _points(mouth=0.3, brows=0.06) if t >= 1.0 else _points()
        out.append((t, _face(xy)))
    return out


def test_there_are_at_least_three_effects() -> None:
    assert len(EFFECTS) >= 3


@pytest.mark.parametrize("name", EFFECTS)
def test_effects_replay_frame_for_frame(name: str) -> None:
    frame = textured_frame(H, W)
    first, second = create_filter(name), create_filter(name)
    clip = _clip()
    a = [render(frame, [face], [first], t) for t, face in clip]
    b = [render(frame, [face], [second], t) for t, face in clip]
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x, y)
    assert any(not np.array_equal(x, frame) for x in a), f"{name} drew nothing in 3 s"
    assert len({x.tobytes() for x in a[-30:]}) > 1, f"{name} does not move"
    first.reset()
    c = [render(frame, [face], [first], t) for t, face in clip]
    for x, y in zip(a, c, strict=True):
        assert_array_equal(x, y, err_msg="reset() must forget everything")


def test_triggered_effects_wait_for_their_expression() -> None:
    frame = textured_frame(H, W)
    for name, region in (("fx-rainbow", "below"), ("fx-stars", "above")):
        filt = create_filter(name)
        outs = {round(t, 3): render(frame, [face], [filt], t) for t, face in _clip()}
        assert all(np.array_equal(outs[round(i / 30, 3)], frame) for i in range(36)), f"{name} drew early"
        changed = (outs[round(2.0, 3)] != frame).any(axis=2)
        ys = np.nonzero(changed)[0]
        assert ys.size, f"{name} did not fire"
        mouth_y = _points(mouth=0.3)[60:68, 1].mean()
        brow_y = _points(brows=0.06)[17:27, 1].mean()
        if region == "below":
            assert ys.min() >= mouth_y - 12, "the rainbow pours from the mouth down"
        else:
            assert ys.max() <= brow_y + 10, "the stars burst above the brows"


def test_ambient_effects_do_not_depend_on_the_frame_rate() -> None:
    frame = textured_frame(H, W)
    face = face_from_template((160, 110), 80)
    for name in ("fx-hearts", "fx-sparkles"):
        at_30 = create_filter(name)
        for i in range(31):
            out_30 = render(frame, [face], [at_30], i / 30)
        at_once = render(frame, [face], [create_filter(name)], 1.0)
        assert_array_equal(out_30, at_once)


def test_the_rainbow_is_drawn_back_after_the_mouth_closes() -> None:
    frame = textured_frame(H, W)
    filt = create_filter("fx-rainbow")
    outs = []
    for i in range(90):
        t = i / 30
        xy = _points(mouth=0.3) if 0.3 <= t < 2.0 else _points()
        outs.append((t, render(frame, [_face(xy)], [filt], t)))
    drawn = [t for t, out in outs if not np.array_equal(out, frame)]
    off_s = 2.0 + MOUTH_OPEN.hold_off_s
    assert drawn[0] >= 0.3 + MOUTH_OPEN.hold_on_s - 0.02
    assert max(drawn) < off_s + 0.25 + 0.05, "gone once drawn back"
    assert any(t > off_s for t in drawn), "drawn back gradually, not cut"


@pytest.mark.parametrize("name", ["fx-rainbow", "fx-stars"])
def test_a_preview_draws_a_triggered_effect_on_a_still_neutral_face(name: str) -> None:
    frame = textured_frame(H, W)
    face = _face(_points())
    live = FILTERS[name].factory()
    assert np.array_equal(render(frame, [face], [live], 0.0), frame), "no expression, nothing drawn"
    preview = FILTERS[name].factory(preview=True)
    first = render(frame, [face], [preview], 0.0)
    assert not np.array_equal(first, frame)
    assert np.array_equal(first, render(frame, [face], [FILTERS[name].factory(preview=True)], 0.0))
