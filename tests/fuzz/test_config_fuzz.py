"""Malformed trading config files: every broken file gives one ``ConfigError`` paragraph that names the
file and the field, never a traceback, through ``load_config`` and ``niftybot config check``.

Inputs: random bytes/text as YAML, the example file with one field replaced by a random value of a wrong
type or out of range, unknown keys at every level, and times of day written unquoted (YAML 1.1 reads
``13:00`` as the base-60 integer 780, which used to become 00:13 UTC silently).
"""

from __future__ import annotations

import contextlib
import io
import math
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from core.config.schema import NiftyConfig, _loc_part, load_config, parse_config
from core.errors import ConfigError
from tests.fuzz.conftest import tally

pytestmark = pytest.mark.property

EXAMPLE = Path(__file__).parents[2] / "config" / "niftybot.example.yaml"
BASE: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text("utf-8"))
TIME_FIELDS = [
    ("paper_trading", "expiry_day_entry_cutoff"),
    ("paper_trading", "expiry_square_off"),
    ("options_desk", "entry_window_start"),
    ("options_desk", "entry_window_end"),
    ("schedule", "premarket_brief"),
    ("schedule", "opening_snapshot"),
    ("schedule", "eod_summary"),
    ("schedule", "weekly_summary"),
]
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FUZZ_SLOW = settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def leaf_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict) and node:
        return [p for k, v in node.items() for p in leaf_paths(v, (*prefix, k))]
    return [prefix]


LEAVES = leaf_paths(BASE)
SECTIONS = [p[:i] for p in LEAVES for i in range(0, len(p))]

weird_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "-1", "0", "1e309", "nan", "lots", "13:00", "25:99", "<b>x</b>", "☃", "0x10"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def check_file(tmp_path: Path, text: str, name: str = "fuzz.yaml") -> NiftyConfig | ConfigError:
    """load_config either returns a config or raises a ConfigError naming the file; nothing else."""
    f = tmp_path / name
    f.write_text(text, "utf-8")
    cli = _config_check(f)
    try:
        config = load_config(f)
    except ConfigError as exc:
        msg = str(exc)
        assert str(f) in msg, msg
        assert "\n" not in msg, msg  # one paragraph
        assert "Traceback" not in msg
        assert cli == (1, f"niftybot: {msg}\n"), cli
        return exc
    assert cli[0] == 0, cli
    return config


