"""Colour looks: ``.cube`` reading, the fast 6-bit lookup, and ``looks.parse_entry``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import textured_frame

from snowcam.filters import FILTERS, create_filter, render
from snowcam.filters.looks import ColourLook, load_cube, packed_table, parse_entry
from snowcam.resources import assets_dir


def _cube(size: int, fn=lambda rgb: rgb, header: str = "") -> str:
    grid = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(grid, grid, grid, indexing="ij")
    rgb = fn(np.stack([r, g, b], axis=-1)).reshape(-1, 3)
    body = "\n".join(f"{v[0]:.6f} {v[1]:.6f} {v[2]:.6f}" for v in rgb)
    return f'TITLE "test"\n# a comment\n{header}LUT_3D_SIZE {size}\n\n{body}\n'


def _write(tmp_path: Path, text: str, name: str = "t.cube") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("size", [2, 17, 33])
def test_identity_cube_leaves_the_frame_unchanged_within_a_half_bin(tmp_path: Path, size: int) -> None:
    lut = load_cube(_write(tmp_path, _cube(size)))
    assert lut.size == size and lut.title == "test"
    frame = textured_frame(120, 160)
    out = render(frame, [], [ColourLook("identity", lut)])
    diff = np.abs(out.astype(int) - frame)
    assert diff.max() <= 2, "6-bit quantisation costs at most half a bin (2 levels)"
    assert diff.mean() < 1.2


def test_red_index_changes_fastest_and_channels_are_swapped_to_bgr(tmp_path: Path) -> None:
    # Output = (input red, 0, 0): only the red channel (BGR index 2) may survive.
    lut = load_cube(_write(tmp_path, _cube(9, lambda rgb: rgb * np.array([1.0, 0.0, 0.0]))))
    frame = np.zeros((2, 3, 3), np.uint8)
    frame[0, 0] = (0, 0, 255)  # pure red (BGR)
    frame[0, 1] = (255, 0, 0)  # pure blue
    frame[0, 2] = (0, 255, 0)
    out = render(frame, [], [ColourLook("red-only", lut)])
    assert out[0, 0, 2] >= 253 and out[0, 0, :2].max() == 0
    assert out[0, 1].max() <= 2 and out[0, 2].max() <= 2


def test_domain_and_trilinear_sampling(tmp_path: Path) -> None:
    # A table over the domain 0..2 holding input / 2: a pixel value v (0..1) becomes v / 2.
    text = _cube(5, lambda rgb: rgb * 0.5, header="DOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n")
    lut = load_cube(_write(tmp_path, text))
    np.testing.assert_allclose(lut.sample([[0.3, 0.6, 1.0]]), [[0.075, 0.15, 0.25]], atol=1e-6)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 x\n", 5, "not a number"),
        ("LUT_3D_SIZE 2\n0 0 0\n1 0 0\n", 3, "needs 8"),
        ("LUT_3D_SIZE 1\n", 1, "2..256"),
        ("# only a comment\nLUT_1D_SIZE 4\n", 2, "1-D"),
        ("TITLE x\nFOO 3\n", 2, "unknown keyword"),
        ("0 0 0\n", 1, "before LUT_3D_SIZE"),
        ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0\n", 2, "DOMAIN_MIN"),
        ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 8 + "0 0 0\n", 10, "more than"),
        ("LUT_3D_SIZE 2\n0 0 0 0\n", 2, "expected 3 numbers"),
    ],
)
def test_malformed_cube_is_refused_with_its_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = _write(tmp_path, text, "bad.cube")
    with pytest.raises(ValueError, match=rf"bad\.cube:{line}: .*{what}"):
        load_cube(path)


def test_parse_entry_builds_a_look_with_strength(tmp_path: Path) -> None:
    _write(tmp_path, _cube(3, lambda rgb: 1.0 - rgb), "invert.cube")
    toml = tmp_path / "filters.toml"
    info = parse_entry(
        toml, "invert", {"kind": "look", "title": " Invert ", "cube": "invert.cube"}, str(toml)
    )
    assert (info.name, info.title, info.group, info.source) == ("invert", "Invert", "look", str(toml))
    assert info.has_strength and info.slots == ()
    frame = textured_frame(60, 80)
    full = render(frame, [], [info.factory(strength=1.0)])
    half = render(frame, [], [info.factory(strength=0.5)])
    assert np.abs(full.astype(int) - (255 - frame.astype(int))).max() <= 3
    assert np.abs(half.astype(int) - 127.5).max() <= 3
    assert np.array_equal(render(frame, [], [info.factory(strength=0.0)]), frame)


@pytest.mark.parametrize(
    ("table", "key", "what"),
    [
        ({"kind": "look", "title": "T"}, "cube", "missing"),
        ({"kind": "look", "title": "T", "cube": "nope.cube"}, "cube", "no such file"),
        ({"kind": "look", "title": "", "cube": "ok.cube"}, "title", "non-empty"),
        ({"kind": "look", "title": "T", "cube": "ok.cube", "size": 3}, "size", "unknown key"),
        ({"kind": "look", "title": "T", "cube": "ok.png"}, "cube", "a .cube file"),
        ({"kind": "look", "title": "T", "cube": "bad.cube"}, "cube", r"bad\.cube:2: "),
    ],
)
def test_parse_entry_names_file_entry_and_key(tmp_path: Path, table: dict, key: str, what: str) -> None:
    _write(tmp_path, _cube(2), "ok.cube")
    _write(tmp_path, "LUT_3D_SIZE 2\n0 0\n", "bad.cube")
    toml = tmp_path / "filters.toml"
    with pytest.raises(ValueError, match=rf"filters\.toml: \[mine\] {key}: .*{what}"):
        parse_entry(toml, "mine", table, str(toml))


def test_built_in_looks_are_registered_from_cube_files() -> None:
    looks = [n for n, info in FILTERS.items() if info.group == "look"]
    assert len(looks) >= 6
    for name in looks:
        filt = create_filter(name)
        assert isinstance(filt, ColourLook)
        assert (assets_dir() / f"{name.replace('look-', 'look_')}.cube").is_file()
    frame = textured_frame(60, 80)
    outputs = [render(frame, [], [create_filter(n)]) for n in looks]
    assert all(not np.array_equal(out, frame) for out in outputs), "every look changes the picture"
    assert len({out.tobytes() for out in outputs}) == len(looks), "every look is different"


def test_a_user_look_loads_through_the_catalogue_and_a_malformed_one_is_named(tmp_path: Path) -> None:
    from snowcam.filters.catalog import read_catalog

    _write(tmp_path, _cube(5, lambda rgb: rgb[..., ::-1]), "swap.cube")  # R and B swapped
    _write(tmp_path, _cube(2).replace("1.000000 1.000000 1.000000", "1.0 1.0"), "broken.cube")
    toml = tmp_path / "filters.toml"
    toml.write_text(
        '[my-swap]\nkind = "look"\ntitle = "Swap"\ncube = "swap.cube"\n\n'
        '[my-broken]\nkind = "look"\ntitle = "Broken"\ncube = "broken.cube"\n\n'
        '[look-warm]\nkind = "look"\ntitle = "Mine"\ncube = "swap.cube"\n'
    )
    infos, errors = read_catalog(toml, str(toml), FILTERS)
    assert [i.name for i in infos] == ["my-swap"] and infos[0].source == str(toml)
    messages = {e.name: e.message for e in errors}
    assert set(messages) == {"my-broken", "look-warm"}
    last_line = len(_cube(2).splitlines())
    assert f"[my-broken] cube: {tmp_path / 'broken.cube'}:{last_line}: table line" in messages["my-broken"]
    assert "refused" in messages["look-warm"]
    frame = np.zeros((4, 4, 3), np.uint8)
    frame[..., 0] = 200  # blue
    out = render(frame, [], [infos[0].factory()])
    assert out[0, 0, 2] >= 198 and out[0, 0, 0] <= 2, "blue became red"


def test_the_packed_grid_is_the_trilinear_interpolation_of_the_table(tmp_path: Path) -> None:
    # A curved, channel-mixing table on a non-unit domain: the axis-by-axis resampling must give
    # what CubeLut.sample gives at every bin centre (within the final rounding).
    text = _cube(7, lambda rgb: np.sqrt(rgb[..., [1, 2, 0]] * 0.5) + 0.2 * rgb**2, "DOMAIN_MAX 2 2 2\n")
    lut = load_cube(_write(tmp_path, text))
    centres = (np.arange(64) * 4 + 1.5) / 255.0
    b, g, r = np.meshgrid(centres, centres, centres, indexing="ij")
    expected = np.clip(np.rint(lut.sample(np.stack([r, g, b], axis=-1))[..., ::-1] * 255), 0, 255)
    packed = packed_table(lut).view(np.uint8).reshape(64, 64, 64, 4)
    assert np.abs(packed[..., :3].astype(int) - expected).max() <= 1
    assert (packed[..., 3] == 0).all()
