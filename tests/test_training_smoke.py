"""``snowcam.training.train.train`` end to end on tiny synthetic data: artefacts, model card, LiteRT = Keras.

The 68-point smoke model is trained once per session (``smoke_run``) and reused by the eval CLI
tests when the repository has no shipped model.
"""

from __future__ import annotations

import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_datasets import write_faces68_folder, write_kaggle_csv

from snowcam.datasets import load_faces68_folder, load_kaggle_csv, split_by_identity
from snowcam.geometry import REGION_SCALE, crop_face, region_from_keypoints
from snowcam.types import KAGGLE15_NAMES, POINT_NAMES_68
from tests.helpers import template_points

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow (snowcam[train])"
    ),
]

SEED = 7  # with val_fraction 0.3 this puts exactly one of the four people in validation


@dataclass(frozen=True)
class SmokeRun:
    """A tiny trained 68-point model and the data it came from."""

    card: dict[str, Any]
    out: Path  # without suffix
    faces_dir: Path
    kaggle_csv: Path
    log: list[str]


_RUNS: dict[str, SmokeRun] = {}


def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> SmokeRun:
    """Train snownet for one tiny epoch on 24 synthetic faces of 4 people and a Kaggle CSV, once a session."""
    if "snownet" in _RUNS:
        return _RUNS["snownet"]
    from snowcam.training.config import TrainConfig
    from snowcam.training.train import train

    root = tmp_path_factory.mktemp("smoke")
    faces = root / "synthfaces"
    write_faces68_folder(faces, n_images=24, n_identities=4, side=128, seed=1)
    kaggle = root / "training.csv"
    write_kaggle_csv(kaggle, n_rows=8, seed=2)
    log: list[str] = []
    cfg = TrainConfig(
        data=[str(faces), str(kaggle)],
        arch="snownet",
        epochs=1,
        samples_per_epoch=16,
        batch_size=8,
        warmup_epochs=1,
        val_fraction=0.3,
        seed=SEED,
        out=str(root / "model" / "keypoints"),
        cache_dir=str(root / "cache"),
    )
    card = train(cfg, log=log.append)
    _RUNS["snownet"] = SmokeRun(card, root / "model" / "keypoints", faces, kaggle, log)
    return _RUNS["snownet"]


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> SmokeRun:
    return smoke_run(tmp_path_factory)


def test_artefacts_exist(run: SmokeRun) -> None:
    for suffix in (".tflite", ".keras", ".json"):
        path = run.out.with_suffix(suffix)
        assert path.is_file() and path.stat().st_size > 0, path
    assert json.loads(run.out.with_suffix(".json").read_text()) == json.loads(json.dumps(run.card))


def test_model_card_has_every_field(run: SmokeRun) -> None:
    card = run.card
    assert card["format"] == "snowcam-keypoints/1"
    assert card["input"]["size"] == 96 and card["input"]["channels"] == 1
    assert card["input"]["range"] == [0, 255]
    assert "127.5" in card["input"]["normalisation"]
    assert card["output"]["point_names"] == list(POINT_NAMES_68)
    assert card["output"]["shape"] == [136]
    assert "crop side" in card["output"]["layout"]
    assert "region_scale" in card["crop"]["rule"] and card["crop"]["region_scale"] == REGION_SCALE
    calibration = card["crop"]["detector_calibration"]
    assert set(calibration) == {"dx", "dy", "scale"}
    assert all(math.isfinite(v) for v in calibration.values()) and calibration["scale"] > 0
    sets = {s["name"]: s for s in card["training"]["data"]["sets"]}
    assert set(sets) == {"synthfaces", "training"}
    assert sets["synthfaces"]["images"] == 24 and sets["synthfaces"]["identities"] == 4
    assert sets["synthfaces"]["validation_images"] == 6 and sets["synthfaces"]["points"] == 68
    assert sets["training"]["images"] == 8 and sets["training"]["points"] == 15
    assert all(s["licence"] for s in sets.values())
    assert "research" in card["training"]["licence_caveat"]
    assert card["training"]["config"]["seed"] == SEED
    assert len(card["training"]["history"]) == 1 and math.isfinite(card["training"]["history"][0]["loss"])
    assert set(card["software"]) >= {"python", "tensorflow", "keras", "numpy", "opencv"}
    assert all(card["software"].values())
    validation = card["metrics"]["validation/synthfaces"]["detector_boxes"]
    assert validation["n_images"] == 6
    assert {"no_face_rate", "nme_68", "failure_rate", "ms_per_face"} <= set(validation)


