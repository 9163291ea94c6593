"""Store URLs as they may be shown: the password (in the URL or its query) left out."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.engine import URL

__all__ = ["redact_url"]

#: Query parameters that carry a secret (libpq takes ``?password=`` as well as the URL's own).
_SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})


def redact_url(url: str | URL) -> str:
    """The URL as text with its password replaced by ``***`` (one in the query is left out).

    >>> redact_url("postgresql+psycopg://ana:s3cret@db.example/team?password=s3cret&sslmode=require")
    'postgresql+psycopg://ana:***@db.example/team?sslmode=require'
    """
    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: show nothing of it
        return "<unparsable URL>"
    secret = [k for k in parsed.query if k.lower() in _SECRET_QUERY_KEYS]
    return parsed.difference_update_query(secret).render_as_string(hide_password=True)
