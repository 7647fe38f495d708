"""ORM tables. The schema itself is created only by the Alembic migrations in migrations/."""

from app.models.auth import ApiToken, AuthSession, LoginFailure, User
from app.models.base import DIFFICULTIES, NAMING_CONVENTION, Base, UTCDateTime, utcnow
from app.models.catalog import Card, CardTopic, Choice, Deck, Topic
from app.models.srs import CardState, QuizResult, ReviewDay, ReviewLog, ReviewTotal

__all__ = [
    "DIFFICULTIES",
    "NAMING_CONVENTION",
    "ApiToken",
    "AuthSession",
    "Base",
    "Card",
    "CardState",
    "CardTopic",
    "Choice",
    "Deck",
    "LoginFailure",
    "QuizResult",
    "ReviewDay",
    "ReviewLog",
    "ReviewTotal",
    "Topic",
    "UTCDateTime",
    "User",
    "utcnow",
]
