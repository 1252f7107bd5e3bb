"""Rate limits (the ``limits`` library, moving window).

The counters live in the storage ``TRYG_RATELIMIT_URL`` names (a ``limits`` storage URI, e.g.
``redis://127.0.0.1:6379/0``), so every instance behind one address counts against one budget
and a restart resets nothing; unset, they are in this process's memory (one process only).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

SIGN_IN_PER_IP = parse("20/minute")
SIGN_IN_PER_ACCOUNT = parse("10/hour")
CODE_PER_IP = parse("10/minute")
CODE_PER_ACCOUNT = parse("10/hour")
# Choosing a user name tells whether it is taken: a few tries an hour, after a passkey check.
USERNAME_PER_ACCOUNT = parse("5/hour")


def storage(url: str = "") -> Storage:
    """The storage ``url`` names (in memory when empty)."""
    if not url or url.startswith("memory://"):
        return MemoryStorage()
    found = storage_from_string(url)
    if not isinstance(found, Storage):  # an async storage (``async+redis://``)
        raise ValueError("TRYG_RATELIMIT_URL must name a synchronous storage")
    return found


class Limiter:
    def __init__(self, url: str = "") -> None:
        self.storage = storage(url)
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, item: RateLimitItem, *keys: str) -> bool:
        return self.strategy.hit(item, *keys)

    def minutes_left(self, item: RateLimitItem, *keys: str) -> int:
        reset, _remaining = self.strategy.get_window_stats(item, *keys)
        return max(1, math.ceil((reset - time.time()) / 60))
