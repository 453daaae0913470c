"""Keypoint tables (flip permutation, Kaggle-15 view) and crop geometry, checked against the data README."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from snowcam.geometry import (
    MODEL_INPUT_SIZE,
    REGION_SCALE,
    apply_affine,
    crop_face,
    flip_points_horizontal,
    invert_affine,
    nme_percent,
    outer_eye_distance_px,
    region_from_keypoints,
)
from snowcam.types import (
    FLIP_PERMUTATION_68,
    KAGGLE15_FLIP_PERMUTATION,
    KAGGLE15_NAMES,
    N_KEYPOINTS,
    CropRegion,
    Keypoints,
    to_kaggle15,
)


def _face_unit() -> npt.NDArray[np.float64]:
    """A frontal, mirror-symmetric face in the iBUG 68-point order, written part by part from the README.

    Units: outer eye-corner distance (36–45) = 1; origin between the eye centres; x right, y down.
    Every contour is listed in the README's order (jaw from the image-left ear, brows from 17 outer
    to 21 inner and 22 inner to 26 outer, each eye clockwise from its image-left corner, lips clockwise
    from the image-left corner), never derived from the flip table it is used to check.
    """
    pts: list[tuple[float, float]] = []
    pts += [(-0.8 * math.cos(math.pi * i / 16), 1.25 * math.sin(math.pi * i / 16)) for i in range(17)]
    arch = [-0.2 - 0.06 * math.sin(math.pi * k / 4) for k in range(5)]
    pts += [(-0.65 + 0.125 * k, arch[k]) for k in range(5)]  # 17 (outer) .. 21 (inner)
    pts += [(0.15 + 0.125 * k, arch[4 - k]) for k in range(5)]  # 22 (inner) .. 26 (outer)
    pts += [(0.0, y) for y in (-0.02, 0.12, 0.26, 0.40)]  # 27..30, 30 = nose tip
    pts += [(-0.16, 0.48), (-0.08, 0.51), (0.0, 0.53), (0.08, 0.51), (0.16, 0.48)]
    eye = [(-0.15, 0.0), (-0.05, -0.05), (0.05, -0.05), (0.15, 0.0), (0.05, 0.05), (-0.05, 0.05)]
    pts += [(-0.35 + dx, dy) for dx, dy in eye]  # 36 outer .. 39 inner
    pts += [(0.35 + dx, dy) for dx, dy in eye]  # 42 inner .. 45 outer
    cy = 0.78
    pts += [(-0.32 * math.cos(math.pi * k / 6), cy - 0.14 * math.sin(math.pi * k / 6)) for k in range(7)]
    pts += [(0.32 * math.cos(math.pi * k / 6), cy + 0.14 * math.sin(math.pi * k / 6)) for k in range(1, 6)]
    pts += [(-0.24 * math.cos(math.pi * k / 4), cy - 0.05 * math.sin(math.pi * k / 4)) for k in range(5)]
    pts += [(0.24 * math.cos(math.pi * k / 4), cy + 0.05 * math.sin(math.pi * k / 4)) for k in range(1, 4)]
    assert len(pts) == N_KEYPOINTS
    return np.array(pts, np.float64)


FACE_UNIT = _face_unit()


def face_template(
    center_xy: tuple[float, float], eye_distance_px: float, roll_deg: float = 0.0
) -> npt.NDArray[np.float32]:
    """The synthetic face in frame pixels; ``roll_deg`` > 0 turns it clockwise on screen (right eye lower)."""
    t = math.radians(roll_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return (FACE_UNIT @ rot.T * eye_distance_px + np.asarray(center_xy)).astype(np.float32)


# From ../shared/data/faces68/README.md ("Mirroring ... must also swap 17↔26, 36↔45, 48↔54").
README_FLIP_PAIRS = [(36, 45), (39, 42), (48, 54), (17, 26), (0, 16), (21, 22), (31, 35)]
README_FIXED = [8, 27, 28, 29, 30, 33, 51, 57, 62, 66]

# The README's Kaggle-15 table, typed in by hand.
README_KAGGLE15 = {
    "left_eye_center": range(42, 48),
    "right_eye_center": range(36, 42),
    "left_eye_inner_corner": [42],
    "left_eye_outer_corner": [45],
    "right_eye_inner_corner": [39],
    "right_eye_outer_corner": [36],
    "left_eyebrow_inner_end": [22],
    "left_eyebrow_outer_end": [26],
    "right_eyebrow_inner_end": [21],
    "right_eyebrow_outer_end": [17],
    "nose_tip": [30],
    "mouth_left_corner": [54],
    "mouth_right_corner": [48],
    "mouth_center_top_lip": [51],
    "mouth_center_bottom_lip": [57],
}


# --- flip table ----------------------------------------------------------------------------------


def test_flip_permutation_is_an_involution_on_68_points() -> None:
    perm = np.array(FLIP_PERMUTATION_68)
    assert sorted(perm.tolist()) == list(range(N_KEYPOINTS))
    np.testing.assert_array_equal(perm[perm], np.arange(N_KEYPOINTS))


@pytest.mark.parametrize(("a", "b"), README_FLIP_PAIRS)
def test_flip_permutation_swaps_readme_pairs(a: int, b: int) -> None:
    assert FLIP_PERMUTATION_68[a] == b
    assert FLIP_PERMUTATION_68[b] == a


@pytest.mark.parametrize("i", README_FIXED)
def test_flip_permutation_keeps_midline_points(i: int) -> None:
    assert FLIP_PERMUTATION_68[i] == i


def test_mirrored_symmetric_face_is_the_same_face() -> None:
    """A symmetric face, mirrored and relabelled, gives back every one of its 68 points."""
    width = 401
    xy = face_template((200.0, 150.0), 100.0)
    np.testing.assert_allclose(flip_points_horizontal(xy, width), xy, atol=1e-3)


def test_flip_points_twice_is_identity_and_36_stays_image_left() -> None:
    width = 320
    xy = face_template((140.0, 120.0), 80.0, roll_deg=12.0)
    once = flip_points_horizontal(xy, width)
    np.testing.assert_allclose(flip_points_horizontal(once, width), xy, atol=1e-4)
    # The old image-right outer corner (45) is mirrored to the image left and is called 36 there.
    np.testing.assert_allclose(once[36], [width - 1 - xy[45, 0], xy[45, 1]], atol=1e-4)
    np.testing.assert_allclose(once[45], [width - 1 - xy[36, 0], xy[36, 1]], atol=1e-4)
    assert once[36, 0] < once[45, 0]
    # The roll changes sign under a mirror.
    assert Keypoints(once).roll_deg == pytest.approx(-Keypoints(xy).roll_deg, abs=1e-3)


def test_flip_points_accepts_batches_and_leaves_input_alone() -> None:
    xy = np.stack([face_template((100.0, 100.0), 60.0), face_template((150.0, 90.0), 40.0, 20.0)])
    before = xy.copy()
    out = flip_points_horizontal(xy, 300)
    assert out.shape == (2, N_KEYPOINTS, 2)
    np.testing.assert_array_equal(xy, before)
    np.testing.assert_allclose(out[1], flip_points_horizontal(xy[1], 300))


@pytest.mark.parametrize("width", [400, 401])
def test_flipped_points_land_on_the_flipped_dots(width: int) -> None:
    """Draw one distinctly coloured pixel per point, mirror the image with cv2.flip, find each point's dot."""
    xy = np.round(face_template((170.3, 160.0), 100.0, roll_deg=-9.0))
    image = np.zeros((330, width, 3), np.uint8)
    codes = np.stack([np.arange(N_KEYPOINTS) + 10, 250 - np.arange(N_KEYPOINTS), np.full(68, 200)], 1)
    for (x, y), code in zip(xy.astype(int), codes, strict=True):
        image[y, x] = code
    assert len({tuple(image[y, x]) for x, y in xy.astype(int)}) == N_KEYPOINTS  # no two dots collide

    mirrored = cv2.flip(image, 1)
    flipped = flip_points_horizontal(xy, width)
    for i, (x, y) in enumerate(np.round(flipped).astype(int)):
        source = FLIP_PERMUTATION_68[i]
        assert tuple(mirrored[y, x]) == tuple(codes[source]), f"point {i} is not on the dot of {source}"
    # Spelled out for the eye corners: the dot drawn for 45 (image right) is now point 36, on the left.
    x36, y36 = np.round(flipped[36]).astype(int)
    assert tuple(mirrored[y36, x36]) == tuple(codes[45])
    assert x36 < width / 2


