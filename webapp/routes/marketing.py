"""The marketing API: campaigns, audience previews, an idempotent send, and delivery statistics.

Callers are staff with the marketer or supervisor role, by console session (writes also need the CSRF
header) or by `Authorization: Bearer <API key>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, Campaign, CampaignStatus, PlanCode, StaffRole
from webapp import campaigns
from webapp.auth import StaffPrincipal, engine_of, require_api_staff

MAX_ID = 2**31 - 1
CampaignId = Annotated[int, Path(ge=1, le=MAX_ID, description="the campaign's id")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case")]

router = APIRouter(prefix="/api/marketing", tags=["marketing"])
marketing_staff = require_api_staff(StaffRole.MARKETER, StaffRole.SUPERVISOR)


class Segment(BaseModel):
    """Which accounts a campaign targets. Only accounts with marketing consent are ever included."""

    model_config = ConfigDict(extra="forbid")

    countries: list[CountryCode] | None = Field(
        default=None, min_length=1, max_length=250, description="only these countries; omit for all"
    )
    plans: list[PlanCode] | None = Field(
        default=None, min_length=1, max_length=3, description="only accounts on these plans; omit for all"
    )
    marketing_consent: Literal[True] = Field(
        default=True, description="always true: accounts without marketing consent are never messaged"
    )

    def to_filter(self) -> campaigns.SegmentFilter:
        return campaigns.SegmentFilter(
            countries=tuple(sorted(set(self.countries))) if self.countries else None,
            plans=tuple(sorted({plan.value for plan in self.plans})) if self.plans else None,
        )


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    message_template: str = Field(
        min_length=1,
        max_length=2000,
        description="text with placeholders: "
        + ", ".join(f"{{{name}}} ({meaning})" for name, meaning in campaigns.PLACEHOLDERS.items()),
    )
    segment: Segment = Field(default_factory=Segment)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the campaign name is blank; give it a name people will recognise")
        return value.strip()

    @field_validator("message_template")
    @classmethod
    def _template_renders(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message template is blank; write the message to send")
        try:
            campaigns.template_placeholders(value)
        except campaigns.TemplateError as exc:
            raise ValueError(str(exc)) from exc
        return value


class CampaignOut(BaseModel):
    id: int
    name: str
    status: CampaignStatus
    message_template: str
    segment: Segment
    created_at: datetime


class AudiencePreview(BaseModel):
    audience_size: int = Field(description="consenting accounts the segment matches right now")
    segment: Segment


class SendReport(BaseModel):
    campaign_id: int
    status: CampaignStatus
    audience_size: int = Field(description="consenting accounts in the segment at send time")
    created: int = Field(description="deliveries created by this call; 0 when repeated")
    sent: int
    failed: int
    skipped: int = Field(description="accounts for which a placeholder had no value")


class DeliveryStats(BaseModel):
    campaign_id: int
    status: CampaignStatus
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int


class ErrorOut(BaseModel):
    detail: str


ERRORS = {
    401: {"model": ErrorOut, "description": "not signed in and no valid API key"},
    403: {"model": ErrorOut, "description": "role is not marketer or supervisor"},
}
NOT_FOUND = {404: {"model": ErrorOut, "description": "no such campaign"}}


def _stored_segment(campaign: Campaign) -> Segment:
    try:
        return Segment.model_validate(campaign.segment or {})
    except ValidationError as exc:
        raise HTTPException(
            status_code=status.HTTP_409_CONFLICT,
            detail=f"Campaign {campaign.id} has a stored segment this API cannot read ({exc.error_count()} "
            "problems). Create a new campaign with a valid segment.",
        ) from exc


def _out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        status=CampaignStatus(campaign.status),
        message_template=campaign.message_template,
        segment=_stored_segment(campaign),
        created_at=campaign.created_at,
    )


def _campaign_or_404(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"There is no campaign {campaign_id}. List campaigns with GET /api/marketing/campaigns.",
        )
    return campaign


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, response_model=CampaignOut, responses=ERRORS)
def create_campaign(
    request: Request, body: CampaignCreate, staff: StaffPrincipal = marketing_staff
) -> CampaignOut:
    with session_scope(engine_of(request)) as session:
        campaign = Campaign(
            name=body.name,
            message_template=body.message_template,
            segment=body.segment.model_dump(mode="json", exclude_none=True),
            status=CampaignStatus.DRAFT,
        )
        session.add(campaign)
        session.flush()
        session.add(
            AuditLogEntry(
                actor=staff.actor,
                action="campaign.create",
                entity_type="campaign",
                entity_id=str(campaign.id),
                details={"name": campaign.name},
            )
        )
        return _out(campaign)


@router.get("/campaigns", response_model=list[CampaignOut], responses=ERRORS)
def list_campaigns(request: Request, staff: StaffPrincipal = marketing_staff) -> list[CampaignOut]:
    with session_scope(engine_of(request)) as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)).all()
        return [_out(campaign) for campaign in rows]


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut, responses={**ERRORS, **NOT_FOUND})
def get_campaign(
    request: Request, campaign_id: CampaignId, staff: StaffPrincipal = marketing_staff
) -> CampaignOut:
    with session_scope(engine_of(request)) as session:
        return _out(_campaign_or_404(session, campaign_id))


@router.post("/audience-preview", response_model=AudiencePreview, responses=ERRORS)
def preview_audience(
    request: Request, segment: Segment, staff: StaffPrincipal = marketing_staff
) -> AudiencePreview:
    with session_scope(engine_of(request)) as session:
        return AudiencePreview(
            audience_size=campaigns.audience_size(session, segment.to_filter()), segment=segment
        )


@router.get(
    "/campaigns/{campaign_id}/audience", response_model=AudiencePreview, responses={**ERRORS, **NOT_FOUND}
)
def campaign_audience(
    request: Request, campaign_id: CampaignId, staff: StaffPrincipal = marketing_staff
) -> AudiencePreview:
    with session_scope(engine_of(request)) as session:
        segment = _stored_segment(_campaign_or_404(session, campaign_id))
        return AudiencePreview(
            audience_size=campaigns.audience_size(session, segment.to_filter()), segment=segment
        )


@router.post(
    "/campaigns/{campaign_id}/send",
    response_model=SendReport,
    responses={**ERRORS, **NOT_FOUND, 409: {"model": ErrorOut, "description": "campaign cannot be sent"}},
)
def send_campaign(
    request: Request, campaign_id: CampaignId, staff: StaffPrincipal = marketing_staff
) -> SendReport:
    engine = engine_of(request)
    with session_scope(engine) as session:
        segment = _stored_segment(_campaign_or_404(session, campaign_id))
    try:
        report = campaigns.send_campaign(engine, campaign_id, segment.to_filter(), actor=staff.actor)
    except campaigns.CampaignNotSendable as exc:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=f"Cannot send: {exc}.") from exc
    except LookupError as exc:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail=f"Campaign {campaign_id} was deleted."
        ) from exc
    with session_scope(engine) as session:
        current_status = CampaignStatus(_campaign_or_404(session, campaign_id).status)
    return SendReport(
        campaign_id=campaign_id,
        status=current_status,
        audience_size=report.audience_size,
        created=report.created,
        sent=report.sent,
        failed=report.failed,
        skipped=report.skipped,
    )


@router.get("/campaigns/{campaign_id}/stats", response_model=DeliveryStats, responses={**ERRORS, **NOT_FOUND})
def delivery_stats(
    request: Request, campaign_id: CampaignId, staff: StaffPrincipal = marketing_staff
) -> DeliveryStats:
    with session_scope(engine_of(request)) as session:
        campaign = _campaign_or_404(session, campaign_id)
        counts = campaigns.delivery_counts(session, campaign_id)
        return DeliveryStats(
            campaign_id=campaign_id,
            status=CampaignStatus(campaign.status),
            total=sum(counts.values()),
            **counts,
        )
