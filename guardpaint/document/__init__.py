"""The app's state as a plain Python document (no Qt): the image, its mask layers by role, the protection
settings and model choice, and the current outcome. The GUI's views and controllers observe it
(napari's components and _qt split); every change goes through it, so what Export writes, what the
result panel shows and which mask is which have one answer each."""
from guardpaint.document.document import (
    MASK_CHANGED,
    MODEL_CHANGED,
    NO_PROTECTION,
    PROTECTION,
    ROLES,
    TEST,
    Document,
    FolderJob,
    GeneratorChoice,
    ProtectionJob,
)
from guardpaint.document.events import Event

__all__ = ["MASK_CHANGED", "MODEL_CHANGED", "NO_PROTECTION", "PROTECTION", "ROLES", "TEST", "Document", "Event",
           "FolderJob", "GeneratorChoice", "ProtectionJob"]
