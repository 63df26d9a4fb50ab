"""Fixtures for the operations tests: a clean environment for commands that read settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config.settings import Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No deployment setting leaks in from the machine or a ``.env``: the working directory is a fresh
    temporary directory and every variable Settings reads is unset. Returns that directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path
