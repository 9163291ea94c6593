"""Workspace shortcuts for sensors, sources, beliefs, accounts and users.

The sensors, sources and beliefs come from :mod:`workbench.api.services` (records) and
:mod:`workbench.api.handles` (handles), the accounts from :mod:`~workbench.api.accounts`; these
methods make them reachable from the workspace a notebook already holds
(``ws.sensor("Model/Demo/PlantA:power")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from workbench.api.handles import sensors as sensor_handles
from workbench.api.handles.sensors import Sensor
from workbench.api.services import sensors as sensor_services
from workbench.api.services import sources as source_services

if TYPE_CHECKING:
    import xarray as xr

    from workbench.access import Role
    from workbench.api.accounts import AccountInfo, AccountRef, UserInfo, UserRef
    from workbench.api.context import Context
    from workbench.api.workspace import Workspace
    from workbench.beliefs.filters import TimeLike
    from workbench.beliefs.sources import Source

__all__ = ["DataOperations"]


class DataOperations:
    """Mixed into :class:`~workbench.api.workspace.Workspace`."""

    if TYPE_CHECKING:  # provided by the Workspace
        _ctx: Context

    @property
    def _self(self) -> Workspace:
        return cast("Workspace", self)

    # -- sensors and beliefs ----------------------------------------------------------------

    def sensor(self, key: int | str) -> Sensor:
        """A sensor by id, by ``object path:name`` or by catalog path (``Folder/name``)."""
        return Sensor(self._ctx, sensor_services.get_sensor(self._ctx, key))

    def sensors(self, catalog_path: str | None = None) -> list[Sensor]:
        """The sensors the user may read, all or those under a catalog folder."""
        return [Sensor(self._ctx, i) for i in sensor_services.list_sensors(self._ctx, catalog_path)]

    def catalog_folders(self) -> list[str]:
        """The resource catalog's folders that hold sensors the user may read."""
        return sensor_services.catalog_folders(self._ctx)

    def beliefs(
        self,
        sensors: Sequence[Sensor | int | str],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **filters: Any,
    ) -> xr.Dataset | dict[str, xr.Dataset]:
        """Several sensors' beliefs side by side; the filters of :meth:`Sensor.beliefs`."""
        return sensor_handles.beliefs(self._ctx, sensors, start, end, **filters)

    def source(self, key: int | str, type: str | None = None) -> Source:
        """A data source by id or name (and type, when several sources share a name)."""
        return source_services.get_source(self._ctx, key, type)

    def sources(self, type: str | None = None) -> list[Source]:
        """The data sources, all or of one type (``"meter"``, ``"forecaster"``, ...)."""
        return source_services.list_sources(self._ctx, type)

    # -- accounts and users -----------------------------------------------------------------

    def create_account(self, name: str, consultancy: AccountRef | None = None) -> AccountInfo:
        """Create an account (admins only), optionally served by a consultancy account."""
        from workbench.api.accounts import create_account

        return create_account(self._self, name, consultancy)

    def accounts(self) -> list[AccountInfo]:
        """The accounts the user may see."""
        from workbench.api.accounts import list_accounts

        return list_accounts(self._self)

    def add_user(
        self, email: str, account: AccountRef, secret: str, roles: Iterable[Role | str] = ()
    ) -> UserInfo:
        """Add a user to an account with a secret (kept only as an Argon2 hash) and roles."""
        from workbench.api.accounts import add_user

        return add_user(self._self, email, account, secret, roles)

    def users(self, account: AccountRef | None = None) -> list[UserInfo]:
        """The users the caller may see, all or of one account."""
        from workbench.api.accounts import list_users

        return list_users(self._self, account)

    def set_roles(self, user: UserRef, roles: Iterable[Role | str]) -> UserInfo:
        from workbench.api.accounts import set_roles

        return set_roles(self._self, user, roles)

    def set_consultancy(self, account: AccountRef, consultancy: AccountRef | None) -> AccountInfo:
        """Give an account a consultancy account, or (None) none; admins only."""
        from workbench.api.accounts import set_consultancy

        return set_consultancy(self._self, account, consultancy)
