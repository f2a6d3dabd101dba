"""Which services one `portal-lint audit` covers.

Filters (`--owner`, `--kind`, `--lifecycle`, `--system`) become the catalog's own query
filter, so a team's audit asks the catalog for the team's services only and never pages
through the whole catalog. A shard (`--shard I/N`) is a stable share of those services, chosen
by a hash of the entity ref, so N machines can split an org-wide audit and `portal-lint audit
merge` can join their reports.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, NamedTuple

from portal_lint.refs import RefError, parse_ref

if TYPE_CHECKING:
    from portal_lint.catalog.client import CatalogClient

SOURCE_LOCATION = "backstage.io/source-location"
MANAGED_BY_LOCATION = "backstage.io/managed-by-location"

# option → (the catalog's filter key, the kind a bare name means; None: a plain value)
_FILTERS: dict[str, tuple[str, str | None]] = {
    "kind": ("kind", None),
    "owner": ("relations.ownedBy", "Group"),
    "lifecycle": ("spec.lifecycle", None),
    "system": ("relations.partOf", "System"),
}


class ScopeError(ValueError):
    """An option value that cannot become a filter or a shard: a usage error, exit 2."""


class Scope(NamedTuple):
    query: str  # the by-query `filter`: keys AND-ed, the values of one key OR-ed (Backstage's rule)
    shard: tuple[int, int] | None = None  # (0-based index, count)

    def covers(self, key: str) -> bool:
        """Whether the service keyed `key` (its entity ref, else its folder name) is this shard's."""
        return self.shard is None or shard_of(key, self.shard[1]) == self.shard[0]


def shard_of(key: str, count: int) -> int:
    """The shard of `key` among `count`: the same on every machine and every run (no salted hash)."""
    digest = hashlib.sha256(key.strip().lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def add_scope_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "which services", "catalog query filters, applied by the catalog; repeat an option or separate "
        "values with commas for any of them",
    )  # fmt: skip
    group.add_argument("--owner", action="append", default=[], metavar="GROUP",
                       help="owned by this group (a name or a ref such as group:default/team-a)")  # fmt: skip
    group.add_argument("--kind", action="append", default=[], metavar="KIND",
                       help="entities of this kind (default: Component)")  # fmt: skip
    group.add_argument("--lifecycle", action="append", default=[], metavar="LIFECYCLE",
                       help="with this spec.lifecycle, e.g. production")  # fmt: skip
    group.add_argument("--system", action="append", default=[], metavar="SYSTEM",
                       help="part of this system (a name or a ref)")  # fmt: skip
    group.add_argument("--shard", metavar="I/N",
                       help="only shard I of N (1-based), a stable split by entity ref; join the shards' "
                       "reports with `portal-lint audit merge`")  # fmt: skip
    group.add_argument("--locations", action="store_true",
                       help="print `ref<TAB>name<TAB>location` for each service in scope (its "
                       "source-location, else its managed-by-location) and lint nothing: what a shard's "
                       "job checks out before it runs the audit with --repos")  # fmt: skip


def scope_of(args: argparse.Namespace) -> Scope:
    given = {opt: _values(getattr(args, opt)) for opt in _FILTERS}
    given["kind"] = given["kind"] or ["Component"]
    parts = [f"{_FILTERS[opt][0]}={_value(opt, v)}" for opt, values in given.items() for v in values]
    return Scope(",".join(parts), parse_shard(args.shard) if args.shard is not None else None)


def parse_shard(text: str) -> tuple[int, int]:
    index, sep, count = text.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index) - 1, int(count)
    raise ScopeError(f"--shard {text}: write I/N with 1 <= I <= N, e.g. --shard 2/8")


def _values(given: Sequence[str]) -> list[str]:
    return [v.strip() for text in given for v in text.split(",") if v.strip()]


def _value(opt: str, text: str) -> str:
    kind = _FILTERS[opt][1]
    if "=" in text:
        raise ScopeError(f"--{opt} {text}: a filter value cannot contain `=`")
    if kind is None:
        return text.lower()
    try:
        return str(parse_ref(text, kind, "default")).lower()
    except RefError as exc:
        raise ScopeError(f"--{opt} {text}: {exc}") from None


def write_locations(out: IO[str], client: CatalogClient, scope: Scope) -> None:
    """One line a service in scope: its ref, name and where its repository is."""
    from portal_lint.catalog.index import entity_facts

    fields = ("kind", "metadata.name", "metadata.namespace", "metadata.annotations")
    for entity in client.iter_entities(filter=scope.query, fields=fields):
        facts = entity_facts(entity)
        if facts is None or not scope.covers(facts.ref):
            continue
        annotations = entity["metadata"].get("annotations") or {}
        where = annotations.get(SOURCE_LOCATION) or annotations.get(MANAGED_BY_LOCATION) or ""
        out.write(f"{facts.ref}\t{facts.name}\t{where}\n")
