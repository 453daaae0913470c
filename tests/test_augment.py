"""Seeded training augmentation: image and points move together, and a mirror relabels left/right."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
import pytest
from test_types_geometry import face_template

from snowcam.geometry import MODEL_INPUT_SIZE, apply_affine, crop_affine, region_from_keypoints
from snowcam.training.augment import AugmentConfig, augmentation_affine, make_sample, photometric
from snowcam.types import FLIP_PERMUTATION_68, KAGGLE15_FLIP_PERMUTATION, CropRegion, to_kaggle15
from tests.helpers import template_points

SIDE = 220
POINTS = face_template((110.0, 100.0), 70.0)
REGION = region_from_keypoints(POINTS)
LAST = MODEL_INPUT_SIZE - 1

GEOMETRY_ONLY = dataclasses.replace(
    AugmentConfig(),
    brightness=0.0,
    contrast=(1.0, 1.0),
    gamma=(1.0, 1.0),
    p_blur=0.0,
    p_noise=0.0,
    p_occlusion=0.0,
)


def _textured(seed: int = 0) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (SIDE, SIDE), dtype=np.uint8)


def _blob(center_xy: npt.ArrayLike, sigma: float = 2.5) -> npt.NDArray[np.uint8]:
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    cx, cy = np.asarray(center_xy, np.float64)
    return np.round(255 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma**2))).astype(np.uint8)


def _centroid(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    w = crop.astype(np.float64)
    w[w < 3] = 0.0
    y, x = np.mgrid[0 : crop.shape[0], 0 : crop.shape[1]]
    return np.array([(w * x).sum() / w.sum(), (w * y).sum() / w.sum()])


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    image = _textured()
    a = make_sample(image, POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(11), AugmentConfig())
    b = make_sample(image, POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(11), AugmentConfig())
    c = make_sample(image, POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(12), AugmentConfig())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert a[0].shape == (MODEL_INPUT_SIZE, MODEL_INPUT_SIZE) and a[0].dtype == np.uint8
    assert a[1].shape == (68, 2) and a[1].dtype == np.float32


def test_no_augmentation_is_the_plain_crop() -> None:
    affine, flip = augmentation_affine(np.random.default_rng(0), AugmentConfig.none())
    np.testing.assert_allclose(affine, [[1, 0, 0], [0, 1, 0]], atol=1e-12)
    assert flip is False
    crop = _textured()[:96, :96]
    np.testing.assert_array_equal(photometric(crop, np.random.default_rng(0), AugmentConfig.none()), crop)


def test_mirror_is_an_exact_mirror_of_the_plain_crop_with_relabelled_points() -> None:
    image = _textured(1)
    plain, plain_pts = make_sample(
        image, POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(0), AugmentConfig.none()
    )
    mirror_cfg = dataclasses.replace(AugmentConfig.none(), p_flip=1.0)
    mirrored, mirrored_pts = make_sample(
        image, POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(0), mirror_cfg
    )
    assert np.abs(mirrored.astype(int) - plain[:, ::-1].astype(int)).max() <= 1
    expected = plain_pts[list(FLIP_PERMUTATION_68)]
    expected[:, 0] = LAST - expected[:, 0]
    np.testing.assert_allclose(mirrored_pts, expected, atol=1e-3)
    # Index 36 is again the image-left outer eye corner: it is where the old 45 went.
    np.testing.assert_allclose(mirrored_pts[36], [LAST - plain_pts[45, 0], plain_pts[45, 1]], atol=1e-3)
    assert mirrored_pts[36, 0] < mirrored_pts[45, 0]


@pytest.mark.parametrize("seed", range(6))
def test_flip_relabels_what_the_image_shows(seed: int) -> None:
    """A dot on the source's image-left outer eye corner (36) ends up on point 45 after a mirror.

    After the mirror that dot is on the image right; point 36 must be the corner that is now on the
    image left, i.e. the source's 45. Rotation, scale, aspect and shift are on.
    """
    cfg = dataclasses.replace(GEOMETRY_ONLY, p_flip=1.0)
    crop36, pts = make_sample(
        _blob(POINTS[36]), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(seed), cfg
    )
    crop45, pts_again = make_sample(
        _blob(POINTS[45]), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(seed), cfg
    )
    np.testing.assert_array_equal(pts, pts_again)
    np.testing.assert_allclose(_centroid(crop36), pts[45], atol=0.2)
    np.testing.assert_allclose(_centroid(crop45), pts[36], atol=0.2)
    assert pts[36, 0] < pts[45, 0]
    assert pts[17, 0] < pts[26, 0] and pts[48, 0] < pts[54, 0] and pts[0, 0] < pts[16, 0]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("p_flip", [0.0, 1.0])
def test_points_follow_the_image_under_every_geometric_change(seed: int, p_flip: float) -> None:
    cfg = dataclasses.replace(GEOMETRY_ONLY, p_flip=p_flip, p_rotate=1.0)
    checked = 0
    for source in (0, 8, 16, 30, 36, 39, 45, 48, 54, 62):
        crop, pts = make_sample(
            _blob(POINTS[source]), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(seed), cfg
        )
        label = FLIP_PERMUTATION_68[source] if p_flip else source
        if not (8 < pts[label]).all() or not (pts[label] < LAST - 8).all():
            continue  # the dot is cut by the crop border, its centroid would be biased
        checked += 1
        np.testing.assert_allclose(_centroid(crop), pts[label], atol=0.2, err_msg=f"point {source}")
    assert checked >= 6


def test_geometry_changes_really_happen() -> None:
    """The default config moves points by several pixels (so the tests above test something)."""
    _, plain = make_sample(
        _textured(), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(0), AugmentConfig.none()
    )
    moved = [
        np.abs(
            make_sample(
                _textured(), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(s), GEOMETRY_ONLY
            )[1]
            - plain
        ).max()
        for s in range(10)
    ]
    assert min(moved) > 1.0
    flips = [augmentation_affine(np.random.default_rng(s), AugmentConfig())[1] for s in range(200)]
    assert 0.35 < np.mean(flips) < 0.65


@pytest.mark.parametrize("seed", range(5))
def test_geometric_change_is_a_similarity_when_aspect_is_fixed(seed: int) -> None:
    """Rotation and scale only (no shear): A·Aᵀ = s²·I, and the mirror flips the determinant's sign."""
    cfg = dataclasses.replace(AugmentConfig(), aspect_sigma=0.0, p_rotate=1.0)
    affine, flip = augmentation_affine(np.random.default_rng(seed), cfg)
    lin = affine[:, :2]
    scale2 = abs(np.linalg.det(lin))
    np.testing.assert_allclose(lin @ lin.T, scale2 * np.eye(2), atol=1e-9)
    assert (np.linalg.det(lin) < 0) == flip
    assert 0.5 < np.sqrt(scale2) < 2.0


