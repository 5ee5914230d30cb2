"""python -m autograder.cohort MODULE SUBMISSIONS ..."""

import sys

from autograder.cohort.cli import main

sys.exit(main())
