"""Loading the records a service works on, after checking that the actor may reach them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.models import Account, Subscription, SubscriptionStatus
from accountdb.services.actor import Actor
from accountdb.services.errors import NotFound


def account_for(session: Session, actor: Actor, account_id: int) -> Account:
    """The account, if the actor may reach it (AccessDenied otherwise) and it exists (NotFound otherwise)."""
    actor.require_access(account_id)
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} does not exist; check the id (or the token that carried it)")
    return account


def live_subscription(session: Session, account_id: int, *, for_update: bool = False) -> Subscription | None:
    """The account's subscription that is not cancelled (at most one exists); locked when `for_update`."""
    query = select(Subscription).where(
        Subscription.account_id == account_id, Subscription.status != SubscriptionStatus.CANCELLED
    )
    if for_update:
        # PostgreSQL: two changes to one subscription run one after the other. SQLite ignores it; its
        # writers are serialised by the database lock.
        query = query.with_for_update()
    return session.scalar(query)


def require_live_subscription(session: Session, account_id: int, *, for_update: bool = False) -> Subscription:
    subscription = live_subscription(session, account_id, for_update=for_update)
    if subscription is None:
        raise NotFound(
            "this account has no active subscription; it can be restarted from the account page on the website"
        )
    return subscription
