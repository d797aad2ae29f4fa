"""A short, readable name for a visitor's browser from its user agent: "Chrome 131 on Linux"."""

from __future__ import annotations

import re

# First match wins: Edge, Opera and Samsung Internet also say "Chrome", and Chrome also says
# "Safari", so the more specific names come first.
BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Edge", r"\bEdg(?:e|A|iOS)?/(\d+)"),
        ("Opera", r"\b(?:OPR|OPT)/(\d+)"),
        ("Samsung Internet", r"\bSamsungBrowser/(\d+)"),
        ("Firefox", r"\b(?:Firefox|FxiOS)/(\d+)"),
        ("Chrome", r"\b(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
        ("Safari", r"\bVersion/(\d+)(?:\.\d+)*(?: Mobile/\S+)? Safari/"),
    )
)

SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Android", r"\bAndroid\b"),
        ("iOS", r"\b(?:iPhone|iPod)\b"),
        ("iPadOS", r"\biPad\b"),
        ("ChromeOS", r"\bCrOS\b"),
        ("Windows", r"\bWindows\b"),
        ("macOS", r"\bMac OS X\b|\bMacintosh\b"),
        ("Linux", r"\bLinux\b|\bX11\b"),
    )
)


def describe(user_agent: str | None) -> str | None:
    """ "Firefox 128 on Windows", "Safari 17 on iOS", "Linux", or None when nothing is known."""
    if not user_agent:
        return None
    browser = next(
        (f"{name} {m.group(1)}" for name, rx in BROWSERS if (m := rx.search(user_agent))), None
    )
    system = next((name for name, rx in SYSTEMS if rx.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system
