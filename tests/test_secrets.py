"""Secrets stay secret: a store URL's password and users' secrets never show in reprs, error
messages, command output or logs (SQL logging included); URLs are shown with the password removed."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from conftest import ADMIN
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api import accounts
from workbench.cli import app
from workbench.cli.common import Settings
from workbench.store import redact_url

DB_PASSWORD = "db-pass-Kq7vX2"  # the PostgreSQL server here trusts 127.0.0.1 and ignores it
FIRST = "first-secret-Wm4rT9"  # the first admin's
ADDED = "added-secret-Hp3sL8"  # given to add_user
CHANGED = "changed-secret-Zb6nQ1"  # given to change_secret
WRONG = "wrong-secret-Jd5cV0"  # tried and refused
SECRETS = (DB_PASSWORD, FIRST, ADDED, CHANGED, WRONG)


def _clean(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{leaked} found in: {text[:2000]}"
    assert "$argon2" not in text, "a secret's hash was shown"


pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def url(store_url: str) -> str:
    """The store's URL, with a password on PostgreSQL."""
    parsed = sa.make_url(store_url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(password=DB_PASSWORD)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record, SQL statements and pool events included (set before engines exist)."""
    for name in ("", "sqlalchemy.engine", "sqlalchemy.pool", "alembic", "psycopg"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def _secret_lifecycle(url: str) -> wb.Workspace:
    """Every call that takes a secret: init_store, add_user, connect, change_secret, a refusal."""
    ws = wb.init_store(url, admin=ADMIN, secret=FIRST)
    accounts.add_user(ws, "ana@operators.example", "Operators", ADDED)
    ana = wb.connect(url, user="ana@operators.example", secret=ADDED)
    accounts.change_secret(ana, "ana@operators.example", CHANGED)
    ana.engine.dispose()
    with pytest.raises(wb.AccessDenied) as refused:
        wb.connect(url, user="ana@operators.example", secret=WRONG)
    _clean(str(refused.value))
    wb.connect(url, user="ana@operators.example", secret=CHANGED).engine.dispose()
    return ws


def test_no_secret_reaches_the_logs(url: str, logged: pytest.LogCaptureFixture) -> None:
    ws = _secret_lifecycle(url)
    ws.engine.dispose()
    text = logged.text
    assert "INSERT INTO users" in text and "UPDATE users SET secret_hash" in text  # SQL was logged
    assert "parameters hidden" in text
    _clean(text)


def test_reprs_and_urls_show_no_password(url: str) -> None:
    ws = wb.init_store(url, admin=ADMIN, secret=FIRST)
    try:
        shown = [repr(ws), ws.url, str(ws.engine.url), repr(ws.engine), repr(ws.principal)]
        shown += [repr(u) for u in accounts.list_users(ws)]
        shown.append(repr(Settings(url=url, user=ADMIN, secret=FIRST)))
        for text in shown:
            _clean(text)
        if DB_PASSWORD in url:
            assert ws.url == redact_url(url) and ":***@" in ws.url and ":***@" in repr(ws)
    finally:
        ws.engine.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"postgresql+psycopg://ana:{DB_PASSWORD}@no-such-host.invalid/team",
            "cannot open the store at postgresql+psycopg://ana:***@no-such-host.invalid/team: ",
        ),
        (
            f"postgresql+psycopg://ana:{DB_PASSWORD}@127.0.0.1:1/team",
            "cannot open the store at postgresql+psycopg://ana:***@127.0.0.1:1/team: ",
        ),
        (
            f"postgresql+psycopg://ana:x@127.0.0.1/team?password={DB_PASSWORD}",
            "cannot open the store at postgresql+psycopg://ana:***@127.0.0.1/team: ",
        ),
    ],
    ids=["unknown host", "refused connection", "password in the query"],
)
def test_errors_opening_a_store_name_it_without_the_password(url: str, message: str) -> None:
    with pytest.raises(wb.StoreError) as failed:
        wb.connect(url, user=ADMIN, secret=FIRST, connect_args={"connect_timeout": 3})
    assert str(failed.value).startswith(message)
    _clean(str(failed.value))


@pytest.mark.postgres
def test_a_refused_database_login_names_the_store_without_the_password(pg_url: str) -> None:
    url = sa.make_url(pg_url).set(username="nobody_here", password=DB_PASSWORD)
    with pytest.raises(wb.StoreError, match='role "nobody_here" does not exist') as failed:
        wb.connect(url.render_as_string(hide_password=False), user=ADMIN, secret=FIRST)
    assert "nobody_here:***@127.0.0.1" in str(failed.value)
    _clean(str(failed.value))


def _cli(url: str, *args: str, secret: str | None = FIRST, new: str | None = None) -> Result:
    env = {
        "WORKBENCH_URL": url,
        "WORKBENCH_USER": None if secret is None else ADMIN,
        "WORKBENCH_SECRET": secret,
        "WORKBENCH_NEW_SECRET": new,
    }
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_output_shows_no_secret(url: str) -> None:
    results = [
        _cli(url, "db", "upgrade", secret=None),
        _cli(url, "init", "--admin", ADMIN, secret=FIRST),
        _cli(url, "users", "add", "ana@operators.example", "--account", "Operators", new=ADDED),
        _cli(url, "users", "list"),
        _cli(url, "db", "current", secret=None),
        _cli(url, "--help"),
        _cli(url, "users", "list", secret=WRONG),
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0, 0, 0, 1]
    assert "unknown or the secret does not match" in results[-1].stderr
    for r in results:
        _clean(r.output)
    if DB_PASSWORD in url:
        assert redact_url(url) in results[0].stdout and redact_url(url) in results[1].stdout