def test_validation_people_are_held_out(run: SmokeRun) -> None:
    data = load_faces68_folder(run.faces_dir)
    _, val = split_by_identity(data.identities, 0.3, SEED)
    assert {data.identities[i] for i in val} == {"person1"}
    assert any("6 validation (split by identity)" in line for line in run.log)


def test_litert_matches_keras(run: SmokeRun) -> None:
    import keras

    from snowcam.keypoints import KeypointModel

    data = load_faces68_folder(run.faces_dir, limit=5)
    faces = [
        crop_face(image, region_from_keypoints(points, rotate=k % 2 == 0))[0]
        for k, (image, points) in enumerate(zip(data.images, data.points, strict=True))
    ]
    rng = np.random.default_rng(0)
    extremes = [
        np.zeros((96, 96), np.uint8),
        np.full((96, 96), 255, np.uint8),
        rng.integers(0, 256, (96, 96)),
    ]
    crops = np.stack([*faces, *extremes]).astype(np.uint8)
    lite = KeypointModel(run.out.with_suffix(".tflite"))
    lite_units = lite.predict_crops(crops)[0] / 96.0
    reference = keras.models.load_model(run.out.with_suffix(".keras"), compile=False)
    keras_units = np.asarray(reference.predict(crops.astype(np.float32)[..., None], verbose=0)).reshape(
        -1, 68, 2
    )
    assert lite_units.shape == keras_units.shape == (8, 68, 2)
    # The outputs differ from crop to crop by far more than the tolerance, so the comparison means something.
    assert np.ptp(keras_units, axis=0).max() > 1e-3
    assert np.abs(lite_units - keras_units).max() < 1e-4
    # One crop at a time (the interpreter is resized between batch sizes) gives the same numbers.
    np.testing.assert_allclose(lite.predict_crops(crops[2:3])[0] / 96.0, lite_units[2:3], atol=1e-5)


@pytest.mark.parametrize("arch", ["seed-cnn", "seed-mlp"])
def test_seed_baselines_train_on_kaggle_csv_alone(tmp_path: Path, arch: str) -> None:
    from snowcam.training.config import TrainConfig
    from snowcam.training.train import train

    csv_path = tmp_path / "training.csv"
    points, _ = write_kaggle_csv(csv_path, n_rows=10, seed=3)
    assert np.isnan(points).any()  # rows with missing values are part of it
    assert len(load_kaggle_csv(csv_path)) == 10
    cfg = TrainConfig(
        data=[str(csv_path)],
        arch=arch,
        epochs=1,
        samples_per_epoch=8,
        batch_size=4,
        seed=5,
        out=str(tmp_path / "model" / arch),
        cache_dir=str(tmp_path / "cache"),
    )
    card = train(cfg, log=lambda _: None)
    history = card["training"]["history"]
    assert len(history) == 1 and math.isfinite(history[0]["loss"]) and history[0]["loss"] > 0
    assert card["output"]["point_names"] == list(KAGGLE15_NAMES)
    assert card["output"]["shape"] == [30]
    assert (tmp_path / "model" / f"{arch}.tflite").stat().st_size > 0


@pytest.mark.parametrize(("n_out", "mse"), [(68, False), (15, False), (15, True)])
def test_loss_ignores_missing_points(n_out: int, mse: bool) -> None:
    """Moving the prediction of a missing (NaN) point does not change the loss; moving a known one does."""
    import tensorflow as tf

    from snowcam.training.train import encode_targets, make_loss

    rng = np.random.default_rng(0)
    k15 = rng.uniform(20, 76, (2, 15, 2)).astype(np.float32)
    k15[0, 3:] = np.nan  # a Kaggle row with 3 points
    k15[1, :] = np.nan  # a row with none at all
    y_true = tf.constant(np.stack([encode_targets(p, 96) for p in k15]))
    loss = make_loss(n_out, 10.0, 2.0, mse=mse)
    pred = rng.uniform(0.2, 0.8, (2, n_out * 2)).astype(np.float32)

    def value(p: np.ndarray) -> np.ndarray:
        out = loss(y_true, tf.constant(p)).numpy()
        assert np.isfinite(out).all()
        return out

    base = value(pred)
    assert base[1] == 0.0  # nothing known, nothing to learn
    moved = pred.copy()
    if n_out == 15:
        moved[0, 2 * 5 :] += 0.3  # points 5..14 are missing in row 0
        assert value(moved)[0] == pytest.approx(base[0], rel=1e-6)
        moved[0, 0] += 0.1  # left_eye_center x is known
    else:
        moved[0, 2 * 30 : 2 * 31] += 0.3  # nose tip (30) feeds only the missing nose_tip of Kaggle-15
        assert value(moved)[0] == pytest.approx(base[0], rel=1e-6)
        moved[0, 2 * 42] += 0.3  # the image-right eye feeds the known left_eye_center
    assert value(moved)[0] != pytest.approx(base[0], rel=1e-3)


