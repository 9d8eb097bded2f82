"""The declaration rules: does the lab match the systems its architecture page lists?

They read ``Inventory.declared`` (``collector.correlation.declared`` explains the matching) and
are silent when nothing is declared. A declared system that may sit in a source that was not
read completely is *unknown*, never missing: no finding claims it is gone. Findings about a
declaration as a whole (missing, ambiguous) have the subject ``declared:<form>/<name>[@host]``;
findings about what runs name the running system (a guest, a container, or
``docker:<engine>/compose/<project>`` for a compose project).
"""

from __future__ import annotations

from collections.abc import Iterator

from collector.correlation.declared import (
    DeclaredSystem,
    Mismatch,
    MismatchKind,
    Status,
    SystemMatch,
)
from collector.correlation.inventory import Inventory
from collector.correlation.running import Running, SystemForm
from collector.model import Severity
from collector.rules.base import Hit, Rule, RuleContext

GROUP = "declaration"


def _matches(inventory: Inventory, *statuses: Status) -> Iterator[SystemMatch]:
    if inventory.declared is not None:
        yield from (m for m in inventory.declared.matches if m.status in statuses)


def _named(match: SystemMatch) -> str:
    system = match.system
    return f"{system.form.value} '{system.name}' ({system.origin})"


def declared_missing(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for match in _matches(inventory, Status.MISSING):
        system = match.system
        yield Hit(
            system.subject,
            system.form.layer,
            f"declared {_named(match)} runs nowhere: nothing of that name was found in any "
            "form, and every source that could hold it was read",
            f"bring it back, or update its entry in {system.origin} if it was retired or renamed",
        )


def declared_ambiguous(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for match in _matches(inventory, Status.AMBIGUOUS):
        system = match.system
        yield Hit(
            system.subject,
            system.form.layer,
            f"declared {_named(match)} matches {len(match.found)} systems: {_where(match)}; "
            "none is taken as it",
            f"give it a host in {system.origin}, or rename the systems so the name is unique",
        )


def _where(match: SystemMatch) -> str:
    return "; ".join(f"{r.id} ({r.where})" for r in match.found)


def _mismatches(
    inventory: Inventory, kind: MismatchKind
) -> Iterator[tuple[DeclaredSystem, Running, Mismatch]]:
    """Each mismatch of ``kind``, with its declaration and the running system it is about."""
    for match in _matches(inventory, Status.MISMATCH):
        found = {r.id: r for r in match.found}
        for mismatch in match.mismatches:
            if mismatch.kind is kind:
                yield match.system, found[mismatch.subject], mismatch


def form_mismatch(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for system, running, _ in _mismatches(inventory, MismatchKind.FORM):
        yield Hit(
            running.id,
            running.form.layer,
            f"declared as {system.form.words} ({system.origin}), '{running.name}' runs as "
            f"{running.form.words} on {running.where}",
            f"turn it back into {system.form.words}, or write the form it has now "
            f"({running.form.value}) in {system.origin}",
        )


def host_mismatch(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for system, running, _ in _mismatches(inventory, MismatchKind.HOST):
        yield Hit(
            running.id,
            running.form.layer,
            f"declared on {system.host} ({system.origin}), '{running.name}' runs on "
            f"{running.where}",
            f"move it back, or write where it runs now in {system.origin}",
        )


def owner_mismatch(inventory: Inventory, _ctx: RuleContext) -> Iterator[Hit]:
    for system, running, mismatch in _mismatches(inventory, MismatchKind.OWNER):
        yield Hit(
            running.id,
            running.form.layer,
            f"declared owner of '{running.name}' is {system.owner} ({system.origin}), but its "
            f"own tags or labels say {mismatch.found}",
            "correct the owner tag (PVE) or label (Docker), or the owner in "
            f"{system.origin}; the report shows the declared owner meanwhile",
        )


def undeclared(inventory: Inventory, ctx: RuleContext) -> Iterator[Hit]:
    if inventory.declared is None:
        return
    layers = set(ctx.params["layers"])
    for running in inventory.declared.undeclared:
        layer = running.form.layer
        if layer.value not in layers:
            continue
        members = len(running.members)
        group = running.form is not SystemForm.CONTAINER and members > 1
        size = f" ({members} containers)" if group else ""
        yield Hit(
            running.id,
            layer,
            f"{running.form.words} '{running.name}'{size} runs on {running.where} but no "
            "declared system covers it",
            "add it to the systems table (collect declare prints rows for the whole lab), or "
            "remove it if nobody needs it",
        )


RULES = (
    Rule("declared-missing", Severity.ERROR,
         "a declared system runs nowhere (the sources that could hold it were read)",
         declared_missing, GROUP),
    Rule("declared-ambiguous", Severity.WARNING,
         "a declared name matches several running systems", declared_ambiguous, GROUP),
    Rule("form-mismatch", Severity.WARNING,
         "a declared system runs in another form (declared as a VM, runs as an LXC ...)",
         form_mismatch, GROUP),
    Rule("host-mismatch", Severity.WARNING,
         "a declared system runs on another node, guest or engine than declared",
         host_mismatch, GROUP),
    Rule("owner-mismatch", Severity.WARNING,
         "the declared owner and the object's own owner tag or label disagree",
         owner_mismatch, GROUP),
    Rule("undeclared", Severity.INFO, "a running workload no declared system covers",
         undeclared, GROUP, {"layers": ["guest", "container"]},
         {"layers": ("guest", "container")}),
)  # fmt: skip
