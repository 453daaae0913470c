"""The ``snowcam`` command: the app (no arguments) and its subcommands.

Heavy imports (Qt, TensorFlow) happen inside the subcommand that needs them, so
``snowcam eval`` never loads Qt and the app never loads TensorFlow.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from snowcam.errors import EXIT_USAGE, UserError, positive_int

__all__ = ["EXIT_USAGE", "UserError", "build_parser", "main"]


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _add_train(sub: argparse._SubParsersAction) -> None:
    from snowcam.training.config import ARCHITECTURES, TrainConfig

    d = TrainConfig()
    p = sub.add_parser(
        "train", help="train the keypoint model and export models/keypoints.{tflite,json,keras}"
    )
    p.add_argument(
        "--data",
        action="append",
        help="a faces68-layout folder (images/, landmarks.csv) or a Kaggle training.csv; repeat for more "
        f"(default: {' '.join(d.data)})",
    )
    p.add_argument("--arch", default=d.arch, choices=ARCHITECTURES)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--samples-per-epoch", type=int, default=d.samples_per_epoch)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--learning-rate", type=float, default=d.learning_rate)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction)
    p.add_argument(
        "--seed",
        type=int,
        default=d.seed,
        help="splits train/validation by identity; also seeds the weights, the batch order and, "
        "unless --crop-seed, the crops (default: %(default)s)",
    )
    p.add_argument(
        "--crop-seed",
        type=_non_negative_int,
        default=None,
        help="seed of the stream of augmented training crops (default: --seed); with --init, use a "
        "value other than the earlier run's so it trains on new crops (the split still follows --seed)",
    )
    p.add_argument("--out", default=d.out, help="output path without suffix (default: %(default)s)")
    p.add_argument(
        "--flip-probability",
        type=float,
        default=d.flip_probability,
        help="share of training crops mirrored (with the left/right index swap); default %(default)s",
    )
    p.add_argument(
        "--mirror-label-shift",
        type=float,
        default=d.mirror_label_shift_px,
        metavar="PX",
        help="how far right of the mirror-symmetric position the annotations sit, in image pixels; "
        "mirrored crops keep that habit (default %(default)s)",
    )
    p.add_argument(
        "--init", default=None, metavar="KERAS", help="fine-tune: start from this .keras model's weights"
    )


def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure the model on a faces68-layout folder")
    p.add_argument("--data", required=True, help="folder with images/ and landmarks.csv (68 points)")
    p.add_argument("--boxes", choices=("detector", "truth"), default="detector")
    from snowcam.detection import DETECTORS

    p.add_argument(
        "--detector",
        choices=DETECTORS,
        default=DETECTORS[0],
        help="with --boxes detector: BlazeFace short-range (default) or OpenCV's Haar cascades",
    )
    p.add_argument("--model", default=None, help="a .tflite model (default: the shipped one)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.add_argument(
        "--report", default=None, metavar="OUT_DIR", help="write ced.png, worst.png, typical.png (folder)"
    )
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N images (N ≥ 1)")
    p.add_argument(
        "--split",
        choices=("all", "validation", "train"),
        default="all",
        help="only the identities that the model's training run held out (or trained on), "
        "split by the seed in its card",
    )
    p.add_argument(
        "--flip-average",
        action="store_true",
        help="also predict on mirrored crops and average, adding back the mirror offset of the model card "
        "(twice the model time)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snowcam",
        description="Selfie filters on facial keypoints, live and local. Without a command, opens the app.",
    )
    parser.add_argument("--video", default=None, help="app: start on this video file")
    parser.add_argument("--camera", type=int, default=None, help="app: start on this camera index")
    sub = parser.add_subparsers(dest="command")
    _add_train(sub)
    _add_eval(sub)
    try:
        from snowcam.commands import add_pipeline_commands
    except ImportError:
        pass
    else:
        add_pipeline_commands(sub)
    from snowcam.virtualcam_cli import add_virtualcam_command

    add_virtualcam_command(sub)
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    from snowcam.training.config import TrainConfig

    data = args.data or TrainConfig().data
    for path in data:
        if not Path(path).exists():
            raise UserError(f"--data {path}: no such folder or file")
    try:
        from snowcam.training.train import train
    except ImportError as exc:
        raise UserError(f"training needs TensorFlow: pip install 'snowcam[train]' ({exc})") from None
    from snowcam.datasets import DataError

    cfg = TrainConfig(
        data=list(data),
        arch=args.arch,
        epochs=args.epochs,
        samples_per_epoch=args.samples_per_epoch,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        val_fraction=args.val_fraction,
        seed=args.seed,
        crop_seed=args.crop_seed,
        out=args.out,
        init_from=args.init,
        flip_probability=args.flip_probability,
        mirror_label_shift_px=args.mirror_label_shift,
    )
    try:
        train(cfg, log=lambda s: print(s, flush=True))
    except DataError as exc:
        raise UserError(str(exc)) from None
    return 0


def _split_like_training(data, card, split: str, folder: str):
    """The part of a data set that the model's training run held out (or trained on)."""
    from snowcam.datasets import split_by_identity

    recipe = card.training_split()
    if recipe is None:
        raise UserError("--split needs a model card with training.config (seed, val_fraction)")
    seed, fraction = recipe
    train_idx, val_idx = split_by_identity(data.identities, fraction, seed)
    chosen = val_idx if split == "validation" else train_idx
    if len(chosen) == 0:
        raise UserError(f"{folder}: the {split} split of this model's training run is empty here")
    return data.subset(chosen)


