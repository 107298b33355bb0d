"""Slowing down password guessing from one network address.

Per-account lockout lives in the database (accounts.failed_login_count, staff_users.locked_until) so it
holds across processes. This limiter adds a per-address cap on failed sign-ins, so one client cannot spray
guesses over many usernames. It is in-memory and therefore per process; behind several workers each
worker counts on its own, which still bounds the guessing rate.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self, max_failures: int = 20, window_s: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may try now."""
        with self._lock:
            failures = self._prune(client)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window_s - self._clock()) + 1)

    def record_failure(self, client: str) -> None:
        with self._lock:
            failures = self._prune(client)
            failures.append(self._clock())
            self._failures[client] = failures

    def _prune(self, client: str) -> deque[float]:
        failures = self._failures.get(client, deque())
        cutoff = self._clock() - self.window_s
        while failures and failures[0] <= cutoff:
            failures.popleft()
        # Forget quiet clients so the table does not grow with every address ever seen.
        if failures:
            self._failures[client] = failures
        else:
            self._failures.pop(client, None)
        return failures
