"""A minimal observer: callbacks connected to an event run, in order, each time it is emitted."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """What happened to a document; views ``connect`` a callback, the document ``emit`` s."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            callback(*args)
