"""nbgrader configuration of the dynsim course (``python3 tasks.py course ...`` uses it).

The course directory is the folder of this file (``tasks.py course --root DIR`` copies it and
``source/`` to DIR). The gradebook is nbgrader's SQLite database ``gradebook.db`` in that
folder; set ``DYNSIM_GRADEBOOK_URL`` to any SQLAlchemy database URL (for example
``postgresql://user@host/dynsim``) to keep it elsewhere.
"""

import os

c = get_config()  # noqa: F821 - nbgrader's config loader provides get_config
root = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = root
c.CourseDirectory.course_id = "dynsim"
c.CourseDirectory.db_url = os.environ.get(
    "DYNSIM_GRADEBOOK_URL", "sqlite:///" + os.path.join(root, "gradebook.db"))
# release/ fetch through a folder of the course (nbgrader's default is /srv/nbgrader/exchange)
c.Exchange.root = os.path.join(root, "exchange")
# a solution region becomes this; the stub's own hints and raise stay around it
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
# a cell that runs longer than this (seconds) is stopped and graded as an error; the rest of
# the notebook still runs (nbgrader's Execute allows errors)
c.ExecutePreprocessor.timeout = int(os.environ.get("DYNSIM_CELL_TIMEOUT", "300"))
c.Execute.timeout = c.ExecutePreprocessor.timeout
c.Execute.interrupt_on_timeout = True
# seconds to wait for a cell's last output after the kernel replied (nbclient's default, 4 s,
# is too short for a bench's first draw on a loaded 2-core machine: exercises/build.py)
c.Execute.iopub_timeout = 60
