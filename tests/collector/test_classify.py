"""Role classification (``collector.correlation.classify``): each signal in its order, and the
exact reason the report shows beside the role ("role (why)" in the inventory)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from collector.correlation.classify import ClassifyRule, classify_container, classify_guest
from collector.model import Container, Form, Guest, Role, RoleDecision


def _guest(
    name: str = "g",
    *,
    form: Form = Form.VM,
    tags: tuple[str, ...] = (),
    pool: str | None = None,
) -> Guest:
    return Guest(
        "pve:lab/qemu/100", "lab", "pve1", 100, name, form, "running", tags=tags, pool=pool
    )


def _container(
    name: str = "web",
    *,
    image: str = "nginx:1.27",
    labels: dict[str, str] | None = None,
    pod: str | None = None,
    pod_labels: dict[str, str] | None = None,
) -> Container:
    return Container(
        f"docker:apps/{name}",
        "apps",
        "c" * 64,
        name,
        image,
        None,
        None,
        "running",
        None,
        "unless-stopped",
        0,
        "json-file",
        {},
        labels or {},
        pod=pod,
        pod_labels=pod_labels or {},
    )


P, S, U = Role.PLATFORM, Role.SERVICE, Role.UNCLASSIFIED


@pytest.mark.parametrize(
    ("rule", "guest", "decision"),
    [
        (
            ClassifyRule(P, name="k3s-*", form="vm"),
            _guest("K3S-cp-01"),
            RoleDecision(P, "[[rules.classify]][0] name=k3s-*, form=vm"),
        ),
        (
            ClassifyRule(S, tag="db*"),
            _guest(tags=("prod", "db-main")),
            RoleDecision(S, "[[rules.classify]][0] tag=db*"),
        ),
        (
            ClassifyRule(S, pool="team-?"),
            _guest(pool="team-b"),
            RoleDecision(S, "[[rules.classify]][0] pool=team-?"),
        ),
        (
            ClassifyRule(P, form="lxc"),
            _guest(form=Form.LXC),
            RoleDecision(P, "[[rules.classify]][0] form=lxc"),
        ),
    ],
)
def test_a_classify_rule_matches_on_what_it_names(
    rule: ClassifyRule, guest: Guest, decision: RoleDecision
) -> None:
    assert classify_guest(guest, [rule]) == decision


@pytest.mark.parametrize(
    ("rule", "guest"),
    [
        (ClassifyRule(P, name="k3s-*", form="vm"), _guest("k3s-cp-01", form=Form.LXC)),
        (ClassifyRule(P, form="vm"), _guest(form=Form.LXC)),
        (ClassifyRule(S, tag="db*"), _guest(tags=("prod",))),
        (ClassifyRule(S, tag="db*"), _guest()),
        (ClassifyRule(S, pool="team-?"), _guest(pool="ops")),
        (ClassifyRule(S, pool="team-?"), _guest()),
        (ClassifyRule(S, image="nginx*"), _guest()),  # a guest has no image
        (ClassifyRule(S, engine="apps"), _guest()),  # nor an engine
    ],
)
def test_a_classify_rule_does_not_match_what_lacks_its_field(
    rule: ClassifyRule, guest: Guest
) -> None:
    assert classify_guest(guest, [rule]) == RoleDecision(
        U, "no role tag, pool or classify rule matches"
    )


def test_the_first_matching_rule_wins_and_is_named_by_its_index() -> None:
    rules = [ClassifyRule(S, name="nomatch"), ClassifyRule(P, name="g"), ClassifyRule(S, name="*")]
    assert classify_guest(_guest(), rules) == RoleDecision(P, "[[rules.classify]][1] name=g")


def test_a_rule_wins_over_a_hosted_engine_and_tags() -> None:
    decision = classify_guest(_guest(tags=("platform",)), [ClassifyRule(S, name="g")], ["docker:a"])
    assert decision == RoleDecision(S, "[[rules.classify]][0] name=g")


def test_hosting_engines_makes_a_platform_naming_them_sorted() -> None:
    decision = classify_guest(_guest(tags=("service",)), [], ["docker:b", "docker:a"])
    assert decision == RoleDecision(P, "hosts container engine docker:a, docker:b")


@pytest.mark.parametrize(
    ("tags", "decision"),
    [
        (("prod", "platform"), RoleDecision(P, "tag 'platform'")),
        (("role-platform", "platform"), RoleDecision(P, "tag 'platform'")),
        (("role-service",), RoleDecision(S, "tag 'role-service'")),
        (("service", "platform"), RoleDecision(U, "conflicting tags platform, service")),
        (
            ("role-service", "role-platform", "x"),
            RoleDecision(U, "conflicting tags role-platform, role-service"),
        ),
    ],
)
def test_role_tags(tags: tuple[str, ...], decision: RoleDecision) -> None:
    assert classify_guest(_guest(tags=tags, pool="apps"), []) == decision


@pytest.mark.parametrize(
    ("pool", "decision"),
    [
        ("Infra-core", RoleDecision(P, "pool 'Infra-core'")),
        ("platform", RoleDecision(P, "pool 'platform'")),
        ("services", RoleDecision(S, "pool 'services'")),
        ("apps-prod", RoleDecision(S, "pool 'apps-prod'")),
        ("lab", RoleDecision(U, "no role tag, pool or classify rule matches")),
    ],
)
def test_pool_prefixes(pool: str, decision: RoleDecision) -> None:
    assert classify_guest(_guest(pool=pool), []) == decision


@pytest.mark.parametrize(
    ("rule", "container", "decision"),
    [
        (
            ClassifyRule(P, image="*traefik*"),
            _container("proxy", image="traefik:v3.2"),
            RoleDecision(P, "[[rules.classify]][0] image=*traefik*"),
        ),
        (
            ClassifyRule(S, name="WEB"),
            _container("web"),
            RoleDecision(S, "[[rules.classify]][0] name=WEB"),
        ),
        (
            ClassifyRule(P, engine="app?", form="docker-container"),
            _container(),
            RoleDecision(P, "[[rules.classify]][0] form=docker-container, engine=app?"),
        ),
    ],
)
def test_container_rules(rule: ClassifyRule, container: Container, decision: RoleDecision) -> None:
    assert classify_container(container, [rule]) == decision


@pytest.mark.parametrize(
    "rule",
    [
        ClassifyRule(P, image="*traefik*"),
        ClassifyRule(P, name="db"),
        ClassifyRule(P, engine="edge"),
        ClassifyRule(P, form="vm"),
        ClassifyRule(P, tag="*"),  # a container has no tags
        ClassifyRule(P, pool="*"),  # nor a pool
    ],
)
def test_container_rules_that_do_not_match(rule: ClassifyRule) -> None:
    assert classify_container(_container(), [rule]) == RoleDecision(
        U, "no homelab.role label or classify rule matches"
    )


@pytest.mark.parametrize(
    ("label", "decision"),
    [
        (" Platform ", RoleDecision(P, "label homelab.role=platform")),
        ("service", RoleDecision(S, "label homelab.role=service")),
        ("db", RoleDecision(U, "label homelab.role=db is not a known role")),
        ("", RoleDecision(U, "no homelab.role label or classify rule matches")),
    ],
)
def test_the_role_label(label: str, decision: RoleDecision) -> None:
    assert classify_container(_container(labels={"homelab.role": label}), []) == decision


ROLE = "label homelab.role"


@pytest.mark.parametrize(
    ("labels", "pod_labels", "decision"),
    [
        ({}, {"homelab.role": " Service "}, RoleDecision(S, f"pod cloud {ROLE}=service")),
        ({}, {"homelab.role": "db"}, RoleDecision(U, f"pod cloud {ROLE}=db is not a known role")),
        (
            {"homelab.role": "platform"},
            {"homelab.role": "service"},
            RoleDecision(P, f"{ROLE}=platform"),
        ),
        (
            {},
            {"homelab.owner": "bob"},
            RoleDecision(U, "no homelab.role label or classify rule matches"),
        ),
    ],
)
def test_a_podman_pod_member_without_a_role_label_takes_its_pods(
    labels: dict[str, str], pod_labels: dict[str, str], decision: RoleDecision
) -> None:
    member = _container(labels=labels, pod="cloud", pod_labels=pod_labels)
    assert classify_container(member, []) == decision


def test_pod_labels_do_not_reach_a_container_outside_the_pod() -> None:
    loner = _container(pod=None, pod_labels={"homelab.role": "service"})
    assert classify_container(loner, []) == RoleDecision(
        U, "no homelab.role label or classify rule matches"
    )


def test_a_container_whose_labels_could_not_be_read_is_unclassified_and_says_so() -> None:
    unread = replace(_container(), labels=None)
    assert classify_container(unread, []) == RoleDecision(U, "its labels could not be read")


def test_a_container_without_an_image_matches_no_image_glob() -> None:
    no_image = replace(_container(), image=None)
    assert classify_container(no_image, [ClassifyRule(P, image="x*")]) == RoleDecision(
        U, "no homelab.role label or classify rule matches"
    )
