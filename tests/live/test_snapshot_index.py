"""Snapshots and the entity index against the real backend: export, load, resolve offline and live."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backstage_backend import Backend, free_port
from catalog_helpers import assert_token_safe, fast_client
from faultproxy import Fault, FaultProxy

from portal_lint.catalog import CatalogError
from portal_lint.catalog.client import CatalogClient
from portal_lint.catalog.index import EntityIndex, Entry
from portal_lint.catalog.snapshot import (
    Snapshot,
    SnapshotEntity,
    SnapshotError,
    age_warning,
    export_snapshot,
    load_snapshot,
)

pytestmark = pytest.mark.live

OURS = "component:default/checkout-service"


@pytest.fixture
def client(backstage: Backend) -> Iterator[CatalogClient]:
    with fast_client(backstage.url, backstage.token) as c:
        yield c


@pytest.fixture
def snapshot_file(client: CatalogClient, tmp_path: Path) -> Path:
    path = tmp_path / "catalog-snapshot.json"
    export_snapshot(client, path, page_size=4)
    return path


def local() -> dict[str, Entry]:
    return {OURS: Entry(OURS, "repository", "url:https://git.example.com/shop/checkout/catalog-info.yaml")}


def test_export_streams_every_entity_and_loads_back(
    backstage: Backend, client: CatalogClient, tmp_path: Path
) -> None:
    path = tmp_path / "snap.json"
    count = export_snapshot(client, path, page_size=4)
    everything = list(client.iter_entities(fields=["kind"], page_size=1000))
    assert count == len(everything) >= 13
    snapshot = load_snapshot(path)
    assert snapshot.version == 1
    assert snapshot.source == backstage.url
    assert datetime.now(UTC) - snapshot.taken_at < timedelta(minutes=5)
    assert snapshot.path == path
    assert len(snapshot.entities) == count
    by_ref = {e.ref: e for e in snapshot.entities}
    template = by_ref["template:default/service-template"]
    assert template.template_version == "2.3.0"
    ledger = by_ref["component:finance/ledger-core"]
    assert (ledger.kind, ledger.namespace, ledger.name) == ("Component", "finance", "Ledger-Core")
    assert ledger.managed_by_location is not None
    assert ledger.managed_by_location.startswith("file:")
    assert ledger.managed_by_location.endswith("/seed/repos/ledger/catalog-info.yaml")
    text = path.read_text(encoding="utf-8")
    assert backstage.token not in text
    assert text.count("\n") == count + 2  # one entity a line
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]  # no temporary file left
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_snapshot_answers_offline(snapshot_file: Path) -> None:
    snapshot = load_snapshot(snapshot_file)
    index = EntityIndex(local(), snapshot)
    assert index.can_check_existence
    assert index.description == (
        f"this repository, snapshot catalog-snapshot.json (taken {snapshot.taken_at:%Y-%m-%d})"
    )
    found = index.resolve(
        [
            "Group:default/Team-Payments",
            OURS,
            "component:default/payments-api",
            "system:default/no-such-system",
        ]
    )
    group = found["Group:default/Team-Payments"]
    assert group is not None
    assert (group.ref, group.source) == ("group:default/team-payments", "snapshot")
    assert group.managed_by_location is not None and group.managed_by_location.endswith("/seed/org.yaml")
    assert found[OURS] == local()[OURS]
    payments = found["component:default/payments-api"]
    assert payments is not None and payments.source == "snapshot"
    assert payments.managed_by_location is not None
    assert payments.managed_by_location.endswith("/repos/payments-api/catalog-info.yaml")
    assert payments.template_version == "2.1.0"
    assert found["system:default/no-such-system"] is None


def test_repository_alone_cannot_check_existence() -> None:
    index = EntityIndex(local())
    assert not index.can_check_existence
    assert index.description == "this repository"
    assert index.resolve(["group:default/anything", OURS.upper()]) == {
        "group:default/anything": None,
        OURS.upper(): local()[OURS],
    }


def test_live_lookup_is_one_batched_request_and_cached(client: CatalogClient) -> None:
    index = EntityIndex(local(), client=client)
    assert index.can_check_existence
    assert index.description == f"this repository, catalog {client.url}"
    refs = [
        OURS,
        "template:default/SERVICE-TEMPLATE",
        "group:default/team-search",
        "group:default/ghost-team",
        "template:default/service-template",
    ]
    found = index.resolve(refs)
    assert client.request_count == 1
    assert found[OURS] == local()[OURS]
    template = found["template:default/SERVICE-TEMPLATE"]
    assert template == found["template:default/service-template"]
    assert template is not None
    assert (template.ref, template.source, template.template_version) == (
        "template:default/service-template",
        "catalog",
        "2.3.0",
    )
    assert found["group:default/ghost-team"] is None
    assert index.resolve(refs) == found
    assert client.request_count == 1  # hits and misses are remembered


def test_snapshot_first_then_live_for_the_rest(snapshot_file: Path, client: CatalogClient) -> None:
    index = EntityIndex(local(), load_snapshot(snapshot_file), client)
    before = client.request_count
    found = index.resolve(["group:default/platform", "group:default/created-after-the-snapshot"])
    assert found["group:default/platform"] is not None
    assert found["group:default/platform"].source == "snapshot"
    assert found["group:default/created-after-the-snapshot"] is None
    assert client.request_count == before + 1
    assert "catalog http://127.0.0.1:" in index.description


def test_name_taken_lookup_skips_this_repository(client: CatalogClient) -> None:
    mine = "component:default/payments-api"
    ours = {
        mine: Entry(mine, "repository", "url:https://git.example.com/shop/new-payments/catalog-info.yaml")
    }
    index = EntityIndex(ours, client=client)
    assert index.resolve([mine])[mine] == ours[mine]
    theirs = index.resolve([mine], include_local=False)[mine]
    assert theirs is not None and theirs.source == "catalog"
    assert theirs.managed_by_location is not None
    assert theirs.managed_by_location.endswith("/repos/payments-api/catalog-info.yaml")


def test_unreachable_catalog_fails_once_then_repeats_without_network() -> None:
    with fast_client(f"http://127.0.0.1:{free_port()}", "index-secret-token", retries=1) as c:
        index = EntityIndex(local(), client=c)
        with pytest.raises(CatalogError) as first:
            index.resolve(["group:default/platform"])
        assert first.value.kind == "unreachable"
        assert c.request_count == 2
        assert not index.can_check_existence
        assert index.description.endswith("(unavailable)")
        with pytest.raises(CatalogError) as again:
            index.resolve(["group:default/other"])
        assert str(again.value) == str(first.value)
        assert c.request_count == 2
        assert_token_safe(again.value, "index-secret-token")
        # What the repository knows still answers.
        assert index.resolve([OURS])[OURS] is not None


def test_failed_export_leaves_no_file(backstage: Backend, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text("previous snapshot", encoding="utf-8")
    with FaultProxy(backstage.url) as proxy, fast_client(proxy.url, backstage.token) as c:
        proxy.inject(Fault.TRUNCATE_PAGING, times=1)
        with pytest.raises(CatalogError) as info:
            export_snapshot(c, path, page_size=3)
    assert info.value.kind == "bad-response"
    assert path.read_text(encoding="utf-8") == "previous snapshot"
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]


def test_export_into_a_missing_directory_is_a_clear_error(client: CatalogClient, tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"cannot write snapshot .*: no such file or directory"):
        export_snapshot(client, tmp_path / "missing" / "snap.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read (no such file or directory)"),
        ("not json {", "is not valid JSON"),
        ('["a", "list"]', "is not a portal-lint snapshot"),
        ('{"version": 2, "entities": []}', "has version 2, this portal-lint reads version 1"),
        (
            '{"version": 1, "source": "x", "entities": []}',
            "is damaged (taken_at: Field required)",
        ),
        (
            '{"version": 1, "taken_at": "2026-11-20T10:00:00", "source": "x", "entities": []}',
            "is damaged (taken_at: Input should have timezone info)",
        ),
        (
            json.dumps(
                {
                    "version": 1,
                    "taken_at": "2026-11-20T10:00:00Z",
                    "source": "x",
                    "entities": [
                        {"ref": "group:default/b", "kind": "Group", "namespace": "default", "name": "a"}
                    ],
                }
            ),
            "is damaged (entities.0: Value error, ref 'group:default/b' should be 'group:default/a')",
        ),
    ],
)
def test_bad_snapshot_files_are_clear_errors(content: str | None, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    assert str(info.value) == (
        f"snapshot {path} {problem}: write a new one with `portal-lint catalog export -o {path}`"
    )


def test_age_warning() -> None:
    taken = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    snapshot = Snapshot(
        taken_at=taken,
        source="http://127.0.0.1:7007",
        entities=[SnapshotEntity(ref="group:default/a", kind="Group", namespace="default", name="a")],
    )
    assert age_warning(snapshot, now=taken + timedelta(days=7)) is None
    warning = age_warning(snapshot, now=taken + timedelta(days=12))
    assert warning == (
        "the snapshot is 12 days old (taken 2026-11-20 from http://127.0.0.1:7007): names taken or groups "
        "created since are not in it; refresh it with `portal-lint catalog export`"
    )
    assert age_warning(snapshot, max_age_days=30, now=taken + timedelta(days=12)) is None
