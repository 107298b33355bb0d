"""Alembic migrations of the account database; run them with `marquee migrate` (accountdb.migrate)."""