def test_missing_points_stay_missing_and_move_with_their_label() -> None:
    pts = POINTS.copy()
    pts[36] = np.nan
    cfg = dataclasses.replace(AugmentConfig.none(), p_flip=1.0)
    _, out = make_sample(_textured(), pts, REGION, FLIP_PERMUTATION_68, np.random.default_rng(0), cfg)
    assert np.isnan(out[45]).all()
    assert np.isnan(out).sum() == 2


def test_kaggle15_flip_keeps_subject_sides() -> None:
    """On 15 subject-sided points a mirror must leave the subject's left eye on the image right."""
    k15 = to_kaggle15(POINTS)
    cfg = dataclasses.replace(GEOMETRY_ONLY, p_flip=1.0)
    for seed in range(5):
        _, out = make_sample(
            _textured(), k15, REGION, KAGGLE15_FLIP_PERMUTATION, np.random.default_rng(seed), cfg
        )
        _, out68 = make_sample(
            _textured(), POINTS, REGION, FLIP_PERMUTATION_68, np.random.default_rng(seed), cfg
        )
        assert out[0, 0] > out[1, 0]  # left_eye_center right of right_eye_center
        np.testing.assert_allclose(out, to_kaggle15(out68), atol=1e-3)


def test_photometric_is_seeded_and_keeps_shape() -> None:
    crop = _textured()[:96, :96]
    cfg = AugmentConfig()
    a = photometric(crop, np.random.default_rng(5), cfg)
    b = photometric(crop, np.random.default_rng(5), cfg)
    np.testing.assert_array_equal(a, b)
    assert a.shape == crop.shape and a.dtype == np.uint8
    assert any(not np.array_equal(photometric(crop, np.random.default_rng(s), cfg), crop) for s in range(5))


