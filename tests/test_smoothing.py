from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from snowcam.smoothing import OneEuroFilter

TWO_PI = 2.0 * math.pi


def alpha(cutoff_hz: float, dt_s: float) -> float:
    """Casiez et al.: alpha = 1 / (1 + tau/dt) with tau = 1/(2π·fc), i.e. r/(1+r), r = 2π·fc·dt."""
    return 1.0 / (1.0 + (1.0 / (TWO_PI * cutoff_hz)) / dt_s)


def test_alpha_formula_itself() -> None:
    # 2π·1 Hz·0.1 s = 0.6283185; 0.6283185 / 1.6283185 = 0.3858695
    assert alpha(1.0, 0.1) == pytest.approx(0.3858695, abs=1e-7)


def test_first_sample_is_returned_unchanged() -> None:
    f = OneEuroFilter()
    np.testing.assert_array_equal(f.filter(np.array([3.0, -2.0]), 5.0), [3.0, -2.0])


def test_hand_computed_steps_without_beta() -> None:
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0, d_cutoff_hz=1.0)
    a = alpha(1.0, 0.1)
    assert f.filter(np.array(0.0), 0.0) == 0.0
    y1 = 0.0 + a * (1.0 - 0.0)
    assert f.filter(np.array(1.0), 0.1) == pytest.approx(y1, abs=1e-12)
    assert y1 == pytest.approx(0.3858695, abs=1e-7)
    y2 = y1 + a * (1.0 - y1)
    assert f.filter(np.array(1.0), 0.2) == pytest.approx(y2, abs=1e-12)
    assert y2 == pytest.approx(0.6228438, abs=1e-7)


def test_hand_computed_steps_with_beta_and_scale() -> None:
    min_cutoff, beta, d_cutoff, dt, scale = 1.0, 0.5, 1.0, 0.1, 2.0
    f = OneEuroFilter(min_cutoff_hz=min_cutoff, beta=beta, d_cutoff_hz=d_cutoff)
    ad = alpha(d_cutoff, dt)

    assert f.filter(np.array([0.0]), 0.0, scale=scale)[0] == 0.0
    # step 1: raw speed 10/s, smoothed speed ad·10, cutoff 1 + 0.5·(ad·10)/2
    dx1 = 0.0 + ad * ((1.0 - 0.0) / dt - 0.0)
    fc1 = min_cutoff + beta * abs(dx1) / scale
    y1 = 0.0 + alpha(fc1, dt) * (1.0 - 0.0)
    assert dx1 == pytest.approx(3.858695, abs=1e-6)
    assert fc1 == pytest.approx(1.9646737, abs=1e-6)
    assert f.filter(np.array([1.0]), 0.1, scale=scale)[0] == pytest.approx(y1, abs=1e-12)
    # step 2: the speed is measured against the previous *filtered* value
    dx2 = dx1 + ad * ((1.0 - y1) / dt - dx1)
    fc2 = min_cutoff + beta * abs(dx2) / scale
    y2 = y1 + alpha(fc2, dt) * (1.0 - y1)
    assert f.filter(np.array([1.0]), 0.2, scale=scale)[0] == pytest.approx(y2, abs=1e-12)
    assert 0.0 < y1 < y2 < 1.0


def test_scale_makes_the_filter_size_invariant() -> None:
    rng = np.random.default_rng(3)
    xs = np.cumsum(rng.normal(0, 1, (30, 68, 2)), axis=0)
    small, big = OneEuroFilter(), OneEuroFilter()
    for i, x in enumerate(xs):
        out_small = small.filter(x, i / 30, scale=40.0)
        out_big = big.filter(5.0 * x, i / 30, scale=200.0)
        np.testing.assert_allclose(out_big, 5.0 * out_small, rtol=1e-9, atol=1e-9)


