"""The subscriber chat page and its JSON endpoint, which forwards messages to Rasa's REST channel."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from accountdb.engine import session_scope
from accountdb.models import Account, AccountStatus, Profile
from actions.identity import TOKEN_METADATA_KEY, issue_token
from webapp.auth import (
    SubscriberSession,
    conversation_id,
    current_subscriber,
    end_subscriber_session,
    engine_of,
    settings_of,
)
from webapp.chat_replies import BotMessage, to_bot_messages
from webapp.csrf import require_csrf_header
from webapp.rasa_client import AssistantUnavailable
from webapp.templating import render

logger = logging.getLogger(__name__)
router = APIRouter()

TROUBLE_TEXT = "The assistant is having trouble, please try again in a moment."
# The token only has to outlive one turn (Rasa may call several actions); it is stored in Rasa's tracker,
# so a short life limits what a leaked tracker row is worth.
PER_MESSAGE_TOKEN_LIFETIME_S = 15 * 60


class ChatRequest(BaseModel):
    message: str = Field(description="What the subscriber typed, or the payload of a quick-reply button.")


class ChatResponse(BaseModel):
    messages: list[BotMessage]


class ErrorResponse(BaseModel):
    detail: str


def _still_valid(engine: Engine, subscriber: SubscriberSession) -> bool:
    """Whether the session's profile still exists in its account and the account may still sign in.

    Checked on every message, so a deleted profile or a locked account stops getting tokens at once.
    """
    with session_scope(engine) as session:
        found = session.execute(
            select(Account.status)
            .join(Profile, Profile.account_id == Account.id)
            .where(Account.id == subscriber.account_id, Profile.id == subscriber.profile_id)
        ).scalar_one_or_none()
    return found == AccountStatus.ACTIVE


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    subscriber = current_subscriber(request)
    if subscriber is not None and subscriber.profile_id is None:
        return RedirectResponse("/profiles", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse("/chat", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/chat", include_in_schema=False)
def chat_page(request: Request) -> Response:
    subscriber = current_subscriber(request)
    if subscriber is not None and subscriber.profile_id is None:
        return RedirectResponse("/profiles", status_code=status.HTTP_303_SEE_OTHER)
    settings = settings_of(request)
    return render(
        request,
        "chat.html",
        subscriber=subscriber,
        max_chars=settings.max_message_chars,
        trouble_text=TROUBLE_TEXT,
    )


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    tags=["chat"],
    dependencies=[Depends(require_csrf_header)],
    responses={
        401: {"model": ErrorResponse, "description": "the signed-in profile or account is no longer usable"},
        413: {"model": ErrorResponse, "description": "message longer than the limit"},
        422: {"model": ErrorResponse, "description": "empty message"},
        503: {"model": ErrorResponse, "description": "the assistant is down or timed out"},
    },
)
async def send_chat_message(request: Request, body: ChatRequest) -> Response | ChatResponse:
    settings = settings_of(request)
    text = body.message.strip()
    if not text:
        return JSONResponse(
            {"detail": "The message is empty. Type something to send."},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    if len(text) > settings.max_message_chars:
        return JSONResponse(
            {
                "detail": f"The message is {len(text)} characters long; the limit is "
                f"{settings.max_message_chars}. Please shorten it."
            },
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
    sender_id = conversation_id(request)
    metadata: dict[str, str] = {}
    subscriber = current_subscriber(request)
    if subscriber is not None and subscriber.profile_id is not None:
        if not await run_in_threadpool(_still_valid, engine_of(request), subscriber):
            end_subscriber_session(request)
            logger.info(
                "ended the session of account %s: profile gone or account locked", subscriber.account_id
            )
            return JSONResponse(
                {
                    "detail": "Your sign-in is no longer valid (the profile was removed or the account is locked). "
                    "Sign in again."
                },
                status_code=status.HTTP_401_UNAUTHORIZED,
            )
        metadata[TOKEN_METADATA_KEY] = issue_token(
            subscriber.account_id,
            subscriber.profile_id,
            lifetime_seconds=PER_MESSAGE_TOKEN_LIFETIME_S,
            secret=settings.token_secret,
        )
    try:
        replies = await request.app.state.rasa.send(sender_id, text, metadata)
    except AssistantUnavailable as exc:
        logger.warning("chat turn for conversation %s failed: %s", sender_id, exc)
        return JSONResponse({"detail": TROUBLE_TEXT}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    messages = to_bot_messages(replies)
    logger.info("conversation %s: forwarded a message, %d replies", sender_id, len(messages))
    return ChatResponse(messages=messages)
