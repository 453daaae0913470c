"""The app's look: a dark camera-app palette, a style sheet and small drawn icons.

Icons are drawn with ``QPainter`` so the app looks the same on desktops without an icon theme.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PyQt6.QtWidgets import QApplication

BACKGROUND = "#141418"
PANEL = "#1d1d23"
PANEL_RAISED = "#2a2a32"
PREVIEW = "#0b0b0e"
TEXT = "#ececf1"
TEXT_DIM = "#9d9daa"
ACCENT = "#ffc93c"
RECORD = "#ff3b30"
OK = "#34c759"
WARNING = "#ff9f0a"

STYLE_SHEET = f"""
QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}
QWidget {{ color: {TEXT}; font-size: 10pt; }}
QMenuBar {{ background: {BACKGROUND}; color: {TEXT}; }}
QMenuBar::item:selected {{ background: {PANEL_RAISED}; }}
QMenu {{ background: {PANEL}; border: 1px solid {PANEL_RAISED}; }}
QMenu::item {{ padding: 5px 24px 5px 24px; }}
QMenu::item:selected {{ background: {PANEL_RAISED}; }}
QMenu::item:disabled {{ color: {TEXT_DIM}; }}
QMenu::separator {{ height: 1px; background: {PANEL_RAISED}; margin: 4px 8px; }}
QStatusBar {{ background: {BACKGROUND}; color: {TEXT_DIM}; }}
QWidget#topBar, QWidget#bottomBar {{ background: {PANEL}; }}
QComboBox {{
    background: {PANEL_RAISED}; border: none; border-radius: 8px; padding: 4px 10px; min-height: 22px;
}}
QComboBox::drop-down {{ border: none; width: 18px; }}
QComboBox QAbstractItemView {{
    background: {PANEL}; border: 1px solid {PANEL_RAISED}; selection-background-color: {PANEL_RAISED};
}}
QToolButton#toggle, QPushButton#pill {{
    background: {PANEL_RAISED}; border: none; border-radius: 8px; padding: 5px 10px;
}}
QToolButton#toggle:hover, QPushButton#pill:hover {{ background: #363640; }}
QToolButton#toggle:checked {{ background: {ACCENT}; color: #1a1a1a; }}
QToolButton#toggle:disabled {{ background: {PANEL_RAISED}; color: #5d5d68; }}
QToolButton#toggle::menu-indicator {{ image: none; }}
QToolButton#tile {{
    background: transparent; border: 2px solid transparent; border-radius: 14px; padding: 3px;
    color: {TEXT_DIM}; font-size: 9pt;
}}
QToolButton#tile:hover {{ background: {PANEL_RAISED}; }}
QToolButton#tile:checked {{ border: 2px solid {ACCENT}; color: {TEXT}; }}
QToolButton#capture {{ background: transparent; border: 2px solid transparent; border-radius: 8px; }}
QToolButton#capture:hover {{ border: 2px solid {TEXT_DIM}; }}
QPushButton#primary {{
    background: {ACCENT}; color: #1a1a1a; border: none; border-radius: 10px; padding: 9px 18px;
    font-weight: 600;
}}
QPushButton#primary:hover {{ background: #ffd766; }}
QPushButton#secondary {{
    background: {PANEL_RAISED}; border: none; border-radius: 10px; padding: 9px 18px;
}}
QPushButton#secondary:hover {{ background: #363640; }}
QLabel#dim {{ color: {TEXT_DIM}; }}
QLabel#title {{ font-size: 17pt; font-weight: 600; }}
QScrollArea {{ background: transparent; border: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:horizontal {{ height: 6px; background: transparent; }}
QScrollBar::handle:horizontal {{ background: {PANEL_RAISED}; border-radius: 3px; min-width: 24px; }}
QScrollBar:vertical {{ width: 6px; background: transparent; }}
QScrollBar::handle:vertical {{ background: {PANEL_RAISED}; border-radius: 3px; min-height: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{
    background: transparent; color: {TEXT_DIM}; border: none; border-bottom: 2px solid transparent;
    padding: 5px 7px; margin-right: 2px;
}}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover {{ color: {TEXT}; }}
QSlider::groove:horizontal {{ height: 4px; background: {PANEL_RAISED}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{
    background: {TEXT}; width: 16px; height: 16px; margin: -6px 0; border-radius: 8px;
}}
QFrame#banner {{ border-radius: 10px; }}
QFrame#banner[level="error"] {{ background: #4a1f22; }}
QFrame#banner[level="warning"] {{ background: #4a3a16; }}
QFrame#banner[level="info"] {{ background: {PANEL_RAISED}; }}
QFrame#banner QPushButton {{
    background: rgba(255, 255, 255, 0.12); border: none; border-radius: 7px; padding: 4px 12px;
}}
QFrame#banner QToolButton {{ background: transparent; border: none; color: {TEXT_DIM}; font-size: 12pt; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style with the dark palette and the style sheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: PANEL_RAISED,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: PANEL_RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#1a1a1a",
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: TEXT_DIM,
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(TEXT_DIM))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(TEXT_DIM))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _draw(name: str, p: QPainter, color: QColor) -> None:
    """Draw icon ``name`` on a 24×24 canvas."""
    p.setPen(_pen(color, 2.0))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if name == "mirror":
        p.drawLine(QPointF(12, 3), QPointF(12, 21))
        p.setBrush(color)
        p.drawPolygon([QPointF(9, 6), QPointF(9, 18), QPointF(3, 18)])
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolygon([QPointF(15, 6), QPointF(15, 18), QPointF(21, 18)])
    elif name == "timer":
        p.drawEllipse(QPointF(12, 13.5), 8, 8)
        p.drawLine(QPointF(12, 13.5), QPointF(12, 9))
        p.drawLine(QPointF(12, 13.5), QPointF(15, 15.5))
        p.drawLine(QPointF(10, 2.5), QPointF(14, 2.5))
    elif name == "stats":
        for x, top in ((5, 14), (12, 8), (19, 4)):
            p.drawLine(QPointF(x, 20), QPointF(x, top))
    elif name == "folder":
        path = QPainterPath(QPointF(3, 7))
        for x, y in ((3, 19), (21, 19), (21, 8.5), (11.5, 8.5), (9.5, 5.5), (3, 5.5)):
            path.lineTo(x, y)
        path.closeSubpath()
        p.drawPath(path)
    elif name == "film":
        p.drawRoundedRect(QRectF(3, 5, 18, 14), 2.5, 2.5)
        p.setBrush(color)
        p.drawPolygon([QPointF(10, 9), QPointF(10, 15), QPointF(15, 12)])
    elif name == "play":
        p.setBrush(color)
        p.drawPolygon([QPointF(7, 4.5), QPointF(7, 19.5), QPointF(19.5, 12)])
    elif name == "pause":
        p.setBrush(color)
        p.drawRoundedRect(QRectF(6, 5, 4, 14), 1, 1)
        p.drawRoundedRect(QRectF(14, 5, 4, 14), 1, 1)
    elif name == "loop":
        path = QPainterPath()
        path.arcMoveTo(QRectF(4, 4, 16, 16), 60)
        path.arcTo(QRectF(4, 4, 16, 16), 60, 300)
        p.drawPath(path)
        end = QPointF(12 + 8 * math.cos(math.radians(60)), 12 - 8 * math.sin(math.radians(60)))
        p.drawLine(end, end + QPointF(-4.5, -1.0))
        p.drawLine(end, end + QPointF(0.5, 4.5))
    elif name == "camera":
        p.drawRoundedRect(QRectF(2.5, 6.5, 19, 13), 3, 3)
        p.drawEllipse(QPointF(12, 13), 3.8, 3.8)
        p.drawLine(QPointF(8.5, 6.5), QPointF(10, 4))
        p.drawLine(QPointF(10, 4), QPointF(14, 4))
        p.drawLine(QPointF(14, 4), QPointF(15.5, 6.5))
    elif name == "tune":
        for y, knob in ((6, 15), (12, 8), (18, 13)):
            p.drawLine(QPointF(3, y), QPointF(21, y))
            p.setBrush(QColor(PANEL))
            p.drawEllipse(QPointF(knob, y), 2.4, 2.4)
            p.setBrush(Qt.BrushStyle.NoBrush)
    else:
        raise ValueError(f"unknown icon {name!r}")