def _check_report_folder(folder: Path) -> None:
    """``--report`` must be a writable folder (created when missing); checked before the evaluation."""
    import os

    if folder.exists() and not folder.is_dir():
        raise UserError(f"--report {folder}: is a file; name a folder for ced.png, worst.png, typical.png")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--report {folder}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"--report {folder}: the folder is not writable; choose another place")


def cmd_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from snowcam.datasets import DataError, load_faces68_folder
    from snowcam.detection import still_image_detector
    from snowcam.evaluate import evaluate, write_report
    from snowcam.keypoints import KeypointModel, ModelError, default_model_path

    if args.report:
        _check_report_folder(Path(args.report))
    try:
        data = load_faces68_folder(args.data, color=True, limit=args.limit)
    except DataError as exc:
        raise UserError(str(exc)) from None
    incomplete = [f for f, pts in zip(data.files, data.points, strict=True) if not np.isfinite(pts).all()]
    if incomplete:
        raise UserError(
            f"{Path(args.data) / 'landmarks.csv'}: {incomplete[0]} has empty coordinates "
            f"({len(incomplete)} image(s) in all); snowcam eval needs all 68 points of every face"
        )
    try:
        model = KeypointModel(args.model or default_model_path(), flip_average=args.flip_average)
    except ModelError as exc:
        raise UserError(str(exc)) from None
    if args.split != "all":
        data = _split_like_training(data, model.card, args.split, args.data)
    try:
        detector = still_image_detector(args.detector) if args.boxes == "detector" else None
    except ModelError as exc:
        raise UserError(str(exc)) from None
    result = evaluate(data, model, detector, boxes=args.boxes)
    summary = result.summary()
    summary["split"] = args.split
    summary.update({"data": str(args.data), "boxes": args.boxes, "model": str(model.path)})
    summary["detector"] = detector.name if detector is not None else None
    if args.report:
        from snowcam.sinks import SinkError

        try:
            summary["report"] = [str(p) for p in write_report(result, data, args.report)]
        except SinkError as exc:
            raise UserError(str(exc)) from None
    if args.json:
        from snowcam.files import strict_json

        print(strict_json(summary, indent=2))
    else:
        boxes = f"{args.boxes} boxes" + (f" ({detector.name})" if detector is not None else "")
        print(f"{summary['n_images']} images from {args.data}, {boxes}, model {model.path}")
        if summary["nme_68"] is not None:
            print(f"  NME-68 {summary['nme_68']:.2f}%   NME-K15 {summary['nme_k15']:.2f}%")
        no_face, failures = summary["no_face_rate"] * 100, summary["failure_rate"] * 100
        print(f"  no face {no_face:.2f}%   failure rate {failures:.2f}%")
        if summary["ms_per_face"] is not None:
            print(
                f"  landmark stage {summary['ms_per_face']:.3f} ms per face"
                " (median, crop + prediction + one refinement pass)"
            )
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"train": cmd_train, "eval": cmd_eval}
    if args.command == "render":
        # SIGTERM unwinds like Ctrl-C, so the partial output is removed instead of left behind.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if args.command is None:
            from snowcam.ui.app import run_app

            return run_app(video=args.video, camera=args.camera)
        if args.command in handlers:
            return handlers[args.command](args)
        return args.handler(args)
    except UserError as exc:
        print(f"snowcam {args.command or ''}: error: {exc}".replace("  ", " "), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl+C: whatever was being written has been removed on the way out.
        print(f"snowcam {args.command or ''}: interrupted".replace("  ", " "), file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":
    # Run the imported module's main: subcommands raise snowcam.cli.UserError, which is not this
    # __main__ module's UserError class under ``python -m snowcam.cli``.
    from snowcam.cli import main as _main

    sys.exit(_main())