# --- Kaggle-15 view --------------------------------------------------------------------------------


def test_kaggle15_names_follow_the_readme_table_in_kaggle_order() -> None:
    assert KAGGLE15_NAMES == tuple(README_KAGGLE15)


def test_to_kaggle15_means_the_readme_indices() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 200, (N_KEYPOINTS, 2)).astype(np.float32)
    k15 = to_kaggle15(xy)
    assert k15.shape == (15, 2)
    for row, indices in enumerate(README_KAGGLE15.values()):
        np.testing.assert_allclose(k15[row], xy[list(indices)].mean(axis=0), rtol=1e-5, atol=1e-4)


def test_to_kaggle15_subject_left_eye_is_on_the_image_right() -> None:
    xy = face_template((100.0, 100.0), 50.0)
    xy[42:48] += [3.0, 0.0]  # move only the image-right eye
    k15 = to_kaggle15(xy)
    # Eye centres are means of 6 points; the image-right eye's centre moved with it.
    assert k15[0, 0] == pytest.approx(100.0 + 0.35 * 50.0 + 3.0, abs=1e-4)
    assert k15[0, 1] == pytest.approx(100.0, abs=1e-4)
    assert k15[1, 0] == pytest.approx(100.0 - 0.35 * 50.0, abs=1e-4)
    assert k15[0, 0] > k15[1, 0]  # subject's left eye is the one on the image right
    assert (
        k15[KAGGLE15_NAMES.index("mouth_left_corner"), 0] > k15[KAGGLE15_NAMES.index("mouth_right_corner"), 0]
    )


