"""GuardPaint's assets: the demo model and its training settings, the window icon and the sample image.

This folder is the repository's top-level ``resources/``; pyproject.toml installs it as the package
``guardpaint.resources`` (a package so that importlib.resources finds it in every kind of install).
"""
