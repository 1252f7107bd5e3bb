"""How many live streams one signed-in session may hold open at once."""

from __future__ import annotations

from limits.storage import Storage


class StreamLimit:
    """Open streams per signed-in session, counted in the rate limits' storage (so across every
    instance that shares ``TRYG_RATELIMIT_URL``): a flood from one session is capped (a person
    with a few tabs open is not).

    A count is a counter that expires ``expiry_s`` after it was made: a stream ends after
    ``TRYG_LIVE_STREAM_SECONDS``, so a count left behind by a killed process is gone soon after.
    The storage may be Redis: ``acquire`` is called from the thread pool; ``release`` (one
    round trip) runs where a stream ends, on the event loop, where it cannot be skipped.
    """

    def __init__(self, per_session: int, storage: Storage, expiry_s: int) -> None:
        self.per_session = per_session
        self.storage = storage
        self.expiry_s = expiry_s

    @staticmethod
    def _key(session_id: int) -> str:
        return f"live-streams/{session_id}"

    def acquire(self, session_id: int) -> bool:
        if self.storage.incr(self._key(session_id), self.expiry_s) > self.per_session:
            self.release(session_id)
            return False
        return True

    def release(self, session_id: int) -> None:
        self.storage.incr(self._key(session_id), self.expiry_s, amount=-1)

    def open(self, session_id: int) -> int:
        return max(0, self.storage.get(self._key(session_id)))
