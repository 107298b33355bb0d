"""Cross-site request forgery protection for everything authenticated by the session cookie.

Each session holds one random token. HTML forms carry it in a hidden `csrf_token` field and the page's
JavaScript sends it as the `X-CSRF-Token` header; a request from another site cannot read it, so it
cannot forge either.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request, status

SESSION_KEY = "csrf"
HEADER = "X-CSRF-Token"
FORM_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def check_csrf(request: Request, presented: str | None) -> None:
    expected = request.session.get(SESSION_KEY)
    if not expected or not presented or not hmac.compare_digest(str(expected), str(presented)):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="The form has expired or did not come from this site. Reload the page and try again.",
        )


def require_csrf_header(request: Request) -> None:
    """FastAPI dependency for JSON endpoints called by our own pages."""
    check_csrf(request, request.headers.get(HEADER))
