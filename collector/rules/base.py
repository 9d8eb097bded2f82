"""What a rule is: an id, a default severity, a one-line explanation and a check function.

A check yields ``Hit``s; the engine in ``collector.rules`` turns them into ``Finding``s with the
rule's configured severity. Checks never see each other's results, so any subset can run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collector.correlation.inventory import Inventory
from collector.model import Layer, Severity


@dataclass(frozen=True, slots=True)
class Hit:
    subject: str
    layer: Layer
    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class RuleContext:
    """The rule's effective parameters (defaults overlaid with ``[rules.<id>]``) and the clock."""

    params: Mapping[str, Any]
    now_epoch: float


Check = Callable[[Inventory, RuleContext], Iterable[Hit]]

ParamValue = bool | int | float | str | tuple[str, ...] | Mapping[str, str]
"""A configured rule parameter: the kind of its default, a list as a tuple."""


def param_value(default: object) -> ParamValue:
    """A registry default as a setting holds it (a list becomes a tuple, a table a copy)."""
    if isinstance(default, bool | int | float | str):
        return default
    if isinstance(default, list | tuple):
        return tuple(str(v) for v in default)
    if isinstance(default, Mapping):
        return {str(k): str(v) for k, v in default.items()}
    raise TypeError(f"a rule parameter cannot default to {type(default).__name__}")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Check
    group: str
    """The concern it checks (placement, backup, monitoring, ...): how docs group rules."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Parameters and their defaults; ``[rules.<id>]`` may set exactly these keys."""
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Allowed values of a string or list parameter."""
