"""Every bad argument of the issue's list: exit 2 with a message that says what to fix, no traceback.

(``render``'s own arguments are in ``test_render_faults.py``.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_datasets import write_faces68_folder

from snowcam.cli import main
from snowcam.keypoints import ModelCard, ModelError
from snowcam.resources import assets_dir, models_dir
from snowcam.types import POINT_NAMES_68

SHIPPED = models_dir() / "keypoints.tflite"
needs_model = pytest.mark.skipif(not SHIPPED.is_file(), reason="the shipped model is not built yet")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def faces(tmp_path: Path) -> Path:
    root = tmp_path / "faces"
    write_faces68_folder(root, n_images=5, n_identities=2, side=128, seed=3)
    return root


def set_cell(root: Path, line: int, column: int, value: str) -> None:
    csv_path = root / "landmarks.csv"
    lines = csv_path.read_text().splitlines()
    cells = lines[line].split(",")
    cells[column] = value
    lines[line] = ",".join(cells)
    csv_path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "has empty coordinates"), ("1e309", "is not a finite number"), ("inf", "is not a finite number"),
     ("nan", "is not a finite number"), ("12,5", "expected 138 fields")],
)  # fmt: skip
def test_eval_csv_with_a_bad_coordinate_exits_2(
    faces: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    set_cell(faces, 2, 10, value)
    before = digest(faces)
    code, out, err = run_cli(["eval", "--data", str(faces), "--boxes", "truth"], capsys)
    assert code == 2 and out == "" and message in err
    assert digest(faces) == before


def test_eval_binary_csv_exits_2(faces: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (faces / "landmarks.csv").write_bytes(bytes(range(256)) * 20)
    code, _, err = run_cli(["eval", "--data", str(faces)], capsys)
    assert code == 2 and "not a text CSV file" in err


def test_kaggle_csv_with_binary_or_bad_pixels_is_a_data_error(tmp_path: Path) -> None:
    from snowcam.datasets import DataError, load_kaggle_csv

    path = tmp_path / "training.csv"
    path.write_bytes(b"\xff\xfe\x00garbage" * 50)
    with pytest.raises(DataError, match="not a text CSV"):
        load_kaggle_csv(path)


@pytest.mark.parametrize("limit", ["0", "-2", "three"])
def test_eval_limit_must_be_positive(faces: Path, capsys: pytest.CaptureFixture[str], limit: str) -> None:
    code, _, err = run_cli(["eval", "--data", str(faces), "--limit", limit], capsys)
    assert code == 2 and "--limit" in err


def test_eval_report_onto_a_file_exits_2_before_the_evaluation(
    faces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("keep me")
    code, out, err = run_cli(["eval", "--data", str(faces), "--report", str(report)], capsys)
    assert code == 2 and out == "" and "is a file" in err
    assert report.read_text() == "keep me"


def test_eval_report_that_cannot_be_written_exits_2(
    faces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, _, err = run_cli(["eval", "--data", str(faces), "--report", str(blocker / "sub")], capsys)
    assert code == 2 and "--report" in err


def valid_card() -> dict[str, Any]:
    return {
        "format": "snowcam-keypoints/1",
        "input": {"size": 96},
        "output": {"point_names": list(POINT_NAMES_68), "mirror_offset_px": 1.0},
        "crop": {"detector_calibration": {"dx": 0.0, "dy": 0.1, "scale": 1.2}},
    }


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (
            lambda c: c["output"].update(mirror_offset_px=None),
            "mirror_offset_px (pixels) must be a finite number",
        ),
        (
            lambda c: c["output"].update(mirror_offset_px="1.0"),
            "mirror_offset_px (pixels) must be a finite number",
        ),
        (lambda c: c["output"].update(mirror_offset_px=float("nan")), "mirror_offset_px"),
        (lambda c: c["crop"]["detector_calibration"].update(scale=0), "scale must be positive"),
        (lambda c: c["crop"]["detector_calibration"].update(dx=None), "dx must be a finite number"),
        (lambda c: c["input"].update(size=True), "input size True"),
        (lambda c: c.clear() or c.update(format=["x"]), "not a snowcam model card"),
    ],
)
def test_model_card_fields_are_validated_when_it_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], faces: Path, edit, fragment: str
) -> None:
    card = valid_card()
    edit(card)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(card))
    with pytest.raises(ModelError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ModelCard.load(path)
    model = tmp_path / "m.tflite"
    model.write_bytes(b"\0" * 64)
    code, out, err = run_cli(["eval", "--data", str(faces), "--model", str(model)], capsys)
    assert code == 2 and out == "" and "m.json" in err


def test_model_card_round_trips_and_fills_the_default_offset(tmp_path: Path) -> None:
    card = valid_card()
    del card["output"]["mirror_offset_px"]
    loaded = ModelCard.from_dict(card)
    assert loaded.mirror_offset_px == 0.0 and loaded.training_split() is None
    card["training"] = {"config": {"seed": 3, "val_fraction": 0.1}}
    card["metrics"] = {"nme": float("nan")}
    saved = ModelCard.from_dict(card).save(tmp_path / "card.json")
    text = saved.read_text()
    assert "NaN" not in text and json.loads(text)["metrics"]["nme"] is None
    again = ModelCard.load(saved)
    assert again.training_split() == (3, 0.1) and again.to_dict()["training"] == card["training"]


@needs_model
def test_render_with_a_render_model_card_offset_null_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "k.tflite"
    model.write_bytes(SHIPPED.read_bytes())
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    card["output"]["mirror_offset_px"] = None
    model.with_suffix(".json").write_text(json.dumps(card))
    out = tmp_path / "o.mp4"
    args = ["render", str(assets_dir() / "demo.mp4"), "-o", str(out), "--model", str(model)]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "mirror_offset_px" in err and not out.exists()


@pytest.mark.parametrize("frame", [None, np.zeros((0, 0, 3), np.uint8), np.zeros((4, 0, 3), np.uint8)])
def test_pipeline_process_rejects_none_and_empty_frames(frame: Any) -> None:
    from snowcam.pipeline import Pipeline
    from tests.fakes import FakeDetector, OracleModel, ScriptedScene

    scene = ScriptedScene()
    pipeline = Pipeline(FakeDetector(scene), OracleModel(scene))
    with pytest.raises(ValueError, match="H×W×3 uint8 BGR array, got"):
        pipeline.process(frame, 0.0)
