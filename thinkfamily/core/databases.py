"""The database this process uses, told to another process."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def database_url_of(settings_dict: dict[str, Any]) -> str:
    """A ``DATABASE_URL`` for another process (a command, gunicorn) to reach this database.

    ``settings_dict`` is a connection's ``settings_dict``; in tests it names
    the test database, which is how a subprocess started by a test works on
    the test's data.
    """
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(str(settings_dict.get("USER") or ""))
    password = quote(str(settings_dict.get("PASSWORD") or ""))
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"
