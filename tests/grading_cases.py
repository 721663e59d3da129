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
