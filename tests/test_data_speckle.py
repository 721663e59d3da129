"""Tests of the X-ray speckle simulator and the classical denoisers."""

from __future__ import annotations

import numpy as np
import pytest

from dlphys.baselines import speckle as baseline
from dlphys.data import speckle
from dlphys.metrics import mse


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path))
    return tmp_path


def _normalised_speckle(data, index):
    """Clean intensity divided by the form-factor envelope, with the usable pixels."""
    size = data.clean.shape[-1]
    q = speckle.momentum_transfer(size)
    envelope = speckle.sphere_form_factor(q * data.particle_radius_px[index]) ** 2
    usable = ~speckle.beamstop_mask(size) & (envelope > 1e-3)
    return data.clean[index].astype(float) / np.where(usable, envelope, 1.0), usable


# ---------------------------------------------------------------- determinism and arguments


def test_load_is_deterministic_and_seeded(cache, tmp_path_factory, monkeypatch):
    first = speckle.load(n=20, seed=3)
    monkeypatch.setenv("DLPHYS_DATA", str(tmp_path_factory.mktemp("other")))
    second = speckle.load(n=20, seed=3)  # regenerated in an empty cache
    for field in ("clean", "noisy", "counts", "particle_radius_px", "n_particles"):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field))
    assert not np.array_equal(first.clean, speckle.load(n=20, seed=4).clean)


def test_fields_shapes_and_units(cache):
    data = speckle.load(n=30, size_px=32, photons_per_pixel=4.0, seed=1)
    assert len(data) == 30
    for field in ("clean", "noisy"):
        assert getattr(data, field).shape == (30, 32, 32)
        assert getattr(data, field).dtype == np.float32
    assert data.counts.dtype == np.uint16
    np.testing.assert_allclose(data.clean.mean(axis=(1, 2)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(data.noisy, data.counts / np.float32(4.0), rtol=1e-6)
    stop = speckle.beamstop_mask(32)
    assert stop[16, 16] and not stop[0, 0]
    assert np.all(data.clean[:, stop] == 0) and np.all(data.counts[:, stop] == 0)
    assert np.all(data.clean >= 0)
    assert data.photons_per_pixel == 4.0 and data.beam_width_px == pytest.approx(3.2)
    assert np.all((data.particle_radius_px >= 0.8) & (data.particle_radius_px <= 1.2))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(n=0), "n"),
        (dict(size_px=8), "size_px"),
        (dict(size_px=64.0), "size_px"),
        (dict(photons_per_pixel=0.0), "photons_per_pixel"),
        (dict(photons_per_pixel=1e5), "photons_per_pixel"),
        (dict(seed=-1), "seed"),
        (dict(n=100_000, size_px=256), "n \\* size_px"),
    ],
)
def test_bad_arguments_raise_and_write_nothing(cache, kwargs, name):
    with pytest.raises(ValueError, match=name):
        speckle.load(**kwargs)
    assert list(cache.iterdir()) == []


def test_form_factor():
    assert speckle.sphere_form_factor(0.0) == pytest.approx(1.0)
    assert speckle.sphere_form_factor(4.4934) == pytest.approx(0.0, abs=1e-4)  # tan x = x
    x = np.array([1e-4, 0.5, 2.0])
    exact = 3 * (np.sin(x) - x * np.cos(x)) / x**3
    np.testing.assert_allclose(speckle.sphere_form_factor(x), exact, rtol=1e-6)


# ---------------------------------------------------------------- physics


def test_noise_is_poisson_photon_counting(cache):
    flux = 5.0
    data = speckle.load(n=300, photons_per_pixel=flux, seed=2)
    clean = data.clean.astype(float).ravel()
    residual = data.noisy.astype(float).ravel() - clean
    assert abs(residual.mean()) < 4 * np.sqrt(1.0 / flux / len(clean))
    # Var[noisy - clean | clean] = clean / flux, in bins of the clean intensity
    edges = np.array([0.05, 0.2, 0.5, 1, 2, 5, 10, 30])
    index = np.digitize(clean, edges)
    for b in range(1, len(edges)):
        sel = index == b
        assert sel.sum() > 2000
        expected = clean[sel].mean() / flux
        assert residual[sel].var() == pytest.approx(expected, rel=0.1)
    # the probability of recording no photon is exp(-flux * I)
    dim = (clean > 0.1) & (clean < 0.2)
    p_zero = np.mean(data.counts.ravel()[dim] == 0)
    assert p_zero == pytest.approx(np.mean(np.exp(-flux * clean[dim])), abs=0.01)


