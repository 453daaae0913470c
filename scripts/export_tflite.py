"""Export a saved ``keypoints.keras`` to ``.tflite`` again (e.g. after fine-tuning), beside it.

Usage: python scripts/export_tflite.py models/keypoints.keras

The model card (``.json`` of the same stem) is kept; its ``output`` section is updated to the
exported outputs. ``snowcam train`` does the same export at the end of training.
"""

from __future__ import annotations

import sys
from pathlib import Path

from snowcam.keypoints import ModelCard
from snowcam.training.model import load_keras_model
from snowcam.training.train import describe_outputs, export_tflite


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    keras_path = Path(argv[0])
    model = load_keras_model(str(keras_path))
    tflite_path = keras_path.with_suffix(".tflite")
    export_tflite(model, tflite_path)
    card_path = keras_path.with_suffix(".json")
    if card_path.is_file():
        card = ModelCard.load(card_path).to_dict()
        card["output"].update(describe_outputs(model))
        ModelCard.from_dict(card, str(card_path)).save(card_path)
    print(f"wrote {tflite_path} ({tflite_path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
