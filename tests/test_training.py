"""dlphys.training.ProgressBar: one tqdm bar over the epochs of a (tiny) Keras fit."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dlphys.training import ProgressBar  # noqa: E402


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
