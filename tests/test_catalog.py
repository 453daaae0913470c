"""The catalogue: multi-part stickers, slots, anchors above the forehead, the mouth-open condition,
the user's filter folder and ``snowcam filters``."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import template_points, textured_frame

from snowcam.cli import main
from snowcam.filters import FILTERS, create_filter, filter_names, render
from snowcam.filters.catalog import read_catalog, user_filters_dir
from snowcam.filters.selection import Selection
from snowcam.filters.stickers import StickerFilter, load_sticker_filters, parse_sticker, sticker_affine
from snowcam.filters.triggers import MOUTH_OPEN, mouth_open_ratio
from snowcam.geometry import apply_affine, box_from_points
from snowcam.types import Face, Keypoints

REPO = Path(__file__).resolve().parent.parent

MULTI = """
[critter]
kind = "sticker"
title = "Critter"

[[critter.parts]]
image = "ears.png"
anchors = [17, 26]
anchor_px = [39.5, 19.0]
width = 1.5
lift = 1.0
slots = ["head"]

[[critter.parts]]
image = "dot.png"
anchors = [48, 54]
at = 66
anchor_px = [9.5, 0.0]
width = 0.5
slots = ["mouth"]
show_when = "mouth_open"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    ears = np.zeros((20, 80, 4), np.uint8)
    ears[2:18, 4:30] = ears[2:18, 50:76] = (40, 90, 200, 255)
    dot = np.zeros((20, 20, 4), np.uint8)
    dot[:, 4:16] = (200, 60, 220, 255)
    cv2.imwrite(str(tmp_path / "ears.png"), ears)
    cv2.imwrite(str(tmp_path / "dot.png"), dot)
    cv2.imwrite(str(tmp_path / "opaque.png"), dot[..., :3])
    return tmp_path


def _write(directory: Path, text: str) -> Path:
    path = directory / "filters.toml"
    path.write_text(text)
    return path


def _face(xy: np.ndarray, track_id: int = -1) -> Face:
    return Face(box_from_points(xy), Keypoints(xy.astype(np.float32)), track_id)


def _open_mouth(xy: np.ndarray, amount: float) -> np.ndarray:
    """The points with the lower lip and chin dropped by ``amount`` × the mouth width."""
    out = xy.astype(np.float64).copy()
    drop = amount * float(np.linalg.norm(out[54] - out[48]))
    lower = [*range(55, 60), *range(65, 68), *range(5, 12)]
    out[lower, 1] += drop
    return out


# ------------------------------------------------------------------------------ multi-part format


def test_multi_part_entry_parses_parts_in_order_and_unions_their_slots(folder: Path) -> None:
    (spec,) = load_sticker_filters(_write(folder, MULTI))
    assert spec.name == "critter" and spec.title == "Critter"
    ears, dot = spec.parts
    assert ears.anchors == ((17,), (26,)) and ears.lift == 1.0 and ears.at == () and ears.show_when is None
    assert dot.at == (66,) and dot.show_when == "mouth_open" and dot.rgba.shape == (20, 20, 4)
    assert spec.slots == ("head", "mouth")
    text = MULTI.replace('title = "Critter"', 'title = "Critter"\nslots = ["cheeks"]')
    assert load_sticker_filters(_write(folder, text))[0].slots == ("cheeks", "head", "mouth")


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("at = 66", "at = 70", "parts[1].at", "unknown keypoint index 70"),
        ('image = "dot.png"', 'image = "opaque.png"', "parts[1].image", "no alpha channel"),
        ('image = "dot.png"', 'image = "gone.png"', "parts[1].image", "no such file"),
        ("lift = 1.0", 'lift = "high"', "parts[0].lift", "[-5, 5]"),
        ('show_when = "mouth_open"', 'show_when = "smile"', "parts[1].show_when", "mouth_open"),
        ('slots = ["head"]', 'slots = ["hat"]', "parts[0].slots", "eyes, head"),
        ("width = 0.5", "widht = 0.5", "parts[1].widht", "unknown key"),
        ("anchors = [48, 54]\n", "", "parts[1].anchors", "missing"),
    ],
)
def test_a_bad_part_names_file_entry_and_part_key(
    folder: Path, old: str, new: str, key: str, message: str
) -> None:
    assert old in MULTI
    path = _write(folder, MULTI.replace(old, new, 1))
    with pytest.raises(ValueError, match=re.escape(f"{path}: [critter] {key}: ")) as caught:
        load_sticker_filters(path)
    assert message in str(caught.value)


def test_parts_must_be_tables(folder: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("[odd] parts: expected one or more")):
        parse_sticker(folder / "filters.toml", "odd", {"kind": "sticker", "title": "Odd", "parts": []})


# ----------------------------------------------------------------------------------------- slots