def test_larger_scale_means_slower_speeds_and_more_smoothing() -> None:
    lag = {}
    for scale in (1.0, 100.0):
        f = OneEuroFilter(min_cutoff_hz=1.0, beta=1.0)
        for i in range(40):
            out = f.filter(np.array(100.0 * i / 30), i / 30, scale=scale)
        lag[scale] = 100.0 * 39 / 30 - float(out)
    assert lag[100.0] > 5 * lag[1.0]


def test_every_element_is_filtered_on_its_own() -> None:
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 5, (20, 68, 2))
    whole = OneEuroFilter(min_cutoff_hz=1.0, beta=0.3)
    single = OneEuroFilter(min_cutoff_hz=1.0, beta=0.3)
    for i, x in enumerate(xs):
        out = whole.filter(x, i / 30)
        one = single.filter(x[17, 1], i / 30)
    assert out.shape == (68, 2)
    assert float(out[17, 1]) == pytest.approx(float(one), abs=1e-12)


def test_constant_input_stays_constant() -> None:
    f = OneEuroFilter()
    x = np.full((68, 2), 123.25)
    for i in range(50):
        np.testing.assert_array_equal(f.filter(x, i / 30), x)


def test_step_converges_without_overshoot() -> None:
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    f.filter(np.array(0.0), 0.0)
    outs = [float(f.filter(np.array(10.0), i / 30)) for i in range(1, 91)]
    assert all(a <= b <= 10.0 for a, b in itertools.pairwise(outs))
    assert outs[0] < 2.0
    assert outs[-1] == pytest.approx(10.0, abs=0.01)


def steady_ramp_lag(v: float, dt: float, min_cutoff: float, beta: float) -> float:
    """The lag L at which the filter settles on a ramp of speed v (units/s).

    The speed is measured against the previous *filtered* value, so it settles at v + L/dt, the
    cutoff at fc = min_cutoff + beta·(v + L/dt), and each step keeps the lag when
    L = v·dt·(1 - alpha)/alpha = v / (2π·fc). That is the quadratic
    (2π·beta/dt)·L² + 2π·(min_cutoff + beta·v)·L - v = 0.
    """
    a = TWO_PI * beta / dt
    b = TWO_PI * (min_cutoff + beta * v)
    if a == 0:
        return v / b
    return (-b + math.sqrt(b * b + 4 * a * v)) / (2 * a)


@pytest.mark.parametrize(("beta", "expected_lag"), [(0.0, 15.915494), (1.0, 0.150822)])
def test_ramp_lag_matches_theory(beta: float, expected_lag: float) -> None:
    v, dt = 100.0, 1.0 / 30.0
    assert steady_ramp_lag(v, dt, 1.0, beta) == pytest.approx(expected_lag, abs=1e-6)
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=beta, d_cutoff_hz=1.0)
    for i in range(600):
        out = float(f.filter(np.array(v * i * dt), i * dt))
    assert v * 599 * dt - out == pytest.approx(expected_lag, rel=1e-4)


def test_ramp_is_followed_with_small_lag_when_beta_is_large() -> None:
    v, dt = 200.0, 1.0 / 30.0
    lags = {}
    for beta in (0.0, 10.0):
        f = OneEuroFilter(min_cutoff_hz=1.0, beta=beta)
        for i in range(30):
            out = float(f.filter(np.array(v * i * dt), i * dt, scale=80.0))
        lags[beta] = v * 29 * dt - out
    assert lags[10.0] < 2.0 < 20.0 < lags[0.0]


def three_steps(times: tuple[float, float, float]) -> float:
    f = OneEuroFilter(beta=0.5)
    f.filter(np.array(0.0), times[0])
    f.filter(np.array(1.0), times[1])
    return float(f.filter(np.array(3.0), times[2]))


@pytest.mark.parametrize("t2", [0.1, 0.05, -7.0])
def test_non_increasing_timestamp_reuses_the_last_time_step(t2: float) -> None:
    out = three_steps((0.0, 0.1, t2))
    assert math.isfinite(out)
    assert out == pytest.approx(three_steps((0.0, 0.1, 0.2)), abs=1e-12)