def _config_check(path: Path) -> tuple[int, str]:
    """``niftybot config check FILE`` in process: (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["config", "check", str(path)])
    return code, err.getvalue()


def _check_value(tmp_path: Path, path: tuple[str, ...], value: Any) -> None:
    tally("config: one field replaced")
    try:
        text = yaml.safe_dump(with_value(path, value), allow_unicode=True)
    except yaml.YAMLError:
        return
    result = check_file(tmp_path, text)
    if isinstance(result, ConfigError):
        assert ".".join(path) in str(result) or "entry_window" in str(result), str(result)
        return
    # Accepted: the value must have been a legal one for the field, kept as given (no silent coercion
    # of numbers into times, no NaN/inf limits).
    node: Any = result
    for key in path:
        node = node[key] if isinstance(node, dict) else getattr(node, key)
    if isinstance(node, time):
        assert isinstance(value, str), (path, value, node)
    if isinstance(node, float):
        assert math.isfinite(node) or not math.isfinite(float(value)), (path, value)


@FUZZ
@given(path=st.sampled_from(LEAVES), value=weird_values)
def test_a_wrong_value_in_any_field_is_named_or_accepted_as_given(tmp_path, path, value):
    _check_value(tmp_path, path, value)


@pytest.mark.slow
@FUZZ_SLOW
@given(path=st.sampled_from(LEAVES), value=weird_values)
def test_a_wrong_value_in_any_field_is_named_or_accepted_as_given_full(tmp_path, path, value):
    _check_value(tmp_path, path, value)


def _check_unknown_key(tmp_path: Path, section: tuple[str, ...], key: str) -> None:
    tally("config: unknown key")
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    for k in section:
        node = node[k]
    if key in node:
        return
    node[key] = 1
    text = yaml.safe_dump(data, allow_unicode=True)
    back = yaml.safe_load(text)
    for k in section:
        back = back[k]
    if key not in back:  # YAML folds line-break characters (e.g. NEL) in keys: not the key we meant
        return
    result = check_file(tmp_path, text)
    if section == ("algorithms",):  # a new algorithm section: its name is checked, its body validated
        return
    assert isinstance(result, ConfigError), (section, key)
    assert ".".join(_loc_part(p) for p in (*section, key)) in str(result), str(result)


@FUZZ
@given(section=st.sampled_from(SECTIONS), key=st.text(min_size=1, max_size=20))
def test_an_unknown_key_anywhere_is_refused_by_name(tmp_path, section, key):
    _check_unknown_key(tmp_path, section, key)


@pytest.mark.slow
@FUZZ_SLOW
@given(section=st.sampled_from(SECTIONS), key=st.text(min_size=1, max_size=20))
def test_an_unknown_key_anywhere_is_refused_by_name_full(tmp_path, section, key):
    _check_unknown_key(tmp_path, section, key)


def _check_text(tmp_path: Path, text: str) -> None:
    tally("config: random YAML text")
    check_file(tmp_path, text)


yaml_noise = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=":-[]{}#&*!|>'\"%@`,? \n\tab01", max_size=120),
    st.builds(
        lambda cut, junk: EXAMPLE.read_text("utf-8")[:cut] + junk,
        st.integers(min_value=0, max_value=3000),
        st.text(alphabet=":-[]{}'\" \n\tx9", max_size=10),
    ),
)


@FUZZ
@given(text=yaml_noise)
def test_random_or_truncated_yaml_is_a_config_error_or_valid(tmp_path, text):
    _check_text(tmp_path, text)


@pytest.mark.slow
@FUZZ_SLOW
@given(text=yaml_noise)
def test_random_or_truncated_yaml_is_a_config_error_or_valid_full(tmp_path, text):
    _check_text(tmp_path, text)


@pytest.mark.parametrize(("section", "field"), TIME_FIELDS)
@pytest.mark.parametrize("written", ["13:00", "09:20", "12:30:00", "845", "9.5"])
def test_unquoted_times_are_refused_naming_the_field_and_the_fix(tmp_path, section, field, written):
    """YAML 1.1: unquoted 13:00 is the integer 780 and 12:30:00 is 45000 (bug: accepted as 00:13 UTC)."""
    tally("config: unquoted time")
    loaded = yaml.safe_load(f"{section}:\n  {field}: {written}\n")
    result = check_file(tmp_path, f"{section}:\n  {field}: {written}\n")
    if isinstance(loaded[section][field], str):  # '09:20' is not base-60 (leading zero): a real time
        if field == "entry_window_end":  # 09:20 is before the window's start: refused for that
            assert isinstance(result, ConfigError) and "entry_window_start" in str(result)
            return
        assert isinstance(result, NiftyConfig)
        assert getattr(getattr(result, section), field) == time.fromisoformat(written)
        return
    assert isinstance(result, ConfigError)
    assert f"{section}.{field}" in str(result)
    assert "quoted" in str(result)


@pytest.mark.parametrize(("section", "field"), TIME_FIELDS)
def test_quoted_times_are_ist_times_of_day(section, field):
    value = "14:05" if field == "entry_window_end" else "10:05"
    cfg = parse_config({section: {field: value}})
    assert getattr(getattr(cfg, section), field) == time.fromisoformat(value)
    assert getattr(getattr(cfg, section), field).tzinfo is None


def test_times_with_a_zone_are_refused():
    with pytest.raises(ConfigError, match=r"schedule\.premarket_brief.*time zone"):
        parse_config({"schedule": {"premarket_brief": "08:45+00:00"}})


def test_the_example_file_quotes_every_time():
    text = EXAMPLE.read_text("utf-8")
    for _section, field in TIME_FIELDS:
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{field}:"))
        value = line.split(":", 1)[1].strip()
        assert value[0] in "'\"", line
        assert isinstance(yaml.safe_load(f"v: {value}")["v"], str)
    assert load_config(EXAMPLE) == NiftyConfig()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("paper_trading:\n  capital: [1, 2\n", "line"),
        ("paper_trading:\n  max_open_positions: many\n", "paper_trading.max_open_positions"),
        ("paper_trading:\n  max_drawdown_pct: 3\n", "paper_trading.max_drawdown_pct"),
        ("schedule:\n  eod_summary: 15:50\n", "schedule.eod_summary"),
        ("engine:\n  breaker:\n    failure_threshhold: 2\n", "engine.breaker.failure_threshhold"),
        ("- just\n- a list\n", "mapping"),
        ("\x00\x01", "YAML"),
        ("algorithms:\n  'bad name': {}\n", "algorithms"),
    ],
)
def test_config_check_cli_prints_one_clear_line(tmp_path, capsys, text, named):
    tally("config: niftybot config check")
    f = tmp_path / "broken.yaml"
    f.write_text(text, "utf-8")
    assert main(["config", "check", str(f)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("niftybot: ") and err.count("\n") == 1, err
    assert named in err and str(f) in err, err
    assert "Traceback" not in err
