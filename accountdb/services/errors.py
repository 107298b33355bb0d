"""Errors the support services raise; each message says what happened and what to do next."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: the request cannot be served as asked. The message is safe to show to the caller."""


class AccessDenied(ServiceError):
    """The actor may not see or change this account or record."""


class NotFound(ServiceError):
    """The account, subscription, profile or record does not exist (or is not the actor's)."""


class InvalidRequest(ServiceError):
    """A parameter is malformed or out of range."""


class Conflict(ServiceError):
    """The account's current state does not allow the change (e.g. cancelling what is already cancelling)."""


class PreviewOutdated(Conflict):
    """A confirmation id no longer matches what the change would do now; a fresh preview is needed."""
