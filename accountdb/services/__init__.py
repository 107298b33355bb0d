"""Support services on the account database, called by the assistant's actions and the agent console.

Every public function takes a SQLAlchemy session (the caller's unit of work, `accountdb.engine.session_scope`)
and an `Actor` (who asks, in which conversation), checks that the actor may see or change the account, and
returns plain dataclasses. Changes are idempotent per confirmation (`idempotency.apply_once`) and audited
(`audit.record`); anything free-text that is stored passes through `redaction` first.

On SQLite, open the unit of work for a change with `engine.execution_options(sqlite_begin="IMMEDIATE")`,
so two workers retrying one confirmation wait for each other instead of failing with "database is locked".
"""