def test_validation_without_any_detected_face_is_reported_not_crashed(run: SmokeRun) -> None:
    """A held-out set where the detector finds no face (blank frames) gives no_face_rate 1, not a crash."""
    from snowcam.datasets import LandmarkSet
    from snowcam.training.train import evaluate_exported

    data = load_faces68_folder(run.faces_dir, limit=3, color=True)
    blank = LandmarkSet(
        "blank", [np.full_like(im, 128) for im in data.images], data.points, data.identities, data.files
    )
    log: list[str] = []
    metrics = evaluate_exported(run.out.with_suffix(".tflite"), [blank], log.append)
    summary = metrics["validation/blank"]["detector_boxes"]
    assert summary["no_face_rate"] == 1.0 and summary["failure_rate"] == 1.0
    assert summary["nme_68"] is None and summary["nme_k15"] is None
    assert len(log) == 1 and "blank" in log[0]


def test_heatmap_model_exports_points_and_face_score_that_match_keras(tmp_path: Path) -> None:
    """The default architecture: two training outputs, two exported ones (points, face score)."""
    import keras

    from snowcam.keypoints import KeypointModel
    from snowcam.training.config import TrainConfig
    from snowcam.training.model import load_keras_model
    from snowcam.training.train import train

    faces = tmp_path / "synthfaces"
    write_faces68_folder(faces, n_images=16, n_identities=4, side=128, seed=3)
    out = tmp_path / "model" / "keypoints"
    cfg = TrainConfig(
        data=[str(faces)], arch="snownet-hm", epochs=1, samples_per_epoch=16, batch_size=8,
        warmup_epochs=1, val_fraction=0.3, seed=SEED, out=str(out), cache_dir=str(tmp_path / "cache"),
    )  # fmt: skip
    card = train(cfg, log=lambda _: None)
    assert "confidence" in card["output"]
    data = load_faces68_folder(faces, limit=4)
    pairs = zip(data.images, data.points, strict=True)
    crops = np.stack([crop_face(image, region_from_keypoints(points))[0] for image, points in pairs])
    lite = KeypointModel(out.with_suffix(".tflite"))
    assert lite.has_confidence
    lite_points, lite_scores = lite.predict_crops(crops)
    lite_points = lite_points / 96.0
    reference = load_keras_model(str(out.with_suffix(".keras")))
    assert isinstance(reference, keras.Model)
    result = reference.predict(crops.astype(np.float32)[..., None], verbose=0)
    np.testing.assert_allclose(lite_points, result["points"].reshape(-1, 68, 2), atol=1e-4)
    logits = result["heatmap"][..., :68].reshape(len(crops), -1, 68)
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(lite_scores, prob.max(axis=1).mean(axis=1), atol=1e-5)
    assert np.all((lite_scores > 1 / 144) & (lite_scores <= 1))


def _one_face_source(gray: np.ndarray):
    """A training source: one template face centred in a 200×200 grey image."""
    from snowcam.training.train import Source

    points = template_points((100, 100), 60).astype(np.float32)
    region = region_from_keypoints(points)
    return Source(gray, points, region, region_from_keypoints(points, rotate=True), None, 1.0)


@pytest.mark.parametrize("flip_probability", [0.0, 1.0])
def test_batches_mirror_exactly_the_share_of_crops_the_recipe_asks_for(flip_probability: float) -> None:
    from snowcam.training.config import TrainConfig
    from snowcam.training.train import make_batch

    # Dark on the image's left, bright on its right: a mirrored crop is bright on its left.
    gray = np.zeros((200, 200), np.uint8)
    gray[:, 100:] = 220
    cfg = TrainConfig(flip_probability=flip_probability)
    x, _ = make_batch([_one_face_source(gray)], np.zeros(64, np.int64), np.random.default_rng(0), cfg)
    left, right = x[:, :, :48, 0].mean(axis=(1, 2)), x[:, :, 48:, 0].mean(axis=(1, 2))
    mirrored = left > right
    assert mirrored.mean() == flip_probability


