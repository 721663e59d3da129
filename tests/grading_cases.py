"""Per-exercise inputs of the grading-pipeline test.

For every exercise, one solution cell is replaced by a *deliberately wrong* but
runnable answer.  The part it belongs to must be independent of the others, so
that the wrong submission scores exactly the marks of the other parts.  The
wrong submission also holds an extra cell that never returns (inserted by the test
before the first solution cell), which the grading timeout must cut.

A new exercise must add its entry here; ``test_every_exercise_has_a_wrong_answer``
fails otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WrongAnswer:
    solution_cell: str          #: grade_id of the solution cell to replace
    code: str                   #: runnable but wrong code for it
    failing_tests: tuple        #: grade_ids of the test cells that must score zero


WRONG_ANSWERS: dict[str, WrongAnswer] = {}
WRONG_ANSWERS["01_fundamentals"] = WrongAnswer(
    solution_cell="dense_backward",
    code=("def dense_backward(x, weights, grad_output):\n"
          "    # wrong: averages the bias gradient over the batch instead of summing it\n"
          "    return grad_output @ weights.T, x.T @ grad_output, grad_output.mean(axis=0)\n"),
    failing_tests=("test_dense_backward",))
WRONG_ANSWERS["02_regularization"] = WrongAnswer(
    solution_cell="l2_penalty",
    code=("def l2_penalty(weights, lam):\n"
          "    # wrong: sums the weights instead of their squares, no factor 2 in the gradient\n"
          "    return lam * sum(float(np.sum(w)) for w in weights), [lam * w for w in weights]\n"),
    failing_tests=("test_l2_penalty",))
WRONG_ANSWERS["03_optimization"] = WrongAnswer(
    solution_cell="nesterov_step",
    code=("def nesterov_step(params, grad, velocity, lr, beta=0.9):\n"
          "    # wrong: forgets the velocity, plain gradient descent\n"
          "    return params - lr * grad, velocity\n"),
    failing_tests=("test_nesterov_step",))
WRONG_ANSWERS["04_cnn"] = WrongAnswer(
    solution_cell="max_pool_backward",
    code=("def max_pool_backward(image, grad_output, size):\n"
          "    # wrong: the backward pass of average pooling, the gradient spread over the window\n"
          "    image = np.asarray(image, dtype=float)\n"
          "    grad_image = np.zeros_like(image)\n"
          "    h, w = image.shape[0] // size, image.shape[1] // size\n"
          "    spread = np.repeat(np.repeat(grad_output, size, axis=0), size, axis=1) / size**2\n"
          "    grad_image[:h * size, :w * size] = spread\n"
          "    return grad_image\n"),
    failing_tests=("test_max_pool_backward",))
WRONG_ANSWERS["06_advanced_vision"] = WrongAnswer(
    solution_cell="lattice_orbit",
    code=("def lattice_orbit(spins):\n"
          "    # wrong: np.flip without an axis reverses both axes, a 180-degree rotation,\n"
          "    # not a reflection: half of the 16 images are repeats\n"
          "    spins = np.asarray(spins)\n"
          "    rotations = [np.rot90(spins, k) for k in range(4)]\n"
          "    squares = rotations + [np.flip(r) for r in rotations]\n"
          "    return np.stack(squares + [-s for s in squares])\n"),
    failing_tests=("test_lattice_orbit",))
WRONG_ANSWERS["07_airshowers"] = WrongAnswer(
    solution_cell="resolution",
    code=("def robust_bias_and_resolution(e_rec, e_true):\n"
          "    # wrong: divides by the reconstructed instead of the true energy\n"
          "    e_rec = np.asarray(e_rec, dtype=float)\n"
          "    delta = (e_rec - e_true) / e_rec\n"
          "    low, high = np.quantile(delta, [0.16, 0.84])\n"
          "    return float(np.median(delta)), float(0.5 * (high - low))\n"
          "\n\n"
          "def binned_robust_resolution(log10_e_true, e_rec, e_true, bins):\n"
          "    log10_e_true, e_rec, e_true = (np.asarray(a, dtype=float)\n"
          "                                   for a in (log10_e_true, e_rec, e_true))\n"
          "    return np.array([robust_bias_and_resolution(e_rec[sel], e_true[sel])[1]\n"
          "                     if sel.sum() >= 2 else np.nan\n"
          "                     for sel in ((log10_e_true >= lo) & (log10_e_true < hi)\n"
          "                                 for lo, hi in zip(bins[:-1], bins[1:]))])\n"),
    failing_tests=("test_resolution",))
WRONG_ANSWERS["05_magnetic_phases"] = WrongAnswer(
    solution_cell="anisotropic_energy",
    code=("def anisotropic_energy(spins, j_horizontal, j_vertical, field=0.0):\n"
          "    # wrong: open boundaries, the bonds across the edges of the lattice are missing\n"
          "    s = np.asarray(spins, dtype=float)\n"
          "    rows = (s[..., :, :-1] * s[..., :, 1:]).sum(axis=(-2, -1))\n"
          "    columns = (s[..., :-1, :] * s[..., 1:, :]).sum(axis=(-2, -1))\n"
          "    magnetisation = s.sum(axis=(-2, -1))\n"
          "    return -j_horizontal * rows - j_vertical * columns - field * magnetisation\n"),
    failing_tests=("test_anisotropic_energy",))
WRONG_ANSWERS["08_autoencoders"] = WrongAnswer(
    solution_cell="vae_kl",
    code=("def gaussian_kl(mean, log_variance):\n"
          "    # wrong: sigma instead of sigma^2 in the KL term\n"
          "    mean = np.asarray(mean, dtype=float)\n"
          "    log_variance = np.asarray(log_variance, dtype=float)\n"
          "    sigma = np.exp(0.5 * log_variance)\n"
          "    return 0.5 * np.sum(mean**2 + sigma - 1.0 - log_variance, axis=-1)\n"
          "\n\n"
          "def sample_latent(mean, log_variance, noise):\n"
          "    sigma = np.exp(0.5 * np.asarray(log_variance, dtype=float))\n"
          "    return np.asarray(mean, dtype=float) + sigma * np.asarray(noise, dtype=float)\n"),
    failing_tests=("test_vae_kl",))
WRONG_ANSWERS["10_rbm"] = WrongAnswer(
    solution_cell="rbm_conditionals",
    code=("def rbm_free_energy(v, W, b, c):\n"
          "    # wrong: the sign of the visible-bias term is flipped\n"
          "    v = np.asarray(v, dtype=float)\n"
          "    inputs = v @ np.asarray(W, dtype=float) + np.asarray(c, dtype=float)\n"
          "    return (v @ np.asarray(b, dtype=float))"
          " - np.sum(np.logaddexp(0.0, inputs), axis=-1)\n"
          "\n\n"
          "def hidden_given_visible(v, W, c):\n"
          "    x = np.asarray(v, dtype=float) @ np.asarray(W, dtype=float)"
          " + np.asarray(c, dtype=float)\n"
          "    return np.exp(-np.logaddexp(0.0, -x))\n"
          "\n\n"
          "def visible_given_hidden(h, W, b):\n"
          "    x = np.asarray(h, dtype=float) @ np.asarray(W, dtype=float).T"
          " + np.asarray(b, dtype=float)\n"
          "    return np.exp(-np.logaddexp(0.0, -x))\n"),
    failing_tests=("test_rbm_conditionals",))
WRONG_ANSWERS["09_gan"] = WrongAnswer(
    solution_cell="gradient_penalty",
    code=("def gradient_penalty(critic_gradient, real, fake, epsilon, lam=10.0):\n"
          "    # wrong: penalises the squared norm of the gradient, (|grad f|**2 - 1)**2\n"
          "    real, fake = np.asarray(real, dtype=float), np.asarray(fake, dtype=float)\n"
          "    eps = np.asarray(epsilon, dtype=float)\n"
          "    eps = eps.reshape((len(real),) + (1,) * (real.ndim - 1))\n"
          "    x_hat = eps * real + (1.0 - eps) * fake\n"
          "    gradient = np.asarray(critic_gradient(x_hat), dtype=float)\n"
          "    squared_norm = np.sum(gradient.reshape(len(real), -1) ** 2, axis=1)\n"
          "    return float(lam * np.mean((squared_norm - 1.0) ** 2))\n"),
    failing_tests=("test_gradient_penalty",))
WRONG_ANSWERS["11_recurrent"] = WrongAnswer(
    solution_cell="lstm",
    code=("def lstm_sequence(inputs, kernel, recurrent_kernel, bias):\n"
          "    # wrong: reads the gates in the order i, f, o, c instead of Keras's i, f, c, o\n"
          "    inputs = np.asarray(inputs, dtype=float)\n"
          "    n = np.asarray(recurrent_kernel).shape[0]\n"
          "    hidden = np.zeros((inputs.shape[0], n))\n"
          "    cell = np.zeros((inputs.shape[0], n))\n"
          "    outputs = []\n"
          "    for step in range(inputs.shape[1]):\n"
          "        gates = inputs[:, step] @ kernel + hidden @ recurrent_kernel + bias\n"
          "        i, f, o = (1.0 / (1.0 + np.exp(-gates[:, k * n:(k + 1) * n]))\n"
          "                   for k in range(3))\n"
          "        cell = f * cell + i * np.tanh(gates[:, 3 * n:])\n"
          "        hidden = o * np.tanh(cell)\n"
          "        outputs.append(hidden)\n"
          "    return np.stack(outputs, axis=1)\n"),
    failing_tests=("test_lstm",))
WRONG_ANSWERS["12_graphs"] = WrongAnswer(
    solution_cell="angular_knn",
    code=("def angular_knn_edges(directions, k, max_angle_deg):\n"
          "    # wrong: the plain kNN graph, the maximum angle is ignored\n"
          "    u = np.asarray(directions, dtype=float)\n"
          "    cosine = u @ u.T\n"
          "    np.fill_diagonal(cosine, -np.inf)\n"
          "    nearest = np.argsort(-cosine, axis=1, kind='stable')[:, :k]\n"
          "    centre = np.broadcast_to(np.arange(len(u))[:, None], nearest.shape)\n"
          "    return np.stack([nearest.ravel(), centre.ravel()]).astype(int)\n"),
    failing_tests=("test_angular_knn",))
