"""Rate limits (the ``limits`` library, moving window, in memory per process).

Several app processes each keep their own counters: the limit per process is then the limit.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

SIGN_IN_PER_IP = parse("20/minute")
SIGN_IN_PER_ACCOUNT = parse("10/hour")
CODE_PER_IP = parse("10/minute")
CODE_PER_ACCOUNT = parse("10/hour")
# Choosing a user name tells whether it is taken: a few tries an hour, after a passkey check.
USERNAME_PER_ACCOUNT = parse("5/hour")


class Limiter:
    def __init__(self) -> None:
        self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, item: RateLimitItem, *keys: str) -> bool:
        return self.strategy.hit(item, *keys)

    def minutes_left(self, item: RateLimitItem, *keys: str) -> int:
        reset, _remaining = self.strategy.get_window_stats(item, *keys)
        return max(1, math.ceil((reset - time.time()) / 60))
