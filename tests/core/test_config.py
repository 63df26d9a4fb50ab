from decimal import Decimal
from pathlib import Path

import pytest

from core.config.schema import NiftyConfig, load_config, parse_config
from core.config.settings import MarketDataSource, load_settings
from core.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "config" / "niftybot.example.yaml"


def test_built_in_defaults_are_valid():
    cfg = load_config(None)
    assert cfg.paper_trading.capital == Decimal("1000000")
    assert set(cfg.algorithms) == {"atlas", "trend", "range"}


def test_the_documented_example_file_is_valid_and_equals_the_defaults():
    assert load_config(EXAMPLE) == NiftyConfig()


def test_invalid_field_names_file_field_path_and_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("paper_trading:\n  max_open_positions: 0\n  capital: lots\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    msg = str(err.value)
    assert str(bad) in msg
    assert "paper_trading.max_open_positions" in msg
    assert "paper_trading.capital" in msg
    assert "\n" not in msg  # one paragraph


def test_unknown_key_is_rejected(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text("paper_trading:\n  captial: 5\n")
    with pytest.raises(ConfigError, match=r"paper_trading\.captial: Extra inputs"):
        load_config(bad)


def test_broken_yaml_names_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("paper_trading:\n  capital: [1, 2\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_config(bad)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_non_mapping_file_is_rejected(tmp_path):
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(bad)


def test_entry_window_must_be_ordered():
    with pytest.raises(ConfigError, match="entry_window_start"):
        parse_config({"options_desk": {"entry_window_start": "15:00", "entry_window_end": "10:00"}})


def test_cross_check_warns_when_algorithm_lots_exceed_the_account_limit(caplog):
    cfg = parse_config({"algorithms": {"atlas": {"lots": 20}}, "paper_trading": {"max_lots_per_trade": 5}})
    warnings = cfg.cross_check()
    assert any("algorithms.atlas.lots=20" in w for w in warnings)
    assert "algorithms.atlas.lots=20" in caplog.text


def test_settings_split_comma_separated_ids(monkeypatch):
    monkeypatch.setenv("TELEGRAM_ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("TELEGRAM_TRADER_IDS", "42")
    monkeypatch.setenv("MARKET_DATA", "kite")
    s = load_settings(_env_file=None)
    assert s.telegram_admin_ids == [1, 2, 3]
    assert s.telegram_trader_ids == [42]
    assert s.market_data is MarketDataSource.KITE


def test_settings_secrets_are_masked_in_repr(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:SECRET-token-value-abcdefghijklmnopqrstu")
    s = load_settings(_env_file=None)
    assert "SECRET" not in repr(s)
    assert "123456:SECRET-token-value-abcdefghijklmnopqrstu" in s.secret_values()


def test_bad_setting_is_a_one_line_config_error(monkeypatch):
    monkeypatch.setenv("MARKET_DATA", "bloomberg")
    with pytest.raises(ConfigError, match="MARKET_DATA"):
        load_settings(_env_file=None)


def test_defaults_need_no_credentials(monkeypatch):
    for var in ("TELEGRAM_BOT_TOKEN", "KITE_API_KEY", "DATABASE_URL", "MARKET_DATA"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings(_env_file=None)
    assert s.market_data is MarketDataSource.SIMULATED
    assert s.database_url.startswith("sqlite:///")
