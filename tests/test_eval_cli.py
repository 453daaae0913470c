"""``snowcam eval``: one JSON object on stdout, report PNGs, exit code 2 with a clear message on bad input.

The model is the shipped ``models/keypoints.tflite`` when present; otherwise the session's smoke
model is trained first (TensorFlow, so those tests are then marked slow).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from test_datasets import write_faces68_folder
from test_training_smoke import smoke_run

from snowcam.cli import main
from snowcam.types import KAGGLE15_NAMES, POINT_NAMES_68

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHIPPED = REPO / "models" / "keypoints.tflite"
HAVE_SHIPPED = SHIPPED.is_file() and SHIPPED.with_suffix(".json").is_file()
HAVE_TF = importlib.util.find_spec("tensorflow") is not None

needs_model = pytest.mark.skipif(not (HAVE_SHIPPED or HAVE_TF), reason="no shipped model and no TensorFlow")


def _no_mark(test: Any) -> Any:
    return test


# Without a shipped model these tests train the smoke model first: slow.
slow_without_shipped_model = _no_mark if HAVE_SHIPPED else pytest.mark.slow

SUMMARY_KEYS = {
    "n_images",
    "no_face_rate",
    "nme_68",
    "nme_k15",
    "failure_rate",
    "per_point_nme_k15",
    "ms_per_face",
}


def _strict_json(text: str) -> dict[str, Any]:
    """Parse exactly one JSON object; NaN/Infinity (not JSON) fail."""

    def reject(token: str) -> None:
        raise ValueError(f"not valid JSON: {token}")

    value = json.loads(text, parse_constant=reject)
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval") / "tiny"
    write_faces68_folder(root, n_images=6, n_identities=2, side=128, seed=4)
    return root


@pytest.fixture
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if HAVE_SHIPPED:
        return SHIPPED
    return smoke_run(tmp_path_factory).out.with_suffix(".tflite")


def _valid_card() -> dict[str, Any]:
    return {
        "format": "snowcam-keypoints/1",
        "input": {"size": 96},
        "output": {"point_names": list(POINT_NAMES_68)},
        "crop": {"detector_calibration": {"dx": 0.0, "dy": 0.1, "scale": 1.2}},
    }


def _eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["eval", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


# --- a working evaluation ---------------------------------------------------------------------------


@needs_model
@slow_without_shipped_model
def test_eval_json_in_process_and_as_a_command(
    capsys: pytest.CaptureFixture[str], tiny_dir: Path, model_path: Path
) -> None:
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--boxes", "truth", "--model", model_path)
    assert code == 0, err
    summary = _strict_json(out)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["n_images"] == 6
    assert summary["no_face_rate"] == 0.0  # true boxes never miss
    assert summary["nme_68"] > 0 and summary["nme_k15"] > 0
    assert 0.0 <= summary["failure_rate"] <= 1.0
    assert list(summary["per_point_nme_k15"]) == list(KAGGLE15_NAMES)
    assert all(v >= 0 for v in summary["per_point_nme_k15"].values())
    # The per-point errors average to the Kaggle-15 NME (both are means over the same faces).
    assert np.mean(list(summary["per_point_nme_k15"].values())) == pytest.approx(summary["nme_k15"], rel=1e-6)
    assert 0 < summary["ms_per_face"] < 1000
    assert summary["boxes"] == "truth" and summary["model"] == str(model_path)
    assert summary["detector"] is None

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snowcam.cli",
            "eval",
            "--data",
            str(tiny_dir),
            "--json",
            "--boxes",
            "truth",
            "--model",
            str(model_path),
            "--limit",
            "4",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    limited = _strict_json(proc.stdout)
    assert limited["n_images"] == 4
    assert SUMMARY_KEYS <= set(limited)


@needs_model
@slow_without_shipped_model
def test_eval_is_deterministic_and_limit_takes_the_first_images(
    capsys: pytest.CaptureFixture[str], tiny_dir: Path, model_path: Path
) -> None:
    from snowcam.datasets import load_faces68_folder
    from snowcam.evaluate import evaluate
    from snowcam.keypoints import KeypointModel

    _, out, _ = _eval(
        capsys, "--data", tiny_dir, "--json", "--boxes", "truth", "--model", model_path, "--limit", 3
    )
    data = load_faces68_folder(tiny_dir, color=True)
    result = evaluate(data, KeypointModel(model_path), None, boxes="truth")
    assert _strict_json(out)["nme_68"] == pytest.approx(float(np.mean(result.nme_68[:3])), rel=1e-6)


@needs_model
@slow_without_shipped_model
def test_no_face_found_gives_valid_json_with_nulls(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, model_path: Path
) -> None:
    root = tmp_path / "blank"
    write_faces68_folder(root, n_images=2)
    for png in (root / "images").iterdir():
        cv2.imwrite(str(png), np.full((128, 128, 3), 127, np.uint8))
    code, out, err = _eval(capsys, "--data", root, "--json", "--model", model_path)
    assert code == 0, err
    summary = _strict_json(out)
    assert summary["no_face_rate"] == 1.0 and summary["failure_rate"] == 1.0
    assert summary["nme_68"] is None and summary["ms_per_face"] is None
    assert summary["per_point_nme_k15"] == {}
    assert summary["detector"] == "blazeface"
    code, out, err = _eval(capsys, "--data", root, "--json", "--model", model_path, "--detector", "haar")
    assert code == 0, err
    assert _strict_json(out)["detector"] == "haar" and _strict_json(out)["no_face_rate"] == 1.0


@needs_model
@slow_without_shipped_model
def test_report_writes_the_pngs(
    capsys: pytest.CaptureFixture[str], tiny_dir: Path, model_path: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "report"
    code, out, err = _eval(
        capsys, "--data", tiny_dir, "--json", "--boxes", "truth", "--model", model_path, "--report", out_dir
    )
    assert code == 0, err
    summary = _strict_json(out)
    expected = [out_dir / name for name in ("ced.png", "worst.png", "typical.png")]
    assert summary["report"] == [str(p) for p in expected]
    images = [cv2.imread(str(p)) for p in expected]
    assert all(im is not None for im in images)
    assert images[0].shape == (420, 640, 3)
    assert images[1].shape == (200, 1200, 3)  # 6 faces: one row of six 200 px tiles
    assert images[1].std() > 10  # not a blank sheet


@needs_model
@slow_without_shipped_model
def test_text_output(capsys: pytest.CaptureFixture[str], tiny_dir: Path, model_path: Path) -> None:
    code, out, _ = _eval(capsys, "--data", tiny_dir, "--boxes", "truth", "--model", model_path)
    assert code == 0
    assert out.startswith(f"6 images from {tiny_dir}, truth boxes")
    assert "NME-68" in out and "failure rate" in out


# --- errors: exit code 2 and one clear line on stderr ----------------------------------------------------


def _assert_user_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    assert err.startswith("snowcam eval: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _eval(capsys, "--data", tmp_path / "nope", "--json")
    _assert_user_error(code, out, err, str(tmp_path / "nope"), "no such folder")


def test_missing_folder_as_a_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "snowcam.cli", "eval", "--data", str(tmp_path / "nope"), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _assert_user_error(proc.returncode, proc.stdout, proc.stderr, "no such folder")


def test_malformed_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "bad"
    write_faces68_folder(root, n_images=2)
    csv_path = root / "landmarks.csv"
    csv_path.write_text(csv_path.read_text().replace("image,identity,", "file,who,", 1))
    code, out, err = _eval(capsys, "--data", root, "--json")
    _assert_user_error(code, out, err, "landmarks.csv", "header must be image,identity,x0,y0")


def test_corrupt_model_file(capsys: pytest.CaptureFixture[str], tiny_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "broken.tflite"
    model.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    model.with_suffix(".json").write_text(json.dumps(_valid_card()))
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--model", model)
    _assert_user_error(code, out, err, str(model), "not a valid .tflite model")


def test_missing_card(capsys: pytest.CaptureFixture[str], tiny_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "nocard.tflite"
    model.write_bytes(b"\0" * 64)
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--model", model)
    _assert_user_error(code, out, err, str(tmp_path / "nocard.json"), "missing")


def test_card_without_model_file(capsys: pytest.CaptureFixture[str], tiny_dir: Path, tmp_path: Path) -> None:
    card = tmp_path / "gone.json"
    card.write_text(json.dumps(_valid_card()))
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--model", tmp_path / "gone.tflite")
    _assert_user_error(code, out, err, str(tmp_path / "gone.tflite"), "missing")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c.update(format="something-else/1"), "not a snowcam model card"),
        (lambda c: c["output"].update(point_names=list(POINT_NAMES_68[:60])), "unknown point names"),
        (lambda c: c["input"].update(size=128), "input size 128 is not the crop size 96"),
        (lambda c: c.pop("crop"), "missing or has a bad field"),
    ],
)
def test_wrong_card(
    capsys: pytest.CaptureFixture[str], tiny_dir: Path, tmp_path: Path, edit, fragment: str
) -> None:
    card = _valid_card()
    edit(card)
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\0" * 64)
    model.with_suffix(".json").write_text(json.dumps(card))
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--model", model)
    _assert_user_error(code, out, err, fragment)


def test_card_that_is_not_json(capsys: pytest.CaptureFixture[str], tiny_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\0" * 64)
    model.with_suffix(".json").write_text("{not json")
    code, out, err = _eval(capsys, "--data", tiny_dir, "--json", "--model", model)
    _assert_user_error(code, out, err, "not valid JSON")


# --- the shipped model on real faces -----------------------------------------------------------------------


@pytest.mark.data
@pytest.mark.skipif(not HAVE_SHIPPED, reason="models/keypoints.tflite is not there")
@pytest.mark.skipif(not (SHARED_DATA / "faces68").is_dir(), reason="../shared/data/faces68 is absent")
def test_shipped_model_on_faces68(capsys: pytest.CaptureFixture[str]) -> None:
    """A sanity floor, not a benchmark: faces68 is (mostly) training data of the shipped model."""
    code, out, err = _eval(
        capsys, "--data", SHARED_DATA / "faces68", "--json", "--limit", 60, "--model", SHIPPED
    )
    assert code == 0, err
    summary = _strict_json(out)
    assert summary["n_images"] == 60
    assert summary["no_face_rate"] < 0.2
    assert summary["nme_68"] < 8.0
