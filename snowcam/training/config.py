"""The training recipe as data (no TensorFlow import, so the CLI can show defaults cheaply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from snowcam.types import N_KEYPOINTS

# Every architecture `snowcam train --arch` builds (see snowcam.training.model.build_model).
ARCHITECTURES = ("snownet-hm", "snownet2-hm", "snownet", "seed-mlp", "seed-cnn")


@dataclass
class TrainConfig:
    """One training recipe. The defaults are the default recipe, which finishes within the hour
    on a 2-core CPU (38–44 min). The shipped model is two longer runs: the same recipe with
    ``epochs=240`` (78 min), then a second cycle from its weights with ``epochs=240``,
    ``learning_rate=1e-3`` and ``crop_seed=2`` (87 min). Validation NME 68 (video / photos):
    4.66 / 4.55 % for the default recipe, 4.49 / 4.29 % after the first run, 4.41 / 4.10 % after
    the second."""

    data: list[str] = field(default_factory=lambda: ["../shared/data/faces68", "../shared/data/300w-train"])
    arch: str = "snownet-hm"
    epochs: int = 120
    samples_per_epoch: int = 6144
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 3
    val_fraction: float = 0.1
    seed: int = 1234
    # The stream of training crops follows crop_seed (default: seed, which also splits the data).
    # A run that continues another (init_from) should be given a new one, so it sees new crops
    # rather than the same stream a second time; the split stays the seed's.
    crop_seed: int | None = None
    wing_w: float = 10.0
    wing_epsilon: float = 2.0
    p_detector_region: float = 0.45
    p_rotated_region: float = 0.35
    # Mirroring is off by default: both data sets' annotations sit about 1 px right of where a
    # mirror-symmetric model puts them (measured: -1.1 px on faces68, -0.8 px on 300-W), and
    # training on mirrored copies teaches the model to split that difference.
    flip_probability: float = 0.0
    # With mirroring on: the annotations' habit, in source px to the right of the mirror-symmetric
    # position, kept on mirrored copies (see AugmentConfig.mirror_label_shift_px).
    mirror_label_shift_px: float = 0.0
    out: str = "models/keypoints"
    cache_dir: str = field(default_factory=lambda: str(Path.home() / ".cache" / "snowcam"))
    eval_every: int = 5
    init_from: str | None = None

    @property
    def crop_stream_seed(self) -> int:
        """The seed the training crops actually use: ``crop_seed``, else ``seed``."""
        return self.seed if self.crop_seed is None else self.crop_seed

    @property
    def n_out_points(self) -> int:
        return 15 if self.arch.startswith("seed") else N_KEYPOINTS
