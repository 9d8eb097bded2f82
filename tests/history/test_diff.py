"""``diff``: the pure comparison of two snapshots, one behaviour per test."""

from __future__ import annotations

from collections.abc import Sequence

from collector.report.diff import (
    ChangeKind,
    Changes,
    FindingRecord,
    FindingStatus,
    ObjectRecord,
    Snapshot,
    SourceRecord,
    diff,
    source_key,
)

LAB = SourceRecord("lab", "proxmox", True)
APPS = SourceRecord("apps", "docker", True)
EDGE = SourceRecord("edge", "docker", True)


def guest(vmid: int, node: str = "pve1", **kw: str | None) -> ObjectRecord:
    return ObjectRecord(
        f"pve:lab/qemu/{vmid}",
        "vm",
        f"vm{vmid}",
        parent=f"pve:lab/node/{node}",
        **({"state": "running", "role": "platform"} | kw),
    )


def container(engine: str, name: str, **kw: str | None) -> ObjectRecord:
    values = {"state": "running", "image": "nginx:1", "digest": "sha256:" + "a" * 64} | kw
    return ObjectRecord(
        f"docker:{engine}/{name}", "docker-container", name, parent=f"docker:{engine}", **values
    )


def snap(
    objects: list[ObjectRecord],
    findings: Sequence[FindingRecord] = (),
    sources: tuple[SourceRecord, ...] = (LAB, APPS, EDGE),
    at: str = "2026-11-23T06:00:00Z",
    run_id: int | None = None,
) -> Snapshot:
    return Snapshot(at, sources, tuple(objects), tuple(findings), run_id=run_id)


def finding(
    subject: str, rule: str = "service-in-vm", first_seen: str | None = None, waived: bool = False
) -> FindingRecord:
    return FindingRecord(rule, subject, "warning", f"{rule} on {subject}", first_seen, waived)


def kinds(changes: Changes | None) -> dict[str, str]:
    assert changes is not None
    return {c.id: c.kind.value for c in changes.objects}


def test_no_base_means_no_changes_section() -> None:
    assert diff(None, snap([guest(100)])) is None


def test_identical_runs_have_no_changes() -> None:
    base = snap([guest(100), container("apps", "web")], run_id=3)
    changes = diff(base, snap([guest(100), container("apps", "web")]))
    assert changes is not None and changes.empty and changes.objects == ()
    assert changes.base_run == 3


def test_added_removed_and_changed() -> None:
    base = snap([guest(100), guest(101), container("apps", "web")])
    now = snap([guest(100, state="stopped"), guest(102), container("apps", "web", image="nginx:2")])
    changes = diff(base, now)
    assert kinds(changes) == {
        "pve:lab/qemu/100": "changed",
        "pve:lab/qemu/101": "removed",
        "pve:lab/qemu/102": "added",
        "docker:apps/web": "changed",
    }
    assert changes is not None
    (web,) = [c for c in changes.objects if c.id == "docker:apps/web"]
    assert [(f.field, f.before, f.after) for f in web.fields] == [("image", "nginx:1", "nginx:2")]


def test_guest_migrated_to_another_node_is_moved() -> None:
    changes = diff(snap([guest(100, "pve1")]), snap([guest(100, "pve2")]))
    assert changes is not None
    (moved,) = changes.objects
    assert moved.kind is ChangeKind.MOVED
    assert [(f.field, f.before, f.after) for f in moved.fields] == [
        ("node", "pve:lab/node/pve1", "pve:lab/node/pve2")
    ]


def test_container_on_another_engine_is_moved_not_removed_and_added() -> None:
    base = snap([container("apps", "grafana"), container("apps", "web")])
    now = snap([container("edge", "grafana", image="grafana:11"), container("apps", "web")])
    changes = diff(base, now)
    assert changes is not None
    (moved,) = changes.objects
    assert moved.kind is ChangeKind.MOVED
    assert (moved.id, moved.previous_id) == ("docker:edge/grafana", "docker:apps/grafana")
    fields = {f.field: (f.before, f.after) for f in moved.fields}
    assert fields["engine"] == ("docker:apps", "docker:edge")
    assert fields["image"] == ("nginx:1", "grafana:11")


def test_ambiguous_container_names_are_not_paired() -> None:
    base = snap([container("apps", "db"), container("edge", "db")])
    now = snap(
        [container("media", "db")], sources=(LAB, APPS, EDGE, SourceRecord("media", "docker", True))
    )
    assert kinds(diff(base, now)) == {
        "docker:apps/db": "removed",
        "docker:edge/db": "removed",
        "docker:media/db": "added",
    }


