"""Budgets for password and token guesses: per client address, per account, and per both.

Only wrong guesses use a budget. A guess is counted before it is checked, so a burst of
parallel guesses cannot all start before the first one fails, and given back when it turns
out right (or fails for another reason, such as a too-short new password). A right password
never clears the account's failures from other addresses: a botnet spraying one account
gets no fresh budget each time its owner signs in. Budgets live in this process only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from frontdesk.settings import Settings
from frontdesk.web.ratelimit import RateLimiter

# One address retrying one account: a person mistyping, cleared by their next success.
PAIR_LIMIT = 10


class GuessThrottle:
    def __init__(self, settings: Settings):
        window = settings.login_window_minutes * 60
        self.per_ip = RateLimiter(
            settings.login_failures_per_ip, window, "failed sign-ins from this address"
        )
        self.per_account = RateLimiter(
            settings.login_failures_per_account, window, "failed sign-ins for this account"
        )
        self.per_pair = RateLimiter(PAIR_LIMIT, window, "sign-in attempts")

    @contextmanager
    def guess(
        self, ip: str, account: str | None, wrong: tuple[type[Exception], ...]
    ) -> Iterator[None]:
        """Refuse with 429 when a budget is spent; count the guess if ``wrong`` is raised."""
        budgets = [(self.per_ip, ip)]
        if account is not None:
            account = account.strip().lower()
            budgets += [(self.per_account, account), (self.per_pair, f"{account}|{ip}")]
        for limiter, key in budgets:
            limiter.check(key)
        for limiter, key in budgets:
            limiter.add(key)
        try:
            yield
        except wrong:
            raise
        except BaseException:
            self._give_back(budgets)
            raise
        self._give_back(budgets)
        if account is not None:
            self.per_pair.reset(f"{account}|{ip}")

    @staticmethod
    def _give_back(budgets: list[tuple[RateLimiter, str]]) -> None:
        for limiter, key in budgets:
            limiter.refund(key)
