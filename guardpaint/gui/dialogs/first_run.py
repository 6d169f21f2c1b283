"""The first-run choice of model, and the banner shown while the demo model is active."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout, QWidget

from guardpaint.models import registry

DOWNLOAD, WEIGHT_FILE, DEMO = "download", "weight file", "demo"
TEXT_WIDTH = 540


def size_text(name: str) -> str:
    """The download size of a registered model as users read it, e.g. "196 MB"."""
    size = registry.spec(name).size_mb
    return f"{size:.0f} MB" if size else "size unknown"


class FirstRunDialog(QDialog):
    """Three ways to start, in a sentence or two each; ``choice`` is None when closed without one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to GuardPaint")
        self.choice: str | None = None
        real = registry.REAL_MODEL
        text = QLabel(
            f"<p><b>Which model should GuardPaint protect your images against?</b></p>"
            f"<p>A protection works only against the model it was made with. Editors such as IOPaint run "
            f"LaMa ({real}). GuardPaint can download it ({size_text(real)}, checksum-verified), or use a LaMa "
            f"weight file you already have.</p>"
            f"<p>IOPaint also offers MI-GAN, a smaller erase model: choose <i>migan</i> in the Model menu, alone "
            f"or beside LaMa (Model > Also Protect Against). Its protection is made and judged for IOPaint, the one "
            f"editor that runs it; an iteration costs about three quarters of LaMa's on a CPU, both together the "
            f"sum.</p>"
            f"<p>IOPaint and ComfyUI also offer MAT, a larger transformer that fills at random: choose <i>mat</i> "
            f"the same way. Its protection is judged on one seeded draw and made to hold over fresh ones, in IOPaint "
            f"and ComfyUI; an iteration costs about six times LaMa's on a CPU (measured on a 2-core one).</p>"
            f"<p>The small demo model lets you try the workflow offline, but a protection made with it does "
            f"not protect against the real LaMa.</p>")
        text.setWordWrap(True)
        text.setFixedWidth(TEXT_WIDTH)  # a wrapped label's height follows its width: fix it, then fit
        self.text = text
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)  # never smaller than the text
        layout.addWidget(text)
        buttons = QHBoxLayout()
        for label, choice in ((f"Download LaMa ({size_text(real)})", DOWNLOAD),
                              ("Use a Weight File on Disk…", WEIGHT_FILE), ("Try the Demo Model", DEMO)):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
            buttons.addWidget(button)
            setattr(self, f"{choice.replace(' ', '_')}_button", button)
        self.download_button.setDefault(True)
        layout.addLayout(buttons)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


class DemoBanner(QFrame):
    """Non-modal: says that demo-model protection is not protection, with a one-click download."""

    downloadRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demo-banner")
        self.setStyleSheet("#demo-banner { background: #fff3cd; border-bottom: 1px solid #e0c060; } "
                           "#demo-banner QLabel { color: #5c4400; }")
        real = registry.REAL_MODEL
        self.label = QLabel(f"<b>Demo model active.</b> Protection made with it does <b>not</b> protect against "
                            f"the real LaMa ({real}) that editors run. Use it to try the workflow.")
        self.label.setWordWrap(True)
        self.button = QPushButton(f"Download LaMa ({size_text(real)})")
        self.button.clicked.connect(self.downloadRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