def test_non_increasing_time_before_any_step_uses_one_thirtieth_of_a_second() -> None:
    a, b = OneEuroFilter(), OneEuroFilter()
    a.filter(np.array(0.0), 1.0)
    b.filter(np.array(0.0), 1.0)
    out_a = a.filter(np.array(4.0), 0.5)
    out_b = b.filter(np.array(4.0), 1.0 + 1.0 / 30.0)
    assert np.isfinite(out_a) and float(out_a) == pytest.approx(float(out_b), abs=1e-12)
    assert 0.0 < float(out_a) < 4.0


def test_reset_forgets_the_past() -> None:
    f = OneEuroFilter()
    f.filter(np.zeros(3), 0.0)
    f.filter(np.ones(3), 0.1)
    f.reset()
    np.testing.assert_array_equal(f.filter(np.full(3, 7.0), 0.2), np.full(3, 7.0))


def test_dtype_and_no_aliasing() -> None:
    f = OneEuroFilter()
    first = f.filter(np.ones((68, 2), np.float32), 0.0)
    assert first.dtype == np.float32
    first[:] = 1000.0
    second = f.filter(np.ones((68, 2), np.float32), 0.1)
    np.testing.assert_array_equal(second, 1.0)
    assert OneEuroFilter().filter(np.array([1, 2]), 0.0).dtype == np.float64


def test_invalid_use_raises() -> None:
    with pytest.raises(ValueError, match="min_cutoff_hz"):
        OneEuroFilter(min_cutoff_hz=0.0)
    with pytest.raises(ValueError, match="beta"):
        OneEuroFilter(beta=-1.0)
    f = OneEuroFilter()
    with pytest.raises(ValueError, match="scale"):
        f.filter(np.zeros(2), 0.0, scale=0.0)
    f.filter(np.zeros((68, 2)), 0.0)
    with pytest.raises(ValueError, match="reset"):
        f.filter(np.zeros((5, 2)), 0.1)


def test_defaults_are_steady_when_still_and_quick_on_the_demo_motion() -> None:
    """Demo-clip motion (exact) plus keypoint noise of 1.5 % of the eye distance, at 30 fps."""
    meta = json.loads((Path(__file__).resolve().parents[1] / "assets" / "demo.json").read_text("utf-8"))
    affines = np.array([f["affine_from_frame0"] for f in meta["frames"]])
    scales = np.array([f["scale"] for f in meta["frames"]])
    eyes0 = np.array(meta["outer_eye_corners_frame0_xy"])
    eye_px = scales * float(np.linalg.norm(eyes0[1] - eyes0[0]))
    x, y, w, h = meta["face_box_frame0_xywh"]
    rng = np.random.default_rng(0)
    points0 = np.c_[rng.uniform(x, x + w, 68), rng.uniform(y, y + h, 68)]
    truth = np.einsum("tij,nj->tni", affines[:, :, :2], points0) + affines[:, None, :, 2]
    noisy = truth + rng.normal(0.0, 1.0, truth.shape) * (0.015 * eye_px)[:, None, None]

    f = OneEuroFilter()
    out = np.array(
        [f.filter(z, i / meta["fps"], scale=s) for i, (z, s) in enumerate(zip(noisy, eye_px, strict=True))]
    )

    def rms_step(a: np.ndarray) -> float:
        return float(np.sqrt((np.linalg.norm(np.diff(a[10:46], axis=0), axis=2) ** 2).mean()))

    assert rms_step(out) < rms_step(noisy) / 4, "jitter when still"
    error = np.linalg.norm(out - truth, axis=2).mean(axis=1)
    quick = next(s for s in meta["segments"] if s["name"].startswith("QUICK"))
    assert error[quick["start_frame"] + 1 : quick["end_frame"] + 1].max() < 10.0, "lag during the quick move"
    assert error[quick["end_frame"] + 1] < 2.5, "caught up one frame after the quick move"
    raw_error = np.linalg.norm(noisy - truth, axis=2).mean()
    assert error.mean() < raw_error, "better than no filter over the whole clip"