def test_to_kaggle15_works_on_batches() -> None:
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 96, (3, 2, N_KEYPOINTS, 2))
    out = to_kaggle15(xy)
    assert out.shape == (3, 2, 15, 2)
    np.testing.assert_allclose(out[2, 1], to_kaggle15(xy[2, 1]), atol=1e-4)


def test_kaggle15_flip_permutation_agrees_with_the_68_point_one() -> None:
    width = 250
    xy = face_template((120.0, 110.0), 70.0, roll_deg=7.0)
    via68 = to_kaggle15(flip_points_horizontal(xy, width))
    k15 = to_kaggle15(xy)
    k15[:, 0] = width - 1 - k15[:, 0]
    np.testing.assert_allclose(k15[list(KAGGLE15_FLIP_PERMUTATION)], via68, atol=1e-3)


# --- crop regions and the crop function -----------------------------------------------------------


def _blob_image(
    shape: tuple[int, int], center_xy: tuple[float, float], sigma: float
) -> npt.NDArray[np.uint8]:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    g = np.exp(-((x - center_xy[0]) ** 2 + (y - center_xy[1]) ** 2) / (2 * sigma**2))
    return np.round(255 * g).astype(np.uint8)


def _centroid(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    w = crop.astype(np.float64)
    w[w < 3] = 0.0
    y, x = np.mgrid[0 : crop.shape[0], 0 : crop.shape[1]]
    return np.array([(w * x).sum() / w.sum(), (w * y).sum() / w.sum()])


REGIONS = [
    pytest.param(CropRegion(200.0, 150.0, 120.0), id="upright"),
    pytest.param(CropRegion(210.5, 140.25, 150.0, 30.0), id="rotated-30"),
    pytest.param(CropRegion(190.0, 170.0, 90.0, -72.5), id="rotated-minus-72"),
    pytest.param(CropRegion(240.0, 180.0, 96.0, 180.0), id="upside-down-1to1"),
]


@pytest.mark.parametrize("region", REGIONS)
def test_crop_then_uncrop_is_identity(region: CropRegion) -> None:
    rng = np.random.default_rng(5)
    pts = rng.uniform(50, 300, (68, 2))
    _, affine = crop_face(np.zeros((360, 480), np.uint8), region)
    back = apply_affine(apply_affine(pts, affine), invert_affine(affine))
    np.testing.assert_allclose(back, pts, atol=1e-3)
    half = (MODEL_INPUT_SIZE - 1) / 2
    np.testing.assert_allclose(
        apply_affine([region.center_x_px, region.center_y_px], affine), [half, half], atol=1e-4
    )
    # The region's side spans the crop's side.
    a = np.asarray(affine)
    assert np.sqrt(abs(np.linalg.det(a[:, :2]))) == pytest.approx(MODEL_INPUT_SIZE / region.size_px)


@pytest.mark.parametrize("region", REGIONS)
def test_bright_dot_appears_at_the_predicted_crop_pixel(region: CropRegion) -> None:
    dot = (region.center_x_px + 17.3, region.center_y_px - 24.6)
    image = _blob_image((360, 480), dot, sigma=2.5)
    crop, affine = crop_face(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), region)
    assert crop.shape == (MODEL_INPUT_SIZE, MODEL_INPUT_SIZE) and crop.dtype == np.uint8
    expected = apply_affine(dot, affine)
    np.testing.assert_allclose(_centroid(crop), expected, atol=0.1)
    peak_y, peak_x = np.unravel_index(np.argmax(crop), crop.shape)
    assert abs(peak_x - expected[0]) <= 1 and abs(peak_y - expected[1]) <= 1


