"""``[[waivers]]``: accepted findings, each with a reason and an end date.

```toml
[[waivers]]
subject = "pve:homelab/qemu/106"     # an id, or a glob such as "docker:lab/*"
rule = "backup-partial"              # a rule id
reason = "datastore disk; PBS syncs it offsite"
expires = 2027-03-31                 # a TOML date; the waiver holds through that day
```

A waived finding stays in the report, marked as waived with its reason, and no longer counts for
the exit code. From the day after ``expires`` the waiver no longer applies, and it becomes a
``waiver-expired`` finding of its own, so an acceptance cannot silently outlive its reason.
``collector.config`` checks the entries (the rule must be a rule id) and builds the ``Waiver``s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase

from collector.correlation.inventory import layer_of_id
from collector.model import Finding, Severity

EXPIRED_RULE = "waiver-expired"


@dataclass(frozen=True, slots=True)
class Waiver:
    subject: str
    rule: str
    reason: str
    expires: date

    def matches(self, finding: Finding) -> bool:
        return finding.rule == self.rule and fnmatchcase(finding.subject, self.subject)

    def expired(self, today: date) -> bool:
        return today > self.expires


def apply_waivers(
    findings: Iterable[Finding],
    waivers: Iterable[Waiver],
    today: date,
    expired_severity: Severity | None,
) -> list[Finding]:
    """Mark findings a current waiver covers; turn each expired waiver into a finding.

    ``expired_severity`` is the configured severity of ``waiver-expired``, or None when that
    rule is disabled (the expired waiver then still stops applying, silently).
    """
    waivers = list(waivers)
    current = [w for w in waivers if not w.expired(today)]
    out: list[Finding] = []
    for finding in findings:
        waiver = next((w for w in current if w.matches(finding)), None)
        if waiver is not None:
            finding = replace(
                finding,
                waived=True,
                waiver_reason=waiver.reason,
                waiver_expires=waiver.expires.isoformat(),
            )
        out.append(finding)
    if expired_severity is None:
        return out
    for waiver in waivers:
        if not waiver.expired(today):
            continue
        again = sum(1 for f in out if not f.waived and waiver.matches(f))
        out.append(
            Finding(
                EXPIRED_RULE,
                expired_severity,
                waiver.subject,
                layer_of_id(waiver.subject),
                f"the waiver of {waiver.rule} for {waiver.subject} expired on "
                f"{waiver.expires.isoformat()} (reason was: {waiver.reason}); "
                f"{again} finding(s) it covered count again",
                "if the reason still holds, set a new expires date; otherwise fix the findings "
                "and delete the waiver",
            )
        )
    return out
