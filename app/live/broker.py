"""Who hears about a change to a plan: the hub of one process, fed in-process or by PostgreSQL.

An :class:`Event` names a plan, what changed (a section, the plan's outline, presence, access)
and ids and versions — never text: it crosses processes in ``NOTIFY`` payloads and ends up in
the browser, where the client re-fetches the fragment through the normal, authorised route.

Each process keeps a :class:`Hub`: subscribers per plan and a short replay buffer, so a client
that reconnects with ``Last-Event-ID`` gets what it missed, or is told to re-sync when the gap
cannot be filled (another process, or older than the buffer). ``NOTIFY`` has no replay, so a
lost listener connection also tells every local subscriber to re-sync.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, event, text
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "tryg_live"
BUFFER = 200  # events kept per plan for Last-Event-ID replay
QUEUE_LIMIT = 500  # a subscriber further behind than this is told to re-sync instead

KINDS = frozenset({"section", "plan", "presence", "access", "actions"})


@dataclass(frozen=True)
class Event:
    """``section``: re-fetch that section; ``plan``: the outline changed (re-fetch all);
    ``actions``: the handleplan changed (its page re-fetches its body);
    ``presence``: who is here changed; ``access``: a grant changed (streams re-check)."""

    plan: int
    kind: str
    section: int | None = None
    item: int | None = None
    version: int | None = None

    def payload(self) -> str:
        return json.dumps(
            {k: v for k, v in asdict(self).items() if v is not None}, separators=(",", ":")
        )

    @classmethod
    def parse(cls, raw: str) -> Event:
        """Strict: only known kinds and integer ids (a payload is never trusted blindly)."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise ValueError("unknown event")
        ids = {k: data.get(k) for k in ("plan", "section", "item", "version")}
        for key, value in ids.items():
            if value is not None and (type(value) is not int or value < 0):
                raise ValueError(f"bad {key}")
        if ids["plan"] is None:
            raise ValueError("no plan")
        return cls(kind=data["kind"], **ids)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        """The SSE event name; htmx dispatches it as a DOM event the page listens for."""
        if self.kind == "section":
            return f"section-{self.section}"
        return self.kind


RESYNC = "plan"  # the event name that makes a page re-fetch everything


class Subscriber:
    """One open stream's mailbox. ``None`` in the queue means: the stream must end."""

    def __init__(self, plan_id: int) -> None:
        self.plan_id = plan_id
        self.queue: asyncio.Queue[tuple[str, Event] | None] = asyncio.Queue()
        self.behind = False

    def put(self, item: tuple[str, Event] | None) -> None:
        if item is not None and self.queue.qsize() >= QUEUE_LIMIT:
            self.behind = True  # the stream sends one re-sync instead of the backlog
            return
        self.queue.put_nowait(item)


class Hub:
    """Subscribers and replay buffers of one process. Touched only on the event loop."""

    def __init__(self) -> None:
        self.boot = secrets.token_hex(4)
        self._seq = 0
        self._subscribers: dict[int, set[Subscriber]] = {}
        self._buffers: dict[int, deque[tuple[int, Event]]] = {}
        self._floors: dict[int, int] = {}  # the newest seq evicted from a plan's buffer

    def position(self) -> str:
        return f"{self.boot}.{self._seq}"

    def subscribe(self, plan_id: int) -> Subscriber:
        sub = Subscriber(plan_id)
        self._subscribers.setdefault(plan_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subscribers.get(sub.plan_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[sub.plan_id]

    def count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def deliver(self, event: Event) -> None:
        self._seq += 1
        buffer = self._buffers.setdefault(event.plan, deque())
        if len(buffer) >= BUFFER:
            self._floors[event.plan] = buffer.popleft()[0]
        buffer.append((self._seq, event))
        message = (f"{self.boot}.{self._seq}", event)
        for sub in self._subscribers.get(event.plan, ()):
            sub.put(message)

    def since(self, plan_id: int, last_event_id: str) -> list[tuple[str, Event]] | None:
        """What a reconnecting client missed, or None when only a re-sync can help."""
        boot, _, seq_text = last_event_id.partition(".")
        if boot != self.boot or not (seq_text.isascii() and seq_text.isdigit()):
            return None
        seq = int(seq_text[:20])
        if seq > self._seq or seq < self._floors.get(plan_id, 0):
            return None
        return [(f"{self.boot}.{n}", e) for n, e in self._buffers.get(plan_id, ()) if n > seq]

    def resync_all(self) -> None:
        """Events may have been lost (e.g. the PostgreSQL listener reconnected)."""
        for plan_id in list(self._subscribers):
            self.deliver(Event(plan=plan_id, kind="plan"))

    def close_all(self) -> None:
        for subs in self._subscribers.values():
            for sub in subs:
                sub.put(None)


class MemoryBroker:
    """One app process: publishing hands the event to this process's hub."""

    def __init__(self) -> None:
        self.hub = Hub()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self.hub.close_all()

    def _to_hub(self, event: Event) -> None:
        """Thread-safe: writes commit in the thread pool, the hub lives on the event loop."""
        if self._loop is None or self._loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self.hub.deliver(event)
        else:
            self._loop.call_soon_threadsafe(self.hub.deliver, event)

    def publish(self, event: Event) -> None:
        self._to_hub(event)

    def ready(self) -> bool:
        """Whether events reach this process's pages (``/readyz``)."""
        return self._loop is not None and not self._loop.is_closed()


class PostgresBroker(MemoryBroker):
    """Several app processes on one PostgreSQL database: ``NOTIFY`` on publish, and one
    ``LISTEN`` connection per process that feeds its hub (its own events included)."""

    def __init__(self, engine: Engine, url: str) -> None:
        super().__init__()
        self.engine = engine
        self.url = url
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        await super().start()
        self._task = asyncio.create_task(self._listen(), name="live-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), timeout=5)

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def ready(self) -> bool:
        return super().ready() and self.listening.is_set()

    def publish(self, event: Event) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": CHANNEL, "payload": event.payload()},
                )
        except Exception:  # the write itself is committed; the page re-syncs on reload
            log.exception("live: NOTIFY failed for plan=%s", event.plan)

    async def _listen(self) -> None:
        import psycopg  # only needed with PostgreSQL

        delay = 0.5
        first = True
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if not first:
                        self.hub.resync_all()  # NOTIFY has no replay: whatever was missed
                    first, delay = False, 0.5
                    async for note in conn.notifies():
                        try:
                            self.hub.deliver(Event.parse(note.payload))
                        except (ValueError, TypeError):
                            log.warning("live: ignored a malformed notification")
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                log.warning("live: listener lost its connection; retrying in %.1f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


Broker = MemoryBroker


def make_broker(engine: Engine) -> Broker:
    if engine.dialect.name == "postgresql":
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresBroker(engine, url)
    return MemoryBroker()


def announce(broker: Broker, session: Session, *events: Event) -> None:
    """Publish ``events`` once ``session`` commits (nothing if it rolls back): a subscriber that
    re-fetches at once must see the change."""
    pending: list[Event] = session.info.setdefault("live_events", [])
    if not pending:

        def _committed(s: Session) -> None:
            for e in s.info.pop("live_events", []):
                broker.publish(e)

        def _rolled_back(s: Session) -> None:
            s.info.pop("live_events", None)

        event.listen(session, "after_commit", _committed, once=True)
        event.listen(session, "after_rollback", _rolled_back, once=True)
    pending.extend(events)
