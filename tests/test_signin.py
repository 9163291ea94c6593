"""Sign-in throttling: waits that grow after failures, a lockout only an admin lifts, per user
name and per client address, kept in the store (so every process counts alike), with the same
messages for unknown users and wrong secrets. Each rule on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import ADMIN, SECRET, refused, require_postgres, store_state
from security_support import DENIED, build_tenants, fresh_role_names
from typer.testing import CliRunner, Result

import workbench as wb
from workbench.api import accounts as acc
from workbench.api import identity, signin
from workbench.api.signin import LOCKED, TooManyFailures
from workbench.cli import app

ROOT = Path(__file__).resolve().parents[1]
MEMBER, BOSS, STRANGER = "member@acme.example", "boss@acme.example", "nobody@acme.example"
ROOT_USER = "root@acme.example"  # an admin in Acme: only admins manage them
PASSWORD = "a fairly long secret"
WRONG = "not the secret at all"
HOME, AWAY = "203.0.113.7", "198.51.100.20"


class CountingHasher(PasswordHasher):
    """Still Argon2id, salted, but cheap (the store's parameters are checked in
    test_access.py); it notes every secret it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self.checked: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checked.append(str(password))
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    made = CountingHasher()
    monkeypatch.setattr(identity, "_hasher", made)
    return made


class Clock:
    """The time the throttle sees, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(signin, "_now", made)
    return made


@pytest.fixture
def acme(ws: wb.Workspace) -> wb.Workspace:
    """Acme with an account-admin and a member; ``ws`` is the store's admin."""
    acc.create_account(ws, "Acme")
    acc.add_user(ws, BOSS, "Acme", PASSWORD, ["account-admin"])
    acc.add_user(ws, MEMBER, "Acme", PASSWORD)
    return ws


def attempt(ws: wb.Workspace, user: str, secret: str | None, address: str | None = None) -> str:
    """'ok' when the sign-in succeeds, else the refusal's message (always AccessDenied)."""
    try:
        wb.connect(ws.url, user=user, secret=secret, address=address).close()
    except wb.AccessDenied as exc:
        return str(exc)
    return "ok"


def wrong(user: str) -> str:
    return f"user {user!r} is unknown or the secret does not match"


def waits(ws: wb.Workspace, clock: Clock, user: str, secret: str) -> list[int | None]:
    """Sign in with ``secret`` as soon as allowed until locked: the answers, 0 for a counted
    failure, N for "try again in N s" (the clock then moves on N s), None for the lockout."""
    answers: list[int | None] = []
    while None not in answers and len(answers) < 40:
        try:
            wb.connect(ws.url, user=user, secret=secret).close()
        except TooManyFailures as exc:
            answers.append(None if exc.retry_after is None else math.ceil(exc.retry_after))
            clock.advance(exc.retry_after or 0)
        except wb.AccessDenied as exc:
            assert str(exc) == wrong(user)
            answers.append(0)
        else:
            raise AssertionError(f"{user} signed in with {secret!r}")
    return answers


#: Three failures, then waits of 1, 2, 4, ... s between failures, locked at the tenth.
THROTTLED = [0, 0, 0, 1, 0, 2, 0, 4, 0, 8, 0, 16, 0, 32, 0, 64, 0, None]


def test_waits_grow_from_the_third_failure_then_the_user_is_locked(
    acme: wb.Workspace, clock: Clock
) -> None:
    assert waits(acme, clock, MEMBER, WRONG) == THROTTLED
    assert store_state(acme)["sign_in_throttle"][0].startswith(
        f"('{signin.user_key(MEMBER)}', 'user', 10,"
    )
    # locked: the right secret is refused too, with the same message, and a week changes nothing
    assert attempt(acme, MEMBER, PASSWORD) == LOCKED
    clock.advance(7 * 24 * 3600)
    assert attempt(acme, MEMBER, PASSWORD) == LOCKED
    assert attempt(acme, MEMBER.upper(), PASSWORD) == LOCKED, "one name, however it is written"
    assert attempt(acme, BOSS, PASSWORD) == "ok", "other users are not held back"


