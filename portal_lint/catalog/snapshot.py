"""Catalog snapshots: `portal-lint catalog export` writes one, `--snapshot` reads it offline.

A snapshot keeps just enough of every entity to answer the entity index: its ref,
which location manages it, and a template's version. It records when and from where
it was taken (the base URL only, never a token) so that stale ones can be flagged.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from portal_lint.atomic import replacing
from portal_lint.catalog import CatalogError
from portal_lint.catalog.index import LOOKUP_FIELDS, TEMPLATE_VERSION_KEY, entity_facts

if TYPE_CHECKING:
    from portal_lint.catalog.client import CatalogClient

SNAPSHOT_VERSION: Final = 1


class SnapshotError(Exception):
    """A snapshot that cannot be written or read, as one line that says what to do."""


class SnapshotEntity(BaseModel):
    """One catalog entity as a snapshot keeps it."""

    model_config = ConfigDict(frozen=True)

    ref: str
    kind: str
    namespace: str
    name: str
    managed_by_location: str | None = None
    template_version: str | None = None
    lifecycle: str | None = None

    @model_validator(mode="after")
    def _ref_matches(self) -> SnapshotEntity:
        # A hand-edited ref that disagrees with its parts would make lookups lie.
        expected = f"{self.kind}:{self.namespace}/{self.name}".lower()
        if self.ref != expected:
            raise ValueError(f"ref {self.ref!r} should be {expected!r}")
        return self


class Snapshot(BaseModel):
    """The catalog as it was at `taken_at`, read from `source` (a base URL)."""

    version: Literal[1] = SNAPSHOT_VERSION
    taken_at: AwareDatetime
    source: str
    entities: list[SnapshotEntity]
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file it was loaded from, for messages; None when built in memory."""
        return self._path


def export_snapshot(
    client: CatalogClient,
    path: str | os.PathLike[str],
    template_version_key: str = TEMPLATE_VERSION_KEY,
    *,
    page_size: int = 500,
) -> int:
    """Stream every catalog entity into a snapshot at `path`; the number of entities written.

    The file appears complete or not at all (a temporary file renamed over `path`), so
    an interrupted export never leaves a truncated snapshot that looks valid.
    """
    target = Path(path)
    header = {"version": SNAPSHOT_VERSION, "taken_at": datetime.now(UTC).isoformat(), "source": client.url}
    count = 0
    try:
        with replacing(target) as out:
            # One entity a line: the file streams out and diffs readably.
            out.write(json.dumps(header)[:-1] + ', "entities": [')
            for entity in client.iter_entities(fields=LOOKUP_FIELDS, page_size=page_size):
                facts = entity_facts(entity, template_version_key)
                if facts is None:
                    raise CatalogError(
                        f"catalog at {client.url} listed an entity without kind or metadata.name: "
                        "check that --catalog-url is a Backstage backend",
                        "bad-response",
                    )
                item = SnapshotEntity(ref=facts.ref, **facts._asdict())
                out.write(("\n" if count == 0 else ",\n") + item.model_dump_json(exclude_none=True))
                count += 1
            out.write("\n]}\n")
    except OSError as exc:
        raise SnapshotError(f"cannot write snapshot {target}: {_os_text(exc)}") from None
    return count


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot written by `export_snapshot`; `SnapshotError` if it is not one."""
    source = Path(path)
    problem: str | None = None
    snapshot: Snapshot | None = None
    try:
        data = json.loads(source.read_bytes())
    except OSError as exc:
        problem = f"cannot be read ({_os_text(exc)})"
    except ValueError:
        problem = "is not valid JSON"
    else:
        if not isinstance(data, dict) or "entities" not in data:
            problem = "is not a portal-lint snapshot"
        elif data.get("version") != SNAPSHOT_VERSION:
            problem = (
                f"has version {data.get('version')!r}, this portal-lint reads version {SNAPSHOT_VERSION}"
            )
        else:
            try:
                snapshot = Snapshot.model_validate(data)
            except ValidationError as exc:
                problem = f"is damaged ({_first_error(exc)})"
    if snapshot is None:
        raise SnapshotError(
            f"snapshot {source} {problem}: write a new one with `portal-lint catalog export -o {source}`"
        )
    snapshot._path = source
    return snapshot


def age_warning(snapshot: Snapshot, max_age_days: int = 7, *, now: datetime | None = None) -> str | None:
    """A warning when the snapshot is older than `max_age_days`, else None."""
    age = (now or datetime.now(UTC)) - snapshot.taken_at
    if age <= timedelta(days=max_age_days):
        return None
    name = f"snapshot {snapshot.path}" if snapshot.path is not None else "the snapshot"
    return (
        f"{name} is {age.days} days old (taken {snapshot.taken_at:%Y-%m-%d} from {snapshot.source}): "
        "names taken or groups created since are not in it; refresh it with `portal-lint catalog export`"
    )


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def _os_text(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
