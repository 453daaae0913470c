"""``snowcam train``: build the keypoint model from data, export it and write its model card.

Reads top to bottom: configuration, data (load, split by identity, base regions from the
detector), batches (seeded augmentation), loss, training, export, evaluation, model card.
Imports TensorFlow; nothing at run time imports this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.datasets import LandmarkSet, load_any, split_by_identity
from snowcam.detection import still_image_detector
from snowcam.files import write_bytes_atomic
from snowcam.geometry import (
    MODEL_INPUT_SIZE,
    REGION_SCALE,
    DetectorCalibration,
    box_from_points,
    region_from_box,
    region_from_keypoints,
    to_gray,
)
from snowcam.keypoints import CARD_FORMAT, ModelCard
from snowcam.training.augment import AugmentConfig, make_sample
from snowcam.training.config import TrainConfig
from snowcam.types import (
    KAGGLE15,
    KAGGLE15_NAMES,
    N_KEYPOINTS,
    POINT_NAMES_68,
    CropRegion,
    FaceBox,
    flip_permutation,
    kaggle15_matrix,
    to_kaggle15,
)

Log = Callable[[str], None]

DATA_LICENCE_NOTES = {
    "faces68": "frames of the YouTube Faces database (Wolf, Hassner, Maoz 2011): non-commercial research "
    "and education only",
    "300w-train": "LFPW, HELEN and AFW photos with the iBUG 300-W 68-point annotations: annotations for "
    "research use; photos from the web with no stated terms",
}


# --- data -----------------------------------------------------------------------------------


@dataclass
class Source:
    """One image with its targets and candidate base regions."""

    gray: npt.NDArray[np.uint8]
    points: npt.NDArray[np.float32]  # (68, 2) or (15, 2) image px, NaN = missing
    keypoint_region: CropRegion | None  # crop rule of the true points (68-point data)
    rotated_region: CropRegion | None
    detector_region: CropRegion | None  # calibrated detector box, when the detector found it
    weight: float


def detect_boxes(data: LandmarkSet, cache_dir: Path, log: Log) -> list[FaceBox | None]:
    """The app's detector's box for each image (the one overlapping the true face), cached."""
    digest = hashlib.sha1()
    for f, p in zip(data.files, data.points, strict=True):
        digest.update(f.encode())
        digest.update(np.nan_to_num(p).tobytes())
    cache = cache_dir / f"boxes-{data.name}-{digest.hexdigest()[:16]}.npy"
    if cache.is_file():
        arr = np.load(cache)
    else:
        log(f"  running the face detector on {len(data)} images of {data.name} (cached afterwards)...")
        detector = still_image_detector()
        arr = np.full((len(data), 4), np.nan, np.float32)
        for i, (image, pts) in enumerate(zip(data.images, data.points, strict=True)):
            valid = pts[~np.isnan(pts).any(axis=1)]
            reference = (
                box_from_points(valid) if len(valid) >= 3 else FaceBox(0, 0, image.shape[1], image.shape[0])
            )
            found = detector.detect(image)
            best = max(found, key=lambda b: b.iou(reference), default=None)
            if best is not None and (best.iou(reference) >= 0.3 or len(valid) < 3):
                arr[i] = (best.x, best.y, best.w, best.h)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, arr)
    return [None if np.isnan(b).any() else FaceBox(*map(float, b)) for b in arr]


def base_region(points: npt.NDArray[np.float32], image_shape: tuple[int, ...]) -> CropRegion:
    """The crop rule's region for a sample: from its 68 points, else the whole (Kaggle) image."""
    if points.shape[0] == N_KEYPOINTS and not np.isnan(points).any():
        return region_from_keypoints(points)
    h, w = image_shape[:2]
    return CropRegion((w - 1) / 2, (h - 1) / 2, float(max(h, w)))


def fit_calibration(regions: Sequence[CropRegion], boxes: Sequence[FaceBox | None]) -> DetectorCalibration:
    """Median relation between detector boxes and the crop rule's regions of the same faces."""
    rel = [
        ((r.center_x_px - b.center_xy[0]) / b.w, (r.center_y_px - b.center_xy[1]) / b.w, r.size_px / b.w)
        for r, b in zip(regions, boxes, strict=True)
        if b is not None
    ]
    if len(rel) < 5:
        return DetectorCalibration()
    dx, dy, scale = np.median(np.array(rel), axis=0)
    return DetectorCalibration(round(float(dx), 4), round(float(dy), 4), round(float(scale), 4))


