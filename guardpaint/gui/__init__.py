"""The PySide6 desktop application: a thin layer over guardpaint.core and guardpaint.models."""
