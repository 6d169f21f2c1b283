"""``python -m guardpaint`` is the ``guardpaint`` command."""
import sys

from guardpaint.cli import main

sys.exit(main())
