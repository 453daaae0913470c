"""Data loaders on tiny folders and files written by the tests (faces68 layout, Kaggle training.csv).

The writers here (``write_faces68_folder``, ``write_kaggle_csv``, ``draw_face``) are also used by
the training smoke test and the eval CLI tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from test_types_geometry import face_template

from snowcam.datasets import DataError, load_any, load_faces68_folder, load_kaggle_csv, split_by_identity
from snowcam.types import N_KEYPOINTS, to_kaggle15

# Kaggle Facial Keypoints Detection, training.csv: the header exactly as Kaggle ships it.
KAGGLE_HEADER = (
    "left_eye_center_x,left_eye_center_y,right_eye_center_x,right_eye_center_y,"
    "left_eye_inner_corner_x,left_eye_inner_corner_y,left_eye_outer_corner_x,left_eye_outer_corner_y,"
    "right_eye_inner_corner_x,right_eye_inner_corner_y,right_eye_outer_corner_x,right_eye_outer_corner_y,"
    "left_eyebrow_inner_end_x,left_eyebrow_inner_end_y,left_eyebrow_outer_end_x,left_eyebrow_outer_end_y,"
    "right_eyebrow_inner_end_x,right_eyebrow_inner_end_y,right_eyebrow_outer_end_x,right_eyebrow_outer_end_y,"
    "nose_tip_x,nose_tip_y,mouth_left_corner_x,mouth_left_corner_y,mouth_right_corner_x,mouth_right_corner_y,"
    "mouth_center_top_lip_x,mouth_center_top_lip_y,mouth_center_bottom_lip_x,mouth_center_bottom_lip_y,Image"
)
# Most Kaggle rows only have these four points (the other 22 cells are empty).
KAGGLE_FOUR = (0, 1, 10, 14)  # left_eye_center, right_eye_center, nose_tip, mouth_center_bottom_lip

FACES68_HEADER = ",".join(["image", "identity"] + [f"{a}{i}" for i in range(N_KEYPOINTS) for a in "xy"])


# --- writers (shared with other test modules) -------------------------------------------------


def draw_face(image: npt.NDArray[np.uint8], xy: npt.NDArray[np.float32]) -> None:
    """Draw a cartoon face whose features sit on the 68 points ``xy`` (frame px), in place, BGR or grey."""

    def poly(indices: range | list[int]) -> npt.NDArray[np.int32]:
        return np.round(xy[list(indices)] * 4).astype(np.int32)

    def color(value: int) -> tuple[int, ...]:
        return (value,) * (3 if image.ndim == 3 else 1)

    shift = {"shift": 2, "lineType": cv2.LINE_AA}
    top = (xy[19] + xy[24]) / 2
    center = (top + xy[8]) / 2
    axes = (np.linalg.norm(xy[16] - xy[0]) / 2 * 1.1, np.linalg.norm(xy[8] - top) / 2 * 1.2)
    angle = math.degrees(math.atan2(*(xy[45] - xy[36])[::-1]))
    cv2.ellipse(
        image,
        tuple(np.round(center * 4).astype(int)),
        tuple(np.round(np.array(axes) * 4).astype(int)),
        angle,
        0,
        360,
        color(185),
        -1,
        **shift,
    )
    for brow in (range(17, 22), range(22, 27)):
        cv2.polylines(image, [poly(brow)], False, color(60), 2, **shift)
    for eye in (range(36, 42), range(42, 48)):
        cv2.fillPoly(image, [poly(eye)], color(250), **shift)
        pupil = np.round(xy[list(eye)].mean(0) * 4).astype(int)
        cv2.circle(
            image, tuple(pupil), 4 * max(1, round(np.ptp(xy[list(eye), 1]) / 2)), color(20), -1, **shift
        )
    cv2.polylines(image, [poly(range(27, 31)), poly(range(31, 36))], False, color(110), 1, **shift)
    cv2.fillPoly(image, [poly(range(48, 60))], color(90), **shift)
    cv2.fillPoly(image, [poly(range(60, 68))], color(30), **shift)


def synthetic_points(rng: np.random.Generator, side: int) -> npt.NDArray[np.float32]:
    """A synthetic face at a random place, size and roll inside a ``side``-pixel square image."""
    eye = rng.uniform(0.28, 0.36) * side
    center = (side / 2 + rng.uniform(-0.06, 0.06) * side, side * 0.42 + rng.uniform(-0.05, 0.05) * side)
    return face_template(center, eye, roll_deg=rng.uniform(-15, 15))


def synthetic_image(
    rng: np.random.Generator, side: int, xy: npt.NDArray[np.float32]
) -> npt.NDArray[np.uint8]:
    """A BGR image: a noisy gradient background with the cartoon face drawn on ``xy``."""
    y, x = np.mgrid[0:side, 0:side]
    base = 60 + 50 * (x + y) / (2 * side) + rng.normal(0, 6, (side, side))
    image = cv2.cvtColor(np.clip(base, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    draw_face(image, xy)
    return image


def write_faces68_folder(
    root: Path, n_images: int = 6, n_identities: int = 3, side: int = 128, seed: int = 0
) -> npt.NDArray[np.float32]:
    """Write ``root/images/*.png`` and ``root/landmarks.csv``; return the points ``(n, 68, 2)``.

    Image ``k`` belongs to identity ``person{k % n_identities}``; coordinates have 3 decimals.
    """
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    lines = [FACES68_HEADER]
    all_points = []
    for k in range(n_images):
        xy = np.round(synthetic_points(rng, side), 3)
        name = f"face_{k:03d}.png"
        assert cv2.imwrite(str(root / "images" / name), synthetic_image(rng, side, xy))
        lines.append(",".join([name, f"person{k % n_identities}", *(f"{v:.3f}" for v in xy.ravel())]))
        all_points.append(xy)
    (root / "landmarks.csv").write_text("\n".join(lines) + "\n")
    return np.stack(all_points).astype(np.float32)


def write_kaggle_csv(
    path: Path, n_rows: int = 8, seed: int = 0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    """Write a Kaggle-format ``training.csv``; return its points ``(n, 15, 2)`` (NaN = empty cell) and images.

    Even rows have all 15 points, odd rows only the four most Kaggle rows have. Coordinates are
    written with Kaggle's 10 decimals, images as 9,216 space-separated integers.
    """
    rng = np.random.default_rng(seed)
    lines = [KAGGLE_HEADER]
    points, images = [], []
    for row in range(n_rows):
        xy68 = synthetic_points(rng, 96)
        image = cv2.cvtColor(synthetic_image(rng, 96, xy68), cv2.COLOR_BGR2GRAY)
        k15 = to_kaggle15(xy68).astype(np.float64)
        if row % 2:
            keep = np.zeros(15, bool)
            keep[list(KAGGLE_FOUR)] = True
            k15[~keep] = np.nan
        cells = ["" if np.isnan(v) else f"{v:.10f}" for v in k15.ravel()]
        lines.append(",".join([*cells, " ".join(str(int(v)) for v in image.ravel())]))
        points.append(k15)
        images.append(image)
    path.write_text("\n".join(lines) + "\n")
    return np.array(points, np.float32), np.stack(images)


# --- faces68 layout ---------------------------------------------------------------------------------


def test_faces68_folder_loads(tmp_path: Path) -> None:
    truth = write_faces68_folder(tmp_path / "tiny", n_images=5, n_identities=2)
    data = load_faces68_folder(tmp_path / "tiny")
    assert len(data) == 5 and data.n_points == 68 and data.name == "tiny"
    assert data.points.shape == (5, 68, 2) and data.points.dtype == np.float32
    np.testing.assert_allclose(data.points, truth, atol=1e-4)
    assert data.identities == ["person0", "person1", "person0", "person1", "person0"]
    assert data.files == [f"face_{k:03d}.png" for k in range(5)]
    assert all(im.shape == (128, 128) and im.dtype == np.uint8 for im in data.images)
    # The image and its points belong together: the pupils (dark) sit at the eye centres.
    eye = np.round(data.points[3, 36:42].mean(0)).astype(int)
    assert data.images[3][eye[1], eye[0]] < 60


def test_faces68_folder_color_and_limit(tmp_path: Path) -> None:
    write_faces68_folder(tmp_path / "tiny", n_images=4)
    data = load_faces68_folder(tmp_path / "tiny", color=True, limit=2)
    assert len(data) == 2 and data.points.shape == (2, 68, 2)
    assert data.images[0].shape == (128, 128, 3)
    assert load_any(tmp_path / "tiny").n_points == 68


def test_faces68_empty_cells_become_nan(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=2)
    lines = (root / "landmarks.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[2] = cells[3] = cells[2 + 2 * 30] = cells[3 + 2 * 30] = ""  # points 0 and 30 unknown
    lines[2] = ",".join(cells)
    (root / "landmarks.csv").write_text("\n".join(lines) + "\n")
    data = load_faces68_folder(root)
    assert len(data) == 2  # the row is kept
    assert np.isnan(data.points[1, [0, 30]]).all()
    assert np.isnan(data.points).sum() == 4


def _break_csv(root: Path, line: int, edit) -> None:
    lines = (root / "landmarks.csv").read_text().splitlines()
    lines[line] = edit(lines[line])
    (root / "landmarks.csv").write_text("\n".join(lines) + "\n")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such folder.*landmarks\.csv") as info:
        load_faces68_folder(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(info.value)


def test_missing_csv(tmp_path: Path) -> None:
    (tmp_path / "tiny" / "images").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no landmarks\.csv.*faces68 layout"):
        load_faces68_folder(tmp_path / "tiny")


@pytest.mark.parametrize(
    "header",
    [
        "image,identity," + ",".join(f"x{i},y{i}" for i in range(67)),  # one point short
        "file,person," + ",".join(f"x{i},y{i}" for i in range(68)),  # wrong names
        "image,identity," + ",".join(f"y{i},x{i}" for i in range(68)),  # y before x
    ],
)
def test_bad_header(tmp_path: Path, header: str) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=2)
    _break_csv(root, 0, lambda _: header)
    with pytest.raises(DataError, match=r"landmarks\.csv: header must be image,identity,x0,y0"):
        load_faces68_folder(root)


def test_empty_csv(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    (root / "images").mkdir(parents=True)
    (root / "landmarks.csv").write_text(FACES68_HEADER + "\n")
    with pytest.raises(DataError, match="no rows"):
        load_faces68_folder(root)


def test_unreadable_image(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=3)
    (root / "images" / "face_001.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"landmarks\.csv:3: cannot read image .*face_001\.png"):
        load_faces68_folder(root)


def test_missing_image(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=3)
    (root / "images" / "face_002.png").unlink()
    with pytest.raises(DataError, match=r"landmarks\.csv:4: cannot read image .*face_002\.png"):
        load_faces68_folder(root)


@pytest.mark.parametrize(
    ("edit", "n_fields"), [(lambda s: s + ",1.0", 139), (lambda s: s.rsplit(",", 1)[0], 137)]
)
def test_wrong_field_count(tmp_path: Path, edit, n_fields: int) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=3)
    _break_csv(root, 2, edit)
    with pytest.raises(DataError, match=rf"landmarks\.csv:3: expected 138 fields, got {n_fields}"):
        load_faces68_folder(root)


def test_non_numeric_coordinate(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    write_faces68_folder(root, n_images=2)
    _break_csv(root, 1, lambda s: s.replace(",", ",abc", 3).replace(",abc", ",", 2))
    with pytest.raises(DataError, match=r"landmarks\.csv:2: non-numeric coordinate"):
        load_faces68_folder(root)


# --- Kaggle training.csv -------------------------------------------------------------------------------


def test_kaggle_header_matches_the_loader_columns() -> None:
    names = KAGGLE_HEADER.split(",")
    assert len(names) == 31 and names[-1] == "Image"


def test_kaggle_csv_loads_with_nan_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    truth, images = write_kaggle_csv(path, n_rows=7)
    data = load_kaggle_csv(path)
    assert len(data) == 7 and data.n_points == 15 and data.name == "training"
    assert data.points.shape == (7, 15, 2)
    np.testing.assert_array_equal(np.isnan(data.points), np.isnan(truth))
    np.testing.assert_allclose(data.points, truth, atol=1e-6)  # NaN == NaN here
    assert np.isnan(data.points[1]).sum() == 22  # 11 empty points × 2 on a "four points" row
    assert not np.isnan(data.points[0]).any()
    for got, want in zip(data.images, images, strict=True):
        assert got.shape == (96, 96) and got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)  # row-major 96×96
    assert len(set(data.identities)) == 7  # one identity per row
    assert data.files[0] == "row 2"


def test_kaggle_points_are_subject_sided(tmp_path: Path) -> None:
    """Kaggle's left_eye_center (first two columns) is the subject's left eye: the image-right one."""
    path = tmp_path / "training.csv"
    write_kaggle_csv(path, n_rows=3)
    data = load_kaggle_csv(path)
    assert (data.points[:, 0, 0] > data.points[:, 1, 0]).all()
    left_eye = np.round(data.points[0, 0]).astype(int)
    assert data.images[0][left_eye[1], left_eye[0]] < 60  # on a drawn pupil


def test_kaggle_csv_by_load_any_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    write_kaggle_csv(path, n_rows=5)
    assert len(load_any(path)) == 5
    assert len(load_kaggle_csv(path, limit=2)) == 2


def test_kaggle_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_kaggle_csv(tmp_path / "training.csv")


def test_kaggle_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    write_kaggle_csv(path, n_rows=2)
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("nose_tip_x", "nose_x")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"not a Kaggle facial keypoints CSV.*nose_tip_x"):
        load_kaggle_csv(path)


def test_kaggle_csv_short_image(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    write_kaggle_csv(path, n_rows=3)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(" ", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"training\.csv:4: Image must have 9216 values, got 9215"):
        load_kaggle_csv(path)


def test_kaggle_csv_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_text(KAGGLE_HEADER + "\n")
    with pytest.raises(DataError, match="no rows"):
        load_kaggle_csv(path)


# --- split by identity ------------------------------------------------------------------------------------


def test_split_by_identity_never_shares_a_person() -> None:
    identities = [f"person{k % 40}" for k in range(400)]
    train, val = split_by_identity(identities, 0.25, seed=7)
    assert sorted([*train.tolist(), *val.tolist()]) == list(range(400))
    assert not {identities[i] for i in train} & {identities[i] for i in val}
    assert 0 < len(val) < len(train)
    assert 0.1 < len({identities[i] for i in val}) / 40 < 0.4


def test_split_by_identity_is_seeded_and_stable() -> None:
    identities = [f"id{k}" for k in range(60)]
    a_train, a_val = split_by_identity(identities, 0.3, seed=1)
    b_train, b_val = split_by_identity(identities, 0.3, seed=1)
    np.testing.assert_array_equal(a_train, b_train)
    np.testing.assert_array_equal(a_val, b_val)
    _, c_val = split_by_identity(identities, 0.3, seed=2)
    assert set(c_val.tolist()) != set(a_val.tolist())
    # Adding people (and shuffling the order) does not move anyone who was already there.
    more = [f"new{k}" for k in range(30)] + identities[::-1]
    _, m_val = split_by_identity(more, 0.3, seed=1)
    in_val = {more[i] for i in m_val}
    assert {identities[i] for i in a_val} == in_val & set(identities)


def test_split_by_identity_edge_fractions() -> None:
    train, val = split_by_identity(["a", "b", "c"], 0.0, seed=3)
    assert len(val) == 0 and train.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="val_fraction"):
        split_by_identity(["a"], 1.0, seed=3)
