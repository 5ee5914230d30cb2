"""`python -m course ...`: the same as the `course` script."""

import sys

from course.cli import main

sys.exit(main())
