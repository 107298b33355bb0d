"""Staff users: agents, supervisors and marketers who sign in to the console or call the marketing API.

Revision ID: 0002_staff_users
Revises: 0001_initial
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_staff_users"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("api_key_sha256", sa.String(length=64), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('agent', 'supervisor', 'marketer')", name=op.f("ck_staff_users_role_known")
        ),
        sa.CheckConstraint(
            "failed_login_count >= 0", name=op.f("ck_staff_users_failed_login_count_non_negative")
        ),
        sa.CheckConstraint(
            "password_hash LIKE 'scrypt$%'", name=op.f("ck_staff_users_password_hash_is_hash")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
        sa.UniqueConstraint("api_key_sha256", name=op.f("uq_staff_users_api_key_sha256")),
    )


def downgrade() -> None:
    op.drop_table("staff_users")
