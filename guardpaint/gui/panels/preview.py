"""Preview: the verdict in plain words, the model's edits of the original vs the protected image, the noise,
and the figures behind the verdict (Details)."""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from guardpaint.gui.facade import (
    DEMO_CAVEAT,
    Box,
    ProtectedImage,
    advice,
    each_check,
    made_with_demo,
    offers_maximum,
    summary,
)
from guardpaint.gui.panels.region_list import RegionList
from guardpaint.gui.support import noise_visual, rgb_to_qimage

#: The verdict column's least width (px): a sentence wraps to a few lines, the regions fit on one each.
VERDICT_WIDTH = 320


def _fit_rect(image: QImage, area: QRectF) -> QRectF:
    scale = min(area.width() / max(1, image.width()), area.height() / max(1, image.height()))
    w, h = image.width() * scale, image.height() * scale
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class ImagePane(QWidget):
    """An image scaled to fit, with a caption; empty panes say what will appear."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self.image: QImage | None = None
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, rgb: np.ndarray | None) -> None:
        self.image = None if rgb is None else rgb_to_qimage(rgb)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        text_height = self.fontMetrics().height() + 6
        area = QRectF(self.rect()).adjusted(2, text_height, -2, -2)
        painter.setPen(self.palette().windowText().color())
        caption = self.fontMetrics().elidedText(self.caption, Qt.TextElideMode.ElideRight, self.width() - 4)
        painter.drawText(QRectF(0, 0, self.width(), text_height), Qt.AlignmentFlag.AlignCenter, caption)
        self.setToolTip(self.caption if caption != self.caption else "")  # a narrow pane shows the rest on hover
        if self.image is None:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, "(run Protect)")
        else:
            painter.drawImage(_fit_rect(self.image, area), self.image)


class CompareView(QWidget):
    """Original on the left of a draggable split line, protected on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left: QImage | None = None
        self.right: QImage | None = None
        self.split = 0.5
        self.setMinimumSize(200, 150)
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setToolTip("Drag to compare the original (left) with the protected image (right)")

    def set_images(self, left: np.ndarray | None, right: np.ndarray | None) -> None:
        self.left = None if left is None else rgb_to_qimage(left)
        self.right = None if right is None else rgb_to_qimage(right)
        self.update()

    def _move(self, pos: QPointF) -> None:
        self.split = float(np.clip(pos.x() / max(1, self.width()), 0.0, 1.0))
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._move(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move(event.position())

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.left is None or self.right is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Original vs protected appears here")
            return
        target = _fit_rect(self.left, QRectF(self.rect()))
        cut = target.x() + target.width() * self.split
        painter.save()
        painter.setClipRect(QRectF(target.x(), target.y(), cut - target.x(), target.height()))
        painter.drawImage(target, self.left)
        painter.setClipRect(QRectF(cut, target.y(), target.right() - cut, target.height()))
        painter.drawImage(target, self.right)
        painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawLine(QPointF(cut, target.top()), QPointF(cut, target.bottom()))
        painter.drawText(target.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         "original")
        painter.drawText(target.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                         "protected")


class VerdictView(QLabel):
    """The verdict first, in one plain sentence (wording.py), then the demo caveat and what can still help."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_outcome(None)

    def show_outcome(self, outcome: ProtectedImage | None) -> None:
        if outcome is None:
            self.setText("<i>The verdict appears here after a protection: whether an edit of each region is "
                         "defeated, and what to try if not.</i>")
            return
        colour = "#2a9d4b" if outcome.protected else "#d0453a"
        text = f"<p style='color:{colour}'><b>{html.escape(summary(outcome))}</b></p>"
        if made_with_demo(outcome):
            text += f"<p style='color:#b26a00'>{html.escape(DEMO_CAVEAT)}</p>"
        tips = advice(outcome)
        if tips:
            text += "<p>What can help:</p><ul>" + "".join(f"<li>{html.escape(tip)}</li>" for tip in tips) + "</ul>"
        self.setText(text)


def detail_rows(outcome: ProtectedImage) -> list[tuple[str, str]]:
    """The figures behind the verdict, one (name, value) pair each: the model, the noise, and per model and
    region the malicious edit's SSIM and distances, the ring's SSIM; the benign edits."""
    report = outcome.verification
    rows = [("Model", ", ".join(f"{model.name} on {model.device}" for model in outcome.models)),
            ("Noise PSNR (whole image)", f"{report.psnr:.2f} dB"), ("Noise SSIM (whole image)", f"{report.ssim:.4f}"),
            ("Largest change", f"{report.max_abs_diff} levels")]
    for index, verdict_ in enumerate(report.regions):
        number = verdict_.region.number
        kept, noise = outcome.result.region_outcomes[index], outcome.region_noise(number)
        rows.append((f"Region {number}: noise written", f"up to {noise['max_abs']}, mean {noise['mean_abs']:.2f} "
                     f"levels (step {kept.step}: {kept.strength}, {kept.budget})"))
        for label, editor, check in each_check(outcome.verifications):
            made_by = outcome.edit_prefix(label, editor).removesuffix(": ")
            mal, prefix = check.regions[index].malicious, f"Region {number}{f' ({made_by})' if made_by else ''}"
            rows += [(f"{prefix}: edit SSIM vs clean edit", f"{mal.ssim:.3f} ({'held' if mal.holds else 'NOT held'})"),
                     (f"{prefix}: distance to target", f"{mal.target_distance_protected:.1f} levels (clean "
                                                       f"{mal.target_distance_original:.1f})"),
                     (f"{prefix}: ring edit SSIM", f"{check.regions[index].ring_ssim:.3f}")]
    rows += [(f"Benign edit: {name}", f"SSIM {value:.3f}") for name, value in report.benign_ssim.items()]
    return rows


class DetailsTable(QTableWidget):
    """The figures behind the verdict (:func:`detail_rows`), one row each; it scrolls, so nothing is cut."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Figure", "Value"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setWordWrap(True)

    def show_outcome(self, outcome: ProtectedImage | None) -> None:
        rows = [] if outcome is None else detail_rows(outcome)
        self.setRowCount(len(rows))
        for row, (name, value) in enumerate(rows):
            self.setItem(row, 0, QTableWidgetItem(name))
            self.setItem(row, 1, QTableWidgetItem(value))
        self.resizeRowsToContents()


class PreviewPanel(QWidget):
    """Tabs: the edits side by side (for the protection or the test mask), and the noise."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        edits = QWidget()
        self.which = QComboBox()
        self.which.currentTextChanged.connect(self._show_edit)
        self.clean = ImagePane("Edit of the original")
        self.attacked = ImagePane("Edit of the protected image")
        grid = QGridLayout(edits)
        row = QHBoxLayout()
        row.addWidget(QLabel("Mask:"))
        row.addWidget(self.which, 1)
        grid.addLayout(row, 0, 0, 1, 2)
        grid.addWidget(self.clean, 1, 0)
        grid.addWidget(self.attacked, 1, 1)
        noise = QWidget()
        self.compare = CompareView()
        self.noise = ImagePane("Noise, amplified")
        noise_layout = QHBoxLayout(noise)
        noise_layout.addWidget(self.compare, 3)
        noise_layout.addWidget(self.noise, 2)
        self.details = DetailsTable()
        self.tabs.addTab(edits, "Edits")
        self.tabs.addTab(noise, "Noise")
        self.tabs.addTab(self.details, "Details")
        self.verdict = VerdictView()
        self.regions = RegionList()
        self.regions.regionSelected.connect(self.show_region)
        self.maximum_button = QPushButton("Protect at Maximum Strength")
        self.maximum_button.setToolTip("The strength this protection was allowed was not enough: protect again "
                                       "with the reference's budget, every pixel up to 6.4 levels (visible on "
                                       "smooth areas)")
        self.maximum_button.hide()
        self.notice = QFrame()
        self.notice.setObjectName("notice")
        self.notice.setStyleSheet("#notice { background: #fff3cd; } #notice QLabel { color: #5c4400; }")
        self.notice_text = QLabel()
        self.notice_text.setWordWrap(True)
        self.protect_again = QPushButton("Protect Again")
        notice_layout = QVBoxLayout(self.notice)
        notice_layout.addWidget(self.notice_text)
        notice_layout.addWidget(self.protect_again)
        self.notice.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 5)
        side = QWidget()
        column = QVBoxLayout(side)
        column.addWidget(self.notice)
        column.addWidget(self.verdict)
        column.addWidget(self.regions)
        column.addWidget(self.maximum_button)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # everything wraps
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(VERDICT_WIDTH)  # wide enough that the verdict reads as lines, not a column of words
        layout.addWidget(scroll, 2)
        self._edits: dict[str, tuple[np.ndarray, np.ndarray, Box]] = {}
        self._outcome: ProtectedImage | None = None

    def clear(self) -> None:
        self._outcome = None
        self._edits.clear()
        self.which.clear()
        self.clean.set_image(None)
        self.attacked.set_image(None)
        self.compare.set_images(None, None)
        self.noise.set_image(None)
        self.verdict.show_outcome(None)
        self.details.show_outcome(None)
        self.regions.show_outcome(None)
        self.maximum_button.hide()
        self.show_notice(None)

    def show_notice(self, text: str | None) -> None:
        """A warning above the verdict (e.g. the model changed since this protection), or none."""
        self.notice_text.setText(text or "")
        self.notice.setVisible(bool(text))

    def show_protection(self, outcome: ProtectedImage) -> None:
        self._outcome = outcome
        self.verdict.show_outcome(outcome)
        self.details.show_outcome(outcome)
        self.regions.show_outcome(outcome)
        self.maximum_button.setVisible(offers_maximum(outcome))
        self.show_notice(None)
        for name, (box, clean, attacked) in outcome.shown_edits().items():
            self.add_edit(name, clean, attacked, box)
        self.which.setCurrentIndex(0)

    def show_region(self, number: int) -> None:
        """The edits of region ``number`` (of the first model), at the editor's crop around it."""
        name = next((n for n in self._edits if n.endswith(f"region {number}") and "ring" not in n), None)
        if name is not None:
            self.tabs.setCurrentIndex(0)
            self.which.setCurrentText(name)

    def add_edit(self, name: str, clean: np.ndarray, attacked: np.ndarray, box: Box) -> None:
        """Show an edit as the editor computed it: ``clean`` and ``attacked`` cover ``box`` of the image."""
        self._edits[name] = (clean, attacked, box)
        if self.which.findText(name) < 0:
            self.which.addItem(name)
        self.which.setCurrentText(name)
        self._show_edit(name)

    def edit_names(self) -> list[str]:
        return list(self._edits)

    def show_edits(self) -> None:
        """Bring the Edits tab to the front (a test edit's result is there)."""
        self.tabs.setCurrentIndex(0)

    def _show_edit(self, name: str) -> None:
        """The edits of ``name``; the Noise tab shows the same part of the image, at the same zoom."""
        entry = self._edits.get(name)
        maker = self._outcome.edit_maker(name) if entry and self._outcome is not None else ""
        by = f" ({maker})" if maker else ""
        self.clean.caption, self.attacked.caption = f"Edit of the original{by}", f"Edit of the protected image{by}"
        self.clean.set_image(entry[0] if entry else None)
        self.attacked.set_image(entry[1] if entry else None)
        if entry is None or self._outcome is None:
            return
        box = entry[2]
        original, protected = self._outcome.source.rgb[box.slices], self._outcome.written[box.slices]
        self.compare.set_images(original, protected)
        self.noise.set_image(noise_visual(original, protected))
