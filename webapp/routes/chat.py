"""The subscriber chat page and its JSON endpoint, which forwards messages to Rasa's REST channel."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from actions.identity import TOKEN_METADATA_KEY, issue_token
from webapp.auth import conversation_id, current_subscriber, settings_of
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
