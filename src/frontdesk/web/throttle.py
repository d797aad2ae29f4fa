"""Budgets for password and token guesses: per client address, per account, and per both.

Only wrong guesses use a budget. A guess is counted before it is checked, so a burst of
parallel guesses cannot all start before the first one fails, and given back when it turns
out right (or fails for another reason, such as a too-short new password). A right password
never clears the account's failures from other addresses: a botnet spraying one account
gets no fresh budget each time its owner signs in. Budgets are shared by every server
process when they share Redis (web/ratelimit.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from frontdesk.errors import TooManyRequests
from frontdesk.settings import Settings
from frontdesk.web.ratelimit import RateLimiter, window_for

if TYPE_CHECKING:
    from redis.asyncio import Redis

# One address retrying one account: a person mistyping, cleared by their next success.
PAIR_LIMIT = 10


class GuessThrottle:
    def __init__(self, settings: Settings, redis: Redis | None = None):
        window = settings.login_window_minutes * 60
        self.per_ip = RateLimiter(
            window_for("login-ip", redis),
            settings.login_failures_per_ip,
            window,
            "failed sign-ins from this address",
        )
        self.per_account = RateLimiter(
            window_for("login-account", redis),
            settings.login_failures_per_account,
            window,
            "failed sign-ins for this account",
        )
        self.per_pair = RateLimiter(
            window_for("login-pair", redis), PAIR_LIMIT, window, "sign-in attempts"
        )

    @asynccontextmanager
    async def guess(
        self, ip: str, account: str | None, wrong: tuple[type[Exception], ...]
    ) -> AsyncIterator[None]:
        """Refuse with 429 when a budget is spent; count the guess if ``wrong`` is raised."""
        budgets = [(self.per_ip, ip)]
        if account is not None:
            account = account.strip().lower()
            budgets += [(self.per_account, account), (self.per_pair, f"{account}|{ip}")]
        taken: list[tuple[RateLimiter, str]] = []
        try:
            for limiter, key in budgets:
                await limiter.hit(key)
                taken.append((limiter, key))
        except TooManyRequests:
            await self._give_back(taken)
            raise
        try:
            yield
        except wrong:
            raise
        except BaseException:
            await self._give_back(budgets)
            raise
        await self._give_back(budgets)
        if account is not None:
            await self.per_pair.reset(f"{account}|{ip}")

    @staticmethod
    async def _give_back(budgets: list[tuple[RateLimiter, str]]) -> None:
        for limiter, key in budgets:
            await limiter.refund(key)
