"""Short replies the handlers send that belong to no bigger view: hints, lookups that found nothing,
the Kite login flow, /ask answers and the apology after an unexpected error."""

from __future__ import annotations

from datetime import datetime

from bot.render.message import Reply
from bot.render.text import attr, code, esc


def text_hint() -> Reply:
    return Reply("Send a command, for example /help.")


def ask_unavailable() -> Reply:
    return Reply("Commentary is not available right now; try /brief or /vol.")


def ask_answer(answer: str) -> Reply:
    """An /ask answer: plain text from the commentary service, escaped here."""
    return Reply(esc(answer))


def no_position(position_id: int) -> Reply:
    return Reply(f"There is no position #{position_id}.")


def position_already_closed(position_id: int) -> Reply:
    return Reply(f"Position #{position_id} is already closed.")


def login_not_needed() -> Reply:
    return Reply("The desk runs on the built-in simulator (MARKET_DATA=simulated); no Kite login needed.")


def login_not_configured() -> Reply:
    return Reply("KITE_API_KEY and KITE_API_SECRET are not set; the Kite login cannot run.")


def login_steps(login_url: str) -> Reply:
    return Reply(
        f'1. Open <a href="{attr(login_url)}">the Kite login</a> and log in.\n'
        "2. Paste the link you are redirected to (or just its request_token) here.\n"
        "The link works once, for a few minutes."
    )


def login_failed(reason: str) -> Reply:
    return Reply(f"Login failed: {esc(reason)}\nSend /login to try again.")


def login_done(user_id: str, expires_at: datetime) -> Reply:
    return Reply(f"✅ Kite session stored for {code(user_id)}, valid until {expires_at:%d %b %H:%M} IST.")


def unexpected_error() -> Reply:
    return Reply("Something went wrong on our side; the admins were told.")
