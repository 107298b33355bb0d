"""Support services: regional plan prices, applied-request records, account links, e-mail outbox, adjustments.

Only new tables, so SQLite needs no table copies. Types are spelled out (not imported from the models) so
this revision keeps creating the same schema when the models move on.

Revision ID: 0003_support_services
Revises: 0002_staff_users
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_support_services"
down_revision: str | Sequence[str] | None = "0002_staff_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "plan_prices",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("monthly_price_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "length(currency) = 3 AND upper(currency) = currency",
            name=op.f("ck_plan_prices_currency_iso4217"),
        ),
        sa.CheckConstraint("monthly_price_cents >= 0", name=op.f("ck_plan_prices_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_prices_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", "currency", name=op.f("pk_plan_prices")),
    )

    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=100), nullable=False),
        sa.Column("params_sha256", sa.String(length=64), nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_service_requests_idempotency_key")),
    )
    op.create_index(op.f("ix_service_requests_account_id"), "service_requests", ["account_id"], unique=False)

    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conversation_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('payment_method_update', 'password_reset')",
            name=op.f("ck_account_links_purpose_known"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_links_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("nonce", name=op.f("uq_account_links_nonce")),
    )
    op.create_index(op.f("ix_account_links_account_id"), "account_links", ["account_id"], unique=False)

    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed')", name=op.f("ck_email_outbox_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_email_outbox_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    op.create_index(op.f("ix_email_outbox_account_id"), "email_outbox", ["account_id"], unique=False)
    op.create_index(
        op.f("ix_email_outbox_status_created_at"), "email_outbox", ["status", "created_at"], unique=False
    )

    op.create_table(
        "billing_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("cycles_remaining", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('credit', 'discount')", name=op.f("ck_billing_adjustments_kind_known")),
        sa.CheckConstraint(
            "currency IS NULL OR (length(currency) = 3 AND upper(currency) = currency)",
            name=op.f("ck_billing_adjustments_currency_iso4217"),
        ),
        sa.CheckConstraint(
            "(kind = 'credit' AND amount_cents > 0 AND currency IS NOT NULL AND percent_off IS NULL)"
            " OR (kind = 'discount' AND percent_off BETWEEN 1 AND 100 AND cycles_remaining >= 0"
            " AND amount_cents IS NULL)",
            name=op.f("ck_billing_adjustments_shape_matches_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_billing_adjustments_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_adjustments")),
    )
    op.create_index(
        op.f("ix_billing_adjustments_subscription_id"),
        "billing_adjustments",
        ["subscription_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("billing_adjustments")
    op.drop_table("email_outbox")
    op.drop_table("account_links")
    op.drop_table("service_requests")
    op.drop_table("plan_prices")