def test_image_digest_change_alone_is_a_change() -> None:
    now = snap([container("apps", "web", digest="sha256:" + "b" * 64)])
    changes = diff(snap([container("apps", "web")]), now)
    assert changes is not None
    (web,) = changes.objects
    assert [f.field for f in web.fields] == ["digest"]


def test_owner_change_is_reported() -> None:
    changes = diff(snap([guest(100, owner="alice")]), snap([guest(100, owner="bob")]))
    assert changes is not None
    assert [(f.field, f.before, f.after) for f in changes.objects[0].fields] == [
        ("owner", "alice", "bob")
    ]


def test_incomplete_source_hides_removals_of_its_objects_only() -> None:
    base = snap([guest(100), container("apps", "web"), container("edge", "proxy")])
    failed = SourceRecord("apps", "docker", False, "connection refused")
    now = snap([guest(100)], sources=(LAB, failed, EDGE))
    changes = diff(base, now)
    assert kinds(changes) == {"docker:edge/proxy": "removed"}  # edge answered: proxy is gone
    assert changes is not None and changes.unknown_sources == ("docker:apps",)


def test_value_that_became_unknown_in_an_incomplete_run_is_not_a_change() -> None:
    offline = SourceRecord("lab", "proxmox", False)
    now = snap([guest(100, state="unknown")], sources=(offline, APPS, EDGE))
    assert kinds(diff(snap([guest(100)]), now)) == {}
    # In a complete run the same value is a real change.
    assert kinds(diff(snap([guest(100)]), snap([guest(100, state="unknown")]))) == {
        "pve:lab/qemu/100": "changed"
    }


def test_objects_of_a_source_incomplete_in_the_base_are_not_added() -> None:
    failed = SourceRecord("apps", "docker", False, "timeout")
    base = snap([guest(100)], sources=(LAB, failed, EDGE))
    assert kinds(diff(base, snap([guest(100), container("apps", "web")]))) == {}


def test_same_source_name_in_pve_and_docker_is_told_apart() -> None:
    assert source_key("pve:lab/qemu/100") == "pve:lab"
    assert source_key("docker:lab/web") == "docker:lab"
    assert source_key("docker:lab") == "docker:lab"
    assert source_key("config") is None
    failed_docker_lab = SourceRecord("lab", "docker", False)
    base = snap(
        [guest(100), container("lab", "web")], sources=(LAB, SourceRecord("lab", "docker", True))
    )
    now = snap([], sources=(LAB, failed_docker_lab))
    assert kinds(diff(base, now)) == {"pve:lab/qemu/100": "removed"}


def test_findings_new_resolved_persisting_with_first_seen() -> None:
    base = snap(
        [guest(100)],
        [
            finding("pve:lab/qemu/100", first_seen="2026-10-05T06:00:00Z"),
            finding("pve:lab/qemu/101", first_seen="2026-11-16T06:00:00Z"),
        ],
    )
    now = snap(
        [guest(100)],
        [
            finding("pve:lab/qemu/100", first_seen="2026-10-05T06:00:00Z"),
            finding("pve:lab/qemu/102"),
        ],
        at="2026-11-30T06:00:00Z",
    )
    changes = diff(base, now)
    assert changes is not None
    got = {(f.status.value, f.subject, f.first_seen) for f in changes.findings}
    assert got == {
        ("new", "pve:lab/qemu/102", "2026-11-30T06:00:00Z"),
        ("resolved", "pve:lab/qemu/101", "2026-11-16T06:00:00Z"),
        ("persisting", "pve:lab/qemu/100", "2026-10-05T06:00:00Z"),
    }
    assert [f.status for f in changes.findings] == [
        FindingStatus.NEW,
        FindingStatus.RESOLVED,
        FindingStatus.PERSISTING,
    ]
    assert not changes.empty


def test_only_persisting_findings_is_an_empty_change() -> None:
    base = snap([guest(100)], [finding("pve:lab/qemu/100")])
    changes = diff(base, snap([guest(100)], [finding("pve:lab/qemu/100")]))
    assert changes is not None and changes.empty


def test_finding_of_an_unreachable_source_is_not_resolved() -> None:
    base = snap([], [finding("docker:apps/web", rule="healthcheck-missing")])
    failed = SourceRecord("apps", "docker", False)
    changes = diff(base, snap([], sources=(LAB, failed, EDGE)))
    assert changes is not None and changes.findings == ()


