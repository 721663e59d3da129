"""Per-exercise inputs of the grading-pipeline test.

For every exercise, one solution cell is replaced by a *deliberately wrong* but
runnable answer.  The part it belongs to must be independent of the others, so
that the wrong submission scores exactly the marks of the other parts.  The same
cell is used for the *hanging* submission (a cell that never returns).

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
    solution_cell="momentum_step",
    code=("def momentum_step(params, grad, velocity, lr, beta=0.9):\n"
          "    # wrong: forgets the velocity, plain gradient descent\n"
          "    return params - lr * grad, velocity\n"),
    failing_tests=("test_momentum_step",))
