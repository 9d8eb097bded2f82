"""Decide each workload's intended role (platform / service / unclassified) and say why.

Order, first hit wins:
0. the declaration of the lab's systems (``collector.correlation.declared``): the role written
   in the row or ``[[systems]]`` entry that matched the workload. It names this very system,
   so it wins over the patterns below;
1. ``[[rules.classify]]`` entries from the config, in file order;
2. for guests: hosting a container engine (a Docker host is a platform by definition);
3. PVE tags ``platform`` / ``role-platform`` / ``service`` / ``role-service``, or the Docker label
   ``homelab.role`` (a Podman pod member without one: its pod's label);
4. for guests: the pool name (``platform*``/``infra*`` → platform,
   ``service*``/``apps*`` → service);
5. otherwise unclassified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from collector.model import Container, Form, Guest, Role, RoleDecision


@dataclass(frozen=True, slots=True)
class ClassifyRule:
    """One ``[[rules.classify]]`` entry: the role of whatever matches every glob it sets."""

    role: Role
    name: str | None = None
    image: str | None = None
    tag: str | None = None
    pool: str | None = None
    form: str | None = None
    engine: str | None = None

    def describe(self) -> str:
        parts = [
            f"{key}={value}"
            for key in ("name", "image", "tag", "pool", "form", "engine")
            if (value := getattr(self, key)) is not None
        ]
        return ", ".join(parts)


ROLE_LABEL = "homelab.role"
_TAG_ROLES = {
    "platform": Role.PLATFORM,
    "role-platform": Role.PLATFORM,
    "service": Role.SERVICE,
    "role-service": Role.SERVICE,
}
_POOL_PREFIXES = (
    ("platform", Role.PLATFORM),
    ("infra", Role.PLATFORM),
    ("service", Role.SERVICE),
    ("apps", Role.SERVICE),
)


def _glob(pattern: str | None, values: Iterable[str | None]) -> bool:
    if pattern is None:
        return True
    lowered = pattern.lower()
    return any(v is not None and fnmatchcase(v.lower(), lowered) for v in values)


def _rule_matches(
    rule: ClassifyRule,
    *,
    form: Form,
    name: str,
    image: str | None = None,
    tags: tuple[str, ...] = (),
    pool: str | None = None,
    engine: str | None = None,
) -> bool:
    return (
        (rule.form is None or rule.form == form.value)
        and _glob(rule.name, [name])
        and _glob(rule.image, [image])
        and _glob(rule.tag, tags)
        and _glob(rule.pool, [pool])
        and _glob(rule.engine, [engine])
    )


def _from_rules(rules: Iterable[ClassifyRule], **subject: object) -> RoleDecision | None:
    for index, rule in enumerate(rules):
        if _rule_matches(rule, **subject):  # type: ignore[arg-type]
            return RoleDecision(rule.role, f"[[rules.classify]][{index}] {rule.describe()}")
    return None


def _from_tags(tags: Iterable[str]) -> RoleDecision | None:
    roles = {tag: _TAG_ROLES[tag] for tag in tags if tag in _TAG_ROLES}
    if len(set(roles.values())) > 1:
        return RoleDecision(Role.UNCLASSIFIED, f"conflicting tags {', '.join(sorted(roles))}")
    if roles:
        tag, role = sorted(roles.items())[0]
        return RoleDecision(role, f"tag '{tag}'")
    return None


def classify_guest(
    guest: Guest,
    rules: Iterable[ClassifyRule],
    hosted_engines: Iterable[str] = (),
    declared: RoleDecision | None = None,
) -> RoleDecision:
    if declared is not None:
        return declared
    decided = _from_rules(rules, form=guest.form, name=guest.name, tags=guest.tags, pool=guest.pool)
    if decided:
        return decided
    engines = sorted(hosted_engines)
    if engines:
        return RoleDecision(Role.PLATFORM, f"hosts container engine {', '.join(engines)}")
    decided = _from_tags(guest.tags)
    if decided:
        return decided
    if guest.pool:
        for prefix, role in _POOL_PREFIXES:
            if guest.pool.lower().startswith(prefix):
                return RoleDecision(role, f"pool '{guest.pool}'")
    return RoleDecision(Role.UNCLASSIFIED, "no role tag, pool or classify rule matches")


def classify_container(
    container: Container, rules: Iterable[ClassifyRule], declared: RoleDecision | None = None
) -> RoleDecision:
    if declared is not None:
        return declared
    decided = _from_rules(
        rules,
        form=Form.CONTAINER,
        name=container.name,
        image=container.image or "",
        engine=container.engine,
    )
    if decided:
        return decided
    if container.labels is None:
        return RoleDecision(Role.UNCLASSIFIED, "its labels could not be read")
    label = container.labels.get(ROLE_LABEL, "").strip().lower()
    where = f"label {ROLE_LABEL}={label}"
    if not label and container.pod:  # a Podman pod member inherits its pod's labels
        label = container.pod_labels.get(ROLE_LABEL, "").strip().lower()
        where = f"pod {container.pod} label {ROLE_LABEL}={label}"
    if label in ("platform", "service"):
        return RoleDecision(Role(label), where)
    if label:
        return RoleDecision(Role.UNCLASSIFIED, f"{where} is not a known role")
    return RoleDecision(Role.UNCLASSIFIED, f"no {ROLE_LABEL} label or classify rule matches")
