"""Import boundaries: Qt only in ``snowcam.ui``, TensorFlow/Keras only in ``snowcam.training``.

napari enforces its layers with import-linter; here a subprocess that poisons the heavy modules
(``sys.modules[name] = None`` makes any import of them fail) imports everything else, and an AST
scan catches imports that a lazy code path would hide.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "snowcam"

IMPORT_ALL = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    for name in ("tensorflow", "keras", "PyQt6"):
        sys.modules[name] = None
    import snowcam

    ALLOWED_TRAINING = {"snowcam.training.config", "snowcam.training.augment"}

    def skipped(name):
        if name == "snowcam.__main__" or name == "snowcam.ui" or name.startswith("snowcam.ui."):
            return True
        return name.startswith("snowcam.training.") and name not in ALLOWED_TRAINING

    imported, failed = [], {}

    def walk(path, prefix):
        for info in pkgutil.iter_modules(path, prefix):
            if skipped(info.name):
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception as exc:
                failed[info.name] = f"{type(exc).__name__}: {exc}"
                continue
            imported.append(info.name)
            if info.ispkg:
                walk(module.__path__, info.name + ".")

    walk(snowcam.__path__, "snowcam.")
    try:
        import snowcam.training.train
        control = "imported"
    except ImportError as exc:
        control = f"ImportError: {exc}"
    print(json.dumps({"imported": imported, "failed": failed, "control": control}))
    """
)


def _run(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_everything_outside_ui_and_training_imports_without_tensorflow_keras_or_qt() -> None:
    result = _run(IMPORT_ALL)
    assert result["failed"] == {}, "these modules need TensorFlow, Keras or Qt: " + json.dumps(
        result["failed"]
    )
    must = {
        "snowcam.types",
        "snowcam.geometry",
        "snowcam.datasets",
        "snowcam.detection",
        "snowcam.keypoints",
        "snowcam.evaluate",
        "snowcam.cli",
        "snowcam.pipeline",
        "snowcam.training",
        "snowcam.training.config",
        "snowcam.training.augment",
    }
    assert must <= set(result["imported"])
    assert not any(name.startswith(("snowcam.ui", "snowcam.training.train")) for name in result["imported"])
    # Control: the poisoning works, the training module really needs TensorFlow/Keras and is refused.
    assert result["control"].startswith("ImportError"), result["control"]


def test_cli_parser_and_pipeline_do_not_load_tensorflow() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        import snowcam.cli
        snowcam.cli.build_parser()
        import snowcam.pipeline
        heavy = ("tensorflow", "keras", "PyQt6")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        """
    )
    assert _run(code) == []


@pytest.mark.skipif(
    not (REPO / "models" / "keypoints.tflite").is_file(), reason="models/keypoints.tflite is not there"
)
def test_running_the_shipped_model_does_not_load_tensorflow() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        from snowcam.keypoints import KeypointModel, default_model_path
        model = KeypointModel(default_model_path())
        points, scores = model.predict_crops(np.zeros((2, 96, 96), np.uint8))
        assert points.shape[0] == scores.shape[0] == 2
        heavy = ("tensorflow", "keras", "PyQt6")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        """
    )
    assert _run(code) == []


# --- AST scan -------------------------------------------------------------------------------------------


def _roots(node: ast.AST) -> list[str]:
    """Top-level package names an import statement loads (relative imports give none)."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


def imports_anywhere(tree: ast.AST) -> set[str]:
    """Every package imported anywhere in a module, including inside functions."""
    return {root for node in ast.walk(tree) for root in _roots(node)}


def imports_at_import_time(tree: ast.Module) -> set[str]:
    """Packages imported when the module is imported: module and class bodies, if/try/with blocks.

    Function bodies run later and ``if TYPE_CHECKING:`` blocks never run, so both are left out.
    """
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for stmt in statements:
            found.update(_roots(stmt))
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
                visit(stmt.orelse)
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(stmt, field, None)
                if isinstance(block, list):
                    visit([s for s in block if isinstance(s, ast.stmt)])
                    for handler in block:
                        if isinstance(handler, ast.ExceptHandler):
                            visit(handler.body)

    visit(tree.body)
    return found


def test_the_scanners_themselves() -> None:
    source = textwrap.dedent(
        """
        from typing import TYPE_CHECKING
        import numpy as np
        if TYPE_CHECKING:
            import keras
        try:
            import tensorflow.lite as tfl
        except ImportError:
            from PyQt6 import QtCore
        class A:
            import cv2
        def f():
            import torch
        from . import sibling
        """
    )
    tree = ast.parse(source)
    assert imports_at_import_time(tree) == {"typing", "numpy", "tensorflow", "PyQt6", "cv2"}
    assert imports_anywhere(tree) == {"typing", "numpy", "keras", "tensorflow", "PyQt6", "cv2", "torch"}


def _sources(exclude: str) -> list[Path]:
    files = [p for p in PACKAGE.rglob("*.py") if exclude not in p.relative_to(PACKAGE).parts[:1]]
    assert len(files) >= 10
    return files


def test_no_qt_import_outside_ui() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in _sources(exclude="ui")
        if "PyQt6" in imports_anywhere(ast.parse(path.read_text(), str(path)))
    ]
    assert offenders == []


def test_no_module_level_tensorflow_or_keras_outside_training() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(found)
        for path in _sources(exclude="training")
        if (found := imports_at_import_time(ast.parse(path.read_text(), str(path))) & {"tensorflow", "keras"})
    }
    assert offenders == {}
