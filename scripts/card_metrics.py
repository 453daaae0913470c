"""Measure a model on its training run's held-out people and write the numbers into its card.

Usage: python scripts/card_metrics.py [MODEL.tflite]   (default: models/keypoints.tflite)

For every 68-point data folder named in the card's ``training.data``, the validation split of
that run (same seed and fraction) is evaluated twice, as ``snowcam eval --split validation``
does: with the default detector's boxes (BlazeFace) and with the true points' boxes. The card's
``metrics`` are replaced; the command, date and detector are recorded next to them. The model's mirror
offset (``snowcam.evaluate.mirror_offsets_px``, median over the same faces) goes into
``output.mirror_offset_px``, for ``snowcam eval --flip-average``.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from snowcam.datasets import load_faces68_folder, split_by_identity
from snowcam.detection import DETECTORS, still_image_detector
from snowcam.evaluate import evaluate, mirror_offset_card_entry
from snowcam.keypoints import KeypointModel, ModelCard


def main(argv: list[str]) -> int:
    model_path = Path(argv[0] if argv else "models/keypoints.tflite")
    card_path = model_path.with_suffix(".json")
    model = KeypointModel(model_path)
    card = model.card.to_dict()
    config = card["training"]["config"]
    detector = still_image_detector(DETECTORS[0])
    metrics: dict[str, dict] = {}
    sets = []
    for folder in card["training"]["data"]["sets"]:
        if folder["points"] != 68 or not Path(folder["path"]).is_dir():
            continue
        data = load_faces68_folder(folder["path"], color=True)
        _, val_idx = split_by_identity(data.identities, config["val_fraction"], config["seed"])
        data = data.subset(val_idx)
        entry = {}
        for boxes in ("detector", "truth"):
            summary = evaluate(data, model, detector if boxes == "detector" else None, boxes=boxes).summary()
            entry[f"{boxes}_boxes"] = summary
            print(
                f"{folder['name']} ({boxes} boxes): NME-68 {summary['nme_68']:.2f}%  "
                f"NME-K15 {summary['nme_k15']:.2f}%  failure {summary['failure_rate'] * 100:.2f}%  "
                f"no face {summary['no_face_rate'] * 100:.2f}%",
                flush=True,
            )
        metrics[f"validation/{folder['name']}"] = entry
        sets.append(data)
    card["metrics"] = metrics
    for key in ("mirror_offset_px", "mirror_offset_note"):
        card["output"].pop(key, None)
    card["output"].update(mirror_offset_card_entry(model, sets))
    print(f"mirror offset {card['output'].get('mirror_offset_px')} px", flush=True)
    card["metrics_measured_by"] = {
        "command": f"python scripts/card_metrics.py {model_path}",
        "date": datetime.date.today().isoformat(),
        "split": "the training run's validation people (identity-disjoint)",
        "detector": detector.name,
    }
    card.pop("metrics_at_training", None)
    ModelCard.from_dict(card, str(card_path)).save(card_path)
    print(f"wrote the metrics into {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
