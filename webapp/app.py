"""The Marquee web app: subscriber chat page, agent console and marketing API in one FastAPI process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from accountdb.engine import make_engine
from webapp.auth import LoginRequired
from webapp.body_limit import BodySizeLimitMiddleware
from webapp.login_throttle import LoginThrottle
from webapp.rasa_client import RasaClient
from webapp.routes import auth, chat, console, marketing
from webapp.settings import Settings
from webapp.templating import STATIC_DIR, render

logger = logging.getLogger(__name__)

SESSION_COOKIE = "marquee_session"
SESSION_MAX_AGE_S = 14 * 24 * 3600
MAX_BODY_BYTES = 64 * 1024
# Our pages load only their own scripts and styles; Swagger UI (/docs) is exempt because it loads its
# assets from a CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    rasa = RasaClient(
        settings.rasa_url,
        api_token=settings.rasa_token,
        connect_timeout_s=settings.rasa_connect_timeout_s,
        read_timeout_s=settings.rasa_read_timeout_s,
        connect_retries=settings.rasa_connect_retries,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info("web app up: Rasa at %s, demo sign-in %s", settings.rasa_url, settings.demo_signin)
        yield
        await rasa.aclose()
        engine.dispose()

    app = FastAPI(
        title="Marquee web app",
        summary="Subscriber chat, agent console and marketing API for the Marquee streaming assistant.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.rasa = rasa
    app.state.login_throttle = LoginThrottle()

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(DOCS_PATHS):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path.startswith(("/console", "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(chat.router)
    app.include_router(auth.router)
    app.include_router(console.router)
    app.include_router(marketing.router)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            logger.error("health check: database unreachable: %s", exc)
            return JSONResponse({"status": "unhealthy", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    _install_error_handlers(app)
    return app


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return auth.login_redirect(exc.next_url)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_html(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {403: "Not allowed", 404: "Not found", 405: "Not allowed"}
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=titles.get(exc.status_code, "Something went wrong"),
            detail=exc.detail,
            back_href="/console" if request.url.path.startswith("/console") else "/",
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        # JSON callers get FastAPI's standard shape (what /openapi.json documents): each error names its field.
        if not _wants_html(request):
            return await request_validation_exception_handler(request, exc)
        summary = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'][1:]) or 'form'}: {error['msg']}"
            for error in exc.errors()
        )
        return render(
            request,
            "error.html",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            title="The form was not complete",
            detail=f"{summary}. Go back, reload the page and try again.",
            back_href="/console" if request.url.path.startswith("/console") else "/",
        )
