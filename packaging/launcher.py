"""Entry point of the frozen application: the same ``guardpaint`` command as the pip install."""
import sys

from guardpaint.cli import main

if __name__ == "__main__":
    sys.exit(main())