def test_stickers_in_a_shared_slot_replace_each_other_and_others_combine() -> None:
    assert set(FILTERS["cat"].slots) >= {"head", "nose"}
    assert "mouth" in FILTERS["dog"].slots and "head" in FILTERS["crown"].slots
    combo = Selection().choose("cat").toggle("glasses-round")
    assert combo.names == ("cat", "glasses-round"), "ears and glasses sit in different slots"
    combo = combo.toggle("crown")
    assert combo.names == ("glasses-round", "crown"), "the crown takes the cat's head slot"
    combo = combo.toggle("moustache").toggle("dog")
    assert combo.names == ("glasses-round", "dog"), "the dog's ears and tongue replace crown and moustache"
    assert Selection().choose("glasses-blue").toggle("glasses-shades").names == ("glasses-shades",)


def test_every_face_sticker_declares_its_slots() -> None:
    stickers = [n for n in filter_names() if FILTERS[n].group == "face"]
    assert len(stickers) >= 15
    for name in stickers:
        filt = create_filter(name)
        assert isinstance(filt, StickerFilter)
        part_slots = {s for part in filt.spec.parts for s in part.slots} or set(filt.spec.slots)
        assert set(FILTERS[name].slots) == part_slots, name


# ------------------------------------------------------------------------- forehead extrapolation


@pytest.mark.parametrize("roll_deg", [0.0, 25.0, -40.0])
@pytest.mark.parametrize("eye_distance_px", [60.0, 150.0])
def test_lift_places_the_point_above_the_brows_following_roll_and_scale(
    folder: Path, roll_deg: float, eye_distance_px: float
) -> None:
    ears = load_sticker_filters(_write(folder, MULTI))[0].parts[0]
    xy = template_points((200.0, 180.0), eye_distance_px, roll_deg).astype(np.float64)
    affine = sticker_affine(ears, xy)
    assert affine is not None
    landed = apply_affine([39.5, 19.0], affine)
    brows = 0.5 * (xy[17] + xy[26])
    up = np.array([math.sin(math.radians(roll_deg)), -math.cos(math.radians(roll_deg))])
    # On the mean face, the brow midpoint (17-26) to the nose base (31-35) is 0.73 outer-eye distances
    # of which the component across the eye line is what lift = 1 adds.
    brow_mid, nose = xy[17:27].mean(axis=0), xy[31:36].mean(axis=0)
    height = float((nose - brow_mid) @ -up)
    assert height == pytest.approx(0.73 * eye_distance_px, rel=0.03)
    assert landed == pytest.approx(brows + up * height, abs=0.05)


def test_lift_keeps_above_the_head_when_it_turns(folder: Path) -> None:
    ears = load_sticker_filters(_write(folder, MULTI))[0].parts[0]
    xy = template_points((200.0, 180.0), 100.0).astype(np.float64)
    turned = xy.copy()
    turned[27:36, 0] += 20.0  # the nose moves with a yaw; the brows barely
    turned[9:17, 0] -= 10.0
    front, side = sticker_affine(ears, xy), sticker_affine(ears, turned)
    assert front is not None and side is not None
    drift = apply_affine([39.5, 19.0], side) - apply_affine([39.5, 19.0], front)
    assert abs(drift[1]) < 1.0, (
        "the lift is measured across the brow line, so a yaw does not move it up or down"
    )


# ------------------------------------------------------------------------------- mouth condition


def _mouth_at(xy: np.ndarray, ratio: float) -> np.ndarray:
    """``xy`` with the lower lip dropped until the mouth trigger's measure reads ``ratio``."""
    lo, hi = 0.0, 2.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mouth_open_ratio(_open_mouth(xy, mid)) < ratio else (lo, mid)
    return _open_mouth(xy, lo)


def test_the_tongue_follows_the_shared_mouth_trigger() -> None:
    frame = textured_frame(320, 320)
    closed = template_points((160.0, 120.0), 100.0).astype(np.float64)
    wide = _mouth_at(closed, MOUTH_OPEN.on + 0.1)
    between = _mouth_at(closed, 0.5 * (MOUTH_OPEN.on + MOUTH_OPEN.off))
    assert mouth_open_ratio(closed) < MOUTH_OPEN.off
    dog = create_filter("dog")
    assert isinstance(dog, StickerFilter)
    assert [p.show_when for p in dog.spec.parts].count("mouth_open") == 1
    step_s = 0.1
    clock = iter(np.arange(0.0, 100.0, step_s))
    hold_frames = int(np.ceil(MOUTH_OPEN.hold_on_s / step_s))

    def tongue_pixels(xy: np.ndarray) -> int:
        out = render(frame, [_face(xy, track_id=3)], [dog], float(next(clock)))
        below_lip = np.zeros(frame.shape[:2], bool)
        x0, x1 = int(xy[48, 0]), int(xy[54, 0])
        y0 = int(xy[57, 1]) + 2
        below_lip[y0 : y0 + 20, x0:x1] = True
        return int(((out != frame).any(axis=2) & below_lip).sum())

    assert tongue_pixels(closed) == 0
    assert all(tongue_pixels(between) == 0 for _ in range(10)), "half open from closed does not show it"
    wide_until_shown = next(i for i in range(1, 20) if tongue_pixels(wide) > 100)
    assert hold_frames <= wide_until_shown <= hold_frames + 2, "out once held open, not before (speech)"
    assert all(tongue_pixels(between) > 100 for _ in range(5)), "…and stays out while half open"
    shown = [tongue_pixels(closed) > 0 for _ in range(4)]
    assert not shown[-1], "closed: the tongue goes back in"
    for _ in range(hold_frames + 1):
        tongue_pixels(wide)
    dog.reset()
    assert tongue_pixels(wide) == 0, "reset forgets the mouth state"


