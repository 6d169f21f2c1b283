"""The dock panels: the protect panel (settings, progress, live loss plot) and the preview (edits side by side, region
list)."""
from guardpaint.gui.panels.loss_plot import IterationAxis
from guardpaint.gui.panels.preview import PreviewPanel
from guardpaint.gui.panels.protect_panel import ProtectPanel
from guardpaint.gui.panels.region_list import RegionList
from guardpaint.gui.panels.settings_panel import SettingsPanel

__all__ = [
    "IterationAxis", "PreviewPanel", "ProtectPanel", "RegionList", "SettingsPanel"
]
