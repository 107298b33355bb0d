"""Debian's chromium under Playwright, the one way the browser tests (tests/browser/) and the end-to-end
chat page test (tests/e2e/test_web_chat_e2e.py) start it. Importable by name: pyproject.toml puts this
folder on pytest's `pythonpath`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers run as root), no GPU (headless CI), and nothing that calls home on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_or_skip() -> Path:
    """The chromium binary; skips the test (fails it when MARQUEE_REQUIRE_SERVICES=1) when it is missing."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium (`apt-get install -y chromium`)"
        if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@contextmanager
def launched_chromium(executable: Path | None = None) -> Iterator:
    """A Playwright browser on chromium, closed (and Playwright stopped) on exit.

    Hold it for a module at most: Playwright's sync API keeps an event loop running on this thread until it
    stops, and later tests that call asyncio.run() would fail while it lives.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable or chromium_or_skip()), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
