"""The demo's terminal chat, driven by a script against the example bot over the emulator."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.emulator import TelegramEmulator
from bot.emulator.html_check import parse_html
from bot.terminal_chat import TerminalChat, chat_session, render_text
from tests.bot.emulator.example_bot import CHART, build

pytestmark = pytest.mark.e2e


async def run_script(emu: TelegramEmulator, script: str, tmp_path: Path, **kwargs: object) -> str:
    out = io.StringIO()
    chat = TerminalChat(emu, chat_id=42, out=out, files_dir=tmp_path / "demo-output", **kwargs)  # type: ignore[arg-type]
    await chat.run(io.StringIO(script))
    return out.getvalue()


async def test_a_command_prints_the_reply_with_numbered_buttons(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    shown = await run_script(emu, "/start\nquit\n", tmp_path)
    assert (
        "NiftyBot: NIFTY desk\n  Suggestion #7: iron condor & hedge\n  [1] Approve  [2] Reject\n  [3] Details\n"
        in shown
    )
    assert "\x1b[" not in shown  # not a terminal: no ANSI styles


async def test_a_number_presses_that_button_of_the_latest_keyboard(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    shown = await run_script(emu, "/start\n2\n", tmp_path)  # end of input ends the chat too
    assert "(notice from NiftyBot: reject noted)" in shown
    assert "NiftyBot (edited): You chose reject:7" in shown
    assert [r.data for r in emu.answered_callbacks] == ["reject:7"]


async def test_a_number_without_such_a_button_is_explained(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    shown = await run_script(emu, "/start\n9\nquit\n", tmp_path)
    assert "(no button [9] to press)" in shown
    assert emu.answered_callbacks == []


async def test_a_photo_is_saved_and_its_path_printed(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    shown = await run_script(emu, "/chart\nquit\n", tmp_path)
    line = next(x for x in shown.splitlines() if "[photo saved: " in x)
    path = Path(line.split("[photo saved: ", 1)[1].rstrip("]"))
    assert path.parent == tmp_path / "demo-output" and path.suffix == ".png"
    assert await asyncio.to_thread(path.read_bytes) == CHART
    assert "Payoff at expiry" in shown


async def test_text_is_sent_as_the_users_message_and_echoed(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    shown = await run_script(emu, "iron condor & <hedge>\nquit\n", tmp_path)
    assert "NiftyBot: iron condor & <hedge>" in shown
    (sent,) = [m for m in emu.messages(42, include_users=True) if not m.from_bot]
    assert sent.text == "iron condor & <hedge>"


async def test_messages_the_bot_sends_on_its_own_are_printed(
    emu: TelegramEmulator, app: Application, tmp_path: Path
) -> None:
    emu.add_chat(42)
    await app.bot.send_message(42, "<b>Alert</b>: stop loss hit", parse_mode="HTML")
    shown = await run_script(emu, "quit\n", tmp_path, ansi=True)
    assert "NiftyBot: \x1b[1mAlert\x1b[0m: stop loss hit" in shown


def test_render_text_styles_entities_and_shows_link_targets() -> None:
    parsed = parse_html('😀 <b>bold <i>both</i></b> <a href="https://nseindia.com">NSE</a>')
    assert render_text(parsed.text, parsed.entities, ansi=False) == "😀 bold both NSE (https://nseindia.com/)"
    styled = render_text(parsed.text, parsed.entities, ansi=True)
    assert styled.startswith("😀 \x1b[1mbold \x1b[0m\x1b[1;3mboth\x1b[0m NSE")


async def test_a_whole_demo_session_runs_the_bot_and_shuts_it_down(tmp_path: Path) -> None:
    out = io.StringIO()
    emu = await chat_session(
        build, lines=io.StringIO("/start\n1\n/chart\nquit\n"), out=out, chat_id=7, files_dir=tmp_path
    )
    shown = out.getvalue()
    assert "NiftyBot: NIFTY desk" in shown and "(notice from NiftyBot: approve noted)" in shown
    assert "[photo saved: " in shown
    assert emu.commands() != []  # post_init ran
    emu.assert_no_violations()
