"""Keras conveniences shared by the chapters (backend-neutral Keras 3)."""

from __future__ import annotations

import keras

from . import progress


class ProgressBar(keras.callbacks.Callback):
    """One tqdm bar over epochs, showing the latest losses.

    Use with ``model.fit(..., verbose=0, callbacks=[ProgressBar()])``: a compact
    progress display in Jupyter that stays out of the built book's pages.
    """

    def __init__(self, desc: str = "training"):
        super().__init__()
        self.desc = desc
        self._bar = None

    def on_train_begin(self, logs=None):
        self._bar = progress(total=self.params.get("epochs"), desc=self.desc, delay=0)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in (logs or {}).items()})
        self._bar.update(1)

    def on_train_end(self, logs=None):
        self._bar.close()
