"""Lecture 9 on the torch backend.

Its WGAN-GP training step needs nested gradients, which Keras 3 has no
backend-neutral API for, so the lecture writes the step for TensorFlow and for
PyTorch. nbval runs the notebook on the default (TensorFlow) backend; this test runs
it with ``KERAS_BACKEND=torch`` in fast mode, so that the PyTorch step runs too, and
checks that it trained: every glued number is finite and the self-checks passed.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
LECTURE = REPO / "lectures" / "09_gan.ipynb"


@pytest.mark.notebooks
def test_gan_lecture_runs_on_the_torch_backend(tmp_path):
    executed = tmp_path / "09_gan_torch.ipynb"
    env = dict(os.environ, KERAS_BACKEND="torch", DLPHYS_FAST="1")
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=600", str(LECTURE), "--output", str(executed)],
        env=env, capture_output=True, text=True, cwd=REPO / "lectures")
    assert result.returncode == 0, result.stderr[-5000:]
    outputs = [output for cell in nbformat.read(executed, as_version=4).cells
               for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "on the torch backend" in printed
    glued = {output["metadata"]["scrapbook"]["name"]: value  # myst_nb's glue, display=False
             for output in outputs if "scrapbook" in output.get("metadata", {})
             for mime, value in output["data"].items() if mime.endswith("text/plain")}
    for name in ("gan_classifier_auc", "floor_classifier_auc", "gan_response_max_deviation",
                 "gan_depth_deviation_x0", "gan_ms_per_shower", "simulator_ms_per_shower"):
        assert math.isfinite(float(glued[name])), (name, glued[name])
    assert 0.4 < float(glued["floor_classifier_auc"]) < 0.6
