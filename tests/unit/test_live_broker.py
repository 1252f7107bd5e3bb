"""The live broker: events carry ids only, reconnects replay or re-sync, PostgreSQL fans out."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app import db
from app.live.broker import BUFFER, Event, Hub, MemoryBroker, PostgresBroker, make_broker


def test_an_event_carries_ids_and_versions_only():
    event = Event(plan=3, kind="section", section=7, item=11, version=2)
    assert event.payload() == '{"plan":3,"kind":"section","section":7,"item":11,"version":2}'
    assert Event.parse(event.payload()) == event
    assert event.name == "section-7"
    assert Event(plan=3, kind="presence").name == "presence"


@pytest.mark.parametrize(
    "raw",
    [
        '{"plan":1,"kind":"text","section":1}',  # unknown kind
        '{"plan":"1","kind":"plan"}',  # not an integer
        '{"plan":1,"kind":"section","section":true}',  # a bool is not an id
        '{"plan":-1,"kind":"plan"}',
        '{"kind":"plan"}',
        "[1, 2]",
        "not json",
    ],
)
def test_a_malformed_payload_is_refused(raw):
    with pytest.raises(ValueError):
        Event.parse(raw)


def test_subscribers_get_their_plans_events_only():
    hub = Hub()
    mine, other = hub.subscribe(1), hub.subscribe(2)
    hub.deliver(Event(plan=1, kind="plan"))
    assert mine.queue.qsize() == 1 and other.queue.qsize() == 0
    event_id, event = mine.queue.get_nowait()  # type: ignore[misc]
    assert event == Event(plan=1, kind="plan") and event_id == hub.position()
    hub.unsubscribe(mine)
    hub.deliver(Event(plan=1, kind="plan"))
    assert mine.queue.qsize() == 0 and hub.count() == 1


def test_reconnect_replays_what_was_missed_or_asks_for_a_resync():
    hub = Hub()
    hub.deliver(Event(plan=1, kind="plan"))
    seen = hub.position()
    hub.deliver(Event(plan=1, kind="section", section=4, item=9, version=3))
    hub.deliver(Event(plan=2, kind="plan"))  # another plan's event is not replayed
    missed = hub.since(1, seen)
    assert [e for _, e in missed] == [Event(plan=1, kind="section", section=4, item=9, version=3)]  # type: ignore[union-attr]
    assert hub.since(1, hub.position()) == []
    assert hub.since(1, "otherboot.1") is None  # another process (or a restart): re-sync
    assert hub.since(1, "garbage") is None
    assert hub.since(1, f"{hub.boot}.999") is None  # from the future
    for _ in range(BUFFER + 5):
        hub.deliver(Event(plan=1, kind="plan"))
    assert hub.since(1, seen) is None  # older than the buffer: re-sync


def test_a_subscriber_too_far_behind_is_told_to_resync_not_flooded():
    hub = Hub()
    sub = hub.subscribe(1)
    for _ in range(600):
        hub.deliver(Event(plan=1, kind="plan"))
    assert sub.behind and sub.queue.qsize() == 500


def test_publishing_from_a_worker_thread_reaches_the_loop():
    async def scenario() -> Event:
        broker = MemoryBroker()
        await broker.start()
        sub = broker.hub.subscribe(5)
        thread = threading.Thread(target=broker.publish, args=(Event(plan=5, kind="plan"),))
        thread.start()
        thread.join()
        item = await asyncio.wait_for(sub.queue.get(), timeout=2)
        await broker.stop()
        assert await asyncio.wait_for(sub.queue.get(), timeout=2) is None  # stop ends streams
        assert item is not None
        return item[1]

    assert asyncio.run(scenario()) == Event(plan=5, kind="plan")


@pytest.mark.postgres
def test_postgres_notify_reaches_every_process(postgres_url):
    """Two brokers (as two app processes would have) on one database: an event published
    through one arrives at both, ids only."""
    engine = db.make_engine(postgres_url)
    db.migrate(engine)

    async def scenario() -> list[Event]:
        a, b = make_broker(engine), make_broker(engine)
        assert isinstance(a, PostgresBroker) and isinstance(b, PostgresBroker)
        await a.start()
        await b.start()
        sub_a, sub_b = a.hub.subscribe(8), b.hub.subscribe(8)
        event = Event(plan=8, kind="section", section=2, item=3, version=4)
        await asyncio.to_thread(a.publish, event)
        got = [
            (await asyncio.wait_for(s.queue.get(), timeout=5))[1]  # type: ignore[index]
            for s in (sub_a, sub_b)
        ]
        await a.stop()
        await b.stop()
        return got

    try:
        assert (
            asyncio.run(scenario())
            == [Event(plan=8, kind="section", section=2, item=3, version=4)] * 2
        )
    finally:
        engine.dispose()