def icon(name: str, color: str = TEXT, checked_color: str | None = "#1a1a1a") -> QIcon:
    """A drawn icon (``mirror``, ``timer``, ``stats``, ``folder``, ``film``, ``play``, ``pause``,
    ``loop``, ``camera``, ``tune``); ``checked_color`` is used when its button is checked."""
    result = QIcon()
    for state, col in ((QIcon.State.Off, color), (QIcon.State.On, checked_color or color)):
        pixmap = QPixmap(48, 48)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(2.0, 2.0)
        _draw(name, painter, QColor(col))
        painter.end()
        result.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return result


def app_icon() -> QIcon:
    """The app's icon: a lens on the accent colour, with a sparkle."""
    result = QIcon()
    for side in (16, 32, 64, 128, 256):
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(side / 64.0, side / 64.0)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(ACCENT))
        p.drawRoundedRect(QRectF(2, 2, 60, 60), 16, 16)
        p.setBrush(QColor(BACKGROUND))
        p.drawEllipse(QPointF(30, 34), 17, 17)
        p.setBrush(QColor(ACCENT))
        p.drawEllipse(QPointF(30, 34), 9, 9)
        p.setBrush(QColor("#ffffff"))
        p.drawEllipse(QPointF(26, 30), 3, 3)
        star = QPainterPath(QPointF(50, 6))
        for x, y in ((52.5, 13.5), (60, 16), (52.5, 18.5), (50, 26), (47.5, 18.5), (40, 16), (47.5, 13.5)):
            star.lineTo(x, y)
        star.closeSubpath()
        p.setBrush(QColor("#ffffff"))
        p.drawPath(star)
        p.end()
        result.addPixmap(pixmap)
    return result
