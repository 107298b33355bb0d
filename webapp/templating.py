"""Jinja2 templates shared by the page routes; every page gets the CSRF token and who is signed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from webapp.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# autoescape is on for .html templates: every value from the database or a user is escaped.
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("csrf_token", csrf_token(request))
    return templates.TemplateResponse(request, template, context, status_code=status_code)
