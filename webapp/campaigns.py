"""Marketing campaigns: who is in a segment, rendering each message, and an idempotent send.

Only accounts with marketing consent are ever in an audience; consent is checked again when sending, not
only when the audience was previewed. Deliveries are unique per (campaign, account), so a send that is
retried after a crash or a timeout completes the missing ones and never messages anybody twice.

A delivery is the in-app message itself: its row holds the rendered text, and status "sent" means it is
stored for the subscriber's inbox. Accounts for which a placeholder has no value (e.g. no title left to
suggest for {top_pick}) are recorded as "skipped" rather than sent a half-filled message.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, Select, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    AuditLogEntry,
    Campaign,
    CampaignDelivery,
    CampaignStatus,
    DeliveryStatus,
    Plan,
    Profile,
    Subscription,
    SubscriptionStatus,
    Title,
    TitleAvailability,
    ViewingEvent,
    utcnow,
)

logger = logging.getLogger(__name__)

PLACEHOLDERS = {
    "first_name": "the account holder's first name",
    "name": "the account holder's full name",
    "top_pick": "the most popular title in their region that their main profile has not watched yet",
    "plan": "the name of their current plan",
    "country": "their country code",
}
BATCH_SIZE = 500
# How many popular titles per region to consider for {top_pick}; a profile that watched all of them is skipped.
TOP_PICK_CANDIDATES = 50


class TemplateError(ValueError):
    """The message template cannot be rendered; the message says how to fix it."""


class CampaignNotSendable(RuntimeError):
    pass


@dataclass(frozen=True)
class SegmentFilter:
    countries: tuple[str, ...] | None = None
    plans: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SendReport:
    audience_size: int
    created: int
    sent: int
    failed: int
    skipped: int


def template_placeholders(template: str) -> set[str]:
    """The placeholders `template` uses; raises TemplateError for anything but known, plain names."""
    used = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(
            f"the message template has an unmatched brace ({exc}); write {{{{ or }}}} for a literal brace"
        ) from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise TemplateError(f"the placeholder {{{field}}} is not supported; use only {known}")
        used.add(field)
    return used


def audience_query(segment: SegmentFilter) -> Select[tuple[int]]:
    query = select(Account.id).where(Account.marketing_consent.is_(True))
    if segment.countries:
        query = query.where(Account.country.in_(segment.countries))
    if segment.plans:
        query = query.where(
            exists(
                select(Subscription.id)
                .join(Plan, Plan.id == Subscription.plan_id)
                .where(
                    Subscription.account_id == Account.id,
                    Subscription.status != SubscriptionStatus.CANCELLED,
                    Plan.code.in_(segment.plans),
                )
            )
        )
    return query


def audience_size(session: Session, segment: SegmentFilter) -> int:
    return session.scalar(select(func.count()).select_from(audience_query(segment).subquery())) or 0


def delivery_counts(session: Session, campaign_id: int) -> dict[str, int]:
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, count in session.execute(
        select(CampaignDelivery.status, func.count())
        .where(CampaignDelivery.campaign_id == campaign_id)
        .group_by(CampaignDelivery.status)
    ):
        counts[status] = count
    return counts


def _batches(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _idempotency_key(campaign_id: int, account_id: int) -> str:
    return f"campaign-{campaign_id}-account-{account_id}"


class _Renderer:
    """Fills one campaign's template per account, loading only what the template's placeholders need."""

    def __init__(self, session: Session, template: str) -> None:
        self.session = session
        self.template = template
        self.used = template_placeholders(template)
        self._candidates: dict[tuple[str, int], list[tuple[int, str]]] = {}

    def render_batch(self, account_ids: Iterable[int]) -> list[tuple[int, int | None, str | None]]:
        """(account_id, main profile id, message or None when a placeholder has no value) per account."""
        ids = list(account_ids)
        accounts = self.session.execute(
            select(Account.id, Account.name, Account.country).where(Account.id.in_(ids))
        ).all()
        profiles = self._main_profiles(ids)
        plans = self._plan_names(ids) if "plan" in self.used else {}
        picks = self._top_picks(accounts, profiles) if "top_pick" in self.used else {}
        rendered = []
        for account_id, name, country in accounts:
            profile = profiles.get(account_id)
            values = {
                "first_name": (name.split() or [""])[0],
                "name": name.strip(),
                "country": country,
                "plan": plans.get(account_id, ""),
                "top_pick": picks.get(account_id, ""),
            }
            missing = [field for field in self.used if not values[field]]
            message = None if missing else self.template.format_map(values)
            rendered.append((account_id, profile[0] if profile else None, message))
        return rendered

    def _main_profiles(self, account_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Per account, its first grown-up profile (else its first profile): (profile id, maturity limit)."""
        chosen: dict[int, tuple[int, int, bool]] = {}
        for profile_id, account_id, is_kids, limit in self.session.execute(
            select(Profile.id, Profile.account_id, Profile.is_kids, Profile.maturity_limit)
            .where(Profile.account_id.in_(account_ids))
            .order_by(Profile.id)
        ):
            current = chosen.get(account_id)
            if current is None or (current[2] and not is_kids):
                chosen[account_id] = (profile_id, limit, is_kids)
        return {account_id: (pid, limit) for account_id, (pid, limit, _kids) in chosen.items()}

    def _plan_names(self, account_ids: list[int]) -> dict[int, str]:
        return dict(
            self.session.execute(
                select(Subscription.account_id, Plan.name)
                .join(Plan, Plan.id == Subscription.plan_id)
                .where(
                    Subscription.account_id.in_(account_ids),
                    Subscription.status != SubscriptionStatus.CANCELLED,
                )
            ).all()
        )

    def _candidates_for(self, country: str, maturity_limit: int) -> list[tuple[int, str]]:
        key = (country, maturity_limit)
        if key not in self._candidates:
            self._candidates[key] = [
                (title_id, title_name)
                for title_id, title_name in self.session.execute(
                    select(Title.id, Title.name)
                    .join(TitleAvailability, TitleAvailability.title_id == Title.id)
                    .where(
                        TitleAvailability.region == country,
                        TitleAvailability.unavailable_reason.is_(None),
                        Title.maturity_rank <= maturity_limit,
                    )
                    .order_by(Title.popularity.desc(), Title.id)
                    .limit(TOP_PICK_CANDIDATES)
                )
            ]
        return self._candidates[key]

    def _top_picks(self, accounts: Sequence, profiles: dict[int, tuple[int, int]]) -> dict[int, str]:
        wanted = {
            account_id: self._candidates_for(country, profiles[account_id][1])
            for account_id, _name, country in accounts
            if account_id in profiles
        }
        candidate_ids = {title_id for candidates in wanted.values() for title_id, _ in candidates}
        profile_ids = [profiles[account_id][0] for account_id in wanted]
        watched: set[tuple[int, int]] = set()
        if candidate_ids and profile_ids:
            watched = set(
                self.session.execute(
                    select(ViewingEvent.profile_id, ViewingEvent.title_id)
                    .where(ViewingEvent.profile_id.in_(profile_ids), ViewingEvent.title_id.in_(candidate_ids))
                    .distinct()
                ).all()
            )
        picks = {}
        for account_id, candidates in wanted.items():
            profile_id = profiles[account_id][0]
            for title_id, title_name in candidates:
                if (profile_id, title_id) not in watched:
                    picks[account_id] = title_name
                    break
        return picks


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    # A concurrent send of the same campaign may have inserted some of these rows a moment ago;
    # the unique (campaign_id, account_id) constraint decides, and the loser skips them.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CampaignDelivery).on_conflict_do_nothing(index_elements=["campaign_id", "account_id"])
    session.execute(statement, rows)


