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
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import Any

from collector.errors import ConfigError
from collector.inventory import layer_of_id
from collector.model import Finding, Severity

EXPIRED_RULE = "waiver-expired"
_KEYS = ("subject", "rule", "reason", "expires")


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


def _text(table: dict[str, Any], key: str, where: str, file: str, what: str) -> str:
    value = table.get(key)
    if value is None:
        raise ConfigError(f"{file}: {where} is missing '{key}' ({what})")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{file}: {where}.{key} must be a non-empty string ({what})")
    return value.strip()


def _waiver(raw: Any, index: int, rule_ids: Collection[str], file: str) -> Waiver:
    where = f"[[waivers]][{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: {where} must be a table")
    for key in raw:
        if key not in _KEYS:
            raise ConfigError(
                f"{file}: unknown key {where}.{key} (known: {', '.join(_KEYS)}); fix the "
                "spelling or remove it"
            )
    subject = _text(raw, "subject", where, file, "the finding's subject: an id or a glob")
    rule = _text(raw, "rule", where, file, "the rule id the finding comes from")
    reason = _text(raw, "reason", where, file, "why the finding is accepted")
    if rule == EXPIRED_RULE:
        raise ConfigError(
            f"{file}: {where}.rule: '{EXPIRED_RULE}' cannot be waived; renew or remove the "
            "expired waiver instead"
        )
    if rule not in rule_ids:
        raise ConfigError(
            f"{file}: {where}.rule = {rule!r} is not a rule id (known: {', '.join(rule_ids)})"
        )
    expires = raw.get("expires")
    if isinstance(expires, datetime):
        expires = expires.date()
    if not isinstance(expires, date):
        got = "missing" if expires is None else f"{type(expires).__name__} {expires!r}"
        raise ConfigError(
            f"{file}: {where}.expires must be a TOML date such as 2027-01-31 (no quotes), got {got}"
        )
    return Waiver(subject, rule, reason, expires)


def parse_waivers(raw: Any, rule_ids: Collection[str], file: str = "config") -> tuple[Waiver, ...]:
    """Validate the ``[[waivers]]`` array; every problem is one ``ConfigError`` line."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{file}: 'waivers' must be an array of tables: write [[waivers]]")
    return tuple(_waiver(item, i, rule_ids, file) for i, item in enumerate(raw))


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
