"""The web app in a real browser: sign-in to chat, the assistant being down, rendering, and the console."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from webapp.routes.chat import TROUBLE_TEXT

ALICE_PASSWORD = "alice-password-123"
STAFF_PASSWORD = "staff-password-123"


def sign_in_as_alice(page: Page, base: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Email", exact=True).fill("alice@example.com")
    page.get_by_label("Password").fill(ALICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Who's watching?")).to_be_visible()
    page.get_by_role("button", name="Alice").first.click()
    expect(page).to_have_url(f"{base}/chat")


def test_sign_in_to_chat_and_assistant_down_shows_trouble(
    page: Page, web_without_rasa: str, screenshots: Path
) -> None:
    page.goto(f"{web_without_rasa}/signin")
    page.screenshot(path=str(screenshots / "signin.png"), full_page=True)
    sign_in_as_alice(page, web_without_rasa)
    expect(page.get_by_text("Hi Alice!")).to_be_visible()
    box = page.get_by_label("Message")
    box.fill("something funny tonight")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(TROUBLE_TEXT)
    expect(page.locator(".msg.user")).to_have_text("something funny tonight")
    page.screenshot(path=str(screenshots / "chat-assistant-down.png"), full_page=True)


def test_cards_buttons_and_rtl_render(page: Page, web_with_rasa: str, screenshots: Path) -> None:
    page.goto(f"{web_with_rasa}/chat")
    box = page.get_by_label("Message")
    box.fill("מה לראות הערב?")
    page.get_by_role("button", name="Send").click()
    cards = page.locator(".card")
    expect(cards).to_have_count(2)
    expect(cards.first.get_by_role("heading")).to_have_text("Harbor Lights")
    expect(cards.first).to_contain_text("100 min")
    expect(cards.nth(1)).to_contain_text("2 seasons")
    expect(cards.nth(1)).to_contain_text("Popular in your region this week")
    user_message = page.locator(".msg.user").first
    expect(user_message).to_have_attribute("dir", "auto")
    # A right-to-left message is laid out right-to-left by the browser.
    assert user_message.evaluate("node => getComputedStyle(node).direction") == "rtl"
    page.screenshot(path=str(screenshots / "chat-cards.png"), full_page=True)
    page.get_by_role("button", name="Yes please").click()
    expect(page.get_by_text("Great, enjoy the show!")).to_be_visible()
    expect(page.locator(".msg.user").nth(1)).to_have_text("Yes please")


def test_console_wrong_password_fails_and_agent_sees_the_queue(
    page: Page, web_without_rasa: str, screenshots: Path
) -> None:
    page.goto(f"{web_without_rasa}/console")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("username or password is not right")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Open tickets")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("MQ-URG01")
    page.screenshot(path=str(screenshots / "console-queue.png"), full_page=True)
    rows.first.get_by_role("link").click()
    page.get_by_role("button", name="Take ticket").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    expect(page.locator("dl.facts")).to_contain_text("ana")


def test_chat_page_fits_a_phone_screen(browser, web_without_rasa: str, screenshots: Path) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{web_without_rasa}/chat")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    page.screenshot(path=str(screenshots / "chat-phone.png"), full_page=True)
    context.close()
