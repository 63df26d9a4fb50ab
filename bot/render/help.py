"""/start, /help, usage lines, unknown commands, the refusal for strangers and /whoami.

The command table here is the one list of commands: the handlers register these names and can pass
:func:`bot_commands` to ``set_my_commands``. Help is role-aware: viewers never see trade commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telegram import BotCommand

from bot.render.message import Reply
from bot.render.text import bold, code, esc, italic


class Role(StrEnum):
    """What a user may do: viewers read, traders also decide and trade, admins also reset and log in."""

    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {Role.VIEWER: 0, Role.TRADER: 1, Role.ADMIN: 2}[self]

    def can(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    args: str  # usage after the name, "" when none; [optional] <required>
    summary: str  # one line
    role: Role = Role.VIEWER
    group: str = "Market"

    @property
    def usage(self) -> str:
        return f"/{self.name}{' ' + self.args if self.args else ''}"


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "welcome and this list", group="Bot"),
    Command("help", "", "this list", group="Bot"),
    Command("whoami", "", "your Telegram id and role", group="Bot"),
    Command("settings", "", "which alerts you get, silent or not, quiet hours", group="Bot"),
    Command("brief", "", "the pre-market brief now"),
    Command("chain", "[yyyy-mm-dd]", "option chain around ATM (nearest expiry by default)"),
    Command("vol", "", "volatility regime, percentiles, expected move"),
    Command("ask", "<question>", "ask Claude about today's market (grounded in our data)"),
    Command("pending", "[page]", "suggestions waiting for a decision", group="Desk"),
    Command("positions", "", "open positions: marks, P&L, Greeks, exit plan", group="Desk"),
    Command("pnl", "[day|week|month]", "P&L after charges, win rate, equity curve", group="Desk"),
    Command("drawdown", "", "risk state: limits used and what would trip next", group="Desk"),
    Command("history", "[n]", "the last n closed trades (default 10, at most 50)", group="Desk"),
    Command("audit", "[n]", "the last n desk decisions (default 10, at most 50)", group="Desk"),
    Command("suggest", "", "run the algorithms now; new ideas arrive with buttons", Role.TRADER, "Trading"),
    Command("scan", "", "same as /suggest", Role.TRADER, "Trading"),
    Command("approve", "<id>", "approve a suggestion (re-priced and re-checked)", Role.TRADER, "Trading"),
    Command("reject", "<id>", "reject a suggestion", Role.TRADER, "Trading"),
    Command("close", "<id>", "close a position at market (asks to confirm)", Role.TRADER, "Trading"),
    Command("pause", "", "stop new entries (exits still run)", Role.TRADER, "Trading"),
    Command("resume", "", "allow new entries again", Role.TRADER, "Trading"),
    Command(
        "backtest",
        "<algorithm> <days>",
        "replay an algorithm over past simulated days",
        Role.TRADER,
        "Trading",
    ),
    Command("reset", "", "reset tripped risk breakers (asks to confirm)", Role.ADMIN, "Admin"),
    Command("login", "", "renew the daily Kite session", Role.ADMIN, "Admin"),
    Command("health", "", "data sources, breakers, jobs and the database", Role.ADMIN, "Admin"),
)
_BY_NAME = {c.name: c for c in COMMANDS}
_GROUPS = ("Market", "Desk", "Trading", "Admin", "Bot")


def command(name: str) -> Command | None:
    return _BY_NAME.get(name.lstrip("/").lower())


def visible_commands(role: Role) -> list[Command]:
    return [c for c in COMMANDS if role.can(c.role)]


def bot_commands(role: Role) -> list[BotCommand]:
    """The command menu for ``set_my_commands`` (per chat scope), role-aware."""
    return [BotCommand(c.name, c.summary) for c in visible_commands(role)]


def help_text(role: Role) -> Reply:
    """The commands this role may use, grouped, each with its arguments and one line of help."""
    lines = [bold("Commands")]
    cmds = visible_commands(role)
    for group in _GROUPS:
        members = [c for c in cmds if c.group == group]
        if not members:
            continue
        lines.append("")
        lines.append(italic(group))
        lines.extend(f"{code(c.usage)} — {esc(c.summary)}" for c in members)
    lines.append("")
    lines.append(esc("[ ] optional, < > required. Paper trading only: no real orders are ever placed."))
    return Reply("\n".join(lines))


def start_text(role: Role, first_name: str | None = None) -> Reply:
    hello = f"Hello {esc(first_name)}." if first_name else "Hello."
    intro = (
        f"{hello} I am the NIFTY options desk for <b>paper trading</b>: I watch the market, suggest "
        "defined-risk trades, and track paper positions. No real order is ever placed."
    )
    return Reply(intro + "\n\n" + help_text(role).text)


def usage(name: str, problem: str | None = None) -> Reply:
    """The usage line of a command whose arguments did not parse, with what was wrong."""
    cmd = command(name)
    if cmd is None:
        return unknown_command(name)
    text = f"Usage: {code(cmd.usage)} — {esc(cmd.summary)}"
    if problem:
        text = f"{esc(problem)}\n{text}"
    return Reply(text)


def unknown_command(name: str) -> Reply:
    name = "/" + name.lstrip("/")
    shown = name if len(name) <= 32 else name[:31] + "…"
    return Reply(f"I don't know {code(shown)}. {code('/help')} lists the commands you can use.")


def not_allowed(name: str, role: Role) -> Reply:
    """A known command above the user's role."""
    cmd = command(name)
    needed = cmd.role.value if cmd else "another"
    return Reply(f"{code('/' + name.lstrip('/'))} needs the {esc(needed)} role; you are a {esc(role.value)}.")


def unauthorized() -> Reply:
    """One polite line for a user who is not on any list; it reveals nothing about the bot."""
    return Reply("Sorry, you are not authorized to use this bot.")


def whoami(user_id: int, role: Role | None, *, username: str | None = None, name: str | None = None) -> Reply:
    lines = [bold("You")]
    if name:
        lines.append(f"Name: {esc(name)}")
    if username:
        lines.append(f"Username: @{esc(username)}")
    lines.append(f"Telegram id: {code(user_id)}")
    if role is None:
        lines.append("Role: none (not authorized)")
    else:
        what = {
            Role.VIEWER: "read market data, positions and P&L",
            Role.TRADER: "also approve, reject, close, scan, backtest, pause and resume",
            Role.ADMIN: "also reset breakers, log in to Kite and see health",
        }[role]
        lines.append(f"Role: <b>{esc(role.value)}</b> — {esc(what)}")
    return Reply("\n".join(lines))