def test_an_early_attempt_is_refused_without_checking_the_secret(
    acme: wb.Workspace, clock: Clock, hasher: CountingHasher
) -> None:
    for _ in range(3):
        attempt(acme, MEMBER, WRONG)
    checked = hasher.checked
    checked.clear()
    assert attempt(acme, MEMBER, PASSWORD) == "too many failed sign-ins; try again in 1 s"
    assert checked == [], "the right secret is not even looked at while waiting"
    before = store_state(acme)
    assert attempt(acme, MEMBER, WRONG).startswith("too many failed sign-ins; try again in")
    assert store_state(acme) == before, "an early attempt is not counted"
    clock.advance(1)
    assert attempt(acme, MEMBER, PASSWORD) == "ok" and checked == [PASSWORD]


def test_unknown_users_and_wrong_secrets_get_the_same_answers(
    acme: wb.Workspace, clock: Clock, hasher: CountingHasher
) -> None:
    checked = hasher.checked
    checked.clear()
    assert waits(acme, clock, MEMBER, WRONG) == waits(acme, clock, STRANGER, PASSWORD) == THROTTLED
    assert len(checked) == 20, "an unknown user's secret is checked too (against a decoy)"
    assert attempt(acme, MEMBER, PASSWORD) == attempt(acme, STRANGER, PASSWORD) == LOCKED
    assert attempt(acme, MEMBER, None) == attempt(acme, STRANGER, None) == LOCKED
    for email in (MEMBER, STRANGER):  # the same rows, counted alike
        key = signin.user_key(email)
        with acme.engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT kind, failures FROM sign_in_throttle WHERE key = :k"), {"k": key}
            ).one()
        assert tuple(row) == ("user", 10)


def test_attempts_at_the_same_moment_are_counted_one_after_the_other(
    acme: wb.Workspace, clock: Clock
) -> None:
    """Twelve wrong secrets at once: three are checked (and counted), the others wait."""
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: attempt(acme, MEMBER, WRONG, HOME), range(12)))
    assert answers.count(wrong(MEMBER)) == 3, answers
    assert answers.count("too many failed sign-ins; try again in 1 s") == 9, answers
    rows = store_state(acme)["sign_in_throttle"]
    assert sorted(r.split(", ")[1:3] for r in rows) == [["'address'", "3"], ["'user'", "3"]]


def test_a_success_forgets_the_failures_and_old_failures_are_forgotten(
    acme: wb.Workspace, clock: Clock
) -> None:
    for _ in range(2):
        attempt(acme, MEMBER, WRONG)
    assert attempt(acme, MEMBER, PASSWORD) == "ok"
    for _ in range(2):
        assert attempt(acme, MEMBER, WRONG) == wrong(MEMBER)
    assert attempt(acme, MEMBER, WRONG) == wrong(MEMBER), "the count started again"
    clock.advance(25 * 3600)
    for _ in range(2):  # a day later the three failures no longer count
        assert attempt(acme, MEMBER, WRONG) == wrong(MEMBER)
    assert attempt(acme, MEMBER, PASSWORD) == "ok"
    assert store_state(acme)["sign_in_throttle"] == [], "nothing kept after a success"


def test_an_address_is_throttled_across_user_names(acme: wb.Workspace, clock: Clock) -> None:
    names = [f"guess{n}@acme.example" for n in range(60)]
    for name in names[:10]:  # one failure each: no name is held back, the address is
        assert attempt(acme, name, WRONG, HOME) == wrong(name)
    assert attempt(acme, MEMBER, PASSWORD, HOME).startswith("too many failed sign-ins; try")
    assert attempt(acme, MEMBER, PASSWORD, AWAY) == "ok", "another address is not held back"
    assert attempt(acme, MEMBER, PASSWORD) == "ok", "nor a sign-in without an address"
    for name in names[10:50]:
        clock.advance(signin.ADDRESS_RULE.max_wait)
        assert attempt(acme, name, WRONG, HOME) == wrong(name)
    clock.advance(signin.ADDRESS_RULE.max_wait)
    assert attempt(acme, MEMBER, PASSWORD, HOME) == LOCKED
    assert attempt(acme, MEMBER, PASSWORD, "::ffff:203.0.113.7") == LOCKED, "the same address"
    assert acme.unlock_address(HOME) is True
    assert attempt(acme, MEMBER, PASSWORD, HOME) == "ok"
    assert acme.unlock_address(HOME) is False, "nothing left to lift"


