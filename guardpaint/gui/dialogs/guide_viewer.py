"""Help > User Guide: the user guide's pages, shipped with the app, shown offline in a Markdown browser."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget


def guide_folder() -> Path:
    """Where the installed user guide is (``guardpaint.guide``: docs/guide in the source tree)."""
    return Path(str(files("guardpaint.guide")))


class GuideViewer(QDialog):
    """The guide's pages with their links and screenshots; links to the web open in the browser."""

    def __init__(self, parent: QWidget | None = None, page: str = "index.md") -> None:
        super().__init__(parent)
        self.setWindowTitle("GuardPaint User Guide")
        self.resize(900, 700)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # local pages here, the web in the browser
        self.browser.anchorClicked.connect(self._follow)
        back, home = QPushButton("Back"), QPushButton("Contents")
        back.clicked.connect(self.browser.backward)
        home.clicked.connect(lambda: self.open(guide_folder() / "index.md"))
        self.browser.backwardAvailable.connect(back.setEnabled)
        back.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addWidget(home)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.browser, 1)
        self.open(guide_folder() / page)

    def open(self, path: Path) -> None:
        self.browser.setSource(QUrl.fromLocalFile(str(path)))

    def _follow(self, url: QUrl) -> None:
        if url.isRelative() or url.isLocalFile():
            target = self.browser.source().resolved(url)
            if target.isLocalFile() and Path(target.toLocalFile()).suffix == ".md" \
                    and Path(target.toLocalFile()).is_file():
                self.browser.setSource(target)
                return
        QDesktopServices.openUrl(url)
