"""The web app's configuration, read once from the environment when the app is created."""

from __future__ import annotations

import os
from dataclasses import dataclass

from accountdb.engine import database_url
from actions.identity import token_secret

SESSION_SECRET_ENV = "MARQUEE_SESSION_SECRET"
# Signed cookies with a short key can be forged by brute force; demand as much as the token secret.
MIN_SESSION_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """The environment does not describe a web app that can run safely; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    rasa_url: str
    rasa_token: str | None
    token_secret: str
    session_secret: str
    # Demo-only: sign in as any seeded subscriber by email, without a password.
    demo_signin: bool = False
    # Cookies marked Secure are dropped by browsers on plain http; production sits behind TLS.
    secure_cookies: bool = False
    max_message_chars: int = 2000
    rasa_connect_timeout_s: float = 3.0
    rasa_read_timeout_s: float = 30.0
    rasa_connect_retries: int = 2
    subscriber_token_lifetime_s: int = 12 * 3600
    # A console login lasts one working shift, however active; then the password is asked again.
    staff_session_max_age_s: int = 8 * 3600
    login_max_failures: int = 5
    login_lockout_s: int = 15 * 60

    @classmethod
    def from_env(cls) -> Settings:
        session_secret = os.environ.get(SESSION_SECRET_ENV, "")
        if len(session_secret.encode()) < MIN_SESSION_SECRET_BYTES:
            raise SettingsError(
                f"{SESSION_SECRET_ENV} is unset or shorter than {MIN_SESSION_SECRET_BYTES} bytes. "
                f'Set it to a long random value, e.g. `export {SESSION_SECRET_ENV}="$(openssl rand -hex 32)"`.'
            )
        try:
            subscriber_token_secret = token_secret()
        except RuntimeError as exc:
            raise SettingsError(str(exc)) from exc
        return cls(
            database_url=database_url(),
            rasa_url=os.environ.get("MARQUEE_RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=os.environ.get("MARQUEE_RASA_TOKEN") or None,
            token_secret=subscriber_token_secret,
            session_secret=session_secret,
            demo_signin=os.environ.get("MARQUEE_DEMO_SIGNIN") == "1",
            secure_cookies=os.environ.get("MARQUEE_SECURE_COOKIES") == "1",
        )
