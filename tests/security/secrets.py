"""Distinctive test secrets: the security scenarios run the bot, the CLI and the exports with these, and
the session-wide scan (``tests/security/secret_scan.py``) fails the run if any of them shows up in a
captured output, a log file or an exported file."""

from __future__ import annotations

BOT_TOKEN = "7357001234:AAsecretFUZZtokenZZ9x8c7v6b5n4m3l2k1j0"
KITE_API_KEY = "kitekeySECRETq7w8e9r0"
KITE_API_SECRET = "kitesecretSECRETa1s2d3f4"
KITE_ACCESS_TOKEN = "kiteaccessSECRETz9x8c7v6"
ANTHROPIC_API_KEY = "sk-ant-api03-SECRETanthropicKEYfuzz1234567"
WEBHOOK_SECRET = "webhookSECRETtokenX1Y2Z3"
DB_PASSWORD = "dbpassSECRETp4ssw0rd"

TEST_SECRETS: dict[str, str] = {
    "telegram bot token": BOT_TOKEN,
    "telegram bot token (secret part)": BOT_TOKEN.split(":", 1)[1],
    "kite api key": KITE_API_KEY,
    "kite api secret": KITE_API_SECRET,
    "kite access token": KITE_ACCESS_TOKEN,
    "anthropic api key": ANTHROPIC_API_KEY,
    "webhook secret": WEBHOOK_SECRET,
    "database password": DB_PASSWORD,
}


def found_in(text: str) -> list[str]:
    """Names of the test secrets that occur in ``text``."""
    return [name for name, value in TEST_SECRETS.items() if value in text]


def secret_env(database_host: str = "127.0.0.1:1") -> dict[str, str]:
    """Environment variables carrying every test secret (a PostgreSQL URL with the password)."""
    return {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "KITE_API_KEY": KITE_API_KEY,
        "KITE_API_SECRET": KITE_API_SECRET,
        "KITE_ACCESS_TOKEN": KITE_ACCESS_TOKEN,
        "ANTHROPIC_API_KEY": ANTHROPIC_API_KEY,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DATABASE_URL": f"postgresql+psycopg://niftybot:{DB_PASSWORD}@{database_host}/niftybot",
    }
