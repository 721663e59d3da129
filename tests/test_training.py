"""The Keras helpers of dlphys.training: the progress bar, and input gradients on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dlphys.training import ProgressBar, input_gradient  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def tiny_fit(epochs: int = 3, **kwargs):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0]], dtype="float32")).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    bar = ProgressBar(desc="tiny fit")
    history = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.25,
                        verbose=0, callbacks=[bar], **kwargs)
    return bar, history


def test_progress_bar_counts_epochs_shows_the_losses_and_closes(monkeypatch, capsys):
    monkeypatch.delenv("DLPHYS_NO_PROGRESS", raising=False)
    bar, history = tiny_fit(epochs=3)
    assert bar._bar.n == bar._bar.total == 3
    postfix = bar._bar.postfix
    assert "loss=" in postfix and "val_loss=" in postfix
    last = float(postfix.split("val_loss=")[1].split(",")[0])
    assert last == pytest.approx(history.history["val_loss"][-1], rel=1e-3)
    assert bar._bar.disable, "the bar was not closed at the end of training"
    err = capsys.readouterr().err
    assert "tiny fit" in err and "3/3" in err


def test_progress_bar_is_silent_with_dlphys_no_progress(monkeypatch, capsys):
    monkeypatch.setenv("DLPHYS_NO_PROGRESS", "1")
    bar, _ = tiny_fit(epochs=2)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


#: a model with a known gradient: f(x) = sum_i w_i x_i^2 per sample, d f / d x_i = 2 w_i x_i
CHECK = textwrap.dedent("""
    import keras
    import numpy as np
    from dlphys.training import input_gradient

    class Quadratic(keras.layers.Layer):
        def call(self, x):
            w = keras.ops.arange(1, 7, dtype="float32")
            return keras.ops.sum(w * keras.ops.square(keras.ops.reshape(x, (-1, 6))),
                                 axis=1, keepdims=True)

    model = keras.Sequential([keras.Input((2, 3)), Quadratic()])
    x = np.random.default_rng(0).normal(size=(5, 2, 3)).astype("float32")
    values, gradient = input_gradient(model, x)
    w = np.arange(1, 7, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(values, (w * x**2).sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gradient, 2 * w * x, rtol=1e-5)
    assert values.shape == (5,) and gradient.shape == x.shape
    print("ok", keras.backend.backend())
""")


@pytest.mark.parametrize("backend", ["tensorflow", "torch"])
def test_input_gradient_on_each_backend(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"ok {backend}" in result.stdout


def test_input_gradient_bad_arguments():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="batch"):
        input_gradient(model, np.float32(1.0))
    with pytest.raises(ValueError, match="output"):
        input_gradient(model, np.ones((2, 3)), output=-1)
