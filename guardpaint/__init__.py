"""GuardPaint: protect image regions against AI inpainting with a run-time backdoor."""

__version__ = "0.1.0"
