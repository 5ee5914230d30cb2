"""`python -m course.evals ...`: see course/evals/cli.py."""

import sys

from course.evals.cli import main

sys.exit(main())
