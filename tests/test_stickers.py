"""Sticker declarations: validation errors name file and key; placement follows anchors, roll and yaw."""

from __future__ import annotations

import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import template_points

from snowcam import resources
from snowcam.filters import FILTERS, create_filter
from snowcam.filters.stickers import StickerPart, estimate_yaw_deg, load_sticker_filters, sticker_affine
from snowcam.geometry import apply_affine, flip_points_horizontal
from snowcam.resources import assets_dir

VALID = """
[specs]
kind = "sticker"
title = "Spectacles"
image = "specs.png"
anchors = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]]
anchor_px = [19.5, 10.0]
width = 2.0
offset = [0.0, 0.1]
depth = 0.25
"""


@pytest.fixture
def sticker_dir(tmp_path: Path) -> Path:
    rgba = np.zeros((20, 40, 4), np.uint8)
    rgba[5:15, 5:35] = (10, 20, 30, 255)
    cv2.imwrite(str(tmp_path / "specs.png"), rgba)
    cv2.imwrite(str(tmp_path / "opaque.png"), rgba[..., :3])
    (tmp_path / "notes.png").write_text("not an image")
    return tmp_path


def _write(directory: Path, text: str) -> Path:
    path = directory / "filters.toml"
    path.write_text(text)
    return path


def test_valid_declaration_loads(sticker_dir: Path) -> None:
    (sticker,) = load_sticker_filters(_write(sticker_dir, VALID))
    assert sticker.name == "specs" and sticker.title == "Spectacles"
    (spec,) = sticker.parts
    assert spec.anchors == (tuple(range(36, 42)), tuple(range(42, 48)))
    assert spec.anchor_px == (19.5, 10.0) and spec.width == 2.0
    assert spec.offset == (0.0, 0.1) and spec.depth == 0.25
    assert spec.rgba.shape == (20, 40, 4)


def test_optional_keys_default_and_single_index_anchors(sticker_dir: Path) -> None:
    text = VALID.replace("offset = [0.0, 0.1]\n", "").replace("depth = 0.25\n", "")
    text = text.replace(
        "anchors = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]]", "anchors = [36, 45]"
    )
    (spec,) = load_sticker_filters(_write(sticker_dir, text))[0].parts
    assert spec.anchors == ((36,), (45,)) and spec.offset == (0.0, 0.0) and spec.depth == 0.0


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("[42, 43, 44, 45, 46, 47]", "[42, 43, 68]", "anchors", "unknown keypoint index 68"),
        ("[36, 37, 38, 39, 40, 41]", "-1", "anchors", "unknown keypoint index -1"),
        ("[36, 37, 38, 39, 40, 41]", "[]", "anchors", "an index or a list"),
        ("[36, 37, 38, 39, 40, 41]", "[true]", "anchors", "an index or a list"),
        ("[36, 37, 38, 39, 40, 41]", "[42, 43, 44, 45, 46, 47]", "anchors", "must differ"),
        ("anchors = [[36", "anchors = [[30], [36", "anchors", "two anchors"),
        ('"specs.png"', '"missing.png"', "image", "no such file"),
        ('"specs.png"', '"opaque.png"', "image", "no alpha channel"),
        ('"specs.png"', '"notes.png"', "image", "cannot read"),
        ('"specs.png"', "3", "image", "file name"),
        ("width = 2.0", "width = 0", "width", "(0, 20]"),
        ("width = 2.0", "width = -2.0", "width", "(0, 20]"),
        ("width = 2.0", "width = nan", "width", "(0, 20]"),
        ("width = 2.0", 'width = "wide"', "width", "(0, 20]"),
        ("anchor_px = [19.5, 10.0]", "anchor_px = [40.0, 10.0]", "anchor_px", "inside the 40×20 PNG"),
        ("anchor_px = [19.5, 10.0]", "anchor_px = [19.5]", "anchor_px", "[x, y]"),
        ("offset = [0.0, 0.1]", "offset = [0.0, inf]", "offset", "[x, y]"),
        ("depth = 0.25", "depth = 3.0", "depth", "[-2, 2]"),
        ('kind = "sticker"', 'kind = "mask"', "kind", "expected 'sticker'"),
        ('title = "Spectacles"', 'title = ""', "title", "non-empty"),
        ('title = "Spectacles"\n', "", "title", "missing"),
        ("width = 2.0", "widht = 2.0", "widht", "unknown key"),
    ],
)
def test_each_bad_declaration_names_file_and_key(
    sticker_dir: Path, old: str, new: str, key: str, message: str
) -> None:
    assert old in VALID
    path = _write(sticker_dir, VALID.replace(old, new, 1))
    with pytest.raises(ValueError, match=re.escape(f"{path}: [specs] {key}: ")) as caught:
        load_sticker_filters(path)
    assert message in str(caught.value)


def test_syntax_errors_and_missing_files_name_the_file(sticker_dir: Path) -> None:
    path = _write(sticker_dir, VALID + "\nwidth = = 3\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}: not valid TOML")):
        load_sticker_filters(path)
    with pytest.raises(ValueError, match=re.escape(f"{sticker_dir / 'nope.toml'}: cannot read")):
        load_sticker_filters(sticker_dir / "nope.toml")


def test_bundled_stickers_load_and_have_real_transparency() -> None:
    assert (assets_dir() / "filters.toml").is_file()
    specs = [f.spec for f in (create_filter(n) for n in FILTERS if FILTERS[n].group == "face")]
    assert len(specs) >= 3
    for sticker in specs:
        for part in sticker.parts:
            alpha = part.rgba[..., 3]
            assert (alpha == 0).mean() > 0.2 and alpha.max() >= 160, part.image_path
            assert part.image_path.parent == assets_dir()