@pytest.mark.parametrize("shift_px", [0.0, 1.05])
def test_mirrored_copies_keep_the_annotators_habit(shift_px: float) -> None:
    """A mirror-symmetric face labelled ``shift_px`` right of its true points: the mirrored copy is
    the same picture, so with the habit kept its labels are the plain copy's labels exactly."""
    perm = FLIP_PERMUTATION_68
    truth = template_points((99.5, 90.0), 60.0)  # mirror-symmetric about x = 99.5
    labels = (truth + np.array([shift_px, 0.0])).astype(np.float32)
    image = np.full((200, 200), 128, np.uint8)
    region = CropRegion(99.5, 99.5, 150.0)
    cfg = dataclasses.replace(AugmentConfig.none(), mirror_label_shift_px=shift_px)
    _, plain = make_sample(image, labels, region, perm, np.random.default_rng(0), cfg)
    _, mirrored = make_sample(
        image, labels, region, perm, np.random.default_rng(0), dataclasses.replace(cfg, p_flip=1.0)
    )
    np.testing.assert_allclose(mirrored, plain, atol=1e-3)
    # Without keeping the habit the mirror moves every label 2 × shift (in crop px) to the left.
    plain_mirror = dataclasses.replace(AugmentConfig.none(), p_flip=1.0)
    _, reversed_habit = make_sample(image, labels, region, perm, np.random.default_rng(0), plain_mirror)
    np.testing.assert_allclose(reversed_habit[:, 0] - plain[:, 0], -2 * shift_px * 96 / 150, atol=1e-3)


@pytest.mark.parametrize("seed", range(4))
def test_the_habit_is_kept_under_rotation_scale_and_shift(seed: int) -> None:
    """On a mirror-symmetric face the mirrored image is the image itself, so what an annotator
    would label on it is the labels themselves, mirrored about the face's axis: a flipped sample
    must carry exactly those labels through its warp, whatever the rotation, scale and shift."""
    perm = FLIP_PERMUTATION_68
    truth = template_points((99.5, 90.0), 60.0)  # mirror-symmetric about x = 99.5
    labels = (truth + np.array([1.05, 0.0])).astype(np.float32)
    region = CropRegion(99.5, 99.5, 150.0)
    cfg = dataclasses.replace(GEOMETRY_ONLY, p_flip=1.0, p_rotate=1.0, mirror_label_shift_px=1.05)
    _, flipped = make_sample(
        np.full((200, 200), 128, np.uint8), labels, region, perm, np.random.default_rng(seed), cfg
    )
    aug, flip = augmentation_affine(np.random.default_rng(seed), cfg)
    assert flip
    warp = (np.vstack([aug, [0, 0, 1]]) @ np.vstack([crop_affine(region, 96), [0, 0, 1]]))[:2]
    # The sample is the mirrored image (the image itself) seen through the warp without its mirror,
    # warp ∘ mirror, and the annotator's labels on it are the labels themselves.
    mirrored_labels = labels.astype(np.float64)
    mirrored_labels[:, 0] = 199.0 - mirrored_labels[:, 0]
    np.testing.assert_allclose(flipped, apply_affine(mirrored_labels, warp), atol=1e-3)
    # Ignoring the turn (moving every label along x only) would be off by up to 0.7 px.
    assert np.abs(aug[1, 0]) > 0.05
