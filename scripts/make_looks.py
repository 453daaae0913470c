"""Write the built-in colour looks as 17-point ``.cube`` 3-D lookup tables into ``assets/``.

Each look is a function of linear-ish display RGB in 0..1 (no colour management: the frame's
sRGB values are graded as they are, like a photo editor's curves). Run from the repository
root: ``python scripts/make_looks.py``; it rewrites ``assets/look_*.cube``. Deterministic.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

Rgb = npt.NDArray[np.float64]  # (..., 3), R, G, B in 0..1
SIZE = 17
_LUMA = np.array([0.2126, 0.7152, 0.0722])


def luma(rgb: Rgb) -> npt.NDArray[np.float64]:
    return rgb @ _LUMA


def saturate(rgb: Rgb, amount: float) -> Rgb:
    """Scale the distance from grey (same luma) by ``amount``."""
    y = luma(rgb)[..., None]
    return y + (rgb - y) * amount


def s_curve(x: npt.NDArray[np.float64], contrast: float) -> npt.NDArray[np.float64]:
    """A smooth contrast curve through (0, 0), (0.5, 0.5), (1, 1); ``contrast`` 0 is the identity."""
    smooth = x * x * (3.0 - 2.0 * x)
    return x + contrast * (smooth - x)


def warm(rgb: Rgb) -> Rgb:
    """Golden-hour warmth: red and a little green up, blue down, a touch more saturation."""
    out = rgb * np.array([1.08, 1.02, 0.86]) + np.array([0.02, 0.01, 0.0])
    return saturate(out, 1.08)


def cool(rgb: Rgb) -> Rgb:
    """Crisp daylight blue: blue and a hint of cyan up, red down, slightly brighter shadows."""
    out = rgb * np.array([0.88, 1.0, 1.1]) + np.array([0.0, 0.01, 0.03])
    return s_curve(np.clip(out, 0, 1), 0.15)


def mono(rgb: Rgb) -> Rgb:
    """Black and white with a gentle S-curve and a faint warm paper tone."""
    y = s_curve(np.clip(luma(rgb), 0, 1), 0.35)[..., None]
    return y * np.array([1.02, 1.0, 0.96])


def film(rgb: Rgb) -> Rgb:
    """Vintage print film: lifted blacks, soft highlights, teal shadows, amber highlights, muted."""
    out = saturate(rgb, 0.75)
    out = s_curve(np.clip(out, 0, 1), 0.3)
    y = luma(out)[..., None]
    shadows, highlights = (1.0 - y) ** 2, y**2
    out = out + shadows * np.array([-0.03, 0.02, 0.04]) + highlights * np.array([0.05, 0.02, -0.06])
    return 0.07 + out * (0.9 - 0.07)


def vivid(rgb: Rgb) -> Rgb:
    """Punchy colour: strong saturation and a firm contrast curve."""
    out = saturate(rgb, 1.45)
    return s_curve(np.clip(out, 0, 1), 0.35)


def pastel(rgb: Rgb) -> Rgb:
    """Soft pastel: desaturated, low contrast, lifted towards a pink-tinted white."""
    out = saturate(rgb, 0.65)
    out = s_curve(np.clip(out, 0, 1), -0.25)
    return 0.16 * np.array([1.0, 0.93, 0.96]) + out * 0.86


def sunset(rgb: Rgb) -> Rgb:
    """Magenta-orange dusk: warm highlights, purple shadows."""
    y = luma(rgb)[..., None]
    out = rgb + (1.0 - y) * np.array([0.05, -0.03, 0.07]) + y * np.array([0.09, 0.0, -0.08])
    return saturate(s_curve(np.clip(out, 0, 1), 0.2), 1.1)


LOOKS: dict[str, tuple[str, Callable[[Rgb], Rgb]]] = {
    "warm": ("Warm", warm),
    "cool": ("Cool", cool),
    "mono": ("Mono", mono),
    "film": ("Vintage film", film),
    "vivid": ("Vivid", vivid),
    "pastel": ("Soft pastel", pastel),
    "sunset": ("Sunset", sunset),
}


def cube_text(title: str, look: Callable[[Rgb], Rgb], size: int = SIZE) -> str:
    """The ``.cube`` text of a look: red index fastest, then green, then blue."""
    grid = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(grid, grid, grid, indexing="ij")
    rgb = np.clip(look(np.stack([r, g, b], axis=-1)), 0.0, 1.0).reshape(-1, 3)
    lines = [
        f'TITLE "{title}"',
        "# snowcam built-in look, written by scripts/make_looks.py",
        f"LUT_3D_SIZE {size}",
        "DOMAIN_MIN 0.0 0.0 0.0",
        "DOMAIN_MAX 1.0 1.0 1.0",
        *(f"{v[0]:.5f} {v[1]:.5f} {v[2]:.5f}" for v in rgb),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="assets", help="folder to write look_*.cube into")
    args = parser.parse_args()
    out = Path(args.out)
    for key, (title, look) in LOOKS.items():
        path = out / f"look_{key}.cube"
        path.write_text(cube_text(title, look))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
