"""The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) for arrays of any shape.

A low-pass filter whose cutoff rises with speed: steady when the input is still, with little
lag when it moves fast. Every element of the array (e.g. each coordinate of 68×2 keypoints) is
filtered on its own. Time is passed in (``t_s``, seconds); the filter never reads a clock.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

# Tuned for 68 keypoints at 30 fps with scale = eye distance, on the demo clip's exact motion
# plus noise of 1.5 % of the eye distance (tests/test_smoothing.py): frame-to-frame jitter when
# still drops ~5× (2.6 -> 0.5 px), and during the quick 60 px / 15° head movement the output is
# at most ~8 px behind, and under 2 px one frame after the movement ends.
DEFAULT_MIN_CUTOFF_HZ = 0.5
DEFAULT_BETA = 10.0
DEFAULT_D_CUTOFF_HZ = 1.0
FALLBACK_DT_S = 1.0 / 30.0


def smoothing_factor(cutoff_hz: npt.ArrayLike, dt_s: float) -> npt.NDArray[np.float64]:
    """The exponential smoothing factor ``alpha = r / (r + 1)``, ``r = 2π·cutoff·dt``.

    This is ``1 / (1 + tau / dt)`` with the time constant ``tau = 1 / (2π·cutoff)``.
    """
    r = 2.0 * math.pi * np.asarray(cutoff_hz, np.float64) * dt_s
    return r / (r + 1.0)


class OneEuroFilter:
    """One Euro filter over numpy arrays, given the sample time on every call.

    Args:
        min_cutoff_hz: cutoff frequency when still (Hz). Lower is steadier but lags more.
        beta: how fast the cutoff rises with speed, in Hz per (scale unit per second). With
            ``scale`` = the face's eye distance in pixels, speed is in eye distances per second,
            so the same value suits small and big faces.
        d_cutoff_hz: cutoff of the low-pass on the speed estimate (Hz).
    """

    def __init__(
        self,
        min_cutoff_hz: float = DEFAULT_MIN_CUTOFF_HZ,
        beta: float = DEFAULT_BETA,
        d_cutoff_hz: float = DEFAULT_D_CUTOFF_HZ,
    ) -> None:
        if not (min_cutoff_hz > 0 and d_cutoff_hz > 0 and beta >= 0):
            raise ValueError(
                "need min_cutoff_hz > 0, d_cutoff_hz > 0 and beta >= 0, got "
                f"min_cutoff_hz={min_cutoff_hz}, d_cutoff_hz={d_cutoff_hz}, beta={beta}"
            )
        self.min_cutoff_hz = float(min_cutoff_hz)
        self.beta = float(beta)
        self.d_cutoff_hz = float(d_cutoff_hz)
        self._x: npt.NDArray[np.float64] | None = None
        self._dx: npt.NDArray[np.float64] | None = None
        self._t_s = 0.0
        self._dt_s = FALLBACK_DT_S

    def reset(self) -> None:
        """Forget the past; the next sample is taken as is (e.g. when a new face appears)."""
        self._x = None
        self._dx = None
        self._dt_s = FALLBACK_DT_S

    def filter(self, x: npt.ArrayLike, t_s: float, scale: float = 1.0) -> npt.NDArray[np.floating]:
        """Filter one sample taken at ``t_s`` seconds; returns an array shaped like ``x``.

        The first sample after construction or ``reset`` is returned unchanged. When ``t_s`` does
        not increase (a repeated or out-of-order timestamp), the previous time step is reused
        (1/30 s if there is none), so the output never divides by zero.

        Args:
            x: the sample, any shape, the same on every call (e.g. ``(68, 2)`` pixels).
            t_s: its timestamp in seconds.
            scale: the size that speeds are measured in (e.g. the eye distance in the units of
                ``x``); speed is ``|dx/dt| / scale``. Must be positive.

        Returns:
            The filtered sample, float32 if ``x`` is float32, else float64.

        Raises:
            ValueError: ``scale`` is not positive and finite, or ``x`` changed shape (call
                ``reset`` first).
        """
        sample = np.asarray(x)
        out_dtype = np.float32 if sample.dtype == np.float32 else np.float64
        value = sample.astype(np.float64)
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be positive and finite, got {scale}")
        if self._x is None or self._dx is None:
            self._x = value.copy()
            self._dx = np.zeros_like(value)
            self._t_s = float(t_s)
            return value.astype(out_dtype)
        if value.shape != self._x.shape:
            raise ValueError(
                f"sample shape changed from {self._x.shape} to {value.shape}; call reset() first"
            )
        dt_s = float(t_s) - self._t_s
        if not (math.isfinite(dt_s) and dt_s > 0):
            dt_s = self._dt_s
        self._t_s = float(t_s)
        self._dt_s = dt_s

        # Speed against the previous *filtered* value: on the demo motion this caught up faster
        # than the raw-difference variant, at the same jitter when still.
        speed = (value - self._x) / dt_s
        self._dx = self._dx + smoothing_factor(self.d_cutoff_hz, dt_s) * (speed - self._dx)
        cutoff_hz = self.min_cutoff_hz + self.beta * np.abs(self._dx) / scale
        self._x = self._x + smoothing_factor(cutoff_hz, dt_s) * (value - self._x)
        return self._x.astype(out_dtype)
