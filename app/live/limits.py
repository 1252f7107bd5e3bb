"""How many live streams one signed-in session may hold open at once."""

from __future__ import annotations

from collections import Counter


class StreamLimit:
    """Open streams per signed-in session, in this process: a flood from one session is capped
    (a person with a few tabs open is not)."""

    def __init__(self, per_session: int) -> None:
        self.per_session = per_session
        self.open: Counter[int] = Counter()

    def acquire(self, session_id: int) -> bool:
        if self.open[session_id] >= self.per_session:
            return False
        self.open[session_id] += 1
        return True

    def release(self, session_id: int) -> None:
        self.open[session_id] -= 1
        if self.open[session_id] <= 0:
            del self.open[session_id]
