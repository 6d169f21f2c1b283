"""Controllers: each owns one part of the window's behaviour over the document (files, models and downloads,
protection runs, export, the session) and talks to the user through the interaction."""
from guardpaint.gui.controllers.export_controller import (
    SHEET_LABEL_HEIGHT,
    ExportController,
    comparison_sheet,
    export_suggestion,
)
from guardpaint.gui.controllers.file_menu import IMAGE_FILTER, ImageOpener, MaskFiles, RecentFiles
from guardpaint.gui.controllers.model_controller import ModelController, display_name
from guardpaint.gui.controllers.protection_controller import ProtectionController
from guardpaint.gui.controllers.session import SessionKeeper

__all__ = [
    "IMAGE_FILTER", "SHEET_LABEL_HEIGHT", "ExportController", "ImageOpener", "MaskFiles", "ModelController",
    "ProtectionController", "RecentFiles", "SessionKeeper", "comparison_sheet", "display_name",
    "export_suggestion",
]