def prepare(cfg: TrainConfig, log: Log) -> tuple[list[Source], list[LandmarkSet], DetectorCalibration, dict]:
    """Load every data folder, split it by identity and build the training sources.

    Returns the training sources, the held-out validation sets (colour images, one per
    folder, for ``snowcam eval``), the detector calibration and a description for the card.
    """
    loaded, splits = [], []
    for path in cfg.data:
        data = load_any(path, color=True)
        train_idx, val_idx = split_by_identity(data.identities, cfg.val_fraction, cfg.seed)
        log(
            f"  {data.name}: {len(data)} images, {len(set(data.identities))} identities, "
            f"{len(train_idx)} train / {len(val_idx)} validation (split by identity)"
        )
        loaded.append(data)
        splits.append((train_idx, val_idx))
    all_regions: list[CropRegion] = []
    all_boxes: list[FaceBox | None] = []
    per_set_boxes = []
    for data, (train_idx, _) in zip(loaded, splits, strict=True):
        boxes = detect_boxes(data, Path(cfg.cache_dir), log)
        per_set_boxes.append(boxes)
        for i in train_idx:
            all_regions.append(base_region(data.points[i], data.images[i].shape))
            all_boxes.append(boxes[i])
    calibration = fit_calibration(all_regions, all_boxes)
    log(f"  detector calibration: {calibration}")
    sources: list[Source] = []
    description = []
    for path, data, (train_idx, val_idx), boxes in zip(cfg.data, loaded, splits, per_set_boxes, strict=True):
        share = 1.0 / len(loaded) / max(len(train_idx), 1)
        found = 0
        for i in train_idx:
            gray = to_gray(data.images[i])
            pts = data.points[i]
            full = pts.shape[0] == N_KEYPOINTS and not np.isnan(pts).any()
            det = region_from_box(boxes[i], calibration) if boxes[i] is not None else None
            found += det is not None
            sources.append(
                Source(
                    gray,
                    pts,
                    base_region(pts, gray.shape),
                    region_from_keypoints(pts, rotate=True) if full else None,
                    det,
                    share,
                )
            )
        description.append(
            {
                "name": data.name,
                "path": str(path),
                "images": len(data),
                "identities": len(set(data.identities)),
                "train_images": len(train_idx),
                "validation_images": len(val_idx),
                "points": data.n_points,
                "detector_found_rate_train": round(found / max(len(train_idx), 1), 4),
                "licence": DATA_LICENCE_NOTES.get(data.name, "see the data set's own terms"),
            }
        )
    val_sets = [
        data.subset(v) for data, (_, v) in zip(loaded, splits, strict=True) if len(v) and data.n_points == 68
    ]
    return sources, val_sets, calibration, {"sets": description}


# --- batches --------------------------------------------------------------------------------


def encode_targets(points: npt.NDArray[np.float32], size: int) -> npt.NDArray[np.float32]:
    """Pack one sample's target: 68 points + mask, Kaggle-15 points + mask (crop units)."""
    t68 = np.zeros((N_KEYPOINTS, 2), np.float32)
    m68 = np.zeros(N_KEYPOINTS, np.float32)
    if points.shape[0] == N_KEYPOINTS:
        ok = ~np.isnan(points).any(axis=1)
        t68[ok] = points[ok] / size
        m68[ok] = 1.0
        k15 = to_kaggle15(np.nan_to_num(points)) / size
        mk = np.array([not np.isnan(points[list(idx)]).any() for _, idx in KAGGLE15], np.float32)
    else:
        ok = ~np.isnan(points).any(axis=1)
        k15 = np.where(ok[:, None], points / size, 0.0).astype(np.float32)
        mk = ok.astype(np.float32)
    return np.concatenate([t68.ravel(), m68, k15.ravel(), mk]).astype(np.float32)


TARGET_WIDTH = N_KEYPOINTS * 3 + 15 * 3


