"""What the engine knows of the services it depends on: Twilio's REST API failing, and since when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class ServiceHealth(Base):
    """One row per outside service ("twilio_rest"), written by any process when it starts or stops failing,
    read by the console's live board (store/service_health.py)."""

    __tablename__ = "service_health"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    failing_since: Mapped[datetime | None]  # null: working (or never seen failing)
    last_failure_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)  # since failing_since
    detail: Mapped[str] = mapped_column(String(120), default="")  # "HTTP 503", "ConnectTimeout": never a number
