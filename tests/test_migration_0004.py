"""Revision 0004: virtual-series names unique per account (and among public series), on SQLite
and PostgreSQL; the series a store holds are kept, and downgrading brings back the store-wide
rule when the names allow it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from workbench.errors import StoreError
from workbench.store import create_store_engine, migrate

INSERT = sa.text(
    "INSERT INTO virtual_series (account_id, relative_to_id, name, catalog_path, expression, "
    "unit, timezone, resolution_us) VALUES (:a, NULL, :n, :f, '@t(''x'')', '', 'UTC', 0)"
)


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    """A store at revision 0003 with accounts 1 and 2 and three series named Total: in folder
    Hydro of account 1, Wind of account 2, Sun of nobody (public)."""
    made = create_store_engine(store_url)
    migrate.upgrade(made, "0003")
    with made.begin() as conn:
        conn.execute(sa.text("INSERT INTO accounts (id, name) VALUES (1, 'Acme'), (2, 'Beta')"))
        for account, folder in ((1, "Hydro"), (2, "Wind"), (None, "Sun")):
            conn.execute(INSERT, {"a": account, "n": "Total", "f": folder})
    yield made
    made.dispose()


def _add(
    engine: sa.Engine, account: int | None, name: str = "Total", folder: str = "Hydro"
) -> None:
    with engine.begin() as conn:
        conn.execute(INSERT, {"a": account, "n": name, "f": folder})


def _series(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        query = "SELECT account_id, catalog_path, name FROM virtual_series ORDER BY id"
        return [tuple(r) for r in conn.execute(sa.text(query))]


def test_0003_holds_one_name_per_folder_in_the_whole_store(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        _add(engine, 2, folder="Wind")  # Beta's own name, but the store's too


def test_0004_holds_one_name_per_folder_per_account_and_among_public_ones(
    engine: sa.Engine,
) -> None:
    before = _series(engine)
    assert migrate.upgrade(engine, "0004") == "0004"
    assert _series(engine) == before
    _add(engine, 2)  # Beta's Hydro/Total beside Acme's
    _add(engine, 1, folder="Wind")
    _add(engine, 1, folder="Sun")  # the library keeps an account's from a public one's name
    _add(engine, None, folder="Wind")  # public names are unique among public ones only
    for account, folder in ((1, "Hydro"), (2, "Hydro"), (None, "Sun"), (None, "Wind")):
        with pytest.raises(sa.exc.IntegrityError):
            _add(engine, account, folder=folder)
    assert len(_series(engine)) == len(before) + 4


def test_downgrading_0004_brings_the_store_wide_rule_back(engine: sa.Engine) -> None:
    migrate.upgrade(engine, "0004")
    _add(engine, 2)
    with pytest.raises(StoreError, match="downgrade of the store .* failed"):
        migrate.downgrade(engine, "0003")  # two Hydro/Total of different accounts
    assert migrate.current(engine) == "0004"  # nothing changed
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM virtual_series WHERE account_id = 2 AND catalog_path = 'Hydro'")
        )
    assert migrate.downgrade(engine, "0003") == "0003"
    with pytest.raises(sa.exc.IntegrityError):
        _add(engine, 2)
    assert migrate.upgrade(engine, "0004") == "0004"  # and up again, on the restored rule
    _add(engine, 2)