def test_waived_finding_is_reported_as_waived_then_silent() -> None:
    base = snap([guest(100)], [finding("pve:lab/qemu/100")])
    waived = snap([guest(100)], [finding("pve:lab/qemu/100", waived=True)])
    changes = diff(base, waived)
    assert changes is not None
    assert [(f.status, f.subject) for f in changes.findings] == [
        (FindingStatus.WAIVED, "pve:lab/qemu/100")
    ]
    still = diff(waived, waived)
    assert still is not None and still.findings == () and still.empty


# -- pinned by mutation testing (docs/testing.md): each test fails on a small deliberate bug -----


def test_source_keys() -> None:
    from collector.report.diff import source_key_of

    assert source_key("pve:") is None  # no source name
    assert source_key("podman:lab/web") is None  # not a source kind the history knows
    assert source_key("pbs:backup/datastore/tank") == "pbs:backup"
    assert source_key_of("proxmox", "lab") == "pve:lab"
    assert source_key_of("docker", "lab") == "docker:lab"
    assert SourceRecord("lab", "proxmox", True).key == "pve:lab"


def test_a_moved_container_lists_the_engine_once_then_its_other_changes() -> None:
    base = snap([container("apps", "grafana", digest=None)])
    now = snap([container("edge", "grafana", image="grafana:11")])
    changes = diff(base, now)
    assert changes is not None
    (moved,) = changes.objects
    assert (moved.kind, moved.id, moved.form, moved.name, moved.previous_id) == (
        ChangeKind.MOVED,
        "docker:edge/grafana",
        "docker-container",
        "grafana",
        "docker:apps/grafana",
    )
    assert [(f.field, f.before, f.after) for f in moved.fields] == [
        ("engine", "docker:apps", "docker:edge"),
        ("image", "nginx:1", "grafana:11"),
        ("digest", None, "sha256:" + "a" * 64),  # known now, unknown before: a change
    ]


def test_a_moved_container_whose_state_became_unknown_in_an_incomplete_run() -> None:
    failed_lab = SourceRecord("lab", "proxmox", False)
    base = snap([container("apps", "grafana")])
    now = snap([container("edge", "grafana", state="unknown")], sources=(failed_lab, APPS, EDGE))
    changes = diff(base, now)
    assert changes is not None
    (moved,) = changes.objects
    assert [f.field for f in moved.fields] == ["engine"]


def test_unknown_before_is_a_change_unless_the_older_run_was_incomplete() -> None:
    before, after = guest(100, state=None, image=None), guest(100, state="running", image="x")
    complete = diff(snap([before]), snap([after]))
    assert complete is not None
    assert [(f.field, f.before, f.after) for f in complete.objects[0].fields] == [
        ("state", None, "running"),
        ("image", None, "x"),
    ]
    incomplete = snap([before], sources=(SourceRecord("lab", "proxmox", False), APPS, EDGE))
    assert kinds(diff(incomplete, snap([after]))) == {}
    # A known value that changed is a change even when the older run was incomplete.
    known = snap([guest(100, state="running")], sources=incomplete.sources)
    again = diff(known, snap([guest(100, state="stopped")]))
    assert again is not None
    assert [(f.field, f.before, f.after) for f in again.objects[0].fields] == [
        ("state", "running", "stopped")
    ]


def test_a_value_that_became_unknown_does_not_hide_the_next_change() -> None:
    offline = SourceRecord("lab", "proxmox", False)
    now = snap([guest(100, state="unknown", owner="bob")], sources=(offline, APPS, EDGE))
    changes = diff(snap([guest(100, owner="alice")]), now)
    assert changes is not None
    assert [(f.field, f.before, f.after) for f in changes.objects[0].fields] == [
        ("owner", "alice", "bob")
    ]


def test_first_seen_comes_from_the_finding_then_the_base_then_the_run() -> None:
    base = snap(
        [],
        [
            finding("pve:lab/qemu/100", first_seen="2026-10-01T06:00:00Z"),
            finding("pve:lab/qemu/101", first_seen="2026-10-02T06:00:00Z"),
            finding("pve:lab/qemu/102"),
        ],
        at="2026-11-23T06:00:00Z",
    )
    now = snap(
        [],
        [
            finding("pve:lab/qemu/100", first_seen="2026-11-01T06:00:00Z"),
            finding("pve:lab/qemu/101"),
            finding("pve:lab/qemu/102"),
            finding("pve:lab/qemu/103"),
        ],
        at="2026-11-30T06:00:00Z",
    )
    changes = diff(base, now)
    assert changes is not None
    assert {f.subject: f.first_seen for f in changes.findings} == {
        "pve:lab/qemu/100": "2026-11-01T06:00:00Z",  # the store's own record wins
        "pve:lab/qemu/101": "2026-10-02T06:00:00Z",  # else the older run's
        "pve:lab/qemu/102": "2026-11-23T06:00:00Z",  # else the older run itself
        "pve:lab/qemu/103": "2026-11-30T06:00:00Z",  # new: this run
    }


