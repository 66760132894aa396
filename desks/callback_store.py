"""Callback requests and their tries in the database: the thin edge around desks/callbacks.py.

Written by two kinds of process: an AGI worker stores a request when a caller presses 1 (one short
insert; the caller is told "you will be called back" only once it is stored), and the engine's callback
helper records each try. The call record's callback columns are the call records' own business
(routing/records, above this package): the helper hands them `unsynced` summaries and marks those the
records took (`mark_synced`), since a call record is written by the record writer at its own pace.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desks.callbacks import PENDING, CallbackSummary, OpenCallback, after_try
from desks.model import CallbackRequest, CallbackTry


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


class CallbackStore:
    """One process's access to the callback tables. `make_db` is called on first use in the process that
    uses it (AGI workers and helpers are forked); give it a short busy timeout: a caller waits on it."""

    def __init__(self, make_db: Callable[[], Engine]) -> None:
        self._make_db = make_db
        self._engine: Engine | None = None
        self._pid = 0

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            self._engine = self._make_db()
            self._pid = os.getpid()
        return self._engine

    def add_request(
        self,
        *,
        call_id: str,
        desk: str,
        queue: str,
        number: str,
        now: datetime,
        entered_at: datetime,
        position: int | None,
    ) -> bool:
        """Store a request; False when this call already asked (a second 1 keeps the first request)."""
        try:
            with Session(self.engine) as session, session.begin():
                session.add(
                    CallbackRequest(
                        call_id=call_id,
                        desk=desk,
                        queue=queue,
                        number=number,
                        requested_at=_naive(now),
                        entered_at=_naive(entered_at),
                        position=position,
                        status=PENDING,
                        tries=0,
                        record_synced=False,
                    )
                )
        except IntegrityError:
            return False
        return True

    def open_callbacks(self, placing: set[int]) -> list[OpenCallback]:
        """Every pending request, with when its last try ended; `placing`: ids ringing the caller now."""
        last_try = (
            select(
                CallbackTry.request_id,
                func.max(func.coalesce(CallbackTry.ended_at, CallbackTry.started_at)).label("last"),
            )
            .group_by(CallbackTry.request_id)
            .subquery()
        )
        query = (
            select(CallbackRequest, last_try.c.last)
            .outerjoin(last_try, last_try.c.request_id == CallbackRequest.id)
            .where(CallbackRequest.status == PENDING)
        )
        with Session(self.engine) as session:
            return [
                OpenCallback(
                    id=row.id,
                    desk=row.desk,
                    requested_at=row.requested_at.replace(tzinfo=UTC),
                    entered_at=row.entered_at.replace(tzinfo=UTC),
                    tries=row.tries,
                    last_try_at=_aware(last),
                    placing=row.id in placing,
                )
                for row, last in session.execute(query)
            ]

    def request(self, request_id: int) -> CallbackRequest | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(CallbackRequest, request_id)

    def start_try(self, request_id: int, now: datetime) -> int:
        """Record a try going out; returns its number (1, 2, …)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CallbackRequest, request_id)
            if row is None:
                raise LookupError(f"no callback request {request_id}")
            row.tries += 1
            row.record_synced = False
            session.add(CallbackTry(request_id=request_id, n=row.tries, started_at=_naive(now)))
            return row.tries

    def finish_try(
        self, request_id: int, n: int, *, answered: bool, detail: str, now: datetime, max_tries: int
    ) -> str:
        """Record how try `n` ended and move the request on (desks.callbacks.after_try); its new status."""
        with Session(self.engine) as session, session.begin():
            row = session.get(CallbackRequest, request_id)
            attempt = session.scalars(
                select(CallbackTry).where(CallbackTry.request_id == request_id, CallbackTry.n == n)
            ).one_or_none()
            if row is None or attempt is None:
                raise LookupError(f"no try {n} of callback request {request_id}")
            attempt.ended_at = _naive(now)
            attempt.outcome = "answered" if answered else "no answer"
            attempt.detail = detail[:200]
            row.status = after_try(n, answered, max_tries)
            row.record_synced = False
            return row.status

    def tries(self, request_id: int) -> list[CallbackTry]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(
                session.scalars(
                    select(CallbackTry).where(CallbackTry.request_id == request_id).order_by(CallbackTry.n)
                )
            )

    def unsynced(self, limit: int = 100) -> list[CallbackSummary]:
        """Requests whose call record is not yet in step, as the record should show them."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(CallbackRequest).where(CallbackRequest.record_synced.is_(False)).limit(limit)
            ).all()
            summaries = []
            for row in rows:
                tries = session.scalars(
                    select(CallbackTry).where(CallbackTry.request_id == row.id).order_by(CallbackTry.n)
                ).all()
                summaries.append(
                    CallbackSummary(
                        request_id=row.id,
                        call_id=row.call_id,
                        requested_at=row.requested_at,
                        placed_at=tries[0].started_at if tries else None,
                        answered_at=next((t.ended_at for t in tries if t.outcome == "answered"), None),
                        tries=row.tries,
                        status=row.status,
                    )
                )
            return summaries

    def mark_synced(self, summaries: list[CallbackSummary]) -> int:
        """These requests' records are in step, unless a try started or ended since they were read (then
        they stay out of step for the next round)."""
        done = 0
        with Session(self.engine) as session, session.begin():
            for summary in summaries:
                result = session.execute(
                    update(CallbackRequest)
                    .where(
                        CallbackRequest.id == summary.request_id,
                        CallbackRequest.tries == summary.tries,
                        CallbackRequest.status == summary.status,
                    )
                    .values(record_synced=True)
                )
                done += result.rowcount or 0
        return done
