"""Initial schema: accounts and billing, devices, the catalog, activity, support, audit and marketing.

Hand-checked against accountdb.models; types are spelled out here (not imported from the models) so this
revision keeps creating the same schema when the models move on.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on PostgreSQL, JSON text on SQLite (matches accountdb.models.JSONDocument).
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "email = lower(email) AND email LIKE '%_@_%'", name=op.f("ck_accounts_email_lowercase_address")
        ),
        sa.CheckConstraint("status IN ('active', 'locked')", name=op.f("ck_accounts_status_known")),
        sa.CheckConstraint(
            "failed_login_count >= 0", name=op.f("ck_accounts_failed_login_count_non_negative")
        ),
        sa.CheckConstraint(
            "length(country) = 2 AND upper(country) = country", name=op.f("ck_accounts_country_iso_alpha2")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
        sa.UniqueConstraint("external_id", name=op.f("uq_accounts_external_id")),
    )
    op.create_table(
        "audit_log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=True),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log_entries")),
    )
    op.create_index(op.f("ix_audit_log_entries_at"), "audit_log_entries", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_log_entries_conversation_id"), "audit_log_entries", ["conversation_id"], unique=False
    )
    op.create_index(
        op.f("ix_audit_log_entries_entity_type_entity_id"),
        "audit_log_entries",
        ["entity_type", "entity_id"],
        unique=False,
    )

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_template", sa.Text(), nullable=False),
        sa.Column("segment", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')",
            name=op.f("ck_campaigns_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "genres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genres")),
        sa.UniqueConstraint("name", name=op.f("uq_genres_name")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("name", name=op.f("uq_people_name")),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("monthly_price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("screens", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.String(length=10), nullable=False),
        sa.Column("downloads_devices", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("code IN ('basic', 'standard', 'premium')", name=op.f("ck_plans_code_known")),
        sa.CheckConstraint(
            "resolution IN ('480p', '720p', '1080p', '4K')", name=op.f("ck_plans_resolution_known")
        ),
        sa.CheckConstraint("downloads_devices >= 0", name=op.f("ck_plans_downloads_devices_non_negative")),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name=op.f("ck_plans_currency_iso4217")
        ),
        sa.CheckConstraint("monthly_price_cents >= 0", name=op.f("ck_plans_price_non_negative")),
        sa.CheckConstraint("screens >= 1", name=op.f("ck_plans_screens_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_plans_code")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("release_year", sa.Integer(), nullable=True),
        sa.Column("maturity_rating", sa.String(length=10), nullable=False),
        sa.Column("maturity_rank", sa.Integer(), nullable=False),
        sa.Column("runtime_minutes", sa.Integer(), nullable=True),
        sa.Column("seasons", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("original_language", sa.String(length=35), nullable=True),
        sa.Column("date_added", sa.Date(), nullable=True),
        sa.Column("popularity", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'movie' AND seasons IS NULL) OR (kind = 'series' AND runtime_minutes IS NULL)",
            name=op.f("ck_titles_duration_matches_kind"),
        ),
        sa.CheckConstraint("kind IN ('movie', 'series')", name=op.f("ck_titles_kind_known")),
        sa.CheckConstraint("maturity_rank BETWEEN 0 AND 10", name=op.f("ck_titles_maturity_rank_on_scale")),
        sa.CheckConstraint("popularity >= 0", name=op.f("ck_titles_popularity_non_negative")),
        sa.CheckConstraint(
            "release_year IS NULL OR release_year BETWEEN 1870 AND 2100",
            name=op.f("ck_titles_release_year_valid"),
        ),
        sa.CheckConstraint(
            "runtime_minutes IS NULL OR runtime_minutes > 0", name=op.f("ck_titles_runtime_positive")
        ),
        sa.CheckConstraint("seasons IS NULL OR seasons > 0", name=op.f("ck_titles_seasons_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_titles")),
        sa.UniqueConstraint("external_id", name=op.f("uq_titles_external_id")),
    )
    op.create_index(op.f("ix_titles_maturity_rank"), "titles", ["maturity_rank"], unique=False)
    op.create_index(op.f("ix_titles_name"), "titles", ["name"], unique=False)
    op.create_index(op.f("ix_titles_popularity"), "titles", ["popularity"], unique=False)

    op.create_table(
        "credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('cast', 'director')", name=op.f("ck_credits_role_known")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_credits_position_non_negative")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_credits_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_credits_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credits")),
        sa.UniqueConstraint("title_id", "person_id", "role", name=op.f("uq_credits_title_id_person_id_role")),
    )
    op.create_index(op.f("ix_credits_person_id"), "credits", ["person_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=50), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_in", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('tv', 'mobile', 'tablet', 'web', 'console')", name=op.f("ck_devices_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_devices_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    op.create_index(op.f("ix_devices_account_id"), "devices", ["account_id"], unique=False)

    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "brand IN ('visa', 'mastercard', 'amex', 'discover', 'jcb', 'diners', 'unionpay')",
            name=op.f("ck_payment_methods_brand_known"),
        ),
        sa.CheckConstraint(
            "length(last4) = 4 AND trim(last4, '0123456789') = ''",
            name=op.f("ck_payment_methods_last4_four_digits"),
        ),
        sa.CheckConstraint("exp_month BETWEEN 1 AND 12", name=op.f("ck_payment_methods_exp_month_valid")),
        sa.CheckConstraint("exp_year BETWEEN 2000 AND 2100", name=op.f("ck_payment_methods_exp_year_valid")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_payment_methods_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    op.create_index(op.f("ix_payment_methods_account_id"), "payment_methods", ["account_id"], unique=False)
    op.create_index(
        "uq_payment_methods_default_account",
        "payment_methods",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("is_kids", sa.Boolean(), nullable=False),
        sa.Column("maturity_limit", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(length=255), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("avatar", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pin_hash IS NULL OR pin_hash LIKE 'scrypt$%'", name=op.f("ck_profiles_pin_hash_is_hash")
        ),
        sa.CheckConstraint(
            "NOT is_kids OR maturity_limit <= 5", name=op.f("ck_profiles_kids_maturity_limit")
        ),
        sa.CheckConstraint(
            "maturity_limit BETWEEN 0 AND 10", name=op.f("ck_profiles_maturity_limit_on_scale")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_profiles_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_profiles_account_id_name")),
    )
    op.create_index(op.f("ix_profiles_account_id"), "profiles", ["account_id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_period_start", sa.Date(), nullable=False),
        sa.Column("current_period_end", sa.Date(), nullable=False),
        sa.Column("next_billing_date", sa.Date(), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'past_due', 'paused', 'cancelled')",
            name=op.f("ck_subscriptions_status_known"),
        ),
        sa.CheckConstraint(
            "current_period_end > current_period_start", name=op.f("ck_subscriptions_period_forward")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_subscriptions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_subscriptions_plan_id_plans"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_account_id"), "subscriptions", ["account_id"], unique=False)
    op.create_index(op.f("ix_subscriptions_plan_id"), "subscriptions", ["plan_id"], unique=False)
    op.create_index(
        "uq_subscriptions_live_account",
        "subscriptions",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled'"),
        postgresql_where=sa.text("status <> 'cancelled'"),
    )

    op.create_table(
        "title_availability",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("unavailable_reason", sa.String(length=20), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "unavailable_reason IS NULL OR unavailable_reason IN ('coming_soon', 'license_expired', 'not_licensed')",
            name=op.f("ck_title_availability_reason_known"),
        ),
        sa.CheckConstraint(
            "length(region) = 2 AND upper(region) = region",
            name=op.f("ck_title_availability_region_iso_alpha2"),
        ),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["titles.id"],
            name=op.f("fk_title_availability_title_id_titles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("title_id", "region", name=op.f("pk_title_availability")),
    )
    op.create_index(
        op.f("ix_title_availability_region_unavailable_reason"),
        "title_availability",
        ["region", "unavailable_reason"],
        unique=False,
    )

    op.create_table(
        "title_countries",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.CheckConstraint(
            "length(country) = 2 AND upper(country) = country",
            name=op.f("ck_title_countries_country_iso_alpha2"),
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_title_countries_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("title_id", "country", name=op.f("pk_title_countries")),
    )
    op.create_index(op.f("ix_title_countries_country"), "title_countries", ["country"], unique=False)

    op.create_table(
        "title_genres",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genre_id"], ["genres.id"], name=op.f("fk_title_genres_genre_id_genres"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_title_genres_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("title_id", "genre_id", name=op.f("pk_title_genres")),
    )
    op.create_index(op.f("ix_title_genres_genre_id"), "title_genres", ["genre_id"], unique=False)

    op.create_table(
        "title_tags",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_title_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_title_tags_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("title_id", "tag_id", name=op.f("pk_title_tags")),
    )
    op.create_index(op.f("ix_title_tags_tag_id"), "title_tags", ["tag_id"], unique=False)

    op.create_table(
        "campaign_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rendered_message", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'skipped')",
            name=op.f("ck_campaign_deliveries_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_campaign_deliveries_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_deliveries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_campaign_deliveries_profile_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_deliveries")),
        sa.UniqueConstraint(
            "campaign_id", "account_id", name=op.f("uq_campaign_deliveries_campaign_id_account_id")
        ),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_campaign_deliveries_idempotency_key")),
    )
    op.create_index(
        op.f("ix_campaign_deliveries_account_id"), "campaign_deliveries", ["account_id"], unique=False
    )

    op.create_table(
        "device_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip_country", sa.String(length=2), nullable=True),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_device_sessions_ends_after_start")
        ),
        sa.CheckConstraint(
            "ip_country IS NULL OR (length(ip_country) = 2 AND upper(ip_country) = ip_country)",
            name=op.f("ck_device_sessions_ip_country_iso_alpha2"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_sessions_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_device_sessions_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_sessions")),
    )
    op.create_index(
        op.f("ix_device_sessions_device_id_ended_at"),
        "device_sessions",
        ["device_id", "ended_at"],
        unique=False,
    )
    op.create_index(op.f("ix_device_sessions_profile_id"), "device_sessions", ["profile_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('paid', 'open', 'failed', 'refunded', 'void')", name=op.f("ck_invoices_status_known")
        ),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_invoices_amount_non_negative")),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name=op.f("ck_invoices_currency_iso4217")
        ),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_invoices_period_forward")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_invoices_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_invoices_subscription_id_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index(
        op.f("ix_invoices_account_id_issued_at"), "invoices", ["account_id", "issued_at"], unique=False
    )
    op.create_index(op.f("ix_invoices_subscription_id"), "invoices", ["subscription_id"], unique=False)

    op.create_table(
        "my_list_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_my_list_items_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_my_list_items_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_my_list_items")),
        sa.UniqueConstraint("profile_id", "title_id", name=op.f("uq_my_list_items_profile_id_title_id")),
    )
    op.create_index(op.f("ix_my_list_items_title_id"), "my_list_items", ["title_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN ('down', 'up', 'love')", name=op.f("ck_ratings_value_known")),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_ratings_profile_id_profiles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_ratings_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("profile_id", "title_id", name=op.f("uq_ratings_profile_id_title_id")),
    )
    op.create_index(op.f("ix_ratings_title_id"), "ratings", ["title_id"], unique=False)

    op.create_table(
        "search_log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("results_count", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "results_count >= 0", name=op.f("ck_search_log_entries_results_count_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_search_log_entries_profile_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_log_entries")),
    )
    op.create_index(op.f("ix_search_log_entries_at"), "search_log_entries", ["at"], unique=False)
    op.create_index(
        op.f("ix_search_log_entries_profile_id"), "search_log_entries", ["profile_id"], unique=False
    )

    op.create_table(
        "support_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("context", JSON_DOCUMENT, nullable=False),
        sa.Column("transcript_excerpt", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("assigned_agent", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_support_tickets_priority_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'solved', 'closed')", name=op.f("ck_support_tickets_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_support_tickets_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_support_tickets_profile_id_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
        sa.UniqueConstraint("reference", name=op.f("uq_support_tickets_reference")),
    )
    op.create_index(op.f("ix_support_tickets_account_id"), "support_tickets", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_support_tickets_conversation_id"), "support_tickets", ["conversation_id"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_status_priority"), "support_tickets", ["status", "priority"], unique=False
    )

    op.create_table(
        "viewing_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes_watched", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(season IS NULL AND episode IS NULL) OR (season >= 1 AND episode >= 1)",
            name=op.f("ck_viewing_events_episode_complete"),
        ),
        sa.CheckConstraint("minutes_watched >= 0", name=op.f("ck_viewing_events_minutes_non_negative")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_viewing_events_device_id_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_viewing_events_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_viewing_events_title_id_titles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewing_events")),
    )
    op.create_index(op.f("ix_viewing_events_device_id"), "viewing_events", ["device_id"], unique=False)
    op.create_index(
        op.f("ix_viewing_events_profile_id_started_at"),
        "viewing_events",
        ["profile_id", "started_at"],
        unique=False,
    )
    op.create_index(op.f("ix_viewing_events_title_id"), "viewing_events", ["title_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(status = 'failed' AND failure_reason IS NOT NULL) OR (status <> 'failed' AND failure_reason IS NULL)",
            name=op.f("ck_payments_failure_reason_iff_failed"),
        ),
        sa.CheckConstraint(
            "failure_reason IS NULL OR failure_reason IN ('card_declined', 'insufficient_funds', 'expired_card', 'authentication_required', 'processing_error')",
            name=op.f("ck_payments_failure_reason_known"),
        ),
        sa.CheckConstraint("status IN ('succeeded', 'failed')", name=op.f("ck_payments_status_known")),
        sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_payments_amount_non_negative")),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency", name=op.f("ck_payments_currency_iso4217")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_payments_payment_method_id_payment_methods"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_payments_payment_method_id"), "payments", ["payment_method_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes; children go before the tables they reference.
    op.drop_table("payments")
    op.drop_table("viewing_events")
    op.drop_table("support_tickets")
    op.drop_table("search_log_entries")
    op.drop_table("ratings")
    op.drop_table("my_list_items")
    op.drop_table("invoices")
    op.drop_table("device_sessions")
    op.drop_table("campaign_deliveries")
    op.drop_table("title_tags")
    op.drop_table("title_genres")
    op.drop_table("title_countries")
    op.drop_table("title_availability")
    op.drop_table("subscriptions")
    op.drop_table("profiles")
    op.drop_table("payment_methods")
    op.drop_table("devices")
    op.drop_table("credits")
    op.drop_table("titles")
    op.drop_table("tags")
    op.drop_table("plans")
    op.drop_table("people")
    op.drop_table("genres")
    op.drop_table("campaigns")
    op.drop_table("audit_log_entries")
    op.drop_table("accounts")
