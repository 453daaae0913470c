"""Keypoint network architectures (Keras). Imports TensorFlow: training and export only.

Every model takes a ``96×96×1`` float32 grey crop with values in ``[0, 255]`` (the
normalisation is inside the model) and outputs ``K×2`` coordinates flattened to ``2K``
values, in crop pixels divided by the crop side (``[0, 1]`` across the crop).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from snowcam.training.config import ARCHITECTURES

HEATMAP_GRID = 12


def build_model(
    arch: str = "snownet", input_size: int = 96, n_points: int = 68, mean_shape: np.ndarray | None = None
) -> keras.Model:
    """A fresh, uncompiled model.

    Args:
        arch: ``snownet`` (direct regression), ``snownet-hm`` (the same backbone with a 12×12
            heat-map + offset head decoded by a soft-argmax; two outputs, ``points`` and
            ``heatmap``, of which only ``points`` is exported), ``snownet2-hm`` (the same head on a
            wider backbone whose 12×12 and 6×6 stages downsample with separable convolutions, so
            it runs as fast with 30 % more parameters) or one of the seed baselines
            ``seed-mlp`` / ``seed-cnn`` (which predict the 15 Kaggle points).
        input_size: crop side in pixels.
        n_points: points predicted (68; the seed baselines use 15).
        mean_shape: optional ``(n_points, 2)`` mean target in ``[0, 1]`` crop units; the output
            layer starts from it, which makes the first epochs much faster.
    """
    if arch == "snownet":
        return _snownet(input_size, n_points, mean_shape)
    if arch == "snownet-hm":
        return _snownet_heatmap(input_size, n_points)
    if arch == "snownet2-hm":
        return _snownet_heatmap(
            input_size, n_points, SNOWNET2_STAGES, separable_down_from=2, name="snownet2_hm"
        )
    if arch == "seed-mlp":
        return _seed_mlp(input_size, n_points)
    if arch == "seed-cnn":
        return _seed_cnn(input_size, n_points)
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")


def _input(input_size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    inputs = keras.Input((input_size, input_size, 1), name="crop_gray_0_255")
    return inputs, layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_unit_range")(inputs)


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str):
    x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _separable_residual(x, name: str):
    """A 3×3 depthwise-separable conv with BN and ReLU, added to its input."""
    y = layers.SeparableConv2D(x.shape[-1], 3, padding="same", use_bias=False, name=f"{name}_sep")(x)
    y = layers.BatchNormalization(name=f"{name}_bn")(y)
    y = layers.ReLU(name=f"{name}_relu")(y)
    return layers.Add(name=f"{name}_add")([x, y])


# (filters, separable residual blocks) per stage; each stage starts with a plain 3×3 stride-2 conv.
# Plain convs downsample (they train fast on CPUs); cheap separable blocks add depth. Measured on the
# 2-core CPU: ~0.5 ms per crop with LiteRT (1 thread), ~390 training crops/s with TensorFlow.
SNOWNET_STAGES = ((16, 0), (32, 1), (64, 2), (128, 2))
# snownet2: the plain stride-2 convs of the last two stages cost half of snownet's multiply-adds;
# separable ones (3×3 depthwise stride 2, then 1×1) pay for 1.5× the channels and one more block.
SNOWNET2_STAGES = ((16, 0), (32, 1), (96, 2), (192, 3))


def _separable_down(x, filters: int, name: str):
    """A 3×3 depthwise stride-2 conv with BN and ReLU, then a 1×1 conv to ``filters`` channels."""
    x = layers.DepthwiseConv2D(3, 2, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dwbn")(x)
    x = layers.ReLU(name=f"{name}_dwrelu")(x)
    return _conv_bn(x, filters, 1, 1, name)


def _snownet_backbone(
    x, stages: tuple[tuple[int, int], ...] = SNOWNET_STAGES, separable_down_from: int | None = None
) -> list:
    """The shared backbone; returns its 12×12 and 6×6 feature maps (layer names fixed by stage).

    Stages from ``separable_down_from`` on downsample with :func:`_separable_down` instead of a
    plain 3×3 stride-2 conv.
    """
    taps = []
    for stage, (filters, blocks) in enumerate(stages):
        if separable_down_from is not None and stage >= separable_down_from:
            x = _separable_down(x, filters, f"s{stage}_down")
        else:
            x = _conv_bn(x, filters, 3, 2, f"s{stage}_down")
        for b in range(blocks):
            x = _separable_residual(x, f"s{stage}b{b}")
        if stage >= 2:
            taps.append(x)
    return taps


def _snownet(input_size: int, n_points: int, mean_shape: np.ndarray | None) -> keras.Model:
    """A small CNN (96 → 6 px feature map) with a multi-scale regression head (as in PFLD)."""
    inputs, x = _input(input_size)
    taps = _snownet_backbone(x)
    # Global context from the 12×12 and 6×6 maps plus the full spatial layout of the last map.
    pooled = [layers.GlobalAveragePooling2D(name=f"gap{i}")(t) for i, t in enumerate(taps)]
    last = _conv_bn(taps[-1], 32, 1, 1, "head")
    features = layers.Concatenate(name="features")([*pooled, layers.Flatten(name="flatten")(last)])
    outputs = layers.Dense(
        n_points * 2,
        name="points",
        kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3),
        bias_initializer=_bias_init(mean_shape, n_points),
    )(features)
    return keras.Model(inputs, outputs, name="snownet")


def _snownet_heatmap(
    input_size: int,
    n_points: int,
    stages: tuple[tuple[int, int], ...] = SNOWNET_STAGES,
    separable_down_from: int | None = None,
    name: str = "snownet_hm",
) -> keras.Model:
    """snownet's backbone, a 12×12 feature map (6×6 upsampled and added), heat-map + offset head."""
    inputs, x = _input(input_size)
    taps = _snownet_backbone(x, stages, separable_down_from)
    fine, coarse = taps
    lifted = layers.UpSampling2D(2, interpolation="bilinear", name="lift")(
        _conv_bn(coarse, fine.shape[-1], 1, 1, "lateral")
    )
    f = layers.Add(name="merge")([fine, lifted])
    f = _separable_residual(f, "head0")
    f = _separable_residual(f, "head1")
    logits = layers.Conv2D(n_points, 1, name="logits")(f)
    offsets = layers.Conv2D(n_points * 2, 1, name="offsets", kernel_initializer="zeros")(f)
    points = GridDecode(name="points")(logits, offsets)
    heatmap = layers.Concatenate(name="heatmap")([logits, offsets])
    return keras.Model(inputs, {"points": points, "heatmap": heatmap}, name=name)


