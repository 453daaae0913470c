"""Keypoint network architectures (Keras). Imports TensorFlow: training and export only.

Every model takes a ``96×96×1`` float32 grey crop with values in ``[0, 255]`` (the
normalisation is inside the model) and outputs ``K×2`` coordinates flattened to ``2K``
values, in crop pixels divided by the crop side (``[0, 1]`` across the crop).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

ARCHITECTURES = ("snownet", "seed-mlp", "seed-cnn")


def build_model(
    arch: str = "snownet", input_size: int = 96, n_points: int = 68, mean_shape: np.ndarray | None = None
) -> keras.Model:
    """A fresh, uncompiled model.

    Args:
        arch: ``snownet`` (the default design) or one of the seed baselines ``seed-mlp`` /
            ``seed-cnn`` (which predict the 15 Kaggle points).
        input_size: crop side in pixels.
        n_points: points predicted (68; the seed baselines use 15).
        mean_shape: optional ``(n_points, 2)`` mean target in ``[0, 1]`` crop units; the output
            layer starts from it, which makes the first epochs much faster.
    """
    if arch == "snownet":
        return _snownet(input_size, n_points, mean_shape)
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


def _inverted_residual(x, filters: int, stride: int, expansion: int, name: str):
    """MobileNetV2 block: 1×1 expand, 3×3 depthwise, 1×1 linear projection (+ skip)."""
    in_filters = x.shape[-1]
    y = _conv_bn(x, in_filters * expansion, 1, 1, f"{name}_expand") if expansion != 1 else x
    y = layers.DepthwiseConv2D(3, stride, padding="same", use_bias=False, name=f"{name}_dw")(y)
    y = layers.BatchNormalization(name=f"{name}_dw_bn")(y)
    y = layers.ReLU(name=f"{name}_dw_relu")(y)
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(y)
    y = layers.BatchNormalization(name=f"{name}_project_bn")(y)
    if stride == 1 and in_filters == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


# (filters, stride, expansion, repeats) per stage, after a stride-2 stem.
SNOWNET_STAGES = ((24, 1, 1, 1), (32, 2, 4, 2), (64, 2, 4, 3), (96, 2, 4, 3), (128, 2, 4, 2))


def _snownet(input_size: int, n_points: int, mean_shape: np.ndarray | None) -> keras.Model:
    """A small MobileNetV2-style network with a multi-scale regression head (as PFLD)."""
    inputs, x = _input(input_size)
    x = _conv_bn(x, 24, 3, 2, "stem")
    taps = []
    for stage, (filters, stride, expansion, repeats) in enumerate(SNOWNET_STAGES):
        for r in range(repeats):
            x = _inverted_residual(x, filters, stride if r == 0 else 1, expansion, f"s{stage}b{r}")
        if stage >= 2:
            taps.append(x)
    # Global context from the 12×12 and 6×6 maps plus the full spatial layout of the last map.
    pooled = [layers.GlobalAveragePooling2D(name=f"gap{i}")(t) for i, t in enumerate(taps[:-1])]
    last = _conv_bn(taps[-1], 128, 1, 1, "head")
    features = layers.Concatenate(name="features")([*pooled, layers.Flatten(name="flatten")(last)])
    outputs = layers.Dense(
        n_points * 2,
        name="points",
        kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3),
        bias_initializer=_bias_init(mean_shape, n_points),
    )(features)
    return keras.Model(inputs, outputs, name="snownet")


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
