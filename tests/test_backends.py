"""Lectures 9 and 11 on the torch backend.

Lecture 9's WGAN-GP training step needs nested gradients, which Keras 3 has no
backend-neutral API for, so the lecture writes the step for TensorFlow and for
PyTorch. Lecture 11's recurrent layers run as Keras's own loop on torch and as a
fused kernel on TensorFlow. nbval runs the notebooks on the default (TensorFlow)
backend; this test runs them with ``KERAS_BACKEND=torch`` in fast mode and checks
that they trained: every glued number is finite and the self-checks passed.
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

#: lecture -> (its glued numbers that must be finite, a plausibility check on them)
LECTURES = {
    "09_gan": (("gan_classifier_auc", "floor_classifier_auc", "gan_response_max_deviation",
                "gan_depth_deviation_x0", "gan_ms_per_shower", "simulator_ms_per_shower"),
               lambda glued: 0.4 < glued["floor_classifier_auc"] < 0.6),
    "11_recurrent": (("rnn_overlap", "wiener_overlap", "matched_filter_overlap", "raw_overlap",
                      "rnn_detection_auc", "matched_filter_detection_auc"),
                     lambda glued: glued["rnn_overlap"] > glued["raw_overlap"]),
}


@pytest.mark.notebooks
@pytest.mark.parametrize("lecture", sorted(LECTURES))
def test_lecture_runs_on_the_torch_backend(lecture, tmp_path):
    executed = tmp_path / f"{lecture}_torch.ipynb"
    env = dict(os.environ, KERAS_BACKEND="torch", DLPHYS_FAST="1")
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=600", str(REPO / "lectures" / f"{lecture}.ipynb"),
         "--output", str(executed)],
        env=env, capture_output=True, text=True, cwd=REPO / "lectures")
    assert result.returncode == 0, result.stderr[-5000:]
    outputs = [output for cell in nbformat.read(executed, as_version=4).cells
               for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "on the torch backend" in printed
    glued = {output["metadata"]["scrapbook"]["name"]: value  # myst_nb's glue, display=False
             for output in outputs if "scrapbook" in output.get("metadata", {})
             for mime, value in output["data"].items() if mime.endswith("text/plain")}
    names, plausible = LECTURES[lecture]
    numbers = {name: float(glued[name]) for name in names}
    for name, value in numbers.items():
        assert math.isfinite(value), (name, value)
    assert plausible(numbers), numbers
