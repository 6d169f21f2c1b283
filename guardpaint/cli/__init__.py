"""The ``guardpaint`` command: the desktop app without arguments, else protect, inpaint, verify, models."""
from guardpaint.cli.main import main

__all__ = ["main"]