def send_campaign(engine: Engine, campaign_id: int, segment: SegmentFilter, actor: str) -> SendReport:
    """Create and render the deliveries the campaign still lacks. Safe to repeat: existing ones are kept."""
    with session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise LookupError(campaign_id)
        if campaign.status == CampaignStatus.CANCELLED:
            raise CampaignNotSendable("the campaign is cancelled; create a new campaign instead")
        template = campaign.message_template
        campaign.status = CampaignStatus.SENDING
        audience = session.scalars(audience_query(segment).order_by(Account.id)).all()
        already = set(
            session.scalars(
                select(CampaignDelivery.account_id).where(CampaignDelivery.campaign_id == campaign_id)
            )
        )
    missing = [account_id for account_id in audience if account_id not in already]
    logger.info(
        "campaign %s: audience %d, %d already delivered, %d deliveries to create",
        campaign_id,
        len(audience),
        len(already),
        len(missing),
    )

    for batch in _batches(missing, BATCH_SIZE):
        with session_scope(engine) as session:
            now = utcnow()
            rows = [
                {
                    "campaign_id": campaign_id,
                    "account_id": account_id,
                    "profile_id": profile_id,
                    "status": DeliveryStatus.SENT if message is not None else DeliveryStatus.SKIPPED,
                    "rendered_message": message,
                    "sent_at": now if message is not None else None,
                    "idempotency_key": _idempotency_key(campaign_id, account_id),
                }
                for account_id, profile_id, message in _Renderer(session, template).render_batch(batch)
            ]
            if rows:
                _insert_ignoring_duplicates(session, rows)

    with session_scope(engine) as session:
        counts = delivery_counts(session, campaign_id)
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING)
            .values(status=CampaignStatus.SENT)
        )
        report = SendReport(
            audience_size=len(audience),
            # Counted, not assumed: a concurrent send may have created some of the missing ones itself.
            created=sum(counts.values()) - len(already),
            sent=counts[DeliveryStatus.SENT],
            failed=counts[DeliveryStatus.FAILED],
            skipped=counts[DeliveryStatus.SKIPPED],
        )
        session.add(
            AuditLogEntry(
                actor=actor,
                action="campaign.send",
                entity_type="campaign",
                entity_id=str(campaign_id),
                details={
                    "audience_size": report.audience_size,
                    "created": report.created,
                    "sent": report.sent,
                    "skipped": report.skipped,
                },
            )
        )
    logger.info("campaign %s sent: %s", campaign_id, report)
    return report
