"""When the assistant asks for the parental PIN, the chat page takes it in a password field, shows the sent
PIN as dots, and goes back to the normal message box for the next question."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

PIN = "4826"


def test_the_pin_is_typed_into_a_password_field_and_never_shown(
    page: Page, web_with_rasa: str, rasa_received: list[dict], screenshots: Path
) -> None:
    page.goto(f"{web_with_rasa}/chat")
    box = page.get_by_label("Message")
    box.fill("set parental controls")
    box.press("Enter")
    expect(page.get_by_text("Type a new 4-digit PIN")).to_be_visible()
    secret = page.locator("#chat-secret")
    expect(secret).to_be_visible()
    expect(secret).to_be_focused()
    expect(secret).to_have_attribute("type", "password")
    expect(box).to_be_hidden()
    secret.fill(PIN)
    page.screenshot(path=str(screenshots / "chat-pin-input.png"), full_page=True)
    secret.press("Enter")
    expect(page.get_by_text("I'll set the new PIN you typed. Go ahead?")).to_be_visible()
    # The page sends the PIN to the server (the Rasa channel hides it from Rasa) but never shows it.
    assert rasa_received[-1]["message"] == PIN
    expect(page.locator(".msg.user").last).to_have_text("••••")
    assert PIN not in page.locator("#chat-log").inner_text()
    # The reply did not ask for a secret: back to the normal message box.
    expect(box).to_be_visible()
    expect(secret).to_be_hidden()


def test_a_quick_reply_at_the_pin_question_leaves_the_password_field(page: Page, web_with_rasa: str) -> None:
    page.goto(f"{web_with_rasa}/chat")
    box = page.get_by_label("Message")
    box.fill("set parental controls")
    box.press("Enter")
    expect(page.locator("#chat-secret")).to_be_visible()
    page.get_by_role("button", name="Keep the current PIN").click()
    expect(page.locator(".msg.user").last).to_have_text("Keep the current PIN")
    expect(box).to_be_visible()
    expect(page.locator("#chat-secret")).to_be_hidden()