# ------------------------------------------------------------------------------------ user folder

USER = """
[sparkle-specs]
kind = "sticker"
title = "Sparkle specs"
image = "ears.png"
anchors = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]]
anchor_px = [39.5, 10.0]
width = 2.0
slots = ["eyes"]

[broken]
kind = "sticker"
title = "Broken"
image = "missing.png"
anchors = [36, 45]
anchor_px = [1.0, 1.0]
width = 1.0
slots = ["eyes"]

[crown]
kind = "sticker"
title = "My crown"
image = "ears.png"
anchors = [17, 26]
anchor_px = [39.5, 19.0]
width = 1.0
slots = ["head"]

[mystery]
kind = "hologram"
title = "?"
"""


def test_user_catalogue_adds_refuses_clashes_and_keeps_going_past_broken_entries(folder: Path) -> None:
    path = _write(folder, USER)
    infos, errors = read_catalog(path, str(path), FILTERS)
    assert [i.name for i in infos] == ["sparkle-specs"]
    assert infos[0].source == str(path) and infos[0].group == "face" and infos[0].slots == ("eyes",)
    by_name = {e.name: e.message for e in errors}
    assert set(by_name) == {"broken", "crown", "mystery"}
    assert by_name["broken"].startswith(f"{path}: [broken] image: no such file")
    assert by_name["crown"].startswith(f"{path}: [crown] -: refused: a built-in filter")
    assert "unknown kind 'hologram'" in by_name["mystery"] and "[mystery] kind" in by_name["mystery"]
    out = render(textured_frame(), [_face(template_points((160.0, 110.0), 90.0))], [infos[0].factory()])
    assert (out != textured_frame()).any()


def test_a_toml_syntax_error_is_reported_with_the_file(folder: Path) -> None:
    path = _write(folder, USER + "\nwidth = = 3\n")
    infos, errors = read_catalog(path, str(path))
    assert infos == []
    (error,) = errors
    assert error.name is None and error.message.startswith(f"{path}: not valid TOML")


def test_the_user_folder_follows_the_platform(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "APPDATA": str(tmp_path / "roaming")}
    assert user_filters_dir("linux", env) == tmp_path / "snowcam" / "filters"
    assert user_filters_dir("linux", {}) == Path.home() / ".config" / "snowcam" / "filters"
    assert user_filters_dir("win32", env) == tmp_path / "roaming" / "snowcam" / "filters"
    assert (
        user_filters_dir("darwin", env)
        == Path.home() / "Library" / "Application Support" / "snowcam" / "filters"
    )


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "snowcam.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_user_filters_reach_the_cli_and_only_the_broken_one_fails(folder: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    user_dir = config / "snowcam" / "filters"
    user_dir.mkdir(parents=True)
    for png in ("ears.png", "dot.png"):
        (user_dir / png).write_bytes((folder / png).read_bytes())
    (user_dir / "filters.toml").write_text(USER)

    listing = _cli(config, "filters", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["sparkle-specs"]["source"] == str(user_dir / "filters.toml")
    assert rows["crown"]["source"] == "built-in" and rows["crown"]["title"] == "Crown"
    assert "broken" not in rows
    assert "[broken] image: no such file" in listing.stderr and "[crown] -: refused" in listing.stderr

    asked_broken = _cli(
        config,
        "render",
        str(REPO / "assets" / "demo.mp4"),
        "-o",
        str(tmp_path / "x.mp4"),
        "--filter",
        "broken",
    )
    assert asked_broken.returncode == 2
    assert (
        "filter 'broken' could not be loaded" in asked_broken.stderr and "no such file" in asked_broken.stderr
    )
    assert "Traceback" not in asked_broken.stderr
    asked_good = _cli(
        config,
        "render",
        str(REPO / "assets" / "demo.mp4"),
        "-o",
        str(tmp_path / "y.mp4"),
        "--filter",
        "sparkle-specs",
        "--max-frames",
        "2",
    )
    assert asked_good.returncode == 0, asked_good.stderr


def test_filters_json_lists_every_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["filters", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == filter_names()
    for row in rows:
        info = FILTERS[row["name"]]
        assert row["title"] == info.title and row["group"] == info.group and row["source"] == info.source
        assert row["slots"] == list(info.slots)
    assert main(["filters"]) == 0
    text = capsys.readouterr().out
    assert "Flower crown" in text and "head" in text