def test_findings_of_one_status_are_ordered_by_severity_then_rule_then_subject() -> None:
    def record(subject: str, severity: str, rule: str = "r") -> FindingRecord:
        return FindingRecord(rule, subject, severity, "m")

    now = snap(
        [],
        [
            record("pve:lab/qemu/1", "info"),
            record("pve:lab/qemu/2", "critical"),  # unknown to this version: last
            record("pve:lab/qemu/3", "error", rule="b"),
            record("pve:lab/qemu/4", "warning"),
            record("pve:lab/qemu/5", "error", rule="a"),
            record("pve:lab/qemu/0", "error", rule="a"),
        ],
    )
    changes = diff(snap([]), now)
    assert changes is not None
    assert [f.subject.rsplit("/", 1)[1] for f in changes.findings] == ["0", "5", "3", "4", "1", "2"]


def test_an_unknown_before_in_an_incomplete_base_does_not_hide_later_changes() -> None:
    incomplete = (SourceRecord("lab", "proxmox", False), APPS, EDGE)
    base = snap([guest(100, state=None, owner="alice")], sources=incomplete)
    changes = diff(base, snap([guest(100, owner="bob")]))
    assert changes is not None
    assert [(f.field, f.before, f.after) for f in changes.objects[0].fields] == [
        ("owner", "alice", "bob")
    ]


def test_a_form_the_history_does_not_know_still_moves_by_its_parent() -> None:
    """A record written by another version (a form missing from the parent-field table): its
    parent changing is a move, reported under the plain name "parent"."""

    def pod(parent: str) -> ObjectRecord:
        return ObjectRecord("docker:apps/pod-a", "pod", "pod-a", parent=parent, state="running")

    changes = diff(snap([pod("docker:apps")]), snap([pod("docker:apps/other")]))
    assert changes is not None
    (moved,) = changes.objects
    assert moved.kind is ChangeKind.MOVED
    assert [(f.field, f.before, f.after) for f in moved.fields] == [
        ("parent", "docker:apps", "docker:apps/other")
    ]


def test_declaration_findings_are_not_resolved_while_a_declared_system_is_unknown() -> None:
    from collector.report.declared_changes import DeclaredRecord

    def declared(status: str) -> tuple[DeclaredRecord, ...]:
        return (DeclaredRecord("declared:compose/wiki@apps", "wiki", "compose", status),)

    missing = finding("declared:compose/wiki@apps", rule="declared-missing")
    other = finding("pve:lab/qemu/100")
    base = Snapshot("2026-11-19T06:00:00Z", (LAB, APPS, EDGE), (), (missing, other))
    unknown = Snapshot(
        "2026-11-26T06:00:00Z", (LAB, APPS, EDGE), (), (), declared=declared("unknown")
    )
    changes = diff(base, unknown)
    assert changes is not None
    # The rule could not have fired for wiki: not resolved. The other finding is.
    assert [(f.status, f.subject) for f in changes.findings] == [
        (FindingStatus.RESOLVED, "pve:lab/qemu/100")
    ]
    seen = Snapshot("2026-11-26T06:00:00Z", (LAB, APPS, EDGE), (), (), declared=declared("ok"))
    again = diff(base, seen)
    assert again is not None
    assert [(f.status, f.subject) for f in again.findings] == [
        (FindingStatus.RESOLVED, "declared:compose/wiki@apps"),
        (FindingStatus.RESOLVED, "pve:lab/qemu/100"),
    ]


def test_a_declared_system_that_changed_status_is_a_change() -> None:
    from collector.report.declared_changes import DeclaredRecord

    def run(status: str, at: str) -> Snapshot:
        wiki = DeclaredRecord("declared:compose/wiki@apps", "wiki", "compose", status)
        return Snapshot(at, (LAB, APPS, EDGE), (), (), declared=(wiki,))

    changes = diff(run("ok", "2026-11-19T06:00:00Z"), run("missing", "2026-11-26T06:00:00Z"))
    assert changes is not None
    assert [(c.name, c.what) for c in changes.declared] == [("wiki", "went missing")]
    assert not changes.empty
