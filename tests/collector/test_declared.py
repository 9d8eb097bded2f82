"""Declared systems matched to what runs (``collector.correlation.declared``), and the findings.

Each test builds a small lab from model values, declares systems and checks the match: its
status, what it found, the mismatches, and what the declaration gives classification and
ownership. The rules are checked through ``evaluate`` on the same inventories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from collector.config import DockerConfig
from collector.correlation.classify import ClassifyRule
from collector.correlation.declared import DeclaredSystem, MismatchKind, Status, SystemMatch
from collector.correlation.inventory import Inventory, build_inventory, layer_of_id
from collector.correlation.placement import PlacementHints
from collector.correlation.running import SystemForm
from collector.model import (
    Cluster,
    Container,
    Engine,
    Form,
    Guest,
    Node,
    Role,
    SourceKind,
    SourceResult,
    SourceStatus,
)
from collector.rules import default_rule_settings, evaluate
from collector.rules.waivers import Waiver

VM, LXC, CONTAINER, COMPOSE, POD = (
    SystemForm.VM,
    SystemForm.LXC,
    SystemForm.CONTAINER,
    SystemForm.COMPOSE,
    SystemForm.POD,
)


def guest(vmid: int, name: str, node: str = "pve1", *, form: Form = Form.VM, **kw: object) -> Guest:
    kind = "qemu" if form is Form.VM else "lxc"
    return Guest(f"pve:lab/{kind}/{vmid}", "lab", node, vmid, name, form,
                 str(kw.pop("status", "running")), **kw)  # type: ignore[arg-type]  # fmt: skip


def container(engine: str, name: str, labels: Mapping[str, str] | None = None,
              state: str = "running") -> Container:  # fmt: skip
    return Container(
        f"docker:{engine}/{name}", engine, name, name, "img:1", None, None, state, None,
        "always", 0, "json-file", {}, dict(labels or {}),
    )  # fmt: skip


def compose(project: str) -> dict[str, str]:
    return {"com.docker.compose.project": project, "com.docker.compose.service": "x"}


def cluster(*guests: Guest, complete: bool = True) -> SourceResult:
    nodes = tuple(Node(f"pve:lab/node/{n}", "lab", n, True) for n in ("pve1", "pve2"))
    status = SourceStatus("lab", SourceKind.PROXMOX, complete)
    return SourceResult(
        status, cluster=Cluster("pve:lab", "lab", "lab", nodes=nodes, guests=guests)
    )


def engine(name: str, *containers: Container, hostname: str | None = None) -> SourceResult:
    status = SourceStatus(name, SourceKind.DOCKER, True)
    return SourceResult(
        status, engine=Engine(f"docker:{name}", name, name, f"ssh://{name}", hostname=hostname,
                              containers=containers)
    )  # fmt: skip


def failed(name: str, kind: SourceKind = SourceKind.DOCKER) -> SourceResult:
    return SourceResult(SourceStatus.failed(name, kind, "cannot connect"))


def declare(name: str, form: SystemForm, **kw: object) -> DeclaredSystem:
    return DeclaredSystem(name, form, origin=f"A.md:{len(name)}", **kw)  # type: ignore[arg-type]


def lab(
    results: Sequence[SourceResult],
    *systems: DeclaredSystem,
    docker: Sequence[PlacementHints] = (),
    classify: Sequence[ClassifyRule] = (),
) -> Inventory:
    return build_inventory(results, docker=docker, classify=classify, systems=systems)


def matches(inventory: Inventory) -> list[SystemMatch]:
    assert inventory.declared is not None
    return list(inventory.declared.matches)


def only(inventory: Inventory) -> SystemMatch:
    (match,) = matches(inventory)
    return match


def findings(inventory: Inventory) -> set[tuple[str, str]]:
    declaration = {"declared-missing", "declared-ambiguous", "form-mismatch", "host-mismatch",
                   "owner-mismatch", "undeclared"}  # fmt: skip
    return {(f.rule, f.subject) for f in evaluate(inventory) if f.rule in declaration}


def on_guest(engine_name: str, where: str) -> DockerConfig:
    """A ``[[docker]]`` entry that places the engine on a guest (``lab/qemu/110``)."""
    return DockerConfig(engine_name, f"ssh://{engine_name}", guest=where)


# --- found, and what the declaration gives ------------------------------------------------------


def test_a_declared_vm_found_by_name_is_ok_and_its_role_and_owner_come_first() -> None:
    opnsense = guest(100, "opnsense", tags=("owner-alice", "service"))
    inv = lab([cluster(opnsense)], declare("OPNsense", VM, host="pve1", role=Role.PLATFORM,
                                           owner="alice"))  # fmt: skip
    match = only(inv)
    assert (match.status, [r.id for r in match.found]) == (Status.OK, ["pve:lab/qemu/100"])
    # The declaration beats the 'service' tag; its owner beats the (agreeing) owner tag.
    assert inv.roles[opnsense.id].role is Role.PLATFORM
    assert inv.roles[opnsense.id].reason == "declared in A.md:8"
    owner = inv.owners[opnsense.id]
    assert owner is not None and (owner.name, owner.origin) == ("alice", "declared in A.md:8")
    assert findings(inv) == set()


def test_the_declared_role_wins_over_a_classify_rule_and_is_inherited_by_nobody() -> None:
    k3s = guest(101, "k3s-cp-01")
    rule = ClassifyRule(Role.PLATFORM, name="k3s-*")
    inv = lab([cluster(k3s)], declare("k3s-cp-01", VM, role=Role.SERVICE), classify=[rule])
    assert inv.roles[k3s.id].role is Role.SERVICE
    plain = lab([cluster(k3s)], declare("k3s-cp-01", VM), classify=[rule])
    assert plain.roles[k3s.id].reason == "[[rules.classify]][0] name=k3s-*"


def test_a_declared_owner_is_inherited_by_what_runs_on_the_system() -> None:
    host = guest(110, "docker-apps", tags=("platform",))
    inv = lab(
        [cluster(host), engine("apps", container("apps", "web"))],
        declare("docker-apps", VM, owner="alice"),
        docker=[on_guest("apps", "lab/qemu/110")],
    )
    owner = inv.owners["docker:apps/web"]
    assert owner is not None
    assert owner.describe() == "alice: inherited from pve:lab/qemu/110 (declared in A.md:11)"


def test_a_compose_project_is_one_system_and_covers_its_containers() -> None:
    inv = lab(
        [engine("apps", container("apps", "nc-app", compose("nextcloud")),
                container("apps", "nc-db", compose("nextcloud")))],
        declare("nextcloud", COMPOSE, host="apps", role=Role.SERVICE, owner="bob"),
    )  # fmt: skip
    match = only(inv)
    assert match.status is Status.OK
    (project,) = match.found
    assert (project.id, project.members) == (
        "docker:apps/compose/nextcloud",
        ("docker:apps/nc-app", "docker:apps/nc-db"),
    )
    assert inv.roles["docker:apps/nc-db"].reason == "declared in A.md:9"
    owner = inv.owners["docker:apps/nc-app"]
    assert owner is not None and owner.describe() == "bob: declared in A.md:9"
    assert inv.declared is not None and inv.declared.undeclared == ()


def test_pods_and_quadlet_units_match_by_the_names_the_user_wrote() -> None:
    """A Podman pod is one system; Quadlet's ``systemd-<name>`` pods and containers also match
    ``<name>`` (the unit file's name), and a compose project wins over podman-compose's pod."""
    immich = {"PODMAN_SYSTEMD_UNIT": "immich-server.service"}
    whoami = {"PODMAN_SYSTEMD_UNIT": "whoami.service"}
    paperless = {**compose("paperless"), "PODMAN_SYSTEMD_UNIT": "podman-compose@paperless.service"}
    pod = "systemd-immich"
    inv = lab(
        [cluster(), engine("pod1",
                           replace(container("pod1", "immich-server", immich), pod=pod),
                           replace(container("pod1", "immich-db"), pod=pod),
                           container("pod1", "systemd-whoami", whoami),
                           replace(container("pod1", "paperless_web_1", paperless),
                                   pod="pod_paperless"))],
        declare("immich", POD, owner="carol"),
        declare("whoami", CONTAINER),
        declare("paperless", COMPOSE),
    )  # fmt: skip
    assert [(m.status, [r.id for r in m.found]) for m in matches(inv)] == [
        (Status.OK, ["docker:pod1/pod/systemd-immich"]),
        (Status.OK, ["docker:pod1/systemd-whoami"]),
        (Status.OK, ["docker:pod1/compose/paperless"]),
    ]
    owner = inv.owners["docker:pod1/immich-db"]
    assert owner is not None and owner.describe() == "carol: declared in A.md:6"
    assert inv.declared is not None and inv.declared.undeclared == ()


# --- mismatches -----------------------------------------------------------------------------------


def test_a_vm_that_became_an_lxc_is_a_form_mismatch_about_the_lxc() -> None:
    unifi = guest(210, "unifi", "pve2", form=Form.LXC)
    inv = lab([cluster(unifi)], declare("unifi", VM, host="pve2"))
    match = only(inv)
    assert match.status is Status.MISMATCH
    assert [(m.kind, m.subject, m.declared, m.found) for m in match.mismatches] == [
        (MismatchKind.FORM, "pve:lab/lxc/210", "vm", "lxc")
    ]
    assert findings(inv) == {("form-mismatch", "pve:lab/lxc/210")}
    (finding,) = [f for f in evaluate(inv) if f.rule == "form-mismatch"]
    assert finding.message == (
        "declared as a VM (A.md:5), 'unifi' runs as an LXC container on node pve2"
    )
    assert finding.layer.value == "guest"


def test_a_vm_that_runs_as_a_compose_project_is_one_form_mismatch() -> None:
    """The project and its container named like it are one system: the project is reported."""
    inv = lab(
        [cluster(), engine("apps", container("apps", "vault", compose("vault")))],
        declare("vault", VM),
    )
    assert findings(inv) == {("form-mismatch", "docker:apps/compose/vault")}


def test_a_stack_that_moved_to_another_engine_is_a_host_mismatch() -> None:
    inv = lab(
        [engine("apps"), engine("lab", container("lab", "gitea", compose("gitea")))],
        declare("gitea", COMPOSE, host="apps"),
    )
    match = only(inv)
    assert match.status is Status.MISMATCH
    assert [(m.kind, m.declared, m.found) for m in match.mismatches] == [
        (MismatchKind.HOST, "apps", "engine lab (not placed)")
    ]
    assert findings(inv) == {("host-mismatch", "docker:lab/compose/gitea")}


def test_a_container_host_may_be_its_engine_its_guest_or_that_guest_s_node() -> None:
    results = [cluster(guest(110, "docker-apps", "pve2")), engine("apps", container("apps", "web"))]
    docker = [on_guest("apps", "lab/qemu/110")]
    for host in ("apps", "docker-apps", "pve2", "DOCKER-*"):
        assert only(lab(results, declare("web", CONTAINER, host=host), docker=docker)).status is (
            Status.OK
        ), host
    wrong = only(lab(results, declare("web", CONTAINER, host="pve1"), docker=docker))
    assert [(m.declared, m.found) for m in wrong.mismatches] == [
        ("pve1", "engine apps on docker-apps (pve2)")
    ]


def test_an_unplaced_engine_s_host_is_unknown_so_no_host_mismatch_is_claimed() -> None:
    inv = lab([engine("edge", container("edge", "pihole"))], declare("pihole", CONTAINER,
                                                                    host="raspberry"))  # fmt: skip
    match = only(inv)
    assert (match.status, match.mismatches) == (Status.OK, ())
    assert match.detail == "host not known for docker:edge/pihole (engine not placed)"


def test_owner_mismatch_compares_with_the_object_s_own_tags_and_labels_only() -> None:
    tagged = guest(111, "homeassistant", tags=("owner-bob",))
    untagged = guest(112, "mealie", pool="owner-carol")
    inv = lab(
        [cluster(tagged, untagged),
         engine("apps", container("apps", "web", {"homelab.owner": "Alice"}))],
        declare("homeassistant", VM, owner="alice"),
        declare("mealie", VM, owner="alice"),  # its pool names carol: not its own tag
        declare("web", CONTAINER, owner="alice"),  # the label says the same, in another case
    )  # fmt: skip
    assert [m.status for m in matches(inv)] == [Status.MISMATCH, Status.OK, Status.OK]
    assert findings(inv) == {("owner-mismatch", "pve:lab/qemu/111")}
    owner = inv.owners[tagged.id]
    assert owner is not None and owner.name == "alice"


# --- globs and ambiguity ------------------------------------------------------------------------


def test_a_plain_name_on_two_engines_is_ambiguous_and_gives_nothing() -> None:
    inv = lab(
        [engine("apps", container("apps", "traefik")),
         engine("edge", container("edge", "traefik"))],
        declare("traefik", CONTAINER, role=Role.PLATFORM, owner="alice"),
    )  # fmt: skip
    match = only(inv)
    assert match.status is Status.AMBIGUOUS
    assert match.detail == "2 systems match; a host picks one"
    (finding,) = [f for f in evaluate(inv) if f.rule == "declared-ambiguous"]
    assert finding.message == (
        "declared container 'traefik' (A.md:7) matches 2 systems: docker:apps/traefik (engine "
        "apps (not placed)); docker:edge/traefik (engine edge (not placed)); none is taken as it"
    )
    assert inv.roles["docker:apps/traefik"].reason != "declared in A.md:7"
    assert inv.owners["docker:apps/traefik"] is None
    # Ambiguous, but declared: neither container is "undeclared".
    assert findings(inv) == {("declared-ambiguous", "declared:container/traefik")}


def test_a_host_picks_one_of_two_systems_with_the_same_name() -> None:
    twins = [guest(116, "docker-lab", "pve2"), guest(117, "docker-lab", "pve1", status="stopped")]
    match = only(lab([cluster(*twins)], declare("docker-lab", VM, host="pve2")))
    assert (match.status, [r.id for r in match.found]) == (Status.OK, ["pve:lab/qemu/116"])
    unpicked = only(lab([cluster(*twins)], declare("docker-lab", VM, host="pve3")))
    assert (unpicked.status, unpicked.detail) == (
        Status.AMBIGUOUS,
        "2 systems match; none on its host",
    )


def test_a_glob_declares_every_match_and_reports_those_elsewhere() -> None:
    k3s = [guest(101, "k3s-cp-01", "pve1"), guest(102, "k3s-worker-01", "pve2")]
    inv = lab([cluster(*k3s)], declare("k3s-*", VM, host="pve1", role=Role.PLATFORM))
    match = only(inv)
    assert match.status is Status.MISMATCH
    assert [r.id for r in match.found] == ["pve:lab/qemu/101", "pve:lab/qemu/102"]
    assert findings(inv) == {("host-mismatch", "pve:lab/qemu/102")}
    assert inv.roles["pve:lab/qemu/102"].role is Role.PLATFORM


# --- missing, and what cannot be known ----------------------------------------------------------


def test_missing_when_every_source_that_could_hold_it_was_read() -> None:
    inv = lab([cluster(guest(100, "opnsense"))], declare("nextcloud-vm", VM))
    match = only(inv)
    assert (match.status, match.detail) == (Status.MISSING, "no system named nextcloud-vm")
    (finding,) = [f for f in evaluate(inv) if f.rule == "declared-missing"]
    assert (finding.subject, finding.severity.value, finding.layer.value) == (
        "declared:vm/nextcloud-vm",
        "error",
        "guest",
    )


def test_a_failed_source_makes_it_unknown_never_missing() -> None:
    inv = lab([cluster(), engine("apps"), failed("media")], declare("jellyfin", CONTAINER))
    match = only(inv)
    assert (match.status, match.detail) == (
        Status.UNKNOWN,
        "not found as a container, but source media was not read completely",
    )
    assert findings(inv) == set()


def test_a_failed_source_proves_no_form_mismatch_either() -> None:
    """A container 'grafana' runs; the VM declared may sit in the cluster that failed."""
    inv = lab(
        [failed("lab", SourceKind.PROXMOX), engine("apps", container("apps", "grafana"))],
        declare("grafana", VM),
    )
    match = only(inv)
    assert (match.status, [r.id for r in match.found]) == (Status.UNKNOWN, ["docker:apps/grafana"])
    assert match.detail == "not found as a VM, but source lab was not read completely"
    assert findings(inv) == set()  # the container may be the declared system: not undeclared
    assert inv.roles["docker:apps/grafana"].role is Role.UNCLASSIFIED


def test_a_declared_engine_host_narrows_which_sources_must_be_read() -> None:
    results = [engine("apps"), failed("media")]
    assert only(lab(results, declare("web", CONTAINER, host="apps"))).status is Status.MISSING
    assert only(lab(results, declare("web", CONTAINER, host="media"))).status is Status.UNKNOWN


def test_without_a_source_of_that_kind_a_system_is_unknown() -> None:
    match = only(lab([engine("apps")], declare("opnsense", VM)))
    assert (match.status, match.detail) == (
        Status.UNKNOWN,
        "not found as a VM, but no proxmox source is configured",
    )


# --- undeclared ---------------------------------------------------------------------------------


def test_undeclared_lists_running_workloads_whole_groups_and_never_templates() -> None:
    inv = lab(
        [
            cluster(
                guest(100, "opnsense"),
                guest(118, "ubuntu-test", status="stopped"),
                guest(9000, "tpl", template=True, status="stopped"),
                guest(201, "dns", form=Form.LXC),
            ),
            engine(
                "apps",
                container("apps", "pl-web", compose("paperless")),
                container("apps", "pl-db", compose("paperless")),
                container("apps", "nc-app", compose("nextcloud")),
                container("apps", "nc-cron", compose("nextcloud")),
                container("apps", "hello", state="exited"),
                container("apps", "it-tools"),
            ),
        ],
        declare("opnsense", VM),
        declare("nc-app", CONTAINER),  # a project partly declared: the rest one by one
    )
    assert inv.declared is not None
    assert [r.id for r in inv.declared.undeclared] == [
        "docker:apps/compose/paperless",
        "docker:apps/it-tools",
        "docker:apps/nc-cron",
        "pve:lab/lxc/201",
    ]
    (group,) = [f for f in evaluate(inv) if f.subject == "docker:apps/compose/paperless"]
    assert group.message == (
        "a compose project 'paperless' (2 containers) runs on engine apps (not placed) but no "
        "declared system covers it"
    )


def test_undeclared_can_be_narrowed_to_guests_or_switched_off() -> None:
    inv = lab([cluster(guest(100, "opnsense")), engine("apps", container("apps", "web"))])
    settings = default_rule_settings()
    settings["undeclared"] = settings["undeclared"].__class__(
        True, settings["undeclared"].severity, {"layers": ("guest",)}
    )
    subjects = {f.subject for f in evaluate(inv, settings) if f.rule == "undeclared"}
    assert subjects == {"pve:lab/qemu/100"}
    off = default_rule_settings()
    off["undeclared"] = off["undeclared"].__class__(False, off["undeclared"].severity, {})
    assert not [f for f in evaluate(inv, off) if f.rule == "undeclared"]
    assert findings(inv) == {("undeclared", "pve:lab/qemu/100"), ("undeclared", "docker:apps/web")}


def test_nothing_declared_means_no_declaration_finding_and_no_section() -> None:
    inv = build_inventory([cluster(guest(100, "opnsense"))])
    assert inv.declared is None
    assert findings(inv) == set()


def test_a_guest_declared_without_backup_is_not_reported_as_missing_a_backup() -> None:
    scratch, unifi = guest(209, "scratch", form=Form.LXC), guest(210, "unifi", form=Form.LXC)
    result = cluster(scratch, unifi)
    assert result.cluster is not None
    jobs = SourceResult(result.status, cluster=replace(result.cluster, backup_jobs=()))
    inv = lab([jobs], declare("scratch", LXC, backup=False), declare("unifi", LXC, backup=True))
    missing = {f.subject for f in evaluate(inv) if f.rule == "backup-missing"}
    assert missing == {"pve:lab/lxc/210"}


def test_a_declaration_finding_is_waived_like_any_other() -> None:
    inv = lab([cluster(), engine("apps")], declare("gitea", COMPOSE, host="apps"),
              declare("nextcloud-vm", VM))  # fmt: skip
    waiver = Waiver("declared:compose/*", "declared-missing", "planned", date(2027, 1, 31))
    found = evaluate(inv, now_epoch=1_764_158_400, waivers=[waiver])  # 2026-11-26
    missing = {f.subject: f.waived for f in found if f.rule == "declared-missing"}
    assert missing == {"declared:compose/gitea@apps": True, "declared:vm/nextcloud-vm": False}
    assert layer_of_id("declared:compose/gitea@apps").value == "container"
    assert layer_of_id("declared:lxc/dns").value == "guest"