def test_fully_developed_speckle_has_unit_contrast(cache):
    data = speckle.load(n=200, seed=4)
    contrast, above_two = [], []
    for i in range(len(data)):
        ratio, usable = _normalised_speckle(data, i)
        values = ratio[usable]
        contrast.append(values.std() / values.mean())
        above_two.append(np.mean(values > 2 * values.mean()))
    # exponential intensity statistics: std/mean = 1 and P(I > 2<I>) = exp(-2)
    assert np.mean(contrast) == pytest.approx(1.0, abs=0.05)
    assert np.mean(above_two) == pytest.approx(np.exp(-2), abs=0.015)
    # the ensemble mean keeps the form-factor envelope: dark at the first zero, qr = 4.49
    q = speckle.momentum_transfer(64)
    qr = q[None] * data.particle_radius_px[:, None, None]
    clean = data.clean.astype(float)
    at_zero = clean[np.abs(qr - 4.49) < 0.15].mean()
    inside = clean[np.abs(qr - 2.5) < 0.15].mean()
    assert at_zero < 0.05 * inside


def test_speckle_grain_size_follows_the_beam_width(cache):
    data = speckle.load(n=100, seed=6)
    lag_one = []
    for i in range(len(data)):
        ratio, usable = _normalised_speckle(data, i)
        both = usable[:, :-1] & usable[:, 1:]
        a, b = ratio[:, :-1][both], ratio[:, 1:][both]
        lag_one.append(np.corrcoef(a, b)[0, 1])
    # |FT of the illuminated intensity|^2 at one pixel: exp(-(2 pi w / size)^2 / 2)
    expected = np.exp(-((2 * np.pi * data.beam_width_px / 64) ** 2) / 2)
    assert np.mean(lag_one) == pytest.approx(expected, abs=0.05)


# ---------------------------------------------------------------- baselines


def test_classical_denoisers_improve_on_the_noisy_images(cache):
    data = speckle.load(n=600, photons_per_pixel=1.0, seed=8)
    train, test = slice(0, 400), slice(400, 600)
    clean = data.clean[test]
    noisy_mse = mse(data.noisy[test], clean)
    assert noisy_mse == pytest.approx(1.0, rel=0.05)          # mean(clean) / flux
    width = baseline.fit_gaussian_width(data.noisy[train], data.clean[train])
    assert 0 < width < 1.0
    smooth_mse = mse(baseline.gaussian_smoothing(data.noisy[test], width), clean)
    wiener = baseline.fit_wiener(data.clean[train], data.photons_per_pixel)
    wiener_mse = mse(wiener(data.noisy[test]), clean)
    shrink_mse = mse(baseline.speckle_shrinkage(data.counts[test], 1.0), clean)
    assert wiener_mse < shrink_mse < smooth_mse < noisy_mse
    assert wiener_mse < 0.8 * noisy_mse
    assert baseline.psnr_db(wiener(data.noisy[test]), clean) > baseline.psnr_db(
        data.noisy[test], clean)
    with pytest.raises(ValueError, match="sigma_px"):
        baseline.gaussian_smoothing(data.noisy[:2], -1.0)


def test_radial_profile_averages_rings():
    size = 32
    centre = np.arange(size) - size // 2
    distance = np.hypot(centre[:, None], centre[None, :])
    images = np.stack([np.floor(distance), 2.0 * np.floor(distance)])
    q, profile = baseline.radial_profile(images)
    first = int(np.floor(speckle.BEAMSTOP_PX * size / 64)) + 1     # first ring outside the beamstop
    np.testing.assert_allclose(profile[0], np.arange(first, size // 2))
    np.testing.assert_allclose(profile[1], 2 * profile[0])
    assert np.all(np.diff(q) > 0) and q[-1] < np.pi
    with pytest.raises(ValueError, match="images"):
        baseline.radial_profile(np.ones((2, 8, 9)))


def test_particle_radius_from_the_form_factor(cache):
    # a noise-free envelope without speckle: the fit recovers the radius almost exactly
    q = speckle.momentum_transfer(64)
    radii = np.array([1.7, 2.0, 2.33])
    envelopes = speckle.sphere_form_factor(q[None] * radii[:, None, None]) ** 2
    envelopes[:, speckle.beamstop_mask(64)] = 0.0
    np.testing.assert_allclose(baseline.fit_particle_radius(3.0 * envelopes), radii, atol=2e-3)
    # simulated speckle: the ring average follows the form factor, within about 1 %
    data = speckle.load(n=200, photons_per_pixel=1.0, seed=9)
    relative = baseline.fit_particle_radius(data.clean) / data.particle_radius_px - 1
    assert np.sqrt(np.mean(relative**2)) < 0.012
    assert abs(np.mean(relative)) < 0.003
    noisy = baseline.fit_particle_radius(data.noisy) / data.particle_radius_px - 1
    assert np.sqrt(np.mean(relative**2)) < np.sqrt(np.mean(noisy**2)) < 0.03
    for bad in (dict(floor=0.0), dict(radius_grid_px=[2.0, 1.0, 3.0])):
        with pytest.raises(ValueError, match=next(iter(bad))):
            baseline.fit_particle_radius(data.clean[:2], **bad)
