"""Database tables (SQLModel), one module per area; the schema changes only by Alembic migrations.

Import tables from here (`from app.models import Service`), so every table is registered on
`metadata` before Alembic or a query looks at it.
"""

from app.models.base import metadata, timestamp, utcnow
from app.models.callbacks import (
    TEAM_ALERT,
    CallbackActivity,
    CallbackRequest,
    InboundSms,
    OptOut,
    OutboundSms,
)
from app.models.cards import UNKNOWN_BUCKET, CardBatch, ScanCount
from app.models.directory import (
    Address,
    Attribute,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    ProblemReport,
    RateLimitHit,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTranslation,
    Taxonomy,
    TaxonomyTerm,
)
from app.models.review import TranslationCheck, TranslationSuggestion
from app.models.staff import AdminSession, AppSetting, AuditEvent, ListingChange, Team, User

__all__ = [
    "TEAM_ALERT",
    "UNKNOWN_BUCKET",
    "Address",
    "AdminSession",
    "AppSetting",
    "Attribute",
    "AuditEvent",
    "CallbackActivity",
    "CallbackRequest",
    "CardBatch",
    "Contact",
    "InboundSms",
    "Language",
    "ListingChange",
    "Location",
    "OptOut",
    "Organization",
    "OutboundSms",
    "Phone",
    "ProblemReport",
    "RateLimitHit",
    "ScanCount",
    "Schedule",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceTranslation",
    "Taxonomy",
    "TaxonomyTerm",
    "Team",
    "TranslationCheck",
    "TranslationSuggestion",
    "User",
    "metadata",
    "timestamp",
    "utcnow",
]
