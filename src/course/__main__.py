"""`python -m course ...` is the `course` command (used where the script may not be on PATH)."""

import sys

from course.cli import main

sys.exit(main())
