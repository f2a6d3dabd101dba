"""Where an entity reference points: this repository, a snapshot file, or the live catalog.

Import-light on purpose: the offline path (repository entries only) loads neither
httpx nor pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from portal_lint.catalog import CatalogError

if TYPE_CHECKING:
    from portal_lint.catalog.client import CatalogClient
    from portal_lint.catalog.snapshot import Snapshot

Source = Literal["repository", "snapshot", "catalog"]

TEMPLATE_VERSION_KEY = "backstage.io/template-version"
MANAGED_BY_LOCATION = "backstage.io/managed-by-location"
# All a lookup needs; annotations cannot be narrowed further (their keys hold dots).
LOOKUP_FIELDS = ("kind", "metadata.name", "metadata.namespace", "metadata.annotations", "spec.lifecycle")


@dataclass(frozen=True, slots=True)
class Entry:
    """One entity that exists somewhere, and which location manages it."""

    ref: str  # lower-cased kind:namespace/name, as Backstage keys it
    source: Source
    managed_by_location: str | None = None
    template_version: str | None = None
    lifecycle: str | None = None  # relation rules (what production may depend on) read it


class EntityFacts(NamedTuple):
    """What the index and snapshots keep of a catalog entity."""

    kind: str
    namespace: str
    name: str
    managed_by_location: str | None
    template_version: str | None
    lifecycle: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}".lower()


def entity_facts(
    entity: Mapping[str, Any], template_version_key: str = TEMPLATE_VERSION_KEY
) -> EntityFacts | None:
    """The facts of an entity as the catalog returns it; None if it has no kind or name."""
    kind = entity.get("kind")
    metadata = entity.get("metadata")
    if not isinstance(kind, str) or not kind or not isinstance(metadata, Mapping):
        return None
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        return None
    namespace = metadata.get("namespace")
    annotations = metadata.get("annotations")
    if not isinstance(annotations, Mapping):
        annotations = {}
    location = annotations.get(MANAGED_BY_LOCATION)
    version = annotations.get(template_version_key)
    spec = entity.get("spec")
    lifecycle = spec.get("lifecycle") if isinstance(spec, Mapping) else None
    return EntityFacts(
        kind=kind,
        namespace=namespace if isinstance(namespace, str) and namespace else "default",
        name=name,
        managed_by_location=location if isinstance(location, str) else None,
        template_version=version if isinstance(version, str) else None,
        lifecycle=lifecycle if isinstance(lifecycle, str) else None,
    )


class EntityIndex:
    """Answers "does kind:namespace/name exist, where, and which location manages it?".

    Sources are asked in order: this repository's entities, the snapshot, then the live
    catalog in one batched lookup for whatever is left. Refs compare case-insensitively.
    `None` in an answer means "not found" only when `can_check_existence` is true;
    otherwise it means "unknown".
    """

    def __init__(
        self,
        local: Mapping[str, Entry] | None = None,
        snapshot: Snapshot | None = None,
        client: CatalogClient | None = None,
        *,
        template_version_key: str = TEMPLATE_VERSION_KEY,
        location: str | None = None,
    ) -> None:
        self._local = {ref.lower(): entry for ref, entry in (local or {}).items()}
        self.snapshot = snapshot
        self.client = client
        self.template_version_key = template_version_key
        # This repository's own `backstage.io/managed-by-location` when given (--location):
        # entities the catalog holds under that location are ours, not a name clash.
        self.location = location
        # The first failure of the live catalog; later lookups repeat it without
        # another round of timeouts.
        self.live_error: CatalogError | None = None
        self._snapshot_entries: dict[str, Entry] | None = None
        self._live: dict[str, Entry | None] = {}

    @property
    def can_check_existence(self) -> bool:
        """Whether a miss means "exists nowhere": the repository alone is not a catalog."""
        return self.snapshot is not None or (self.client is not None and self.live_error is None)

    @property
    def description(self) -> str:
        """Where lookups look, for messages: "this repository, snapshot s.json (taken …), catalog …"."""
        parts = ["this repository"]
        if self.snapshot is not None:
            name = self.snapshot.path.name if self.snapshot.path is not None else "file"
            parts.append(f"snapshot {name} (taken {self.snapshot.taken_at:%Y-%m-%d})")
        if self.client is not None:
            unavailable = " (unavailable)" if self.live_error is not None else ""
            parts.append(f"catalog {self.client.url}{unavailable}")
        return ", ".join(parts)

    def resolve(
        self, refs: Iterable[str], *, include_local: bool = True, live: bool = True
    ) -> dict[str, Entry | None]:
        """Each ref (keyed as given) to where it exists, or None.

        `include_local=False` skips this repository's own entities, to learn what the
        catalog holds under the same names (who else manages them); `live=False` answers
        from what is already known, without asking the catalog. Raises `CatalogError`
        when the live catalog is needed and fails.
        """
        keys = {ref: ref.lower() for ref in refs}
        client = self.client if live else None
        found: dict[str, Entry | None] = {}
        pending: list[str] = []
        for key in dict.fromkeys(keys.values()):
            entry = self._local.get(key) if include_local else None
            if entry is None:
                entry = self._snapshot_index().get(key)
            if entry is None and client is not None and key not in self._live:
                pending.append(key)
            else:
                found[key] = entry if entry is not None else self._live.get(key)
        if pending and client is not None:
            self._lookup_live(client, pending)
            found.update((key, self._live[key]) for key in pending)
        return {ref: found[key] for ref, key in keys.items()}

    def _snapshot_index(self) -> dict[str, Entry]:
        if self._snapshot_entries is None:
            entities = self.snapshot.entities if self.snapshot is not None else []
            self._snapshot_entries = {
                e.ref.lower(): Entry(
                    e.ref.lower(), "snapshot", e.managed_by_location, e.template_version, e.lifecycle
                )
                for e in entities
            }
        return self._snapshot_entries

    def _lookup_live(self, client: CatalogClient, keys: list[str]) -> None:
        if self.live_error is not None:
            raise CatalogError(self.live_error.message, self.live_error.kind)
        try:
            entities = client.get_by_refs(keys, LOOKUP_FIELDS)
        except CatalogError as exc:
            self.live_error = exc
            raise
        for key, entity in zip(keys, entities, strict=True):
            facts = entity_facts(entity, self.template_version_key) if entity is not None else None
            if entity is None:
                self._live[key] = None
            elif facts is None:
                self._live[key] = Entry(key, "catalog")
            else:
                self._live[key] = Entry(
                    key, "catalog", facts.managed_by_location, facts.template_version, facts.lifecycle
                )
