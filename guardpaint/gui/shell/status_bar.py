"""The permanent fields of the status bar: image size, active model, device, zoom."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from guardpaint.gui.controllers import display_name
from guardpaint.models import registry


class StatusFields:
    def __init__(self, bar: QStatusBar) -> None:
        self.image, self.model, self.device, self.zoom = QLabel("No image"), QLabel(), QLabel(), QLabel()
        for label in (self.image, self.model, self.device, self.zoom):
            bar.addPermanentWidget(label)

    def show_model(self, specs: list[str], device: str) -> None:
        self.model.setText(f"Model{'s' if len(specs) > 1 else ''}: {' + '.join(display_name(s) for s in specs)}")
        tips = []
        for spec in specs:
            entry = registry.REGISTRY.get(spec)
            tips.append(f"{display_name(spec)}: {(entry.limits or entry.description) if entry else spec}")
        self.model.setToolTip("\n".join(tips))
        self.device.setText(f"Device: {device}")

    def show_image(self, width: int, height: int, notes: list[str]) -> None:
        extra = f" ({'; '.join(notes)})" if notes else ""
        self.image.setText(f"{width} x {height}{extra}")

    def show_zoom(self, zoom: float) -> None:
        self.zoom.setText(f"{zoom * 100:.0f} %")
