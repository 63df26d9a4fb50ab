"""Every template with pinned inputs: the golden test renders each case, validates and compares it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import MappingProxyType

from bot.render import alerts, help, history, market, pnl, positions, replies, risk, settings, suggestions
from bot.render.commentary import Commentary, CommentarySource
from bot.render.help import Role
from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.notifications import NotificationSettings, NotificationType, NotifyMode
from core.clock import IST
from core.domain.trading import ExitReason, GateResult, SuggestionStatus
from core.errors import DataFetchError
from core.paper.audit import TradeDecisionLog
from core.services.results import CloseResult, DecisionResult, Outcome, ScanReport
from core.strategies.base import AlgoResult, Candidate
from tests.bot.render import factories as f

CLAUDE = Commentary(
    "NIFTY holds above the 24,000 put wall with IV near its median; a quiet, range-bound open is likely "
    "unless US futures extend their gains.",
    CommentarySource.CLAUDE,
)
AUTO = Commentary(
    "NIFTY 24,051 (-0.24%), VIX 13.42 (+2.84%). Regime normal. Put OI is heaviest at 24,000.",
    CommentarySource.AUTO,
)
AT = datetime(2026, 11, 25, 13, 15, tzinfo=IST)


def _approved() -> DecisionResult:
    s = f.suggestion(status=SuggestionStatus.EXECUTED, position_id=7, decided_by=1001)
    p = f.position(marked_at=f.NOW, sessions_held=1)
    return DecisionResult(Outcome.OK, "Approved: position #7 opened (Bull put spread, 1 lot(s)).", s, p)


def _refused() -> DecisionResult:
    s = f.suggestion(status=SuggestionStatus.REFUSED)
    reasons = (
        "the credit moved from 19.10 to 16.20 per unit (15%, tolerance 10%)",
        "trading is paused (/resume to continue)",
    )
    return DecisionResult(Outcome.REFUSED, "Approval of #42 refused.", s, reasons=reasons)


def _failed_gates_condor() -> Reply:
    gates = (
        *f.PASSED_GATES[:3],
        GateResult("max_positions", False, "3 positions open (limit 3)"),
        GateResult("margin", False, "margin ₹5,41,234.10 needed, ₹5,03,939.73 available"),
    )
    s = f.suggestion(
        id=43,
        algorithm="atlas",
        structure=f.iron_condor_structure(),
        lots=2,
        gates=gates,
        commentary="A short iron condor fits a range-bound session; both wings sit outside the expected move.",
        params=MappingProxyType({}),
        components=(),
    )
    return suggestions.suggestion_message(s)


def _settings_custom() -> NotificationSettings:
    return NotificationSettings(
        MappingProxyType(
            {NotificationType.SUGGESTIONS: NotifyMode.SILENT, NotificationType.ERRORS: NotifyMode.OFF}
        ),
        quiet_hours=True,
        quiet_start=time(21, 30),
        quiet_end=time(8, 0),
    )


def _scan() -> ScanReport:
    s = f.suggestion()
    cand = Candidate(s.structure, 1, s.score, s.components, s.rationale, s.exit_plan)
    return ScanReport(
        at=f.NOW,
        created=(s,),
        skipped_duplicates=1,
        results=(
            AlgoResult("range", (cand,)),
            AlgoResult("atlas", (), ("IV percentile unknown (vol history too short)",)),
            AlgoResult("trend", (cand,)),
        ),
        gate_failures=(("trend", (GateResult("max_positions", False, "3 positions open (limit 3)"),)),),
    )


def _many_decisions() -> list[TradeDecisionLog]:
    base = f.decisions()
    return [
        base[i % len(base)].model_copy(update={"at": f.NOW - timedelta(minutes=5 * i)}) for i in range(23)
    ]


def _pnl_photo() -> PhotoReply:
    return photo_reply(b"\x89PNG fake", pnl.pnl_caption(f.pnl_report()))


def _health() -> Reply:
    from bot.render.health import health_view
    from core.ops.health import Check, Level

    checks = [
        Check("config", Level.OK, "valid"),
        Check("database", Level.OK, "reachable, schema 0006"),
        Check("telegram", Level.OK, "token, chat and admins set"),
        Check("anthropic", Level.WARN, "no ANTHROPIC_API_KEY: commentary uses the automatic writer"),
        Check("calendar", Level.WARN, "the 2027 holiday list is not loaded yet"),
    ]
    breakers = [("kite", "open", "Kite did not answer <quote>"), ("yahoo", "closed", "")]
    parts = [("spot", "kite", "fresh", "13:14"), ("global", "yahoo", "stale", "08:40")]
    jobs = [("premarket_brief", "ok", "08:45"), ("opening_snapshot", "skipped", "09:20")]
    return health_view(
        checks, breakers, parts, jobs, 2, "4 requests, 5120 tokens, $0.0213", "0.1.0", 4 * 3600 + 300, AT
    )


CASES: dict[str, Callable[[], Reply | PhotoReply | str]] = {
    "health": _health,
    "reply_text_hint": lambda: replies.text_hint(),
    "reply_ask_unavailable": lambda: replies.ask_unavailable(),
    "reply_ask_answer": lambda: replies.ask_answer(
        "Expected move ±303 (1.25%) <per the straddle> & PCR 0.95."
    ),
    "reply_no_position": lambda: replies.no_position(42),
    "reply_position_already_closed": lambda: replies.position_already_closed(7),
    "reply_login_not_needed": lambda: replies.login_not_needed(),
    "reply_login_not_configured": lambda: replies.login_not_configured(),
    "reply_login_steps": lambda: replies.login_steps(
        "https://kite.zerodha.com/connect/login?v=3&api_key=k&x=<1>"
    ),
    "reply_login_failed": lambda: replies.login_failed("Kite refused the login: <expired>"),
    "reply_login_done": lambda: replies.login_done("ZX4821", datetime(2026, 11, 26, 6, 0, tzinfo=IST)),
    "reply_unexpected_error": lambda: replies.unexpected_error(),
    # help and access
    "start_viewer": lambda: help.start_text(Role.VIEWER, "Asha"),
    "help_viewer": lambda: help.help_text(Role.VIEWER),
    "help_trader": lambda: help.help_text(Role.TRADER),
    "help_admin": lambda: help.help_text(Role.ADMIN),
    "usage_history": lambda: help.usage("history", "n must be a whole number from 1 to 50, not 'ten'"),
    "usage_unknown_command": lambda: help.usage("frobnicate"),
    "unknown_command": lambda: help.unknown_command("/frobnicate"),
    "not_allowed": lambda: help.not_allowed("/reset", Role.TRADER),
    "unauthorized": help.unauthorized,
    "whoami_trader": lambda: help.whoami(1001, Role.TRADER, username="asha_k", name="Asha K"),
    "whoami_stranger": lambda: help.whoami(555, None),
    # market
    "brief": lambda: market.premarket_brief(f.snapshot(), AUTO),
    "brief_stale_claude": lambda: market.premarket_brief(f.snapshot(stale=True), CLAUDE),
    "chain": lambda: market.chain_view(f.snapshot(), f.NOW),
    "chain_far_expiry_three_strikes": lambda: market.chain_view(
        f.snapshot(stale=True), f.NOW, f.FAR_EXPIRY, 3
    ),
    "chain_missing_expiry": lambda: market.chain_view(f.snapshot(), f.NOW, date(2026, 12, 8)),
    "vol": lambda: market.vol_view(f.snapshot(), f.NOW),
    "vol_with_warnings": lambda: market.vol_view(
        replace(
            f.snapshot(),
            vol=f.vol_snapshot(rv_percentile=None, warnings=("RV history shorter than 1 year (212 days)",)),
        ),
        f.NOW,
    ),
    "vol_unknown": lambda: market.vol_view(replace(f.snapshot(stale=True), vol=None), f.NOW),
    "freshness_line": lambda: market.freshness_line(f.snapshot(stale=True), f.NOW),
    # suggestions
    "suggestion": lambda: suggestions.suggestion_message(f.suggestion()),
    "suggestion_condor_failed_gates": _failed_gates_condor,
    "suggestion_details": lambda: suggestions.suggestion_details(f.suggestion()),
    "decision_approved": lambda: suggestions.decision_edit(_approved(), by="Asha"),
    "decision_refused": lambda: suggestions.decision_edit(_refused(), by="Asha"),
    "decision_rejected": lambda: suggestions.decision_edit(
        DecisionResult(
            Outcome.OK,
            "Suggestion #42 rejected. Nothing was opened.",
            f.suggestion(status=SuggestionStatus.REJECTED),
        ),
        by="Ravi",
    ),
    "decision_expired": lambda: suggestions.decision_edit(
        DecisionResult(
            Outcome.EXPIRED,
            "Suggestion #42 has expired; nothing was opened.",
            f.suggestion(status=SuggestionStatus.EXPIRED),
        )
    ),
    "decision_already_approved": lambda: suggestions.decision_edit(
        DecisionResult(
            Outcome.ALREADY,
            "Suggestion #42 was already approved: position #7 is open.",
            f.suggestion(status=SuggestionStatus.EXECUTED),
        )
    ),
    "decision_not_found": lambda: suggestions.decision_edit(
        DecisionResult(Outcome.NOT_FOUND, "There is no suggestion #99."), suggestion=f.suggestion(id=99)
    ),
    "status_edit_expired": lambda: suggestions.suggestion_status_edit(
        f.suggestion(status=SuggestionStatus.EXPIRED)
    ),
    "pending": lambda: suggestions.pending_list(
        [
            f.suggestion(),
            f.suggestion(id=43, structure=f.iron_condor_structure(), expires_at=f.NOW + timedelta(minutes=3)),
        ],
        f.NOW,
    ),
    "pending_page_2": lambda: suggestions.pending_list(
        [f.suggestion(id=i) for i in range(50, 38, -1)], f.NOW, page=1
    ),
    "pending_empty": lambda: suggestions.pending_list([], f.NOW),
    "scan_summary": lambda: suggestions.scan_summary(_scan()),
    "scan_blocked": lambda: suggestions.scan_summary(
        ScanReport(
            f.NOW, (), 0, (), blocked=("the F&O market is closed now", "market data not fresh: chain: stale")
        )
    ),
    # positions
    "positions": lambda: positions.positions_view(
        [f.position_view(), f.position_view(f.position(id=8, lots=2, marked_at=None, sessions_held=1))]
    ),
    "positions_empty": lambda: positions.positions_view([]),
    "close_confirm": lambda: positions.close_confirm(f.position()),
    "close_cancelled": lambda: positions.close_cancelled(7),
    "close_result": lambda: positions.close_result(
        CloseResult(Outcome.OK, "Position #7 closed.", f.closed_position(reason=ExitReason.MANUAL))
    ),
    "close_result_refused": lambda: positions.close_result(
        CloseResult(Outcome.REFUSED, "The F&O market is closed; the position stays open.", f.position())
    ),
    # P&L, risk, history
    "pnl_week": lambda: pnl.pnl_message(f.pnl_report()),
    "pnl_day_nothing_closed": lambda: pnl.pnl_message(f.pnl_report("day", closed=())),
    "pnl_photo_caption": _pnl_photo,
    "chain_chart_caption": lambda: market.chain_chart_caption(f.chain()),
    "payoff_caption": lambda: suggestions.payoff_caption(f.suggestion(structure=f.iron_condor_structure())),
    "position_payoff_caption": lambda: positions.position_payoff_caption(f.position(), f.SPOT),
    "drawdown": lambda: risk.drawdown_view(f.risk_report(), is_admin=True),
    "drawdown_halted_admin": lambda: risk.drawdown_view(
        f.risk_report(tripped=True, paused=True), is_admin=True
    ),
    "drawdown_halted_viewer": lambda: risk.drawdown_view(f.risk_report(tripped=True), is_admin=False),
    "reset_confirm": lambda: risk.reset_confirm(f.risk_report(tripped=True)),
    "reset_done": lambda: risk.reset_done(f.risk_report(), by="Admin Priya"),
    "reset_cancelled": risk.reset_cancelled,
    "paused": lambda: risk.pause_result(f.risk_report(paused=True)),
    "resumed_but_halted": lambda: risk.pause_result(f.risk_report(tripped=True)),
    "history": lambda: history.history_view(
        [
            f.closed_position(9, ExitReason.MANUAL, short_exit="58.00", long_exit="41.00"),
            f.closed_position(8, ExitReason.STOP_LOSS, short_exit="92.40", long_exit="55.10"),
            f.closed_position(7, ExitReason.PROFIT_TARGET),
        ],
        10,
    ),
    "history_empty": lambda: history.history_view([], 10),
    "history_page_2": lambda: history.history_view(
        [f.closed_position(i, ExitReason.TIME_LIMIT) for i in range(40, 28, -1)], 12, page=1, per_page=10
    ),
    "audit_page_3": lambda: history.audit_view(_many_decisions(), 50, page=2, per_page=10),
    "audit": lambda: history.audit_view(f.decisions(), 10),
    "audit_empty": lambda: history.audit_view([], 10),
    "settings_default": lambda: settings.settings_view(NotificationSettings()),
    "settings_custom": lambda: settings.settings_view(_settings_custom()),
    # alerts and summaries
    "alert_fill": lambda: alerts.fill_alert(f.position(marked_at=f.NOW, sessions_held=1)),
    "alert_exit_stop_loss": lambda: alerts.exit_alert(
        f.closed_position(8, ExitReason.STOP_LOSS, short_exit="92.40", long_exit="55.10")
    ),
    "alert_risk_tripped": lambda: alerts.risk_tripped_alert(f.risk_state(tripped=True), ["daily_loss"]),
    "alert_risk_tripped_event": lambda: alerts.risk_tripped_text(
        ["daily loss limit", "drawdown"], f.risk_state(tripped=True).reasons, AT
    ),
    "alert_risk_reset": lambda: alerts.risk_changed_alert(
        "reset",
        "breakers reset (were: daily_loss); limits re-based on equity 992659.45",
        "active",
        by="Admin Priya",
    ),
    "alert_unusual_loss": lambda: alerts.unusual_loss_alert(Decimal("-12450.00"), Decimal("10000.00"), AT),
    "alert_source_breaker_open": lambda: alerts.source_breaker_alert(
        "kite_quote", "open", "5 failures in a row: NetworkException (429)", AT, retry_in_seconds=60
    ),
    "alert_source_breaker_half_open": lambda: alerts.source_breaker_alert(
        "kite_quote", "half_open", None, AT
    ),
    "alert_source_breaker_closed": lambda: alerts.source_breaker_alert(
        "kite_quote", False, None, AT + timedelta(minutes=1)
    ),
    "alert_stale_data": lambda: alerts.stale_data_alert(
        f.snapshot(stale=True).stale_parts(("spot", "chain", "global")), AT
    ),
    "alert_token_expired": lambda: alerts.token_expired_alert(datetime(2026, 11, 26, 8, 58, tzinfo=IST)),
    "alert_calendar_missing": lambda: alerts.calendar_missing_alert(2027),
    "alert_error_project": lambda: alerts.error_alert(
        "the position monitor",
        DataFetchError("Kite did not answer the quote request in 7 s.", source="kite"),
        AT,
    ),
    "alert_error_unexpected": lambda: alerts.error_alert("the scan job", KeyError("api_key=sk-secret"), AT),
    "alert_error_storm": lambda: alerts.error_alert(
        "the monitor job", "unexpected TimeoutError (details in the log)", AT, 14
    ),
    "alert_llm_budget": lambda: alerts.llm_budget_alert(
        Decimal("2.0134"), Decimal("2.00"), date(2026, 11, 25)
    ),
    "eod_summary": lambda: alerts.eod_summary(
        date(2026, 11, 27),
        f.pnl_report("day", closed=f.week_closed()[1:]),
        f.risk_state(),
        AUTO,
    ),
    "weekly_summary": lambda: alerts.weekly_summary(f.pnl_report(), f.risk_state(tripped=True), CLAUDE),
}

# Templates that become photo captions are held to the caption limit.
CAPTIONS = {"pnl_photo_caption", "chain_chart_caption", "payoff_caption", "position_payoff_caption"}
