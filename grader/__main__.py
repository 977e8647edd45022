import os
import sys

from .cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # `python -m grader check ... | head`: the reader left, and that is fine
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
