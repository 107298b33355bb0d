"""A few support tickets, so the agent console has a queue to show."""

from __future__ import annotations

import datetime as dt

import numpy as np

from accountdb.demo.billing import PLANS
from accountdb.demo.geography import REGION_CODES
from accountdb.demo.subscribers import Subscribers

# category, subject, what the subscriber said, priority weights (low, normal, high, urgent)
TICKET_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("billing", "Charged twice this month", "I see two charges for my subscription this month, can you refund one?"),
    ("billing", "Card declined but I have funds", "My card keeps getting declined even though it works everywhere else."),
    ("billing", "Refund request for last invoice", "I cancelled last week but was still billed, I'd like a refund."),
    ("billing", "Why did my price change?", "My monthly price went up and nobody told me why."),
    ("playback", "Video keeps buffering on my TV", "Everything buffers on the living room TV since yesterday evening."),
    ("playback", "No sound on some episodes", "Episodes play without any sound on my phone."),
    ("playback", "4K not showing on my account", "I pay for Premium but nothing plays in 4K."),
    ("account", "Can't sign in on my new phone", "The app says my password is wrong but it works on the website."),
    ("account", "Forgot my profile PIN", "I set a PIN on my profile and can't remember it."),
    ("account", "Please remove an old device", "There is a device on my account I don't recognise."),
    ("content", "Show missing in my country", "A friend abroad can watch a series I can't find here."),
    ("content", "Subtitles out of sync", "The subtitles are a few seconds behind the dialogue."),
)  # fmt: skip
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = np.array([0.2, 0.55, 0.2, 0.05])
STATUSES = ("open", "pending", "solved", "closed")
STATUS_WEIGHTS = np.array([0.25, 0.15, 0.4, 0.2])
AGENTS = ("ana", "ben", "chloe", "dev", "emeka")
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread

TICKET_COLUMNS = (
    "id", "reference", "account_id", "profile_id", "category", "priority", "status", "subject", "context",
    "transcript_excerpt", "conversation_id", "assigned_agent", "created_at", "updated_at",
)  # fmt: skip


def ticket_reference(ticket_id: int) -> str:
    """A short reference told to the subscriber; a bijective scramble of the id, so never repeated."""
    scrambled = (ticket_id * 2_654_435_761) % (1 << 30)
    chars = []
    for _ in range(6):
        scrambled, digit = divmod(scrambled, 32)
        chars.append(_REFERENCE_ALPHABET[digit])
    return "MQ-" + "".join(reversed(chars))


def generate_tickets(
    rng: np.random.Generator, subscribers: Subscribers, plan_tiers: np.ndarray, as_of: dt.date
) -> list[tuple]:
    """About 1.5% of accounts have contacted support (at least three tickets in any world)."""
    accounts = subscribers.account_count
    count = max(3, int(accounts * 0.015))
    chosen = np.sort(rng.choice(np.arange(1, accounts), size=min(count, accounts - 1), replace=False))
    first_profile = np.searchsorted(subscribers.profile_account, chosen)
    as_of_time = dt.datetime.combine(as_of, dt.time(), tzinfo=dt.UTC)
    rows = []
    for ticket_id, (account, profile) in enumerate(
        zip(chosen.tolist(), first_profile.tolist(), strict=True), start=1
    ):
        category, subject, said = TICKET_TEMPLATES[int(rng.integers(len(TICKET_TEMPLATES)))]
        status = STATUSES[int(rng.choice(len(STATUSES), p=STATUS_WEIGHTS))]
        created = as_of_time - dt.timedelta(minutes=int(rng.exponential(20 * 24 * 60)) + 30)
        updated = created + dt.timedelta(minutes=int(rng.integers(0, 3 * 24 * 60)))
        updated = min(updated, as_of_time)
        context = {
            "channel": "chat",
            "country": REGION_CODES[int(subscribers.account_region[account])],
            "plan": PLANS[int(plan_tiers[account])][0],
            "profiles": int(subscribers.account_profiles[account]),
        }
        transcript = (
            f"Subscriber: {said}\nAssistant: I'm sorry about that. I can't fix this myself, so I'm handing you "
            "over to a colleague who can.\nSubscriber: ok thanks"
        )
        rows.append(
            (ticket_id, ticket_reference(ticket_id), account + 1, profile + 1, category,
             PRIORITIES[int(rng.choice(len(PRIORITIES), p=PRIORITY_WEIGHTS))], status, subject, context, transcript,
             f"demo-conversation-{ticket_id}", None if status == "open" else AGENTS[int(rng.integers(len(AGENTS)))],
             created, updated)
        )  # fmt: skip
    return rows
