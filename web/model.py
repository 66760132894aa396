"""Tables of the web console: who may log in and their open sessions (the audit log is `kernel.audit`).

Kept apart from the roster tables so the engine never loads them; `siaga.models` imports this module so
`make_engine` creates them with the rest of the schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base

WEB_ROLES = ("admin", "supervisor", "viewer")
LANGUAGES = ("id", "en")  # the console's languages, Indonesian first (the default); web.i18n formats them


class WebUser(Base):
    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    # Space-separated kabupaten codes a supervisor (or a restricted viewer) may see; empty means all.
    kabupaten: Mapped[str] = mapped_column(String(2000), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The console's language for this user ("id" or "en", `web.i18n.LANGUAGES`); Indonesian unless chosen.
    lang: Mapped[str] = mapped_column(String(8), default="id", server_default="id")


class WebSession(Base):
    """One logged-in browser or API client. Only a hash of the cookie's token is stored."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
