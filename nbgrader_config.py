"""This repository is the nbgrader course directory.

solutions/<assignment>/   the instructor's source notebooks (nbgrader's "source")
exercises/<assignment>/   the student version that nbgrader generates from them ("release"), committed
grading/                  everything a semester of grading produces; git ignores it
"""
import os

from mlpcourse.notebook_grader import Limits

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "mlp-from-scratch"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
GRADING = os.path.join(c.CourseDirectory.root, "grading")
os.makedirs(GRADING, exist_ok=True)  # sqlite creates the gradebook file, not its folder
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(GRADING, "gradebook.db")
# Release and collect through a folder inside the course, not /usr/local/share (which rarely exists);
# on a JupyterHub point this to the shared exchange instead.
c.Exchange.root = os.path.join(GRADING, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)  # formgrader offers Release and Collect only when it exists

# The limits are the course grader's (mlpcourse.notebook_grader.Limits, their one place): 60 s a cell stops a runaway
# loop without cutting off a slow but honest laptop; 200 lines an output keep feedback files small.
LIMITS = Limits()
c.Execute.timeout = LIMITS.cell_timeout
c.LimitOutput.max_lines = LIMITS.max_lines
c.LimitOutput.max_traceback = 50
# Generated notebooks are checked for leftover outputs; solutions are committed without them.
c.ClearOutput.enabled = True
# Every released notebook ends with how to grade it with the hidden tests (mlpcourse.check).
c.IncludeHeaderFooter.footer = os.path.join(c.CourseDirectory.root, "mlpcourse", "release_footer.ipynb")
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