def test_ipv6_addresses_count_by_their_network(acme: wb.Workspace, clock: Clock) -> None:
    for n in range(10):
        attempt(acme, f"guess{n}@acme.example", WRONG, f"2001:db8:1:2::{n + 1:x}")
    assert attempt(acme, MEMBER, PASSWORD, "2001:db8:1:2:ffff::9").startswith("too many")
    assert attempt(acme, MEMBER, PASSWORD, "2001:db8:1:3::1") == "ok"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not an address", "client address 'not an address' is not an IP address; give one"),
        ("", "client address '' is not an IP address"),
        (2130706433, "a client address must be a string such as '203.0.113.7', got a int"),
    ],
)
def test_a_bad_address_is_refused_before_anything_is_counted(
    acme: wb.Workspace, address: Any, message: str
) -> None:
    refused(
        acme,
        wb.InvalidValue,
        message,
        lambda: wb.connect(acme.url, user=MEMBER, secret=PASSWORD, address=address),
    )


def test_a_user_name_must_be_text(acme: wb.Workspace) -> None:
    refused(
        acme,
        wb.InvalidValue,
        "a user is named by an e-mail address \\(a string\\), got a int",
        lambda: wb.connect(acme.url, user=7, secret=PASSWORD),  # type: ignore[arg-type]
    )


# -- lifting a lockout ----------------------------------------------------------------------------


def lock(ws: wb.Workspace, clock: Clock, user: str) -> None:
    assert waits(ws, clock, user, WRONG) == THROTTLED


@pytest.fixture
def boss(acme: wb.Workspace) -> Iterator[wb.Workspace]:
    with wb.connect(acme.url, user=BOSS, secret=PASSWORD) as opened:
        yield opened


def test_admins_and_account_admins_unlock_users(
    acme: wb.Workspace, boss: wb.Workspace, clock: Clock
) -> None:
    lock(acme, clock, MEMBER)
    assert acme.unlock_user(MEMBER) is True
    assert attempt(acme, MEMBER, PASSWORD) == "ok"
    lock(acme, clock, MEMBER)
    assert boss.unlock_user(MEMBER) is True, "the account's account-admin may"
    assert attempt(acme, MEMBER, PASSWORD) == "ok"
    assert acme.unlock_user(MEMBER) is False, "nothing left to lift"


def test_who_may_not_unlock_is_refused_and_changes_nothing(
    acme: wb.Workspace, boss: wb.Workspace, clock: Clock
) -> None:
    acc.create_account(acme, "Beta")
    acc.add_user(acme, "bo@beta.example", "Beta", PASSWORD, ["account-admin"])
    acc.add_user(acme, ROOT_USER, "Acme", PASSWORD, ["admin"])
    lock(acme, clock, MEMBER)
    lock(acme, clock, ROOT_USER)
    with wb.connect(acme.url, user="bo@beta.example", secret=PASSWORD) as rival:
        refused(rival, wb.NotFound, "user not found: 'member@acme.example'", lambda: (
            rival.unlock_user(MEMBER)
        ))  # fmt: skip
        refused(rival, wb.AccessDenied, "only admins do", lambda: rival.unlock_address(HOME))
    refused(boss, wb.AccessDenied, "who holds admin; allowed: admins only", lambda: (
        boss.unlock_user(ROOT_USER)
    ))  # fmt: skip
    refused(boss, wb.NotFound, "user not found: 'nobody@acme.example'", lambda: (
        boss.unlock_user(STRANGER)
    ))  # fmt: skip
    refused(acme, wb.InvalidValue, "is not an IP address", lambda: acme.unlock_address("x"))
    assert attempt(acme, MEMBER, PASSWORD) == attempt(acme, ROOT_USER, PASSWORD) == LOCKED


