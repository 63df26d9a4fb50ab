"""Every template against its golden file, and every rendered text against Telegram's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render.callbacks import decode
from bot.render.message import PhotoReply
from tests.bot.render.cases import CAPTIONS, CASES
from tests.bot.render.golden import GOLDEN_DIR, check_golden, serialize
from tests.bot.render.htmlcheck import CAPTION_LIMIT, TEXT_LIMIT, assert_valid


@pytest.mark.parametrize("name", sorted(CASES))
def test_template_matches_its_golden_file_and_telegram_rules(name: str) -> None:
    rendered = CASES[name]()
    text = (
        rendered
        if isinstance(rendered, str)
        else (rendered.caption if isinstance(rendered, PhotoReply) else rendered.text)
    )
    assert_valid(text, limit=CAPTION_LIMIT if name in CAPTIONS else TEXT_LIMIT)
    keyboard = None if isinstance(rendered, str) else rendered.keyboard
    if keyboard is not None:
        for row in keyboard.inline_keyboard:
            for button in row:
                assert isinstance(button.callback_data, str)
                assert 1 <= len(button.callback_data.encode()) <= 64
                assert decode(button.callback_data) is not None, button.callback_data
    check_golden(name, serialize(rendered))


def test_every_golden_file_belongs_to_a_case() -> None:
    orphans = {p.stem for p in GOLDEN_DIR.glob("*.html")} - set(CASES)
    assert not orphans, f"golden files without a case (delete them): {sorted(orphans)}"


def test_a_missing_golden_file_fails_the_test(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match="missing"):
        check_golden("nothing_here", "<b>x</b>\n", tmp_path, update=False)


def test_a_changed_rendering_fails_the_golden_comparison(tmp_path: Path) -> None:
    check_golden("case", "<b>one</b>\n", tmp_path, update=True)
    check_golden("case", "<b>one</b>\n", tmp_path, update=False)
    with pytest.raises(AssertionError, match="differs"):
        check_golden("case", "<b>two</b>\n", tmp_path, update=False)
