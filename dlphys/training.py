"""Keras pieces shared by the chapters (backend-neutral Keras 3).

* :class:`ProgressBar` -- one tqdm bar over the epochs of ``model.fit``.
* :class:`RandomSpinFlip` -- Z2 augmentation for spin configurations.
* :class:`PeriodicPadding2D` -- periodic boundary conditions for convolutions.
* :func:`input_gradient` -- derivative of a model output with respect to its input
  (saliency maps, activation maximisation) on the TensorFlow and PyTorch backends.
"""

from __future__ import annotations

import keras
import numpy as np

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
        self._bar.refresh()  # the last epoch's count, which update() may not have drawn
        self._bar.close()


class RandomSpinFlip(keras.layers.Layer):
    """Multiplies each configuration by a random sign during training; identity otherwise.

    Data augmentation with the global Z2 symmetry of spin models (s -> -s): the
    network sees both signs of every configuration.  Input of any shape
    ``(batch, ...)``; the sign is drawn per sample.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, spins, training=False):
        if not training:
            return spins
        shape = (keras.ops.shape(spins)[0],) + (1,) * (len(spins.shape) - 1)
        coin = keras.random.randint(shape, 0, 2, seed=self.seed_generator)
        return spins * (2.0 * keras.ops.cast(coin, spins.dtype) - 1.0)


class PeriodicPadding2D(keras.layers.Layer):
    """Wraps ``(batch, L, L, channels)`` maps around periodically by ``width`` sites per side.

    Followed by a ``"valid"`` convolution of size ``2 * width + 1``, it gives the
    convolution on the torus of a lattice with periodic boundary conditions.
    """

    def __init__(self, width: int = 1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, got {width!r}")
        self.width = width

    def call(self, maps):
        w = self.width
        maps = keras.ops.concatenate([maps[:, -w:], maps, maps[:, :w]], axis=1)
        return keras.ops.concatenate([maps[:, :, -w:], maps, maps[:, :, :w]], axis=2)

    def get_config(self):
        return {**super().get_config(), "width": self.width}


def input_gradient(model, inputs, *, output: int = 0):
    """One output unit of ``model`` and its gradient with respect to the inputs.

    Keras 3 has no backend-neutral gradient function, so this dispatches on the
    backend (TensorFlow's ``GradientTape``, PyTorch's autograd).  The
    model is called in inference mode (``training=False``), where every sample's
    output depends on its own input only; the gradient of the summed output is
    then the gradient of each sample's output with respect to its own input.

    Args:
        model: a Keras model (or layer) with outputs of shape ``(n, units)``.
        inputs: a batch, shape ``(n, ...)``, converted to float32.
        output: index of the output unit to differentiate.

    Returns:
        ``(values, gradients)`` as float32 NumPy arrays: the output unit, shape
        ``(n,)``, and its gradient, the shape of ``inputs``.
    """
    x = np.asarray(inputs, dtype="float32")
    if x.ndim < 2:
        raise ValueError(f"inputs must be a batch of shape (n, ...), got shape {x.shape}")
    if not isinstance(output, (int, np.integer)) or output < 0:
        raise ValueError(f"output must be a non-negative integer, got {output!r}")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            values = model(tensor, training=False)[:, output]
            total = tf.reduce_sum(values)
        gradient = tape.gradient(total, tensor)
        return values.numpy(), gradient.numpy()
    if backend == "torch":
        tensor = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        values = model(tensor, training=False)[:, output]
        values.sum().backward()
        return values.detach().cpu().numpy(), tensor.grad.detach().cpu().numpy()
    raise ValueError(f"input_gradient supports the tensorflow and torch backends, "
                     f"not {backend!r}")