@pytest.mark.parametrize("angle", [0.0, 25.0])
def test_large_region_is_shrunk_in_two_steps_without_moving_the_dot(angle: float) -> None:
    """A region 8× the crop goes through the area-averaging pre-shrink; the dot must still line up."""
    region = CropRegion(451.0, 433.5, 770.0, angle)
    dot = (region.center_x_px - 160.0, region.center_y_px + 95.0)
    crop, affine = crop_face(_blob_image((900, 960), dot, sigma=16.0), region)
    np.testing.assert_allclose(_centroid(crop), apply_affine(dot, affine), atol=0.15)


def test_region_from_keypoints_upright_follows_the_crop_rule() -> None:
    xy = face_template((150.0, 130.0), 60.0)
    region = region_from_keypoints(xy)
    x0, y0 = xy.min(0)
    x1, y1 = xy.max(0)
    assert region.angle_deg == 0.0
    assert region.center_x_px == pytest.approx((x0 + x1) / 2, abs=1e-3)
    assert region.center_y_px == pytest.approx((y0 + y1) / 2, abs=1e-3)
    assert region.size_px == pytest.approx(REGION_SCALE * max(x1 - x0, y1 - y0), rel=1e-5)


@pytest.mark.parametrize("roll", [-35.0, -8.0, 0.0, 20.0, 44.0])
def test_rotated_region_angle_is_the_eye_line_angle_and_makes_the_face_upright(roll: float) -> None:
    xy = face_template((160.0, 150.0), 70.0, roll_deg=roll)
    region = region_from_keypoints(xy, rotate=True)
    assert region.angle_deg == pytest.approx(roll, abs=1e-3)
    assert region.angle_deg == pytest.approx(Keypoints(xy).roll_deg, abs=1e-3)
    # Same size and centre as the unrolled face's region (rotated back about the eye midpoint).
    upright = region_from_keypoints(face_template((160.0, 150.0), 70.0))
    assert region.size_px == pytest.approx(upright.size_px, rel=1e-4)
    crop_xy = apply_affine(xy, crop_face(np.zeros((300, 320), np.uint8), region)[1])
    assert crop_xy[36, 1] == pytest.approx(crop_xy[45, 1], abs=1e-3)  # eye line level in the crop
    assert crop_xy[36, 0] < crop_xy[45, 0]  # and not upside down
    assert crop_xy[8, 1] > crop_xy[27, 1]  # chin below the nose bridge


# --- NME ----------------------------------------------------------------------------------------------


def test_nme_constant_offset() -> None:
    truth = face_template((100.0, 100.0), 50.0)
    pred = truth + np.array([3.0, 4.0], np.float32)  # 5 px everywhere
    assert outer_eye_distance_px(truth) == pytest.approx(50.0, rel=1e-5)
    assert nme_percent(pred, truth, outer_eye_distance_px(truth)) == pytest.approx(10.0, rel=1e-5)


def test_nme_hand_computed_mixed_errors_and_batch() -> None:
    truth = np.zeros((2, 4, 2))
    pred = np.zeros((2, 4, 2))
    pred[0, 0] = [6.0, 8.0]  # face 0: errors 10, 0, 0, 0 -> mean 2.5; / 25 -> 10 %
    pred[1, :2] = [[0.0, 2.0], [2.0, 0.0]]  # face 1: errors 2, 2, 0, 0 -> mean 1; / 40 -> 2.5 %
    out = nme_percent(pred, truth, np.array([25.0, 40.0]))
    assert out.shape == (2,)
    np.testing.assert_allclose(out, [10.0, 2.5])
    assert nme_percent(truth, truth, np.array([25.0, 40.0])).tolist() == [0.0, 0.0]


def test_nme_on_the_kaggle15_view() -> None:
    truth = face_template((80.0, 90.0), 40.0)
    pred = truth.copy()
    pred[30] += [0.0, 6.0]  # only the nose tip moves; 6 px / 15 points / 40 px
    nme = nme_percent(to_kaggle15(pred), to_kaggle15(truth), outer_eye_distance_px(truth))
    assert nme == pytest.approx(6.0 / 15 / 40 * 100, rel=1e-4)
