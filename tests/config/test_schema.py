"""The validation layer: every kind, choices, bounds, unknown keys, secrets, key paths."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from collector.config.messages import TablePath, did_you_mean, show_key
from collector.config.schema import Field, Kind, Values, array_of_tables, check_table
from collector.errors import ConfigError

AT = TablePath.array("lab.toml", 2, "docker")


def check(spec: Field, value: object) -> Values:
    return check_table({spec.name: value}, (spec,), AT)


def error(spec: Field, value: object) -> str:
    with pytest.raises(ConfigError) as info:
        check(spec, value)
    message = str(info.value)
    assert message.startswith("lab.toml: ") and "\n" not in message
    return message


# -- key paths ---------------------------------------------------------------------------------


def test_key_paths_are_spelt_as_in_the_file() -> None:
    assert AT.key("url") == "[[docker]][2].url"
    assert TablePath.table("f", "rules", "backup-stale").key("max_age_days") == (
        "[rules.backup-stale].max_age_days"
    )
    assert TablePath.table("f", "history").key("path") == "[history].path"
    assert TablePath.array("f", 0, "rules", "classify").key("role") == "[[rules.classify]][0].role"
    assert show_key("a b") == "'a b'" and show_key("a\nb") == "'a\\nb'"


# -- kinds -------------------------------------------------------------------------------------


def test_every_kind_gives_its_typed_value() -> None:
    fields = (
        Field("s", Kind.STR),
        Field("i", Kind.INT),
        Field("f", Kind.FLOAT),
        Field("b", Kind.BOOL),
        Field("d", Kind.DATE),
        Field("l", Kind.STRS),
        Field("t", Kind.TABLE),
    )
    raw = {
        "s": "x",
        "i": 3,
        "f": 2,
        "b": False,
        "d": datetime(2027, 1, 31, 10, 0),
        "l": ["a", "b"],
        "t": {"k": "v"},
    }
    values = check_table(raw, fields, AT)
    assert values.text("s") == "x" and values.opt_text("missing") is None
    assert values.integer("i", 0) == 3 and values.opt_integer("i") == 3
    number = values.number("f", 0.0)
    assert number == 2.0 and isinstance(number, float)
    assert values.flag("b", True) is False
    assert values.day("d") == date(2027, 1, 31)  # a date-time counts as its date
    assert values.texts("l") == ("a", "b")
    assert values.mapping("t") == {"k": "v"}
    # Absent keys give the caller's default.
    empty = check_table({}, fields, AT)
    assert (empty.integer("i", 7), empty.flag("b", True), empty.texts("l", ("z",))) == (
        7,
        True,
        ("z",),
    )
    assert "s" not in empty and "s" in values


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        (Field("url", Kind.STR), 8006, "[[docker]][2].url must be a string, got 8006"),
        (Field("url", Kind.STR), "  ", "[[docker]][2].url must not be empty"),
        (Field("port", Kind.INT), "8006", "port must be an integer, got str '8006'"),
        (Field("port", Kind.INT), 1.5, "port must be an integer, got 1.5"),
        (Field("port", Kind.INT), True, "port must be an integer, got True"),
        (Field("timeout", Kind.FLOAT), "10", "timeout must be a number, got str '10'"),
        (Field("timeout", Kind.FLOAT), float("nan"), "must be a finite number, got nan"),
        (Field("tls", Kind.BOOL), "yes", "tls must be true or false, got str 'yes'"),
        (Field("until", Kind.DATE), "2027-01-31", "(no quotes), got str '2027-01-31'"),
        (Field("until", Kind.DATE), time(10, 0), "got time 10:00:00"),
        (Field("keys", Kind.STRS), "notes", "keys must be an array of strings, got str"),
        (Field("keys", Kind.STRS), ["a", ""], "keys must be an array of strings, got list"),
        (Field("owners", Kind.TABLE), {"a": 1}, "owners must be a table of strings, got dict"),
    ],
)
def test_a_wrong_kind_says_what_was_expected_and_found(
    spec: Field, value: object, message: str
) -> None:
    assert message in error(spec, value)


def test_choices_with_and_without_a_did_you_mean() -> None:
    spec = Field("scheme", Kind.STR, choices=("https", "http"))
    assert check(spec, "http").text("scheme") == "http"
    assert error(spec, "htps").endswith(
        "[[docker]][2].scheme = 'htps' is not one of https, http (did you mean 'https'?)"
    )
    assert error(spec, "ftp").endswith("[[docker]][2].scheme = 'ftp' is not one of https, http")
    items = Field("layers", Kind.STRS, choices=("node", "guest"))
    assert check(items, ["guest"]).texts("layers") == ("guest",)
    assert "[[docker]][2].layers: 'nodes' is not one of node, guest (did you mean 'node'?)" in (
        error(items, ["guest", "nodes"])
    )


def test_bounds() -> None:
    port = Field("port", Kind.INT, positive=True, maximum=65535)
    assert check(port, 65535).integer("port", 0) == 65535
    assert "[[docker]][2].port must be positive, got 0" in error(port, 0)
    assert "[[docker]][2].port must be at most 65535, got 65536" in error(port, 65536)
    retries = Field("retries", Kind.INT, minimum=0, maximum=3)
    assert check(retries, 0).integer("retries", 1) == 0
    assert "retries must be at least 0, got -1" in error(retries, -1)


def test_a_field_may_say_in_its_own_words_what_it_expects() -> None:
    spec = Field("retries", Kind.INT, minimum=0, maximum=3, expect="an integer from 0 to 3")
    for bad, shown in ((4, "4"), (True, "True"), ("2", "str '2'")):
        assert f"retries must be an integer from 0 to 3, got {shown}" in error(spec, bad)
    reason = Field("reason", Kind.STR, expect="a non-empty string", about="why it is accepted")
    assert "reason must be a non-empty string (why it is accepted), got str ' '" in error(
        reason, " "
    )


def test_required_keys() -> None:
    host = Field("host", Kind.STR, required=True)
    with pytest.raises(ConfigError, match=r"\[\[docker\]\]\[2\] is missing required key 'host'"):
        check_table({}, (host,), AT)
    reason = Field("reason", Kind.STR, required=True, about="why it is accepted")
    with pytest.raises(ConfigError) as info:
        check_table({}, (reason,), AT)
    assert str(info.value) == "lab.toml: [[docker]][2] is missing 'reason' (why it is accepted)"


# -- unknown keys ------------------------------------------------------------------------------

FIELDS = (Field("name", Kind.STR), Field("tls_ca", Kind.STR, aliases=("tlscacert",)))


def test_unknown_key_with_a_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        check_table({"nmae": "x"}, FIELDS, AT)
    assert str(info.value) == (
        "lab.toml: unknown key [[docker]][2].nmae (did you mean 'name'?); fix the spelling or "
        "remove key 'nmae' (known: name, tls_ca)"
    )


def test_unknown_key_that_is_another_tools_name_points_to_ours() -> None:
    for written in ("tlscacert", "tls_cacert", "TLS-CA-CERT"):
        with pytest.raises(ConfigError, match=r"\(did you mean 'tls_ca'\?\)"):
            check_table({written: "ca.pem"}, FIELDS, AT)


def test_unknown_key_without_a_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        check_table({"colour": "blue"}, FIELDS, AT)
    message = str(info.value)
    assert "unknown key [[docker]][2].colour; fix the spelling" in message
    assert "did you mean" not in message and "(known: name, tls_ca)" in message


def test_a_strange_key_is_quoted_and_stays_on_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        check_table({"a\nb": 1}, FIELDS, AT)
    assert "unknown key [[docker]][2].'a\\nb'" in str(info.value)
    assert "\n" not in str(info.value)


def test_did_you_mean_needs_a_close_name() -> None:
    assert did_you_mean("histroy", ["history", "notify"]) == " (did you mean 'history'?)"
    assert did_you_mean("HISTORY", ["history"]) == " (did you mean 'history'?)"
    assert did_you_mean("zzz", ["history", "notify"]) == ""


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [12345, ["hunter2-secret"], {"x": "hunter2-secret"}, 1.5])
def test_a_secret_value_is_never_echoed(value: object) -> None:
    spec = Field("token_secret_env", Kind.STR, secret=True)
    message = error(spec, value)
    assert f"token_secret_env must be a string, got {type(value).__name__}" in message
    assert "hunter2" not in message and "12345" not in message and "1.5" not in message


def test_a_secret_with_a_bound_is_not_echoed_either() -> None:
    message = error(Field("pin", Kind.INT, secret=True, maximum=10), 987654)
    assert "pin must be at most 10, got int" in message and "987654" not in message


# -- tables and arrays of tables ---------------------------------------------------------------


def test_a_table_that_is_not_a_table() -> None:
    with pytest.raises(ConfigError) as info:
        check_table(3, FIELDS, TablePath.table("lab.toml", "history"))
    assert str(info.value) == (
        "lab.toml: [history] must be a table, got 3; write [history] with its keys on the "
        "lines below"
    )


def test_array_of_tables() -> None:
    doc = {"docker": [{"name": "a"}, {"name": "b"}]}
    entries = array_of_tables(doc, "lab.toml", "docker")
    assert [(str(at), raw["name"]) for at, raw in entries] == [
        ("[[docker]][0]", "a"),
        ("[[docker]][1]", "b"),
    ]
    assert array_of_tables({}, "lab.toml", "docker") == []
    with pytest.raises(ConfigError, match=r"'docker' must be an array of tables: write \[\[docker"):
        array_of_tables({"docker": {"name": "a"}}, "lab.toml", "docker")
    with pytest.raises(ConfigError, match=r"\[\[docker\]\]\[1\] must be a table, got 3"):
        array_of_tables({"docker": [{}, 3]}, "lab.toml", "docker")
