"""nbgrader settings of an instructor's server: the course's own configuration
(grader/nbgrader_config.py: the exercise sources, the grading sandbox) on the shared
course copy, which ``~/course`` links to (the formgrader wants the course inside the
server's root folder)."""

import os

c = get_config()  # noqa: F821
load_subconfig(os.path.join(os.environ["DLPHYS_HUB_ROOT"], "course", "grader",  # noqa: F821
                            "nbgrader_config.py"))
c.CourseDirectory.root = os.path.expanduser("~/course/grader")
# several instructors and tutors share the course folder and the exchange's course folder
c.CourseDirectory.groupshared = True
