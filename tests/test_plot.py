"""dlphys.plot: every helper draws a figure with labelled axes and refuses bad input clearly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlphys import plot  # noqa: E402
from dlphys.data.airshower import STATION_POSITIONS_M  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_training_curves_from_a_history_dict():
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, 0.4]}
    ax = plot.training_curves(history, floor=0.25, title="Pendulum")
    assert ax.figure is not None
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_title() == "Pendulum"
    assert legend_texts(ax) == ["training loss", "validation loss", "noise floor"]
    training, validation, floor = ax.get_lines()
    np.testing.assert_array_equal(training.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(validation.get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(floor.get_ydata(), [0.25, 0.25])


def test_training_curves_from_a_keras_history_and_several_metrics():
    class History:  # what keras.callbacks.History looks like to the helper
        history = {"loss": [2.0, 1.0], "mae": [1.5, 0.9]}

    fig, ax = plt.subplots()
    returned = plot.training_curves(History(), metrics=("loss", "mae"), ax=ax)
    assert returned is ax
    assert ax.get_ylabel() == "loss, mae"
    assert legend_texts(ax) == ["training loss", "training mae"]  # no validation curves


def test_training_curves_names_the_missing_metric():
    with pytest.raises(KeyError, match=r"'accuracy'.*\['loss', 'val_loss'\]"):
        plot.training_curves({"loss": [1.0], "val_loss": [1.0]}, metrics=("accuracy",))


def test_lattice_shows_one_configuration():
    spins = np.where(np.random.default_rng(0).random((8, 8)) < 0.5, -1, 1)
    ax = plot.lattice(spins, title="T = 2.27")
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), spins)
    assert image.get_clim() == (-1, 1)
    assert ax.get_title() == "T = 2.27"
    # a lattice has no physical axes: no ticks instead of labels
    assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0


@pytest.mark.parametrize("shape", [(8,), (2, 8, 8)])
def test_lattice_refuses_anything_but_one_configuration(shape):
    with pytest.raises(ValueError, match="one L x L configuration"):
        plot.lattice(np.ones(shape))


def test_detector_footprint_of_one_event():
    signal = np.zeros(STATION_POSITIONS_M.shape[:2])
    signal[4, 4], signal[4, 5], signal[3, 4] = 200.0, 20.0, 2.0
    times = np.zeros_like(signal)
    times[4, 5], times[3, 4] = 150.0, 300.0
    ax = plot.detector_footprint(signal, times)
    assert ax.get_xlabel() == "x (km)" and ax.get_ylabel() == "y (km)"
    assert ax.get_title()
    stations, triggered = ax.collections
    assert len(stations.get_offsets()) == signal.size
    assert len(triggered.get_offsets()) == 3
    sizes = triggered.get_sizes()
    assert sizes.max() == pytest.approx(600.0) and sizes.min() >= 10.0
    colorbar = ax.figure.axes[-1]
    assert colorbar is not ax and "arrival time (ns)" in colorbar.get_ylabel()


def test_detector_footprint_without_times_colours_by_signal():
    signal = np.zeros(STATION_POSITIONS_M.shape[:2])
    signal[0, 0] = 5.0
    ax = plot.detector_footprint(signal)
    assert "lg(S / VEM)" in ax.figure.axes[-1].get_ylabel()
    # no triggered station: the grid alone, no colour bar
    ax = plot.detector_footprint(np.zeros_like(signal))
    assert len(ax.collections) == 1 and len(ax.figure.axes) == 1


def test_detector_footprint_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="one event of shape"):
        plot.detector_footprint(np.zeros((2, *STATION_POSITIONS_M.shape[:2])))
