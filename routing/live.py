"""Re-imported places reach a running engine: each worker watches the region data's counters and, when
one moves, reads the places again and swaps them into its router whole.

The rebuild runs on a thread of the worker beside the calls, so no call waits on it (a national region
takes seconds to read) and none is dropped: calls keep routing on the old places until the new ones are
complete, and a call already under way finishes on the places it started with (`Router.swap`). A read
that fails (database down, a region left without areas) keeps the old places and says so once per
revision; a transient error is tried again at the next poll.

Not in the engine's parent process: it forks workers and helpers, and a fork while a thread of ours holds
a database lock leaves the child stalled (kernel/children.py). A worker forked later starts on the
parent's places and catches up at its first poll, which runs at once.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy.exc import OperationalError

from routing.router import Places, Router

log = logging.getLogger("siaga.routing.live")


def changed_kinds(old: Mapping[str, int], new: Mapping[str, int]) -> list[str]:
    """The kinds of region data whose counter differs, in a stable order, for the log line."""
    return sorted(k for k in set(old) | set(new) if old.get(k, 0) != new.get(k, 0))


class PlacesWatcher:
    """Polls `read_revision` every `refresh_s`; when it differs from the router's places, `load`s new
    places and swaps them in. `check` is one poll, for tests and for the thread alike."""

    def __init__(
        self,
        router: Router,
        read_revision: Callable[[], Mapping[str, int]],
        load: Callable[[], Places],
        refresh_s: float = 2.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._router = router
        self._read_revision = read_revision
        self._load = load
        self._refresh_s = refresh_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: Mapping[str, int] | None = None  # a revision whose places could not be read
        self.reloads = 0

    def check(self) -> bool:
        """One poll: True when new places were swapped in. Never raises: the old places keep routing."""
        try:
            revision = dict(self._read_revision())
        except Exception as exc:  # the database is away: keep routing, ask again next time
            log.warning("region data revision unreadable (%s); routing on the places in memory", exc)
            return False
        current = self._router.places.revision
        if revision == dict(current) or revision == self._refused:
            return False
        started = self._clock()
        try:
            places = self._load()
        except (OperationalError, OSError) as exc:  # the database went away meanwhile: next poll
            log.warning("re-imported region data not read yet (%s); routing on the places in memory", exc)
            return False
        except Exception as exc:  # the data itself (a region left without areas): wait for a new import
            self._refused = revision
            log.error(
                "re-imported %s could not be read; routing on the places in memory until the next import: %s",
                ", ".join(changed_kinds(current, revision)) or "region data",
                exc,
            )
            return False
        # The new places live as long as the worker: keep the cyclic collector from rescanning them
        # during calls, as the parent does with the places it starts with (siaga/engine.py).
        gc.freeze()
        self._router.swap(places)
        self._refused = None
        self.reloads += 1
        region = places.region
        log.info(
            "places reloaded (%s changed) in %.2f s: %d areas, %d facilities, %d known callers",
            ", ".join(changed_kinds(current, places.revision)) or "nothing",
            self._clock() - started,
            len(region.areas),
            len(region.facilities),
            len(region.callers),
        )
        return True

    def start(self) -> None:
        """Watch on a daemon thread of this process (call it in each worker, after the fork)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="places watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            self.check()
            if self._stop.wait(self._refresh_s):
                return