def _spec(sticker_dir: Path, **replace: str) -> StickerPart:
    text = VALID
    for old, new in replace.items():
        text = text.replace(old, new)
    return load_sticker_filters(_write(sticker_dir, text))[0].parts[0]


def test_frontal_face_anchor_lands_on_eye_midpoint_at_the_declared_width(sticker_dir: Path) -> None:
    spec = _spec(sticker_dir, **{"offset = [0.0, 0.1]": "offset = [0.0, 0.0]"})
    xy = template_points((150.0, 120.0), 100.0)
    affine = sticker_affine(spec, xy)
    assert affine is not None
    eye_mid = (xy[36:42].mean(axis=0) + xy[42:48].mean(axis=0)) / 2
    eye_distance = float(np.linalg.norm(xy[42:48].mean(axis=0) - xy[36:42].mean(axis=0)))
    assert apply_affine([19.5, 10.0], affine) == pytest.approx(eye_mid, abs=0.05)
    left_edge, right_edge = apply_affine([[-0.5, 10.0], [39.5, 10.0]], affine)
    assert right_edge[0] - left_edge[0] == pytest.approx(2.0 * eye_distance, rel=1e-3)
    assert abs(estimate_yaw_deg(xy)) < 1.0


def test_offset_moves_the_sticker_in_sticker_units(sticker_dir: Path) -> None:
    spec = _spec(sticker_dir)
    xy = template_points((150.0, 120.0), 100.0)
    affine = sticker_affine(spec, xy)
    assert affine is not None
    eye_mid = (xy[36:42].mean(axis=0) + xy[42:48].mean(axis=0)) / 2
    # offset y = 0.1 sticker heights (20 px) moves the anchor 2 sticker px down, at this scale.
    scale = 2.0 * float(np.linalg.norm(xy[42:48].mean(axis=0) - xy[36:42].mean(axis=0))) / 40.0
    assert apply_affine([19.5, 10.0], affine) == pytest.approx(
        eye_mid + np.array([0.0, 2.0 * scale]), abs=0.05
    )


def test_sticker_turns_with_head_roll(sticker_dir: Path) -> None:
    spec = _spec(sticker_dir)
    affine = sticker_affine(spec, template_points((150.0, 120.0), 100.0, roll_deg=30.0))
    assert affine is not None
    assert math.degrees(math.atan2(affine[1, 0], affine[0, 0])) == pytest.approx(30.0, abs=0.1)


def _turned(xy: np.ndarray, amount_px: float) -> np.ndarray:
    """A crude yaw: the nose (27–35) moves sideways and the far jaw side comes in."""
    turned = xy.copy()
    turned[27:36, 0] += amount_px
    side = slice(9, 17) if amount_px > 0 else slice(0, 8)
    turned[side, 0] -= 0.5 * amount_px
    return turned


def test_sticker_is_foreshortened_and_shifted_toward_the_turned_side(sticker_dir: Path) -> None:
    spec = _spec(sticker_dir)
    frontal = template_points((150.0, 120.0), 100.0)
    turned = _turned(frontal, 18.0)
    yaw = estimate_yaw_deg(turned)
    assert yaw > 10.0
    mirrored = flip_points_horizontal(turned, 300)
    assert estimate_yaw_deg(mirrored) == pytest.approx(-yaw, abs=1e-3)

    a_front, a_turned = sticker_affine(spec, frontal), sticker_affine(spec, turned)
    assert a_front is not None and a_turned is not None
    # Same eyes, so the same width along the eye line, but taller (vertical size of the unturned face)
    # and shifted toward the image right.
    assert a_turned[0, 0] == pytest.approx(a_front[0, 0])
    assert a_turned[1, 1] == pytest.approx(a_front[1, 1] / math.cos(math.radians(yaw)))
    shift = apply_affine([19.5, 10.0], a_turned)[0] - apply_affine([19.5, 10.0], a_front)[0]
    eye_distance = float(np.linalg.norm(frontal[42:48].mean(axis=0) - frontal[36:42].mean(axis=0)))
    assert shift == pytest.approx(0.25 * eye_distance * math.tan(math.radians(yaw)), rel=1e-3)
    a_mirrored = sticker_affine(spec, mirrored)
    assert a_mirrored is not None
    mirrored_mid = (mirrored[36:42].mean(axis=0) + mirrored[42:48].mean(axis=0)) / 2
    assert apply_affine([19.5, 10.0], a_mirrored)[0] < mirrored_mid[0]


def test_degenerate_anchors_draw_nothing(sticker_dir: Path) -> None:
    spec = _spec(sticker_dir)
    xy = np.full((68, 2), 50.0, np.float32)
    assert sticker_affine(spec, xy) is None
    xy = template_points((150.0, 120.0), 100.0)
    xy[40] = np.nan
    assert sticker_affine(spec, xy) is None


def test_data_dirs_resolve_for_a_checkout_and_for_an_installed_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "snowcam"
    package.mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert resources.assets_dir() == tmp_path / "site" / "assets"
    assert resources.models_dir() == tmp_path / "site" / "models"
    (package / "_data" / "assets").mkdir(parents=True)
    (package / "_data" / "models").mkdir(parents=True)
    assert resources.assets_dir() == package / "_data" / "assets"
    assert resources.models_dir() == package / "_data" / "models"
