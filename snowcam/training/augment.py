"""Training samples: crop with jitter and augment, seeded. numpy + OpenCV only (no TensorFlow).

A sample starts from a *base region* (what the app would crop: the detector's box through its
calibration, or the region of the face's own keypoints as the tracker uses), which is then
jittered and augmented in crop space. Image and points go through one affine warp, so they can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.geometry import MODEL_INPUT_SIZE, apply_affine, crop_affine, warp_to_crop
from snowcam.types import CropRegion


@dataclass(frozen=True, slots=True)
class AugmentConfig:
    """Ranges of the random changes; all angles in degrees, shifts and sizes as crop fractions."""

    rotation_deg: float = 30.0
    p_rotate: float = 0.5
    shift_fraction: float = 0.07
    scale_sigma: float = 0.09
    aspect_sigma: float = 0.05
    p_flip: float = 0.5
    # Where the annotators put points relative to the mirror-symmetric position, in source pixels
    # along x (see make_sample); mirrored copies keep that habit instead of reversing it.
    mirror_label_shift_px: float = 0.0
    brightness: float = 40.0
    contrast: tuple[float, float] = (0.6, 1.4)
    gamma: tuple[float, float] = (0.7, 1.5)
    p_blur: float = 0.25
    p_noise: float = 0.15
    p_occlusion: float = 0.1

    @classmethod
    def none(cls) -> AugmentConfig:
        """No augmentation: the plain base region."""
        return cls(
            rotation_deg=0.0,
            p_rotate=0.0,
            shift_fraction=0.0,
            scale_sigma=0.0,
            aspect_sigma=0.0,
            p_flip=0.0,
            brightness=0.0,
            contrast=(1.0, 1.0),
            gamma=(1.0, 1.0),
            p_blur=0.0,
            p_noise=0.0,
            p_occlusion=0.0,
        )


def augmentation_affine(
    rng: np.random.Generator, cfg: AugmentConfig, size: int = MODEL_INPUT_SIZE
) -> tuple[npt.NDArray[np.float64], bool]:
    """A random 2×3 affine in crop space (about the crop centre) and whether it mirrors."""
    half = (size - 1) / 2.0
    angle = rng.uniform(-cfg.rotation_deg, cfg.rotation_deg) if rng.random() < cfg.p_rotate else 0.0
    scale = float(np.exp(rng.normal(0.0, cfg.scale_sigma)))
    aspect = float(np.exp(rng.normal(0.0, cfg.aspect_sigma)))
    shift = rng.uniform(-cfg.shift_fraction, cfg.shift_fraction, 2) * size
    flip = bool(rng.random() < cfg.p_flip)
    theta = np.deg2rad(angle)
    rot = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    lin = rot @ np.diag([scale * aspect, scale / aspect])
    if flip:
        lin = np.diag([-1.0, 1.0]) @ lin
    offset = np.array([half, half]) + shift - lin @ np.array([half, half])
    return np.hstack([lin, offset[:, None]]), flip


def make_sample(
    gray: npt.NDArray[np.uint8],
    points: npt.NDArray[np.float32],
    region: CropRegion,
    flip_permutation: tuple[int, ...],
    rng: np.random.Generator,
    cfg: AugmentConfig,
    size: int = MODEL_INPUT_SIZE,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
    """One augmented training crop and its points.

    Args:
        gray: the source image, grey uint8.
        points: ``(K, 2)`` points in source pixels, NaN where missing.
        region: the base crop region in source pixels.
        flip_permutation: index map for mirroring these K points (left/right swap).
        rng: the random generator (seeded by the caller).
        cfg: augmentation ranges.

    Returns:
        The ``size×size`` uint8 crop and the ``(K, 2)`` points in crop pixels (NaN kept).
    """
    aug, flip = augmentation_affine(rng, cfg, size)
    base = np.vstack([crop_affine(region, size), [0.0, 0.0, 1.0]])
    affine = (np.vstack([aug, [0.0, 0.0, 1.0]]) @ base)[:2]
    crop = warp_to_crop(gray, affine, size)
    pts = apply_affine(points, affine)
    if flip:
        pts = pts[list(flip_permutation)]
        # Labels sit `b` source px right of the true point (b = (shift, 0)); the mirror turns that
        # into b left. Had an annotator labelled the mirrored image, the label would again sit b
        # right of the truth: in the crop, that is 2·A·b away from the mirrored label (A = the
        # warp's linear part, mirror included; it points left, so the correction points right).
        shift = 2.0 * (affine[:, :2] @ np.array([cfg.mirror_label_shift_px, 0.0]))
        pts = (pts - shift).astype(np.float32)
    return photometric(crop, rng, cfg), pts


def photometric(
    crop: npt.NDArray[np.uint8], rng: np.random.Generator, cfg: AugmentConfig
) -> npt.NDArray[np.uint8]:
    """Random brightness, contrast, gamma, blur, noise and occlusion on a grey crop."""
    x = crop.astype(np.float32)
    mean = float(x.mean())
    x = (x - mean) * rng.uniform(*cfg.contrast) + mean + rng.uniform(-cfg.brightness, cfg.brightness)
    x = np.clip(x, 0.0, 255.0)
    gamma = rng.uniform(*cfg.gamma)
    if gamma != 1.0:
        x = 255.0 * (x / 255.0) ** gamma
    if rng.random() < cfg.p_blur:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.6))
    if rng.random() < cfg.p_noise:
        x = x + rng.normal(0.0, rng.uniform(2.0, 10.0), x.shape).astype(np.float32)
    if rng.random() < cfg.p_occlusion:
        side = x.shape[0]
        w, h = (rng.uniform(0.15, 0.45, 2) * side).astype(int)
        x0, y0 = rng.integers(0, side - w), rng.integers(0, side - h)
        if rng.random() < 0.5:
            x[y0 : y0 + h, x0 : x0 + w] = rng.uniform(0, 255)
        else:
            x[y0 : y0 + h, x0 : x0 + w] = rng.uniform(0, 255, (h, w))
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)
