"""Dialogs: Protect Folder, the attacker suite, the first run's model choice and the user guide."""
from guardpaint.gui.dialogs.batch_dialog import BatchDialog
from guardpaint.gui.dialogs.first_run import DEMO, DOWNLOAD, WEIGHT_FILE, DemoBanner, FirstRunDialog, size_text
from guardpaint.gui.dialogs.guide_viewer import GuideViewer
from guardpaint.gui.dialogs.suite_dialog import SuiteDialog

__all__ = [
    "DEMO", "DOWNLOAD", "WEIGHT_FILE", "BatchDialog", "DemoBanner", "FirstRunDialog", "GuideViewer", "SuiteDialog",
    "size_text",
]
