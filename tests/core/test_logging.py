import json
import logging

import pytest

from core.logging_config import TRADES_LOGGER, RedactionFilter, setup_logging

TOKEN = "7712345678:AAH-test-bot-token-abcdefghijklmnopqrstuv"
KITE_SECRET = "kite-secret-9f8e7d6c"


@pytest.fixture
def logs(tmp_path):
    setup_logging(tmp_path, level="DEBUG", secrets=[TOKEN, KITE_SECRET], console=False)
    yield tmp_path
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_niftybot", False):
            root.removeHandler(h)
            h.close()


def _lines(path):
    for h in logging.getLogger().handlers:
        h.flush()
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_three_json_files_split_by_kind(logs):
    logging.getLogger("niftybot.app").info("hello")
    logging.getLogger(TRADES_LOGGER).info("opened", extra={"position_id": 7})
    logging.getLogger("niftybot.app").warning("careful")
    app = _lines(logs / "app.log")
    trades = _lines(logs / "trades.log")
    errors = _lines(logs / "errors.log")
    assert [r["message"] for r in app] == ["hello", "opened", "careful"]
    assert [r["message"] for r in trades] == ["opened"]
    assert trades[0]["position_id"] == 7
    assert [r["message"] for r in errors] == ["careful"]
    assert app[0]["level"] == "INFO"
    assert "ts" in app[0]


def test_secrets_never_reach_a_log_line(logs):
    log = logging.getLogger("niftybot.app")
    log.info("token is %s", TOKEN)
    log.info("url https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning("kite", extra={"detail": f"api_secret={KITE_SECRET}"})
    try:
        raise RuntimeError(f"failed with {KITE_SECRET}")
    except RuntimeError:
        log.exception("boom")
    log.info("unregistered key sk-ant-api03-abcdefgh12345678 and access_token=zzzsecretzzz")
    text = "".join((logs / name).read_text() for name in ("app.log", "errors.log"))
    for secret in (TOKEN, KITE_SECRET, "sk-ant-api03-abcdefgh12345678", "zzzsecretzzz"):
        assert secret not in text
    assert "***" in text


def test_redact_masks_a_bot_token_shape_it_was_not_told_about():
    assert "***" in RedactionFilter.redact("123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi")
