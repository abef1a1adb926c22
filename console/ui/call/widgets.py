"""Small pieces the call screen's panels share."""

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QListWidget, QSizePolicy


def named(widget, name: str, description: str | None = None):
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


class WholeList(QListWidget):
    """A short checklist as tall as all its rows, in any theme (the high-contrast frame is wider):
    the layout never squeezes it, so its last row is never hidden below the list."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:
        rows = sum(self.sizeHintForRow(row) for row in range(self.count()))
        return QSize(super().sizeHint().width(), rows + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())


class SpaceTicks(QObject):
    """Space on a checklist ticks the current item (and, for guidance, moves on);
    on the guidance, Page Down / Page Up scroll the script being read without leaving the list."""

    def __init__(self, screen, widget: QListWidget | None = None):
        super().__init__(widget or screen)
        self.screen = screen
        self.widget = widget

    def eventFilter(self, obj, event):
        if (self.widget is None and event.type() == QEvent.KeyPress
                and event.key() in (Qt.Key_PageDown, Qt.Key_PageUp)):
            bar = self.screen.script_text.verticalScrollBar()
            bar.setValue(bar.value() + bar.pageStep() * (1 if event.key() == Qt.Key_PageDown else -1))
            return True
        if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Space and not event.modifiers():
            if self.widget is None:
                self.screen.tick_current_script()
            else:
                item = self.widget.currentItem()
                if item is not None:
                    item.setCheckState(Qt.Unchecked if item.checkState() == Qt.Checked else Qt.Checked)
            return True
        return False


class EnterMovesOn(QObject):
    """Enter (or Return) in a field goes on to what comes next, rather than doing nothing."""

    def __init__(self, widget, go_on):
        super().__init__(widget)
        self.go_on = go_on

    def eventFilter(self, obj, event):
        if (event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Return, Qt.Key_Enter)
                and not event.modifiers() & ~Qt.KeypadModifier):
            self.go_on()
            return True
        return False


class NoCopy(QObject):
    """Caller details never leave the console through the clipboard."""

    def eventFilter(self, obj, event):
        if event.type() == QEvent.ShortcutOverride or event.type() == QEvent.KeyPress:
            if event.matches(QKeySequence.Copy) or event.matches(QKeySequence.Cut):
                event.accept()
                return True
        return False


class FlagBox(QCheckBox):
    """A flag its Alt key ticks at once and without taking the focus, so the next key
    (Space on the guidance) goes where the operator was rather than untick the flag.
    (A button's mnemonic otherwise takes the focus and clicks 100 ms later.)"""

    def __init__(self, text: str):
        super().__init__(text)
        self.setFocusPolicy(Qt.NoFocus)

    def event(self, event):
        if event.type() == QEvent.Shortcut and not event.isAmbiguous() and self.isEnabled():
            self.toggle()
            return True
        return super().event(event)
