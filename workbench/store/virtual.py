"""Queries of virtual series: by folder and name, under a folder, and whether a name is taken.

Plain functions of a session, never committing, used by the virtual-series services
(:mod:`workbench.api.services.calc.virtual`) and the calculation resolver. ``visible`` is the set
of accounts whose series the caller may read (None: all of them); a public series (no account)
is visible to everyone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from workbench.store.schema import Account
from workbench.store.timeseries import VirtualSeriesRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workbench.store.objects import Visible

__all__ = [
    "account_names",
    "virtual_name_taken",
    "virtual_rows_at",
    "virtual_rows_in_folders",
    "virtual_rows_under",
]


def virtual_name_taken(s: Session, folder: str, name: str, account_id: int | None) -> bool:
    """Whether ``name`` is taken in ``folder`` for a new series of ``account_id``: by a series of
    that account or a public one; a public series (``account_id`` None) by any series."""
    query = select(VirtualSeriesRow.id).where(
        VirtualSeriesRow.catalog_path == folder, VirtualSeriesRow.name == name
    )
    if account_id is not None:
        query = query.where(
            VirtualSeriesRow.account_id.is_(None) | (VirtualSeriesRow.account_id == account_id)
        )
    return s.scalar(query.limit(1)) is not None


def virtual_rows_at(s: Session, folder: str, name: str) -> list[VirtualSeriesRow]:
    """The series named ``name`` in ``folder``, of every account, by id."""
    query = select(VirtualSeriesRow).where(
        VirtualSeriesRow.catalog_path == folder, VirtualSeriesRow.name == name
    )
    return list(s.scalars(query.order_by(VirtualSeriesRow.id)))


def virtual_rows_under(s: Session, folder: str | None) -> list[VirtualSeriesRow]:
    """The series in ``folder`` and below it, of every account (all of them when None)."""
    query = select(VirtualSeriesRow)
    if folder is not None:
        query = query.where(
            (VirtualSeriesRow.catalog_path == folder)
            | VirtualSeriesRow.catalog_path.startswith(folder + "/", autoescape=True)
        )
    return list(s.scalars(query))


def virtual_rows_in_folders(
    s: Session, folders: Sequence[str], visible: Visible
) -> list[VirtualSeriesRow]:
    """The series the caller may read in these folders (not below them)."""
    query = select(VirtualSeriesRow).where(VirtualSeriesRow.catalog_path.in_(list(folders)))
    if visible is not None:
        query = query.where(
            VirtualSeriesRow.account_id.is_(None)
            | VirtualSeriesRow.account_id.in_(sorted(visible))
        )
    return list(s.scalars(query))


def account_names(s: Session, ids: Collection[int]) -> dict[int, str]:
    """The names of these accounts, by id."""
    query = select(Account.id, Account.name).where(Account.id.in_(list(ids)))
    return {i: n for i, n in s.execute(query)}
