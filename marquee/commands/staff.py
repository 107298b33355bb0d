"""`marquee staff`: manage console and marketing-API users (agents, supervisors, marketers)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from accountdb.engine import data_dir, make_engine, session_scope
from accountdb.models import AuditLogEntry, StaffRole, StaffUser, utcnow
from marquee.cli import UserError
from webapp.auth import api_key_digest, new_api_key

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 12
USERNAME_MAX_CHARS = 64
DEMO_STAFF = (
    ("demo-agent", StaffRole.AGENT),
    ("demo-supervisor", StaffRole.SUPERVISOR),
    ("demo-marketer", StaffRole.MARKETER),
)
DEMO_CREDENTIALS_FILE = "demo-staff.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "staff",
        help="manage agent-console and marketing-API users",
        description="Add, list, deactivate and unlock staff users; issue marketing API keys; create demo staff.",
    )
    actions = parser.add_subparsers(dest="staff_action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="add a staff user (asks for the password)",
        description="Add a staff user. The password is asked twice on a terminal, or read from stdin.",
    )
    add.add_argument("--username", required=True, help=f"login name, at most {USERNAME_MAX_CHARS} characters")
    add.add_argument(
        "--role", required=True, choices=[role.value for role in StaffRole], help="what they may do"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    add.set_defaults(handler=add_user)

    listing = actions.add_parser(
        "list", help="list staff users", description="List staff users and their state."
    )
    listing.set_defaults(handler=list_users)

    deactivate = actions.add_parser(
        "deactivate",
        help="stop a user from signing in or using their API key",
        description="Deactivate a staff user: their console sessions and API key stop working at once.",
    )
    deactivate.add_argument("--username", required=True)
    deactivate.set_defaults(handler=deactivate_user)

    unlock = actions.add_parser(
        "unlock",
        help="lift a lockout after failed logins",
        description="Clear a staff user's failed-login lockout.",
    )
    unlock.add_argument("--username", required=True)
    unlock.set_defaults(handler=unlock_user)

    api_key = actions.add_parser(
        "api-key",
        help="issue a new marketing API key (replaces the old one)",
        description="Issue a bearer API key for the marketing API. It is printed once and only its digest is kept.",
    )
    api_key.add_argument("--username", required=True)
    api_key.set_defaults(handler=issue_api_key)

    demo = actions.add_parser(
        "ensure-demo",
        help="create the demo agent, supervisor and marketer (idempotent) and print their logins",
        description=(
            "Create demo-agent, demo-supervisor and demo-marketer with random passwords kept in "
            f"$MARQUEE_DATA_DIR/{DEMO_CREDENTIALS_FILE} (mode 600), and print them. Running it again reuses "
            "them. For demos only."
        ),
    )
    demo.set_defaults(handler=ensure_demo)


def _check_username(username: str) -> str:
    username = username.strip()
    if (
        not username
        or len(username) > USERNAME_MAX_CHARS
        or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise UserError(
            f"{username!r} is not a usable username. Use 1-{USERNAME_MAX_CHARS} letters, digits, '.', '-' or '_'"
        )
    return username


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UserError("no terminal to ask for the password on. Pipe it in with --password-stdin")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise UserError("the two passwords differ. Run the command again")
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"the password is shorter than {MIN_PASSWORD_CHARS} characters. Choose a longer one")
    return password


def _find(session: Session, username: str) -> StaffUser:
    staff = session.scalars(
        select(StaffUser).where(func.lower(StaffUser.username) == username.lower())
    ).one_or_none()
    if staff is None:
        raise UserError(f"there is no staff user {username!r}. See `marquee staff list`")
    return staff


def _audit(session: Session, action: str, staff: StaffUser, **details: object) -> None:
    session.add(
        AuditLogEntry(
            actor=f"cli:{os.environ.get('USER', 'unknown')}",
            action=action,
            entity_type="staff_user",
            entity_id=str(staff.id),
            details={"username": staff.username, **details},
        )
    )


def _database_errors(func_: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func_(args)
        except OperationalError as exc:
            raise UserError(
                f"cannot use the account database ({exc.orig}). Run `marquee migrate` and check MARQUEE_DATABASE_URL"
            ) from exc

    return wrapper


@_database_errors
def add_user(args: argparse.Namespace) -> int:
    username = _check_username(args.username)
    password = _read_password(args.password_stdin)
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            taken = session.scalar(
                select(StaffUser.id).where(func.lower(StaffUser.username) == username.lower())
            )
            if taken is not None:
                raise UserError(f"the username {username!r} is taken. Choose another one")
            staff = StaffUser(username=username, role=args.role, active=True, failed_login_count=0)
            staff.set_password(password)
            session.add(staff)
            session.flush()
            _audit(session, "staff.add", staff, role=args.role)
    finally:
        engine.dispose()
    print(f"added {args.role} {username}")
    return 0


@_database_errors
def list_users(_args: argparse.Namespace) -> int:
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(StaffUser).order_by(StaffUser.username)).all()
            now = utcnow()
            print(f"{'username':<24} {'role':<11} {'state':<9} {'api key':<8} last login")
            for staff in rows:
                state = "active" if staff.active else "inactive"
                if staff.active and staff.locked_until is not None and staff.locked_until > now:
                    state = "locked"
                last = staff.last_login_at.strftime("%Y-%m-%d %H:%M") if staff.last_login_at else "never"
                print(
                    f"{staff.username:<24} {staff.role:<11} {state:<9} {'yes' if staff.api_key_sha256 else 'no':<8} {last}"
                )
    finally:
        engine.dispose()
    return 0


@_database_errors
def deactivate_user(args: argparse.Namespace) -> int:
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            staff = _find(session, args.username)
            if staff.active:
                staff.active = False
                staff.api_key_sha256 = None
                _audit(session, "staff.deactivate", staff)
            username = staff.username
    finally:
        engine.dispose()
    print(f"deactivated {username}")
    return 0


@_database_errors
def unlock_user(args: argparse.Namespace) -> int:
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            staff = _find(session, args.username)
            staff.locked_until = None
            staff.failed_login_count = 0
            _audit(session, "staff.unlock", staff)
            username = staff.username
    finally:
        engine.dispose()
    print(f"unlocked {username}")
    return 0


@_database_errors
def issue_api_key(args: argparse.Namespace) -> int:
    key = new_api_key()
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            staff = _find(session, args.username)
            if not staff.active:
                raise UserError(f"{staff.username} is deactivated. Add a new user instead")
            if staff.role not in (StaffRole.MARKETER, StaffRole.SUPERVISOR):
                raise UserError(
                    f"{staff.username} is an {staff.role}; only marketers and supervisors use the API"
                )
            staff.api_key_sha256 = api_key_digest(key)
            _audit(session, "staff.api_key", staff)
    finally:
        engine.dispose()
    print(key)
    return 0


@_database_errors
def ensure_demo(_args: argparse.Namespace) -> int:
    path = data_dir() / DEMO_CREDENTIALS_FILE
    credentials = _load_demo_credentials(path)
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            for username, role in DEMO_STAFF:
                entry = credentials.setdefault(
                    username, {"password": secrets.token_urlsafe(12), "role": role.value}
                )
                staff = session.scalars(select(StaffUser).where(StaffUser.username == username)).one_or_none()
                if staff is None:
                    staff = StaffUser(username=username, role=role, active=True, failed_login_count=0)
                    session.add(staff)
                    logger.info("created demo staff user %s (%s)", username, role)
                if not staff.password_hash or not staff.check_password(entry["password"]):
                    staff.set_password(entry["password"])
                staff.role, staff.active, staff.locked_until, staff.failed_login_count = role, True, None, 0
                if role == StaffRole.MARKETER:
                    entry.setdefault("api_key", new_api_key())
                    staff.api_key_sha256 = api_key_digest(entry["api_key"])
    finally:
        engine.dispose()
    _save_demo_credentials(path, credentials)
    print(f"demo staff logins for /console (kept in {path}):")
    for username, _role in DEMO_STAFF:
        entry = credentials[username]
        print(f"  {entry['role']:<10} username {username:<16} password {entry['password']}")
        if "api_key" in entry:
            print(f"  {'':<10} marketing API key: {entry['api_key']}")
    return 0


def _load_demo_credentials(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(
            f"cannot read {path} ({exc}). Delete it and run `marquee staff ensure-demo` again"
        ) from exc
    return loaded if isinstance(loaded, dict) else {}


def _save_demo_credentials(path: Path, credentials: dict[str, dict[str, str]]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(credentials, indent=2))
    temporary.chmod(0o600)
    temporary.replace(path)
