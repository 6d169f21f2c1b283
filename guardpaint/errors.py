"""Exceptions whose message is a complete, one-line explanation for the user."""


class GuardPaintError(Exception):
    """Base for expected failures caused by the user's input or environment."""


class InputError(GuardPaintError):
    """An image, mask or option the user supplied cannot be used."""


class OutOfSpace(InputError):
    """A write ran out of disk space or hit a file-size limit; nothing was left under the file's name."""


class ModelError(GuardPaintError):
    """A weight file is missing, corrupt, unsafe or not a LaMa generator."""


class DownloadError(GuardPaintError):
    """A model download failed (offline, interrupted or checksum mismatch)."""


class Cancelled(GuardPaintError):
    """The user cancelled a running operation."""
