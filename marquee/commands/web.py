"""`marquee web`: serve the subscriber chat page, the agent console and the marketing API."""

from __future__ import annotations

import argparse
import logging

from sqlalchemy.exc import OperationalError

from accountdb import migrate
from accountdb.engine import database_url
from marquee.cli import UserError

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "web",
        help="run the web app: subscriber chat, agent console, marketing API",
        description=(
            "Serve the Marquee web app with uvicorn. Needs MARQUEE_TOKEN_SECRET and MARQUEE_SESSION_SECRET "
            "(32+ random bytes each), a migrated database (MARQUEE_DATABASE_URL, default the SQLite file "
            "under var/) and the Rasa server at MARQUEE_RASA_URL (default http://127.0.0.1:5005). "
            "MARQUEE_DEMO_SIGNIN=1 enables the password-less demo sign-in; never set it in production."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; each keeps its own Rasa connection pool)",
    )
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from the reverse proxy (for client addresses in login throttling)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from webapp.settings import Settings, SettingsError

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a TCP port. Use a number from 1 to 65535")
    try:
        Settings.from_env()
    except SettingsError as exc:
        raise UserError(str(exc).rstrip(".")) from exc
    url = database_url()
    try:
        at_head = migrate.is_at_head(url)
    except OperationalError as exc:
        raise UserError(f"cannot open the account database ({exc.orig}). Check MARQUEE_DATABASE_URL") from exc
    if not at_head:
        raise UserError(
            "the account database is not at the newest schema revision. Run `marquee migrate` first"
        )
    logger.info("starting the web app on http://%s:%s", args.host, args.port)
    uvicorn.run(
        "webapp.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips="*" if args.proxy_headers else None,
        log_level="info",
    )
    return 0
