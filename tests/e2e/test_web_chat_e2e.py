"""The subscriber chat page in Debian's chromium against the real stack: `marquee web` forwarding to the
real Rasa server, which calls the real action server on the seeded database. No stand-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium_browser import launched_chromium
from sqlalchemy import select

from accountdb.engine import make_engine, session_scope
from accountdb.models import Title

ROOT = Path(__file__).resolve().parents[2]
DEMO_EMAIL = "demo@marquee.example"
DEMO_PASSWORD = "marquee-demo"

pytestmark = [pytest.mark.rasa, pytest.mark.browser]


@pytest.fixture(scope="module")
def page() -> Iterator:
    with launched_chromium() as browser:
        context = browser.new_context()
        context.set_default_timeout(60_000)  # the first reply may wait for the action server's warm-up
        yield context.new_page()


def catalog_titles(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return set(session.scalars(select(Title.name)))
    finally:
        engine.dispose()


def ask(page, text: str) -> None:
    from playwright.sync_api import expect

    before = page.locator(".msg.bot").count()
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg.bot")).not_to_have_count(before)


def test_a_guest_gets_real_title_cards_in_the_browser(stack, web_on_stack, page):
    from playwright.sync_api import expect

    page.goto(f"{web_on_stack}/chat")
    ask(page, "what should I watch tonight?")
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    shown = {heading.strip() for heading in cards.locator("h3").all_inner_texts()}
    assert shown, "no card headings rendered"
    assert shown <= catalog_titles(stack.database_url), f"cards name titles missing from the catalog: {shown}"
    page.screenshot(path=str(ROOT / "results" / "e2e-chat-guest.png"), full_page=True)


def test_a_signed_in_kids_profile_chats_and_taps_a_quick_reply(stack, web_on_stack, page):
    from playwright.sync_api import expect

    page.goto(f"{web_on_stack}/signin")
    page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Who's watching?")).to_be_visible()
    page.get_by_role("button", name="Mia").first.click()
    expect(page).to_have_url(f"{web_on_stack}/chat")
    ask(page, "something funny")
    expect(page.locator(".card").first).to_be_visible()
    quick_replies = page.locator(".quick-replies button")
    expect(quick_replies.first).to_be_visible()
    replies_before = page.locator(".msg.bot").count()
    quick_replies.first.click()
    expect(page.locator(".msg.bot")).not_to_have_count(replies_before)
    page.screenshot(path=str(ROOT / "results" / "e2e-chat-kids.png"), full_page=True)
