"""One app-wide signal carrying what a use-case changed; every page decides whether to refresh.

A page does not connect to the signal itself: it asks for a `Subscription` to the topics it shows
(`ctx.bus.subscribe(page, {Topic.WORKS, Topic.SCORES}, page.refresh)`). While the page is visible a change
to one of those topics calls `refresh(changes)` at once; while it is hidden (another step of the
main window is shown, another tab is current) the change is only recorded, and the page refreshes
once, with every change it missed merged, when it is shown again. So a change costs nothing on the
pages nobody is looking at, however many of them have been opened.

Every change goes out with its initiator (the page or dialog whose action made it; None for a
change nobody in particular made). The initiator's own subscription never treats it as news: it is
refreshed at once (its user acted on it and reads the result on it, shown or not), or, when the
publication says the initiator has already `shown` it in place (one cell, one row), not at all.
Pages publish through `ui.ops.ChangeOp` (which names the initiator) or through their subscription:
`publish(changes)` / `publish_shown(changes)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QWidget

from coordinator_app.changes import Changes, Topic


class ChangeBus(QObject):
    changed = Signal(object, object, bool)  # Changes, initiator (QObject or None), shown by the initiator

    def publish(self, changes: Changes, initiator: QObject | None = None, shown: bool = False) -> None:
        """Tell every subscription that `changes` happened; `initiator` made them (and has already
        shown them in place if `shown`)."""
        if changes:
            self.changed.emit(changes, initiator, shown)

    def subscribe(self, widget: QWidget, topics: Iterable[Topic], refresh: Callable[[Changes], None]) -> "Subscription":
        return Subscription(self, widget, topics, refresh)


class Subscription(QObject):
    """`widget` shows `topics`: refresh it now if it is visible, else when it is next shown.

    `refresh` receives the changes that touched `topics` (merged, if several came while the widget
    was hidden). `stale` says whether a refresh is waiting for the widget to be shown; `refreshes`
    counts the refreshes made (tests read it)."""

    def __init__(self, bus: ChangeBus, widget: QWidget, topics: Iterable[Topic],
                 refresh: Callable[[Changes], None]) -> None:
        super().__init__(widget)          # lives and dies with the widget (and so does the connection)
        self.bus = bus
        self.widget = widget
        self.topics = frozenset(Topic(topic) for topic in topics)
        self.refresh = refresh
        self.pending = Changes()
        self.refreshes = 0
        bus.changed.connect(self._on_changes)
        widget.installEventFilter(self)

    @property
    def stale(self) -> bool:
        return bool(self.pending)

    def _on_changes(self, changes: Changes, initiator: QObject | None, shown: bool) -> None:
        mine = Changes(changes.topics & self.topics)
        if initiator is self.widget:
            if not shown:                   # its own action: refreshed now, shown or not
                self.pending = self.pending | mine
                self.flush()
        elif mine:
            self.mark_stale(mine)

    def mark_stale(self, changes: Changes) -> None:
        """Record `changes` as not shown yet: refreshed now if the widget is visible, else on show."""
        self.pending = self.pending | changes
        if self.widget.isVisible():
            self.flush()

    def flush(self) -> None:
        """Refresh now if anything is pending."""
        if not self.pending:
            return
        changes, self.pending = self.pending, Changes()
        self.refreshes += 1
        self.refresh(changes)

    def forget(self) -> None:
        """The widget has just reloaded everything itself: nothing pending any more."""
        self.pending = Changes()

    def publish(self, changes: Changes) -> None:
        """The widget's own action changed `changes`: tell every page, and refresh this widget now,
        shown or not (its user acted on it and reads the result on it)."""
        self.bus.publish(changes, self.widget)
        self.flush()                        # also when nothing was published: whatever was pending

    def publish_shown(self, changes: Changes) -> None:
        """The widget's own edit, already shown by it (one row updated in place): tell every other
        page; this widget is not refreshed."""
        self.bus.publish(changes, self.widget, shown=True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget and event.type() == QEvent.Type.Show and self.pending:
            self.flush()
        return False