def make_batch(
    sources: Sequence[Source], picks: npt.NDArray[np.int64], rng: np.random.Generator, cfg: TrainConfig
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Crops ``(n, 96, 96, 1)`` float32 in [0, 255] and packed targets ``(n, TARGET_WIDTH)``."""
    aug = AugmentConfig(p_flip=cfg.flip_probability, mirror_label_shift_px=cfg.mirror_label_shift_px)
    x = np.empty((len(picks), MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1), np.float32)
    y = np.empty((len(picks), TARGET_WIDTH), np.float32)
    for k, i in enumerate(picks):
        s = sources[i]
        region = s.keypoint_region
        u = rng.random()
        if s.detector_region is not None and u < cfg.p_detector_region:
            region = s.detector_region
        elif s.rotated_region is not None and u < cfg.p_detector_region + cfg.p_rotated_region:
            region = s.rotated_region
        perm = flip_permutation(s.points.shape[0])
        assert region is not None
        crop, pts = make_sample(s.gray, s.points, region, perm, rng, aug)
        x[k, ..., 0] = crop
        y[k] = encode_targets(pts, MODEL_INPUT_SIZE)
    return x, y


def plain_batch(sources: Sequence[Source]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Un-augmented crops of the base regions (for a quick validation NME during training)."""
    rng = np.random.default_rng(0)
    x = np.empty((len(sources), MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1), np.float32)
    y = np.empty((len(sources), TARGET_WIDTH), np.float32)
    for k, s in enumerate(sources):
        perm = flip_permutation(s.points.shape[0])
        assert s.keypoint_region is not None
        crop, pts = make_sample(s.gray, s.points, s.keypoint_region, perm, rng, AugmentConfig.none())
        x[k, ..., 0] = crop
        y[k] = encode_targets(pts, MODEL_INPUT_SIZE)
    return x, y


# --- training -------------------------------------------------------------------------------


def train(cfg: TrainConfig, log: Log = print) -> dict[str, Any]:
    """Train, export ``<out>.tflite``, ``<out>.keras`` and the card ``<out>.json``; return the card."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from snowcam.training.model import build_model

    started = time.time()
    keras.utils.set_random_seed(cfg.seed)
    log(
        f"snowcam train: {cfg.arch}, {cfg.epochs} epochs × {cfg.samples_per_epoch} crops, "
        f"seed {cfg.seed}, crop seed {cfg.crop_stream_seed}"
    )
    log("loading data...")
    sources, val_sets, calibration, data_description = prepare(cfg, log)
    if not sources:
        raise ValueError("no training images")
    weights = np.array([s.weight for s in sources])
    weights /= weights.sum()
    val_sources = _val_sources(val_sets)
    val_x, val_y = plain_batch(val_sources) if val_sources else (None, None)
    mean_shape = _mean_shape(sources, cfg)

    gpus = tf.config.list_physical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    log(
        f"devices: {len(gpus)} GPU(s)"
        + (", MirroredStrategy" if len(gpus) > 1 else "; CPU" if not gpus else "")
    )
    steps = cfg.samples_per_epoch // cfg.batch_size
    init: dict[str, Any] | None = None
    with strategy.scope():
        model = build_model(cfg.arch, MODEL_INPUT_SIZE, cfg.n_out_points, mean_shape)
        if cfg.init_from:
            from snowcam.training.model import load_keras_model

            model.set_weights(load_keras_model(cfg.init_from).get_weights())
            # Taken now: the run may overwrite the file (--out models/keypoints with --init models/...).
            init = init_provenance(Path(cfg.init_from))
            log(f"starting from the weights of {cfg.init_from}")
        if cfg.arch.startswith("seed"):
            # The seed notebook's recipe: plain Adam and mean squared error.
            optimizer = keras.optimizers.Adam(1e-3)
            loss = make_loss(cfg.n_out_points, cfg.wing_w, cfg.wing_epsilon, mse=True)
        else:
            schedule = _WarmupCosine(cfg.learning_rate, cfg.warmup_epochs * steps, cfg.epochs * steps)
            optimizer = keras.optimizers.AdamW(schedule, weight_decay=cfg.weight_decay)
            loss = make_loss(cfg.n_out_points, cfg.wing_w, cfg.wing_epsilon)
        if isinstance(model.output, dict):
            loss = {"points": loss, "heatmap": make_heatmap_loss()}
        model.compile(optimizer=optimizer, loss=loss)
    log(f"model {model.name}: {model.count_params():,} parameters")

    batches = _Batches(sources, weights, cfg, steps, dict_targets=isinstance(model.output, dict))
    callbacks: list[keras.callbacks.Callback] = [_Progress(cfg, log, val_x, val_y, started)]
    model.fit(batches, epochs=cfg.epochs, callbacks=callbacks, verbose=0)
    history = callbacks[0].history_rows  # type: ignore[attr-defined]

    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    keras_path = out.with_suffix(".keras")
    model.save(keras_path)
    tflite_path = out.with_suffix(".tflite")
    export_tflite(model, tflite_path)
    log(f"exported {tflite_path} ({tflite_path.stat().st_size / 1e6:.2f} MB) and {keras_path}")
    card = model_card(cfg, calibration, data_description, history, time.time() - started, model, init)
    card["output"].update(describe_outputs(model))
    card_path = out.with_suffix(".json")
    ModelCard.from_dict(card, str(card_path)).save(card_path)
    if val_sets:
        card["metrics"] = evaluate_exported(tflite_path, val_sets, log)
        card["output"].update(measure_mirror_offset(tflite_path, val_sets, log))
        ModelCard.from_dict(card, str(card_path)).save(card_path)
    log(f"wrote {card_path}; total {(time.time() - started) / 60:.1f} min")
    return card


def _val_sources(val_sets: list[LandmarkSet]) -> list[Source]:
    out = []
    for data in val_sets:
        for image, pts in zip(data.images, data.points, strict=True):
            gray = to_gray(image)
            out.append(Source(gray, pts, base_region(pts, gray.shape), None, None, 1.0))
    return out


def _mean_shape(sources: Sequence[Source], cfg: TrainConfig) -> npt.NDArray[np.float32]:
    """Mean target in crop units over un-augmented base crops (starts the output layer there)."""
    rng = np.random.default_rng(cfg.seed)
    picks = rng.choice(len(sources), size=min(500, len(sources)), replace=False)
    _, y = plain_batch([sources[i] for i in picks])
    if cfg.n_out_points == N_KEYPOINTS:
        t, m = y[:, : N_KEYPOINTS * 2].reshape(-1, N_KEYPOINTS, 2), y[:, N_KEYPOINTS * 2 : N_KEYPOINTS * 3]
    else:
        o = N_KEYPOINTS * 3
        t, m = y[:, o : o + 30].reshape(-1, 15, 2), y[:, o + 30 :]
    weights = m[..., None]
    return (np.where(weights.sum(0) > 0, (t * weights).sum(0) / np.maximum(weights.sum(0), 1), 0.5)).astype(
        np.float32
    )


def make_loss(n_out_points: int, w: float, epsilon: float, mse: bool = False):
    """Masked wing loss (Feng et al. 2018) in crop pixels, on the 68 points and the Kaggle-15 view.

    A 68-point prediction is also scored on the Kaggle-15 points derived from it, so data in the
    Kaggle format (15 points, many missing) trains the 68-point model through the same loss.
    With ``mse`` it is the masked mean squared error in crop units (the seed baselines' loss).
    """
    import tensorflow as tf

    c = w - w * math.log(1.0 + w / epsilon)
    k15 = tf.constant(kaggle15_matrix())
    size = float(MODEL_INPUT_SIZE)

    def wing(diff, mask):
        if mse:
            per = tf.reduce_sum(tf.square(diff), axis=-1) * mask
            return tf.reduce_sum(per, axis=-1), tf.reduce_sum(mask, axis=-1)
        a = tf.abs(diff) * size
        per = tf.where(a < w, w * tf.math.log(1.0 + a / epsilon), a - c)
        per = tf.reduce_sum(per, axis=-1) * mask
        return tf.reduce_sum(per, axis=-1), tf.reduce_sum(mask, axis=-1)

    def loss(y_true, y_pred):
        n = N_KEYPOINTS
        t68 = tf.reshape(y_true[:, : n * 2], (-1, n, 2))
        m68 = y_true[:, n * 2 : n * 3]
        t15 = tf.reshape(y_true[:, n * 3 : n * 3 + 30], (-1, 15, 2))
        m15 = y_true[:, n * 3 + 30 :]
        if n_out_points == N_KEYPOINTS:
            p68 = tf.reshape(y_pred, (-1, n, 2))
            s68, c68 = wing(p68 - t68, m68)
            p15 = tf.einsum("kn,bnc->bkc", k15, p68)
            # Only rows without 68-point targets (Kaggle rows) add the 15-point term.
            only15 = tf.cast(tf.reduce_sum(m68, axis=-1, keepdims=True) == 0, tf.float32)
            s15, c15 = wing(p15 - t15, m15 * only15)
            return (s68 + s15) / tf.maximum(c68 + c15, 1.0)
        p15 = tf.reshape(y_pred, (-1, 15, 2))
        s15, c15 = wing(p15 - t15, m15)
        return s15 / tf.maximum(c15, 1.0)

    return loss


def make_heatmap_loss(sigma_cells: float = 0.8, offset_weight: float = 5.0):
    """Auxiliary loss of the heat-map head: cross-entropy against a Gaussian around each true
    point on the 12×12 grid, plus L1 on the offsets of the cells near it (cell units).
    Only rows with 68-point targets contribute.
    """
    import tensorflow as tf

    from snowcam.training.model import HEATMAP_GRID, grid_centres

    g = HEATMAP_GRID
    centres = tf.constant(grid_centres(g) * g)  # (GG, 2) in cells

    def loss(y_true, y_pred):
        n = N_KEYPOINTS
        t = tf.reshape(y_true[:, : n * 2], (-1, 1, n, 2)) * g  # (B, 1, K, 2) cells
        m = y_true[:, n * 2 : n * 3]  # (B, K)
        logits = tf.reshape(y_pred[..., :n], (-1, g * g, n))
        offsets = tf.reshape(y_pred[..., n:], (-1, g * g, n, 2))
        delta = t - centres[None, :, None, :]  # (B, GG, K, 2): from each cell centre to the point
        d2 = tf.reduce_sum(tf.square(delta), axis=-1)
        target = tf.exp(-d2 / (2.0 * sigma_cells**2))
        target = target / tf.maximum(tf.reduce_sum(target, axis=1, keepdims=True), 1e-6)
        ce = -tf.reduce_sum(target * tf.nn.log_softmax(logits, axis=1), axis=1)  # (B, K)
        near = tf.exp(-d2 / 2.0)
        l1 = tf.reduce_sum(near * tf.reduce_sum(tf.abs(offsets - delta), axis=-1), axis=1)
        l1 = l1 / tf.maximum(tf.reduce_sum(near, axis=1), 1e-6)
        per_point = (ce + offset_weight * l1) * m
        return tf.reduce_sum(per_point, axis=-1) / tf.maximum(tf.reduce_sum(m, axis=-1), 1.0)

    return loss


def nme_from_packed(pred: npt.NDArray[np.float32], y: npt.NDArray[np.float32], n_out_points: int) -> float:
    """Mean NME (%) of packed targets; 68 points if the model has them, else the Kaggle-15 view."""
    n = N_KEYPOINTS
    t68 = y[:, : n * 2].reshape(-1, n, 2)
    iod = np.linalg.norm(t68[:, 45] - t68[:, 36], axis=-1)
    if n_out_points == N_KEYPOINTS:
        p = pred.reshape(-1, n, 2)
        err = np.linalg.norm(p - t68, axis=-1).mean(-1)
    else:
        p = pred.reshape(-1, 15, 2)
        err = np.linalg.norm(p - to_kaggle15(t68), axis=-1).mean(-1)
    return float(np.mean(err / np.maximum(iod, 1e-6)) * 100)


def _lazy_keras():
    import keras

    return keras


class _WarmupCosine(_lazy_keras().optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """Linear warm-up, then cosine decay to 2 % of the peak."""

    def __init__(self, peak: float, warmup_steps: int, total_steps: int) -> None:
        self.peak, self.warmup, self.total = peak, max(1, warmup_steps), max(2, total_steps)

    def __call__(self, step):
        import tensorflow as tf

        step = tf.cast(step, tf.float32)
        warm = self.peak * step / self.warmup
        progress = tf.clip_by_value((step - self.warmup) / (self.total - self.warmup), 0.0, 1.0)
        cosine = self.peak * (0.02 + 0.98 * 0.5 * (1.0 + tf.cos(math.pi * progress)))
        return tf.where(step < self.warmup, warm, cosine)

    def get_config(self) -> dict[str, Any]:
        return {"peak": self.peak, "warmup_steps": self.warmup, "total_steps": self.total}


class _Batches(_lazy_keras().utils.PyDataset):  # type: ignore[misc]
    """Seeded augmented batches; batch ``i`` of epoch ``e`` depends only on (crop seed, e, i)."""

    def __init__(self, sources, weights, cfg: TrainConfig, steps: int, dict_targets: bool = False) -> None:
        super().__init__(workers=2, use_multiprocessing=False, max_queue_size=8)
        self.sources, self.weights, self.cfg, self.steps = sources, weights, cfg, steps
        self.dict_targets = dict_targets
        self.epoch = 0

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.cfg.crop_stream_seed, self.epoch, index])
        picks = rng.choice(len(self.sources), size=self.cfg.batch_size, p=self.weights)
        x, y = make_batch(self.sources, picks, rng, self.cfg)
        return (x, {"points": y, "heatmap": y}) if self.dict_targets else (x, y)

    def on_epoch_end(self) -> None:
        self.epoch += 1


class _Progress(_lazy_keras().callbacks.Callback):  # type: ignore[misc]
    """One line per epoch: loss, validation NME (every few epochs), elapsed time."""

    def __init__(self, cfg: TrainConfig, log: Log, val_x, val_y, started: float) -> None:
        super().__init__()
        self.cfg, self.log, self.val_x, self.val_y, self.started = cfg, log, val_x, val_y, started
        self.history_rows: list[dict[str, float]] = []

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        row = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", float("nan")))}
        last = epoch + 1 == self.cfg.epochs
        if self.val_x is not None and ((epoch + 1) % self.cfg.eval_every == 0 or last or epoch == 0):
            pred = self.model.predict(self.val_x, batch_size=256, verbose=0)
            pred = pred["points"] if isinstance(pred, dict) else pred
            row["val_nme"] = nme_from_packed(pred, self.val_y, self.cfg.n_out_points)
        self.history_rows.append(row)
        minutes = (time.time() - self.started) / 60
        nme = f"  val NME {row['val_nme']:.2f}%" if "val_nme" in row else ""
        self.log(f"epoch {epoch + 1:3d}/{self.cfg.epochs}  loss {row['loss']:.4f}{nme}  [{minutes:.1f} min]")


# --- export and card ------------------------------------------------------------------------


def export_tflite(model, path: Path) -> None:
    """Convert a Keras model to a float32 ``.tflite`` file, written atomically.

    A heat-map model is exported with two outputs: ``points`` (2K) and ``confidence`` (1), the
    mean over the points of the heat-map's peak probability, which tells faces from non-faces.
    """
    import tensorflow as tf

    if isinstance(model.output, dict):
        import keras

        from snowcam.training.model import PeakConfidence

        logits = model.get_layer("logits").output
        confidence = PeakConfidence(name="confidence")(logits)
        model = keras.Model(model.input, [model.output["points"], confidence], name=model.name)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    # The converter prints every captured tensor of the traced graph; keep the progress log readable.
    with contextlib.redirect_stdout(io.StringIO()):
        blob = converter.convert()
    write_bytes_atomic(path, blob)


def train_command(cfg: TrainConfig) -> str:
    """The ``snowcam train`` command line that reproduces a configuration."""
    default = TrainConfig()
    words = ["snowcam train", *(f"--data {d}" for d in cfg.data), f"--arch {cfg.arch}"]
    for flag, name in (
        ("--epochs", "epochs"),
        ("--samples-per-epoch", "samples_per_epoch"),
        ("--batch-size", "batch_size"),
        ("--learning-rate", "learning_rate"),
        ("--val-fraction", "val_fraction"),
        ("--seed", "seed"),
        ("--crop-seed", "crop_seed"),
        ("--out", "out"),
        ("--init", "init_from"),
        ("--flip-probability", "flip_probability"),
        ("--mirror-label-shift", "mirror_label_shift_px"),
    ):
        if getattr(cfg, name) != getattr(default, name):
            words.append(f"{flag} {getattr(cfg, name)}")
    return " ".join(words)


def describe_outputs(model) -> dict[str, Any]:
    """The card's note on the exported outputs (a heat-map model also exports a face score)."""
    if isinstance(model.output, dict):
        return {
            "confidence": "second output, shape [1]: mean over the points of the heat-map's peak "
            "probability; about 0.2 on faces, 0.1 on background (the tracker's face check)"
        }
    return {}


def evaluate_exported(tflite_path: Path, val_sets: list[LandmarkSet], log: Log) -> dict[str, Any]:
    """Run ``snowcam eval`` (detector boxes) on each held-out validation set."""
    from snowcam.evaluate import evaluate
    from snowcam.keypoints import KeypointModel

    model = KeypointModel(tflite_path)
    detector = still_image_detector()
    metrics = {}
    for data in val_sets:
        summary = evaluate(data, model, detector, boxes="detector").summary()
        summary.pop("per_point_nme_k15", None)
        metrics[f"validation/{data.name}"] = {"detector_boxes": summary}
        nme68, nme15 = (
            f"{summary[k]:.2f}%" if summary[k] is not None else "-" for k in ("nme_68", "nme_k15")
        )
        log(
            f"  validation {data.name}: NME-68 {nme68}  NME-K15 {nme15}  "
            f"failure {summary['failure_rate'] * 100:.2f}%  ({summary['n_images']} images, detector boxes)"
        )
    return metrics


def measure_mirror_offset(tflite_path: Path, val_sets: list[LandmarkSet], log: Log) -> dict[str, Any]:
    """The card's ``output.mirror_offset_px`` on the held-out sets (for test-time flip averaging)."""
    from snowcam.evaluate import mirror_offset_card_entry
    from snowcam.keypoints import KeypointModel

    entry = mirror_offset_card_entry(KeypointModel(tflite_path), val_sets)
    if entry:
        log(f"  mirror offset: {entry['mirror_offset_px']} px")
    return entry


def init_provenance(keras_path: Path) -> dict[str, Any]:
    """What a continued run started from: the ``.keras`` file's SHA-256 and, from the card beside
    it, how that model was trained, so the chain of runs behind a model can be reproduced."""
    entry: dict[str, Any] = {
        "path": str(keras_path),
        "sha256": hashlib.sha256(keras_path.read_bytes()).hexdigest(),
    }
    card_path = keras_path.with_suffix(".json")
    with contextlib.suppress(OSError, ValueError):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        training = card.get("training") if isinstance(card, dict) else None
        if isinstance(training, dict):
            entry.update({k: training[k] for k in ("command", "init") if k in training})
    return entry


def model_card(
    cfg: TrainConfig,
    calibration: DetectorCalibration,
    data: dict,
    history: list,
    seconds: float,
    model,
    init: dict[str, Any] | None = None,
) -> dict[str, Any]:
    import keras
    import tensorflow as tf

    n_out = cfg.n_out_points
    return {
        "format": CARD_FORMAT,
        "name": f"snowcam keypoints ({cfg.arch})",
        "architecture": cfg.arch,
        "parameters": int(model.count_params()),
        "input": {
            "size": MODEL_INPUT_SIZE,
            "channels": 1,
            "colour": "grey (OpenCV BGR2GRAY)",
            "dtype": "float32",
            "range": [0, 255],
            "normalisation": "inside the model: x / 127.5 - 1"
            if not cfg.arch.startswith("seed")
            else "inside the model: x / 255",
        },
        "output": {
            "shape": [n_out * 2],
            "layout": "x0, y0, x1, y1, ... in crop pixels divided by the crop side (0..1 across the crop)",
            "point_names": list(POINT_NAMES_68 if n_out == N_KEYPOINTS else KAGGLE15_NAMES),
            "convention": "iBUG 300-W 68 points, 0-based; left/right as seen in the image"
            if n_out == N_KEYPOINTS
            else "Kaggle facial keypoints: left/right are the subject's",
        },
        "crop": {
            "rule": "square region centred on the box of the 68 points, side = region_scale × the box's "
            "longer side, optionally rotated by the eye-line roll; resampled bilinearly to 96×96 grey",
            "region_scale": REGION_SCALE,
            "detector": "OpenCV Haar frontalface_default (alt2 and profile fallbacks), HaarFaceDetector; "
            "training boxes from detect(); BlazeFace's boxes are mapped to the cascade's (snowcam.blazeface)",
            "detector_calibration": calibration.to_dict(),
        },
        "training": {
            "command": train_command(cfg),
            "config": asdict(cfg),
            "data": data,
            "loss": "masked mean squared error, Adam 1e-3 (the seed recipe)"
            if cfg.arch.startswith("seed")
            else f"masked wing loss (w={cfg.wing_w}, epsilon={cfg.wing_epsilon}) in crop pixels, AdamW, "
            "warm-up + cosine learning rate",
            "history": history,
            "minutes": round(seconds / 60, 1),
            **({"init": init} if init else {}),
            "licence_caveat": "Trained on research-only data (see training.data). The weights inherit those "
            "terms: fine for research and personal use; check before any commercial use.",
        },
        "software": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "opencv": cv2.__version__,
        },
        "metrics": {},
    }
