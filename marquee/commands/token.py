"""`marquee token`: sign a subscriber token for one profile, for the demo, `marquee chat` and REST clients."""

from __future__ import annotations

import argparse
import logging

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, Profile
from actions.identity import TokenSecretMissing, issue_token
from marquee.cli import UserError

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "token",
        help="print a signed subscriber token (JWT) for an account's profile",
        description=(
            "Print a signed subscriber token for one profile of the account with this email. Clients send it "
            'as message metadata {"marquee_token": TOKEN}. Signed with MARQUEE_TOKEN_SECRET.'
        ),
    )
    parser.add_argument("--email", required=True, help="the account's email address")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="profile name (default: the account's first profile that is not a kids one)",
    )
    parser.add_argument(
        "--hours", type=float, default=12.0, help="how long the token stays valid, in hours (default 12)"
    )
    parser.set_defaults(handler=run)


def find_profile(email: str, profile_name: str | None = None) -> tuple[int, int, str]:
    """(account_id, profile_id, profile name) for an account's email and an optional profile name.

    Without a name, the account's first profile that is not a kids one. Raises UserError saying what to do.
    """
    email = email.strip().lower()
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
            if account is None:
                raise UserError(
                    f"no account has the email {email}. Check the address, or seed the demo world"
                )
            profiles = session.scalars(
                select(Profile).where(Profile.account_id == account.id).order_by(Profile.id)
            ).all()
            if profile_name:
                wanted = profile_name.strip().lower()
                matches = [p for p in profiles if p.name.lower() == wanted]
                if not matches:
                    names = ", ".join(p.name for p in profiles) or "(none)"
                    raise UserError(
                        f"account {email} has no profile named {profile_name!r}. Its profiles: {names}"
                    )
                profile = matches[0]
            else:
                grown_up = [p for p in profiles if not p.is_kids]
                if not profiles:
                    raise UserError(f"account {email} has no profiles. Create one before issuing a token")
                profile = (grown_up or profiles)[0]
            return account.id, profile.id, profile.name
    except OperationalError as exc:
        raise UserError(
            f"cannot read the account database ({exc.orig}). Run `marquee migrate` and check MARQUEE_DATABASE_URL"
        ) from exc
    finally:
        engine.dispose()


def signed_token(account_id: int, profile_id: int, hours: float) -> str:
    try:
        return issue_token(account_id, profile_id, lifetime_seconds=int(hours * 3600))
    except TokenSecretMissing as exc:
        raise UserError(str(exc).rstrip(".")) from exc


def run(args: argparse.Namespace) -> int:
    if not 0 < args.hours <= 24 * 30:
        raise UserError(
            f"--hours {args.hours} is out of range. Give a number of hours above 0 and at most 720"
        )
    account_id, profile_id, profile_name = find_profile(args.email, args.profile)
    token = signed_token(account_id, profile_id, args.hours)
    logger.info(
        "issued a %.1f-hour token for account %s, profile %s (%s)",
        args.hours,
        account_id,
        profile_id,
        profile_name,
    )
    print(token)
    return 0
