"""The account database schema: typed SQLAlchemy 2 ORM models, portable across SQLite and PostgreSQL.

Conventions:
- integer surrogate primary keys; natural keys (email, plan code, external ids) carry UNIQUE constraints;
- enumerations are VARCHAR + CHECK (not native ENUM types) so adding a value is a one-line migration;
- every datetime is timezone-aware UTC in Python (`UTCDateTime`); calendar days (billing dates) are `Date`;
- constraint names come from the metadata naming convention, so Alembic can address them on both backends;
- the schema itself is created only by Alembic (`accountdb/migrations/`); `Base.metadata` is the reference
  the migrations are checked against.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from accountdb import maturity
from accountdb.security import check_pin_format, hash_secret, verify_secret

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores TIMESTAMP WITH TIME ZONE; SQLite has no time zones, so the value is stored as naive
    UTC and the zone is re-attached on load. Naive datetimes are refused: their zone is a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value, e.g. datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def one_of(column: str, values: type[StrEnum] | tuple[str, ...], *, nullable: bool = False) -> str:
    """CHECK text limiting `column` to `values` (an enum's values or a tuple)."""
    allowed = ", ".join(f"'{value}'" for value in (values if isinstance(values, tuple) else list(values)))
    condition = f"{column} IN ({allowed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def iso_code(column: str, length: int, *, nullable: bool = False) -> str:
    """CHECK text for an upper-case ISO code of exactly `length` letters (country, currency)."""
    condition = f"length({column}) = {length} AND upper({column}) = {column}"
    return f"{column} IS NULL OR ({condition})" if nullable else condition


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


# ---------------------------------------------------------------------------------------------------------
# Enumerations (stored as their string values)
# ---------------------------------------------------------------------------------------------------------


class AccountStatus(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"


class PlanCode(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class Resolution(StrEnum):
    SD = "480p"
    HD = "720p"
    FULL_HD = "1080p"
    UHD = "4K"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class InvoiceStatus(StrEnum):
    PAID = "paid"
    OPEN = "open"
    FAILED = "failed"
    REFUNDED = "refunded"
    VOID = "void"


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentFailureReason(StrEnum):
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    AUTHENTICATION_REQUIRED = "authentication_required"
    PROCESSING_ERROR = "processing_error"


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    DINERS = "diners"
    UNIONPAY = "unionpay"


class DeviceKind(StrEnum):
    TV = "tv"
    MOBILE = "mobile"
    TABLET = "tablet"
    WEB = "web"
    CONSOLE = "console"


class TitleKind(StrEnum):
    MOVIE = "movie"
    SERIES = "series"


class CreditRole(StrEnum):
    CAST = "cast"
    DIRECTOR = "director"


class UnavailableReason(StrEnum):
    COMING_SOON = "coming_soon"
    LICENSE_EXPIRED = "license_expired"
    NOT_LICENSED = "not_licensed"


class RatingValue(StrEnum):
    DOWN = "down"
    UP = "up"
    LOVE = "love"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class StaffRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    MARKETER = "marketer"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


# ---------------------------------------------------------------------------------------------------------
# Accounts, profiles, billing
# ---------------------------------------------------------------------------------------------------------


class Account(Base):
    """A paying household: one login, several profiles, one live subscription."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("email = lower(email) AND email LIKE '%_@_%'", name="email_lowercase_address"),
        CheckConstraint(iso_code("country", 2), name="country_iso_alpha2"),
        CheckConstraint(one_of("status", AccountStatus), name="status_known"),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # ISO 3166-1 alpha-2; also the region that decides catalog availability and prices.
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(35), default="en")  # BCP 47 tag
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Identity in an imported data set, e.g. "movielens:42"; lets re-imports find the same account.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)

    profiles: Mapped[list[Profile]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True, order_by="Profile.id"
    )
    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    payment_methods: Mapped[list[PaymentMethod]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    devices: Mapped[list[Device]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalise_email(self, _key: str, email: str | None) -> str | None:
        # Addresses are compared case-insensitively in practice; storing them lowercased makes UNIQUE do that.
        return email.strip().lower() if email is not None else None

    @validates("country")
    def _normalise_country(self, _key: str, country: str | None) -> str | None:
        return country.strip().upper() if country is not None else None

    def set_password(self, password: str) -> None:
        self.password_hash = hash_secret(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and verify_secret(password, self.password_hash)


class Profile(Base):
    """A viewer inside an account; kids profiles carry a low maturity limit."""

    __tablename__ = "profiles"
    __table_args__ = (
        UniqueConstraint("account_id", "name"),
        CheckConstraint(
            f"maturity_limit BETWEEN 0 AND {maturity.ADULT_RANK}", name="maturity_limit_on_scale"
        ),
        CheckConstraint(
            f"NOT is_kids OR maturity_limit <= {maturity.KIDS_MAX_RANK}", name="kids_maturity_limit"
        ),
        # Only scrypt hashes are accepted, so a clear-text PIN cannot be written by mistake.
        CheckConstraint("pin_hash IS NULL OR pin_hash LIKE 'scrypt$%'", name="pin_hash_is_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    is_kids: Mapped[bool] = mapped_column(Boolean, default=False)
    # Highest maturity rank (accountdb.maturity) this profile may watch.
    maturity_limit: Mapped[int] = mapped_column(Integer, default=maturity.ADULT_RANK)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(35), default="en")
    avatar: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="profiles")

    def __init__(self, **fields: Any) -> None:
        # A kids profile without an explicit limit gets the kids ceiling rather than the adult default.
        if fields.get("is_kids") and "maturity_limit" not in fields:
            fields["maturity_limit"] = maturity.KIDS_MAX_RANK
        super().__init__(**fields)

    def set_pin(self, pin: str) -> None:
        check_pin_format(pin)
        self.pin_hash = hash_secret(pin)

    def clear_pin(self) -> None:
        self.pin_hash = None

    def check_pin(self, pin: str) -> bool:
        """True when no PIN is set or `pin` matches it."""
        return self.pin_hash is None or verify_secret(pin, self.pin_hash)

    def may_watch(self, title: Title) -> bool:
        return title.maturity_rank <= self.maturity_limit


class Plan(Base):
    """A subscription tier (Basic / Standard / Premium)."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint(one_of("code", PlanCode), name="code_known"),
        CheckConstraint("monthly_price_cents >= 0", name="price_non_negative"),
        CheckConstraint(iso_code("currency", 3), name="currency_iso4217"),
        CheckConstraint("screens >= 1", name="screens_positive"),
        CheckConstraint(one_of("resolution", Resolution), name="resolution_known"),
        CheckConstraint("downloads_devices >= 0", name="downloads_devices_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    monthly_price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    screens: Mapped[int] = mapped_column(Integer)  # simultaneous streams
    resolution: Mapped[str] = mapped_column(String(10))
    downloads_devices: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


LIVE_SUBSCRIPTION = "status <> 'cancelled'"


class Subscription(Base):
    """An account's subscription to a plan; billing periods are calendar days."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(one_of("status", SubscriptionStatus), name="status_known"),
        CheckConstraint("current_period_end > current_period_start", name="period_forward"),
        # At most one subscription that is not cancelled per account.
        Index(
            "uq_subscriptions_live_account",
            "account_id",
            unique=True,
            sqlite_where=text(LIVE_SUBSCRIPTION),
            postgresql_where=text(LIVE_SUBSCRIPTION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.ACTIVE)
    current_period_start: Mapped[date] = mapped_column(Date)
    current_period_end: Mapped[date] = mapped_column(Date)
    next_billing_date: Mapped[date | None] = mapped_column(Date)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="subscriptions")
    plan: Mapped[Plan] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(back_populates="subscription", passive_deletes=True)


class Invoice(Base):
    """One bill for one period; payments are the attempts to settle it."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint(iso_code("currency", 3), name="currency_iso4217"),
        CheckConstraint("period_end > period_start", name="period_forward"),
        CheckConstraint(one_of("status", InvoiceStatus), name="status_known"),
        Index(None, "account_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # Nullable so one-off charges can exist, and so history survives a subscription row being removed.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )
    number: Mapped[str] = mapped_column(
        String(32), unique=True
    )  # printed on the bill, e.g. "INV-2026-000042"
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.OPEN)

    account: Mapped[Account] = relationship(back_populates="invoices")
    subscription: Mapped[Subscription | None] = relationship(back_populates="invoices")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", passive_deletes=True, order_by="Payment.id"
    )


class PaymentMethod(Base):
    """A card on file: only what is needed to show and pick it; the card number itself is never stored."""

    __tablename__ = "payment_methods"
    __table_args__ = (
        CheckConstraint(one_of("brand", CardBrand), name="brand_known"),
        CheckConstraint("length(last4) = 4 AND trim(last4, '0123456789') = ''", name="last4_four_digits"),
        CheckConstraint("exp_month BETWEEN 1 AND 12", name="exp_month_valid"),
        CheckConstraint("exp_year BETWEEN 2000 AND 2100", name="exp_year_valid"),
        # One default card per account.
        Index(
            "uq_payment_methods_default_account",
            "account_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    account: Mapped[Account] = relationship(back_populates="payment_methods")


class Payment(Base):
    """One attempt to collect an invoice; failed attempts keep their reason."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint(iso_code("currency", 3), name="currency_iso4217"),
        CheckConstraint(one_of("status", PaymentStatus), name="status_known"),
        CheckConstraint(
            one_of("failure_reason", PaymentFailureReason, nullable=True), name="failure_reason_known"
        ),
        CheckConstraint(
            "(status = 'failed' AND failure_reason IS NOT NULL) OR (status <> 'failed' AND failure_reason IS NULL)",
            name="failure_reason_iff_failed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    # SET NULL: removing a card must not erase the payment history made with it.
    payment_method_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="SET NULL"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(40))
    # Lets a retried charge request be recognised instead of charging twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    payment_method: Mapped[PaymentMethod | None] = relationship()


# ---------------------------------------------------------------------------------------------------------
# Devices and streams
# ---------------------------------------------------------------------------------------------------------


class Device(Base):
    """A device signed in to an account."""

    __tablename__ = "devices"
    __table_args__ = (CheckConstraint(one_of("kind", DeviceKind), name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # e.g. "Living room TV"
    kind: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str | None] = mapped_column(String(50))  # e.g. "tvOS", "Android", "Chrome"
    last_seen_at: Mapped[datetime | None]
    signed_in: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="devices")
    sessions: Mapped[list[DeviceSession]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class DeviceSession(Base):
    """One stream on a device; open while ended_at is NULL (counts against the plan's screens)."""

    __tablename__ = "device_sessions"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        CheckConstraint(iso_code("ip_country", 2, nullable=True), name="ip_country_iso_alpha2"),
        Index(None, "device_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ip_country: Mapped[str | None] = mapped_column(String(2))

    device: Mapped[Device] = relationship(back_populates="sessions")
    profile: Mapped[Profile] = relationship()


# ---------------------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------------------

title_genres = Table(
    "title_genres",
    Base.metadata,
    Column("title_id", ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True),
    Column("genre_id", ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True, index=True),
)

title_tags = Table(
    "title_tags",
    Base.metadata,
    Column("title_id", ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Genre(Base):
    __tablename__ = "genres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Tag(Base):
    """A mood or theme ("dark", "feel-good", "heist")."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Person(Base):
    """Cast member or director; public catalogs identify people only by name."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Title(Base):
    """A movie or a series."""

    __tablename__ = "titles"
    __table_args__ = (
        CheckConstraint(one_of("kind", TitleKind), name="kind_known"),
        CheckConstraint(
            "release_year IS NULL OR release_year BETWEEN 1870 AND 2100", name="release_year_valid"
        ),
        CheckConstraint(f"maturity_rank BETWEEN 0 AND {maturity.ADULT_RANK}", name="maturity_rank_on_scale"),
        CheckConstraint("runtime_minutes IS NULL OR runtime_minutes > 0", name="runtime_positive"),
        CheckConstraint("seasons IS NULL OR seasons > 0", name="seasons_positive"),
        # Movies have a runtime, series have seasons; either may be unknown, but never the other kind's.
        CheckConstraint(
            "(kind = 'movie' AND seasons IS NULL) OR (kind = 'series' AND runtime_minutes IS NULL)",
            name="duration_matches_kind",
        ),
        CheckConstraint("popularity >= 0", name="popularity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Identity in a source catalog, e.g. "netflix-csv:s123" or "movielens:0104257"; re-imports upsert on it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(300), index=True)
    release_year: Mapped[int | None] = mapped_column(Integer)
    maturity_rating: Mapped[str] = mapped_column(String(10), default=maturity.UNRATED_LABEL)
    # Position of maturity_rating on accountdb.maturity's scale, stored so filters are integer comparisons.
    maturity_rank: Mapped[int] = mapped_column(Integer, default=maturity.ADULT_RANK, index=True)
    runtime_minutes: Mapped[int | None] = mapped_column(Integer)
    seasons: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    original_language: Mapped[str | None] = mapped_column(String(35))
    date_added: Mapped[date | None] = mapped_column(Date)
    # Cached from viewing events by the recommender jobs; used for "popular" lists and tie-breaks.
    popularity: Mapped[float] = mapped_column(Float, default=0.0, index=True)

    genres: Mapped[list[Genre]] = relationship(secondary=title_genres, order_by=Genre.name)
    tags: Mapped[list[Tag]] = relationship(secondary=title_tags, order_by=Tag.name)
    credits: Mapped[list[Credit]] = relationship(
        back_populates="title", cascade="all, delete-orphan", passive_deletes=True, order_by="Credit.position"
    )
    countries: Mapped[list[TitleCountry]] = relationship(
        back_populates="title", cascade="all, delete-orphan", passive_deletes=True
    )
    availability: Mapped[list[TitleAvailability]] = relationship(
        back_populates="title", cascade="all, delete-orphan", passive_deletes=True
    )

    def set_maturity_rating(self, label: str | None) -> None:
        """Store the canonical label and its rank together, so they never disagree."""
        self.maturity_rating = maturity.canonical_label(label)
        self.maturity_rank = maturity.rank(self.maturity_rating)


class Credit(Base):
    """A person's part in a title: cast (in billing order) or director."""

    __tablename__ = "credits"
    __table_args__ = (
        UniqueConstraint("title_id", "person_id", "role"),
        CheckConstraint(one_of("role", CreditRole), name="role_known"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)

    title: Mapped[Title] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship()


class TitleCountry(Base):
    """A production country of a title (ISO 3166-1 alpha-2)."""

    __tablename__ = "title_countries"
    __table_args__ = (CheckConstraint(iso_code("country", 2), name="country_iso_alpha2"),)

    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)

    title: Mapped[Title] = relationship(back_populates="countries")


class TitleAvailability(Base):
    """Whether a title can be watched in a region (ISO alpha-2, matching Account.country).

    A row without `unavailable_reason` means watchable there now. A row with a reason lists the title in
    that region without playback (e.g. "coming_soon" from `available_from`). No row: not offered there.
    """

    __tablename__ = "title_availability"
    __table_args__ = (
        CheckConstraint(iso_code("region", 2), name="region_iso_alpha2"),
        CheckConstraint(one_of("unavailable_reason", UnavailableReason, nullable=True), name="reason_known"),
        Index(None, "region", "unavailable_reason"),
    )

    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(2), primary_key=True)
    unavailable_reason: Mapped[str | None] = mapped_column(String(20))
    available_from: Mapped[date | None] = mapped_column(Date)

    title: Mapped[Title] = relationship(back_populates="availability")


# ---------------------------------------------------------------------------------------------------------
# Activity
# ---------------------------------------------------------------------------------------------------------


class ViewingEvent(Base):
    """A profile watched (part of) a title; for series, which episode."""

    __tablename__ = "viewing_events"
    __table_args__ = (
        CheckConstraint("minutes_watched >= 0", name="minutes_non_negative"),
        CheckConstraint(
            "(season IS NULL AND episode IS NULL) OR (season >= 1 AND episode >= 1)",
            name="episode_complete",
        ),
        Index(None, "profile_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    minutes_watched: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    season: Mapped[int | None] = mapped_column(Integer)
    episode: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)

    profile: Mapped[Profile] = relationship()
    title: Mapped[Title] = relationship()


class Rating(Base):
    """A profile's thumbs rating of a title (one per title; re-rating updates it)."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("profile_id", "title_id"),
        CheckConstraint(one_of("value", RatingValue), name="value_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(8))
    # The raw rating from an imported data set (e.g. 1-5 stars, 0-10), kept so the mapping can be redone.
    score: Mapped[float | None] = mapped_column(Float)
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped[Profile] = relationship()
    title: Mapped[Title] = relationship()


class MyListItem(Base):
    __tablename__ = "my_list_items"
    __table_args__ = (UniqueConstraint("profile_id", "title_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped[Profile] = relationship()
    title: Mapped[Title] = relationship()


class SearchLogEntry(Base):
    """A catalog search and how many results it found (zero-result queries show catalog gaps)."""

    __tablename__ = "search_log_entries"
    __table_args__ = (CheckConstraint("results_count >= 0", name="results_count_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"), index=True)
    query: Mapped[str] = mapped_column(String(500))
    results_count: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# ---------------------------------------------------------------------------------------------------------
# Support, audit, marketing
# ---------------------------------------------------------------------------------------------------------


class SupportTicket(Base):
    """A hand-over to a human agent, with the conversation context the agent needs."""

    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint(one_of("priority", TicketPriority), name="priority_known"),
        CheckConstraint(one_of("status", TicketStatus), name="status_known"),
        Index(None, "status", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # told to the subscriber, e.g. "MQ-7F3K2"
    # SET NULL: a ticket outlives the account or profile it was about.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))  # e.g. "billing", "playback", "account"
    priority: Mapped[str] = mapped_column(String(10), default=TicketPriority.NORMAL)
    status: Mapped[str] = mapped_column(String(10), default=TicketStatus.OPEN)
    subject: Mapped[str] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    transcript_excerpt: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[str | None] = mapped_column(String(100), index=True)
    assigned_agent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account | None] = relationship()
    profile: Mapped[Profile | None] = relationship()


class AuditLogEntry(Base):
    """Who did what to which record; append-only. No foreign keys, so entries outlive what they describe."""

    __tablename__ = "audit_log_entries"
    __table_args__ = (Index(None, "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "subscriber:12", "agent:ana", "system"
    action: Mapped[str] = mapped_column(String(100))  # e.g. "subscription.cancel"
    entity_type: Mapped[str | None] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conversation_id: Mapped[str | None] = mapped_column(String(100), index=True)


class StaffUser(Base):
    """Someone at the streaming company: an agent or supervisor in the console, or a marketer on the API.

    Created by revision 0002_staff_users.
    """

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(one_of("role", StaffRole), name="role_known"),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count_non_negative"),
        CheckConstraint("password_hash LIKE 'scrypt$%'", name="password_hash_is_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Only a digest of the marketing API key is kept; the key itself is shown once when issued.
    api_key_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_secret(password)

    def check_password(self, password: str) -> bool:
        return verify_secret(password, self.password_hash)


class Campaign(Base):
    """A marketing message sent to a segment of consenting accounts."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint(one_of("status", CampaignStatus), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    message_template: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)  # filter describing the audience
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[CampaignDelivery]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", passive_deletes=True
    )


class CampaignDelivery(Base):
    """One account's copy of a campaign; unique per campaign so a resumed send never messages twice."""

    __tablename__ = "campaign_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "account_id"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.QUEUED)
    rendered_message: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)

    campaign: Mapped[Campaign] = relationship(back_populates="deliveries")
    account: Mapped[Account] = relationship()


# ---------------------------------------------------------------------------------------------------------
# Support services (revision 0003_support_services)
# ---------------------------------------------------------------------------------------------------------


class LinkPurpose(StrEnum):
    PAYMENT_METHOD_UPDATE = "payment_method_update"
    PASSWORD_RESET = "password_reset"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class AdjustmentKind(StrEnum):
    CREDIT = "credit"  # an amount taken off the next invoices, e.g. from a downgrade's proration
    DISCOUNT = "discount"  # a percentage off the next `cycles` invoices, e.g. a retention offer


class PlanPrice(Base):
    """A plan's monthly price in one billing currency (the plans row holds the catalogue currency's price)."""

    __tablename__ = "plan_prices"
    __table_args__ = (
        CheckConstraint(iso_code("currency", 3), name="currency_iso4217"),
        CheckConstraint("monthly_price_cents >= 0", name="price_non_negative"),
    )

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    monthly_price_cents: Mapped[int] = mapped_column(Integer)


class ServiceRequest(Base):
    """A confirmed change already applied: a retried confirmation finds its key here and gets `result` back.

    No foreign keys, like the audit log: the record of what was done outlives what it was done to.
    """

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of (actor, conversation, action, confirmation): the same confirmation always maps to one key.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    action: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    conversation_id: Mapped[str] = mapped_column(String(100))
    # sha256 of the request's parameters, so reusing a confirmation for a different request is caught.
    params_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountLink(Base):
    """A signed, expiring, single-use link (payment-method update, password reset) issued for an account."""

    __tablename__ = "account_links"
    __table_args__ = (CheckConstraint(one_of("purpose", LinkPurpose), name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    # Random and public inside the link; without the signing secret it cannot be turned into a valid link.
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    conversation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailOutboxMessage(Base):
    """An e-mail waiting for the mail sender (transactional outbox: queued in the same commit as the change)."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OutboxStatus), name="status_known"),
        Index(None, "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class BillingAdjustment(Base):
    """A credit or a discount the next billing runs apply to a subscription's invoices."""

    __tablename__ = "billing_adjustments"
    __table_args__ = (
        CheckConstraint(one_of("kind", AdjustmentKind), name="kind_known"),
        CheckConstraint(iso_code("currency", 3, nullable=True), name="currency_iso4217"),
        CheckConstraint(
            "(kind = 'credit' AND amount_cents > 0 AND currency IS NOT NULL AND percent_off IS NULL)"
            " OR (kind = 'discount' AND percent_off BETWEEN 1 AND 100 AND cycles_remaining >= 0"
            " AND amount_cents IS NULL)",
            name="shape_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    percent_off: Mapped[int | None] = mapped_column(Integer)
    cycles_remaining: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(100))
    # Set by the billing run that used the credit up (or the discount's last cycle).
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
