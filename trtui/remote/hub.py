"""`UpdateHub`: holds the newest `Update` of a served run and wakes the stream handlers.

The session thread calls `publish`; the HTTP server reads `current()` and is told of each new
version through `subscribe` (it wakes its streams on its own event loop; `wait_newer` serves a
blocking reader). Rendered forms (the /snapshot JSON, the /metrics text) are cached per version, so that
many scrapers of one update cost one rendering, not one each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from trtui.stats.update import Update


class UpdateHub:
    """The newest `Update` of one served run and its version (0 before the first publish). One
    thread publishes; any thread reads. Thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._update: Update | None = None
        self.version = 0
        self.closed = False
        self._cache: dict[str, tuple[int, bytes]] = {}
        self._cache_lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` (from the publishing thread) after every publish and at close; returns
        the function that unsubscribes it. A listener must be quick and must not raise."""
        with self._cond:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._cond:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        with self._cond:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def publish(self, update: Update) -> None:
        """Make `update` the newest (version + 1), wake `wait_newer` and call the listeners."""
        with self._cond:
            self._update = update
            self.version += 1
            self._cond.notify_all()
        self._notify()

    def close(self) -> None:
        """Mark the run ended: `wait_newer` returns at once, and the listeners are called once more."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        self._notify()

    def latest(self) -> Update | None:
        """The newest update, None before the first publish."""
        return self._update

    def current(self) -> tuple[int, Update | None]:
        """The newest (version, update), read together."""
        with self._cond:
            return self.version, self._update

    def wait_newer(self, version: int, timeout: float) -> tuple[int, Update | None]:
        """The newest (version, update) once `version` is outdated, or after `timeout` (then the
        version may be unchanged)."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != version or self.closed, timeout)
            return self.version, self._update

    def cached(self, key: str) -> bytes | None:
        """The rendering of the newest version under `key` when it is made already, else None."""
        hit = self._cache.get(key)
        return hit[1] if hit is not None and hit[0] == self.version else None

    def rendered(self, key: str, render: Callable[[Update | None], bytes]) -> bytes:
        """`render(latest)` once per version and key."""
        with self._cache_lock:
            version, update = self.version, self._update
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            body = render(update)
            self._cache[key] = (version, body)
            return body