def test_crop_seed_changes_the_crops_and_not_the_split() -> None:
    from snowcam.training.config import TrainConfig
    from snowcam.training.train import _Batches, train_command

    gray = np.random.default_rng(3).integers(0, 255, (200, 200), dtype=np.uint8)
    sources = [_one_face_source(gray)]

    def first_batch(cfg: TrainConfig) -> np.ndarray:
        return _Batches(sources, np.ones(1), cfg, steps=1)[0][0]

    plain = TrainConfig(batch_size=4)
    np.testing.assert_array_equal(
        first_batch(plain), first_batch(TrainConfig(batch_size=4, crop_seed=plain.seed))
    )
    reseeded = TrainConfig(batch_size=4, crop_seed=2)
    assert not np.array_equal(first_batch(plain), first_batch(reseeded))
    assert reseeded.crop_stream_seed == 2 and plain.crop_stream_seed == plain.seed
    assert "--crop-seed 2" in train_command(reseeded) and "--crop-seed" not in train_command(plain)


def test_crop_seed_leaves_the_validation_people_alone(tmp_path: Path) -> None:
    from snowcam.training.config import TrainConfig
    from snowcam.training.train import prepare

    write_faces68_folder(tmp_path / "faces", n_images=24, n_identities=4, side=128, seed=1)

    def validation_files(crop_seed: int | None) -> list[str]:
        cfg = TrainConfig(
            data=[str(tmp_path / "faces")],
            val_fraction=0.3,
            seed=SEED,
            crop_seed=crop_seed,
            cache_dir=str(tmp_path),
        )
        _, val_sets, _, _ = prepare(cfg, log=lambda _: None)
        return list(val_sets[0].files)

    identities = load_faces68_folder(tmp_path / "faces").identities
    # Guard: the two seeds pick different people, so a split that followed the crop seed shows.
    assert list(split_by_identity(identities, 0.3, SEED)[1]) != list(
        split_by_identity(identities, 0.3, SEED + 1)[1]
    )
    assert validation_files(None) == validation_files(SEED + 1)


def test_a_continued_run_starts_from_its_init_and_records_it(
    run: SmokeRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import dataclasses
    import hashlib
    import shutil

    from snowcam.training.config import TrainConfig
    from snowcam.training.model import load_keras_model
    from snowcam.training.train import train

    # The run writes over the model it starts from, as `--init models/keypoints.keras` does by default.
    root = tmp_path_factory.mktemp("continued")
    for suffix in (".keras", ".json"):
        shutil.copy(run.out.with_suffix(suffix), root / f"keypoints{suffix}")
    init = root / "keypoints.keras"
    init_sha256 = hashlib.sha256(init.read_bytes()).hexdigest()
    before = load_keras_model(str(init))
    cfg = dataclasses.replace(
        TrainConfig(**run.card["training"]["config"]),  # the smoke run's recipe, as its card records it
        data=[str(run.faces_dir)],
        learning_rate=1e-12,  # the weights stay where the init put them
        crop_seed=SEED + 1,
        out=str(root / "keypoints"),
        cache_dir=str(root / "cache"),
        init_from=str(init),
    )
    card = train(cfg, log=lambda _: None)
    assert hashlib.sha256(init.read_bytes()).hexdigest() != init_sha256  # overwritten by this run
    recorded = card["training"]["init"]
    assert recorded["sha256"] == init_sha256
    assert recorded["command"] == run.card["training"]["command"]
    assert f"--init {init}" in card["training"]["command"]
    assert f"--crop-seed {SEED + 1}" in card["training"]["command"]
    after = load_keras_model(str(init))
    for a, b in zip(before.trainable_weights, after.trainable_weights, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_init_provenance_chains_cards_and_survives_a_missing_or_odd_card(tmp_path: Path) -> None:
    import hashlib

    from snowcam.training.train import init_provenance

    model = tmp_path / "m.keras"
    model.write_bytes(b"weights")
    bare = {"path": str(model), "sha256": hashlib.sha256(b"weights").hexdigest()}
    assert init_provenance(model) == bare  # no card beside it
    for odd in ("not json", "[1, 2]", '{"format": "x"}', '{"training": []}', '{"training": {}}'):
        model.with_suffix(".json").write_text(odd)
        assert init_provenance(model) == bare, odd
    earlier = {"path": "a.keras", "sha256": "00", "command": "snowcam train --epochs 240"}
    card = {"training": {"command": "snowcam train --init a.keras", "init": earlier}}
    model.with_suffix(".json").write_text(json.dumps(card))
    assert init_provenance(model) == {**bare, "command": "snowcam train --init a.keras", "init": earlier}