# -- shared by every process, closed to plain SQL -------------------------------------------------


_FAIL_ONCE = """
import sys
import workbench as wb
try:
    wb.connect(sys.argv[1], user=sys.argv[2], secret="not the secret at all")
except wb.AccessDenied as exc:
    print(exc)
"""


def test_failures_in_other_processes_count(acme: wb.Workspace, clock: Clock) -> None:
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _FAIL_ONCE, acme.url, MEMBER],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
        assert done.stdout.strip() == wrong(MEMBER)
    clock.now = datetime.now(UTC)  # the other processes counted with the real clock
    assert attempt(acme, MEMBER, WRONG) == wrong(MEMBER)
    assert attempt(acme, MEMBER, PASSWORD).startswith("too many failed sign-ins; try again")


@pytest.mark.postgres
def test_users_cannot_read_or_clear_the_throttle_in_sql(pg_url: str, clock: Clock) -> None:
    require_postgres()
    with fresh_role_names() as names:
        t = build_tenants(pg_url, names)
        try:
            attempt(t.ws, "al@acme.example", WRONG)
            report = t.secure()
            assert report.policies["sign_in_throttle"] == 0
            assert "sign_in_throttle" not in report.closed  # in POLICIES: closed on purpose
            with t.sql("ana@acme.example") as conn:
                for sql in ("SELECT * FROM sign_in_throttle", "DELETE FROM sign_in_throttle"):
                    with pytest.raises(DENIED):
                        conn.execute(sql)
            assert len(store_state(t.ws)["sign_in_throttle"]) == 1
        finally:
            t.ws.close()


# -- the command line -----------------------------------------------------------------------------


def cli(url: str, *args: str, user: str = ADMIN, secret: str = SECRET) -> Result:
    env = {"WORKBENCH_URL": url, "WORKBENCH_USER": user, "WORKBENCH_SECRET": secret}
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_users_unlock(acme: wb.Workspace, clock: Clock) -> None:
    lock(acme, clock, MEMBER)
    done = cli(acme.url, "users", "unlock", MEMBER)
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == f"Unlocked {MEMBER}: its failed sign-ins are forgotten."
    assert attempt(acme, MEMBER, PASSWORD) == "ok"
    again = cli(acme.url, "users", "unlock", MEMBER)
    assert again.stdout.strip() == f"Nothing to unlock: {MEMBER} had no failed sign-ins."
    for n in range(50):
        clock.advance(signin.ADDRESS_RULE.max_wait)
        attempt(acme, f"guess{n}@acme.example", WRONG, HOME)
    assert attempt(acme, MEMBER, PASSWORD, HOME) == LOCKED
    done = cli(acme.url, "users", "unlock", "--address", HOME)
    assert done.stdout.strip() == f"Unlocked the address {HOME}: its failed sign-ins are forgotten."
    assert attempt(acme, MEMBER, PASSWORD, HOME) == "ok"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either a user's e-mail address or --address IP, not both"),
        ((MEMBER, "--address", HOME), "give either a user's e-mail address or --address IP"),
        (("--address", "somewhere"), "client address 'somewhere' is not an IP address"),
        ((STRANGER,), "user not found: 'nobody@acme.example'"),
    ],
)
def test_cli_users_unlock_refusals(acme: wb.Workspace, args: tuple[str, ...], message: str) -> None:
    before = store_state(acme)
    done = cli(acme.url, "users", "unlock", *args)
    assert done.exit_code == 1 and message in done.stderr, done.output
    assert store_state(acme) == before


def test_cli_a_member_may_not_unlock(acme: wb.Workspace, clock: Clock) -> None:
    lock(acme, clock, BOSS)
    done = cli(acme.url, "users", "unlock", BOSS, user=MEMBER, secret=PASSWORD)
    assert done.exit_code == 1 and "may not manage the users of account 'Acme'" in done.stderr
    assert attempt(acme, BOSS, PASSWORD) == LOCKED