@keras.saving.register_keras_serializable(package="snowcam")
class GridDecode(layers.Layer):
    """Heat-map logits ``(B, G, G, K)`` and offsets ``(B, G, G, 2K)`` → points ``(B, 2K)``, crop units.

    Each cell votes for its centre plus its offset (in cells); the votes are averaged with the
    softmax of the logits over the grid (a soft-argmax refined by offsets), so the decoding is
    differentiable and exports to plain LiteRT ops.
    """

    def call(self, logits, offsets):
        from keras import ops

        grid, k = logits.shape[1], logits.shape[-1]
        prob = ops.softmax(ops.reshape(logits, (-1, grid * grid, k)), axis=1)
        off = ops.reshape(offsets, (-1, grid * grid, k, 2))
        centres = ops.convert_to_tensor(grid_centres(grid)[:, None, :])
        votes = centres + off / grid
        points = ops.sum(prob[..., None] * votes, axis=1)
        return ops.reshape(points, (-1, k * 2))


@keras.saving.register_keras_serializable(package="snowcam")
class PeakConfidence(layers.Layer):
    """Heat-map logits ``(B, G, G, K)`` → ``(B, 1)``: the mean over points of the peak softmax.

    Near 0.2 on faces, near 0.1 on background (a uniform map gives 1/G²); the tracker uses it to
    drop crops that no longer show a face and to ignore false detections.
    """

    def call(self, logits):
        from keras import ops

        grid, k = logits.shape[1], logits.shape[-1]
        prob = ops.softmax(ops.reshape(logits, (-1, grid * grid, k)), axis=1)
        return ops.mean(ops.max(prob, axis=1), axis=1, keepdims=True)


def load_keras_model(path: str) -> keras.Model:
    """Load a saved ``keypoints.keras`` for fine-tuning or export (uncompiled: compile it anew).

    The training loss and schedule are closures of a run and are not restored.
    """
    return keras.models.load_model(
        path, compile=False, custom_objects={"GridDecode": GridDecode, "PeakConfidence": PeakConfidence}
    )


def grid_centres(grid: int) -> np.ndarray:
    """``(G*G, 2)`` cell centres in crop units, row-major (y, then x), as ``(x, y)``."""
    ys, xs = np.mgrid[0:grid, 0:grid]
    return np.stack([(xs.ravel() + 0.5) / grid, (ys.ravel() + 0.5) / grid], axis=1).astype(np.float32)


def _bias_init(mean_shape: np.ndarray | None, n_points: int):
    if mean_shape is None:
        return keras.initializers.Constant(0.5)
    flat = np.asarray(mean_shape, np.float32).reshape(n_points * 2)
    return keras.initializers.Constant(flat)


def _seed_mlp(input_size: int, n_points: int) -> keras.Model:
    """The seed notebook's MLP: Flatten → 3×Dense(1000, relu) → Dense(2K)."""
    inputs = keras.Input((input_size, input_size, 1), name="crop_gray_0_255")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Flatten()(x)
    for i in range(3):
        x = layers.Dense(1000, activation="relu", name=f"dense{i}")(x)
    outputs = layers.Dense(n_points * 2, name="points")(x)
    return keras.Model(inputs, outputs, name="seed_mlp")


def _seed_cnn(input_size: int, n_points: int) -> keras.Model:
    """The seed notebook's CNN: 3 conv/pool stages (64, 128, 256), dropout 0.1, Dense 512."""
    inputs = keras.Input((input_size, input_size, 1), name="crop_gray_0_255")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    for filters, kernel in ((64, 3), (128, 2), (256, 2)):
        x = layers.Conv2D(filters, kernel, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(512, activation="relu")(x)
    outputs = layers.Dense(n_points * 2, name="points")(x)
    return keras.Model(inputs, outputs, name="seed_cnn")
