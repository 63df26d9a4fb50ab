"""The desk service: scans, approvals, rejections, closes and the position monitor.

This is the one place where trading happens; the bot, the CLI, the scheduler, the demo and the replay
all call it. Each state change runs in one database transaction together with its audit row and its
outbox event (``core.services.events``), so a crash leaves either all of it or none of it.

Approval is idempotent and race-safe:
1. claim: a conditional UPDATE moves the suggestion from ``pending`` to ``approved`` (one winner);
2. re-price: a fresh snapshot, the same legs re-quoted, fills computed, the price tolerance checked;
3. open: in one transaction (the risk row locked, so openings are serialized) every gate runs again on
   the fresh data and either the position is inserted (``positions.suggestion_id`` is UNIQUE) and the
   suggestion becomes ``executed``, or the suggestion becomes ``refused`` with the reasons.
A crash between 1 and 3 leaves ``approved`` rows; :meth:`DeskService.recover` refuses them at start-up,
so every approved suggestion ends executed or refused with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from core.analytics.greeks import PayoffLeg, payoff_at_expiry
from core.clock import IST, Clock
from core.config.schema import NiftyConfig
from core.domain.market import MarketSnapshot, VolRegime
from core.domain.money import ZERO, paise
from core.domain.trading import (
    EquityPoint,
    ExitReason,
    GateResult,
    Position,
    PositionLeg,
    PositionStatus,
    RiskState,
    StructureLeg,
    Suggestion,
    SuggestionStatus,
)
from core.errors import DataValidationError, NiftyBaseError
from core.market_hours import NSECalendar
from core.paper.audit import DecisionAction, DecisionBuffer, TradeDecisionLog, log_trade_decision
from core.paper.charges import ChargeSchedule, compute_charges
from core.paper.fills import StructureFill, fill_entry, fill_exit
from core.paper.risk import RiskInputs, equity, evaluate, headroom
from core.persistence.desk_repo import DeskRepository, desk_uow, fingerprint
from core.persistence.models.desk import RiskStateRow
from core.services.events import EventKind, record_event
from core.services.market import MarketService
from core.services.results import (
    CloseResult,
    DecisionResult,
    ExitRecord,
    MonitorReport,
    Outcome,
    RiskReport,
    ScanReport,
)
from core.strategies.base import AlgoContext, AlgoResult, Algorithm
from core.strategies.gates import GateContext, run_gates
from core.strategies.legs import quote_legs, requote_legs

log = logging.getLogger(__name__)


def _gates_json(gates: Sequence[GateResult]) -> list[dict[str, object]]:
    return [{"name": g.name, "passed": g.passed, "reason": g.reason} for g in gates]


def position_max_loss(legs: Sequence[PositionLeg]) -> Decimal:
    """Worst P&L at expiry over all underlying prices (rupees, positive), from the filled prices.

    The payoff is piecewise linear with kinks at the strikes, so its minimum is at a strike or at an
    end; defined-risk structures have flat wings, so the ends are finite.
    """
    payoff = [
        PayoffLeg(
            leg.contract.strike,
            leg.contract.option_type,
            leg.action.sign,
            leg.quantity,
            float(leg.entry_price),
        )
        for leg in legs
    ]
    strikes = sorted({leg.contract.strike for leg in legs})
    knots = np.array([0.0, *strikes, strikes[-1] * 2.0])
    worst = float(payoff_at_expiry(payoff, knots).min())
    return paise(max(Decimal(repr(-worst)), ZERO))


def _net_per_unit(fill: StructureFill, units: int) -> Decimal:
    """Net premium per unit of one structure lot: + credit / - debit."""
    return (fill.net_premium / units).quantize(Decimal("0.01"))


def _risk_fields(row: RiskStateRow) -> tuple[object, ...]:
    """What a risk evaluation may change in the stored state (``DeskService._risk``)."""
    return (row.trading_day, row.day_start_equity, row.peak_equity, row.tripped, row.tripped_at)


class DeskService:
    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        config: NiftyConfig,
        calendar: NSECalendar,
        clock: Clock,
        market: MarketService,
        algorithms: Sequence[Algorithm],
        audit: DecisionBuffer | None = None,
        charges: ChargeSchedule | None = None,
    ) -> None:
        self.factory = factory
        self.config = config
        self.calendar = calendar
        self.clock = clock
        self.market = market
        self.algorithms = list(algorithms)
        self.audit = audit or DecisionBuffer()
        self.charges = charges
        # Optional: writes a suggestion's commentary paragraph (the bot wires Claude in here).
        self.annotate: Callable[[Suggestion], Awaitable[str | None]] | None = None

    async def _annotate(self, s: Suggestion) -> str | None:
        assert self.annotate is not None
        try:
            return await self.annotate(s)
        except Exception:  # commentary is optional; the deterministic rationale stays
            log.exception("suggestion commentary failed")
            return None

    # ---- plumbing -----------------------------------------------------------------------------------
    def _audit(self, repo: DeskRepository, decision: TradeDecisionLog) -> None:
        repo.add_decision(decision.to_row())
        log_trade_decision(decision, self.audit)

    @staticmethod
    def _day(now: datetime) -> date:
        return now.astimezone(IST).date()

    def _risk(
        self, repo: DeskRepository, now: datetime, positions: Sequence[Position] | None = None
    ) -> tuple[RiskState, frozenset[str]]:
        """Evaluate the risk state, roll the trading day and the peak, store trips, raise alerts.

        ``positions``: the open positions as the caller already holds them (the monitor, after marking);
        read from the database when not given."""
        pt = self.config.paper_trading
        row = repo.risk_row(pt.capital, now, lock=True)
        # ``updated_at`` says when the state last changed, not when it was last looked at: a read
        # (/drawdown, /health, the metrics scrape) that changes nothing writes nothing.
        was = _risk_fields(row)
        if positions is None:
            positions = repo.open_positions()
        today = self._day(now)
        midnight = datetime.combine(today, datetime.min.time(), IST)
        realized_total, realized_today = repo.realized_net(midnight, midnight + timedelta(days=1))
        if row.trading_day != today or row.day_start_equity is None:
            # First look of a new day: equity at the last marks, before today's realized P&L.
            row.trading_day = today
            row.day_start_equity = equity(pt.capital, realized_total - realized_today, positions)
        inputs = RiskInputs(
            trading_day=today,
            day_start_equity=row.day_start_equity,
            peak_equity=row.peak_equity,
            tripped=frozenset(t for t in row.tripped.split(",") if t),
            tripped_at=row.tripped_at,
            paused=row.paused,
            paused_by=row.paused_by,
        )
        state, newly = evaluate(
            pt,
            inputs,
            realized_net_total=realized_total,
            realized_today=realized_today,
            positions=positions,
            now=now,
        )
        row.peak_equity = state.peak_equity
        if newly:
            row.tripped = ",".join(state.tripped)
            row.tripped_at = state.tripped_at
            row.trip_reason = "; ".join(state.reasons)
            self._audit(
                repo,
                TradeDecisionLog(
                    at=now,
                    action=DecisionAction.TRIP,
                    outcome="halted",
                    reason="; ".join(state.reasons),
                    details={"breakers": sorted(newly), "equity": str(state.equity)},
                ),
            )
            record_event(
                repo.session,
                EventKind.RISK_TRIPPED,
                now,
                {"breakers": sorted(newly), "reasons": list(state.reasons), "equity": str(state.equity)},
            )
        if _risk_fields(row) != was:
            row.updated_at = now
        threshold = paise(pt.capital * Decimal(str(self.config.alerts.unusual_loss_fraction)))
        day_pnl = paise(state.equity - row.day_start_equity)
        if -day_pnl >= threshold:
            record_event(
                repo.session,
                EventKind.UNUSUAL_LOSS,
                now,
                {"day_pnl": str(day_pnl), "threshold": str(threshold)},
                dedupe_key=f"unusual_loss:{today.isoformat()}",
            )
        return state, newly

    def _equity_point(self, repo: DeskRepository, state: RiskState, now: datetime) -> None:
        repo.add_equity_point(
            EquityPoint(
                now,
                paise(state.equity - self.config.paper_trading.capital - state.unrealized),
                state.unrealized,
                state.equity,
            )
        )

    def _gate_context(
        self,
        snap: MarketSnapshot,
        risk: RiskState,
        positions: Sequence[Position],
        s: Suggestion,
        now: datetime,
    ) -> GateContext:
        return GateContext(
            now=now,
            calendar=self.calendar,
            config=self.config,
            snapshot=snap,
            risk=risk,
            open_positions=positions,
            algorithm=s.algorithm,
            structure=s.structure,
            lots=s.lots,
        )

    # ---- scan -----------------------------------------------------------------------------------------
    def _candidates(
        self, snap: MarketSnapshot, risk: RiskState, positions: Sequence[Position], now: datetime
    ) -> tuple[list[AlgoResult], list[Suggestion]]:
        """Every enabled algorithm's candidates as unsaved suggestions, each with its gate results."""
        ttl = timedelta(minutes=self.config.paper_trading.suggestion_ttl_minutes)
        results: list[AlgoResult] = []
        out: list[Suggestion] = []
        for algo in self.algorithms:
            algo_cfg = self.config.algorithms.get(algo.name)
            if algo_cfg is None or not algo_cfg.enabled:
                continue
            ctx = AlgoContext(now, self.calendar, self.config, algo_cfg, snap, risk, positions)
            try:
                result = algo.propose(ctx)
            except NiftyBaseError as exc:
                result = AlgoResult(algo.name, (), (exc.user_message,))
            results.append(result)
            for cand in result.candidates:
                s = Suggestion(
                    algorithm=algo.name,
                    structure=cand.structure,
                    lots=cand.lots,
                    score=cand.score,
                    components=cand.components,
                    rationale=cand.rationale,
                    gates=(),
                    exit_plan=cand.exit_plan,
                    regime=snap.vol.regime if snap.vol else VolRegime.UNKNOWN,
                    created_at=now,
                    expires_at=now + ttl,
                    params=cand.params,
                )
                out.append(replace(s, gates=run_gates(self._gate_context(snap, risk, positions, s, now))))
        return results, out

    def _blocked(self, snap: MarketSnapshot, now: datetime) -> list[str]:
        """Why no algorithm should even look now: the market is shut or the data cannot be trusted."""
        if not self.calendar.is_market_open(now):
            return ["the F&O market is closed"]
        stale = snap.stale_parts(("spot", "vix", "chain"))
        return [f"market data not fresh: {p}" for p in stale]

    async def dry_scan(self) -> ScanReport:
        """What a scan would suggest now, without storing, announcing or auditing anything."""
        snap = await self.market.snapshot(max_age_seconds=30)
        now = self.clock.now()
        with self.factory() as session:
            repo = DeskRepository(session)
            risk, _ = self._risk(repo, now)
            positions = repo.open_positions()
            session.rollback()
        results, cands = self._candidates(snap, risk, positions, now)
        return ScanReport(
            at=now,
            created=tuple(s for s in cands if s.gates_passed),
            skipped_duplicates=0,
            results=tuple(results),
            gate_failures=tuple((s.algorithm, s.gates) for s in cands if not s.gates_passed),
        )

    async def scan(self) -> ScanReport:
        """Run every enabled algorithm on a fresh snapshot; store and announce the suggestions that
        pass the gates (candidates that fail are audited as skipped, with the gate reasons)."""
        snap = await self.market.snapshot(max_age_seconds=30)
        now = self.clock.now()
        created: list[Suggestion] = []
        failures: list[tuple[str, tuple[GateResult, ...]]] = []
        duplicates = 0
        blocked = self._blocked(snap, now)
        if blocked:
            with desk_uow(self.factory) as repo:
                for sid in repo.expire_due(now):
                    self._expired(repo, sid, now)
                self._audit(
                    repo,
                    TradeDecisionLog(
                        at=now, action=DecisionAction.SKIP, outcome="blocked", reason="; ".join(blocked)
                    ),
                )
            return ScanReport(at=now, created=(), skipped_duplicates=0, results=(), blocked=tuple(blocked))
        with desk_uow(self.factory) as repo:
            for sid in repo.expire_due(now):
                self._expired(repo, sid, now)
            risk, _ = self._risk(repo, now)
            positions = repo.open_positions()
            results, cands = self._candidates(snap, risk, positions, now)
            already = {
                fingerprint(s) for s in cands if repo.pending_with_fingerprint(fingerprint(s)) is not None
            }
        if self.annotate is not None:
            # Commentary (Claude, with its own deadline and fallback) is written outside any transaction,
            # and only for suggestions that will be stored.
            cands = [
                replace(s, commentary=await self._annotate(s))
                if s.gates_passed and fingerprint(s) not in already
                else s
                for s in cands
            ]
        with desk_uow(self.factory) as repo:
            regime = snap.vol.regime.value if snap.vol else None
            for result in results:
                if not result.candidates:
                    self._audit(
                        repo,
                        TradeDecisionLog(
                            at=now,
                            action=DecisionAction.SKIP,
                            algorithm=result.algorithm,
                            outcome="no_candidate",
                            regime=regime,
                            reason="; ".join(result.notes) or "no signal",
                        ),
                    )
            for s in cands:
                common = dict(
                    at=now,
                    algorithm=s.algorithm,
                    strategy=s.structure.kind.value,
                    regime=s.regime.value,
                    score=s.score,
                    lots=s.lots,
                    gate_checks=_gates_json(s.gates),
                    params=dict(s.params),
                )
                if not s.gates_passed:
                    failures.append((s.algorithm, s.gates))
                    reasons = "; ".join(g.reason for g in s.gates if not g.passed)
                    self._audit(
                        repo,
                        TradeDecisionLog(
                            action=DecisionAction.SKIP, outcome="gates_failed", reason=reasons, **common
                        ),
                    )
                    continue
                if repo.pending_with_fingerprint(fingerprint(s)) is not None:
                    duplicates += 1
                    continue
                stored = repo.add_suggestion(s)
                created.append(stored)
                self._audit(
                    repo,
                    TradeDecisionLog(
                        action=DecisionAction.SUGGEST,
                        outcome="pending",
                        suggestion_id=stored.id,
                        reason=s.rationale,
                        **common,
                    ),
                )
                record_event(repo.session, EventKind.SUGGESTION_CREATED, now, {"suggestion_id": stored.id})
        return ScanReport(
            at=now,
            created=tuple(created),
            skipped_duplicates=duplicates,
            results=tuple(results),
            gate_failures=tuple(failures),
        )

    # ---- suggestions ----------------------------------------------------------------------------------
    def _expired(self, repo: DeskRepository, sid: int, now: datetime) -> None:
        self._audit(
            repo,
            TradeDecisionLog(at=now, action=DecisionAction.EXPIRE, outcome="expired", suggestion_id=sid),
        )
        record_event(
            repo.session, EventKind.SUGGESTION_DECIDED, now, {"suggestion_id": sid, "status": "expired"}
        )

    def expire(self) -> list[int]:
        now = self.clock.now()
        with desk_uow(self.factory) as repo:
            ids = repo.expire_due(now)
            for sid in ids:
                self._expired(repo, sid, now)
        return ids

    def pending(self) -> list[Suggestion]:
        self.expire()
        with desk_uow(self.factory, write=False) as repo:
            return list(reversed(repo.suggestions([SuggestionStatus.PENDING])))

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        with desk_uow(self.factory, write=False) as repo:
            return repo.get_suggestion(suggestion_id)

    def _settled(self, s: Suggestion, repo: DeskRepository) -> DecisionResult:
        """The answer for a suggestion that is no longer pending."""
        if s.status is SuggestionStatus.EXECUTED:
            pos = repo.position_for_suggestion(s.id) if s.id is not None else None
            return DecisionResult(
                Outcome.ALREADY,
                f"Suggestion #{s.id} was already approved: position #{s.position_id} is open."
                if pos is None or pos.is_open
                else f"Suggestion #{s.id} was already approved (position #{s.position_id}, now closed).",
                s,
                pos,
            )
        if s.status is SuggestionStatus.APPROVED:
            return DecisionResult(Outcome.ALREADY, f"Suggestion #{s.id} is being approved right now.", s)
        if s.status is SuggestionStatus.EXPIRED:
            return DecisionResult(Outcome.EXPIRED, f"Suggestion #{s.id} has expired; nothing was opened.", s)
        if s.status is SuggestionStatus.REJECTED:
            return DecisionResult(Outcome.FINAL, f"Suggestion #{s.id} was already rejected.", s)
        return DecisionResult(
            Outcome.FINAL,
            f"Suggestion #{s.id} was refused earlier: {s.status_reason or 'no reason recorded'}.",
            s,
            reasons=(s.status_reason or "",),
        )

    def _claim(
        self,
        repo: DeskRepository,
        suggestion_id: int,
        user_id: int,
        now: datetime,
        *,
        to: SuggestionStatus,
        reason: str | None = None,
        not_expired_at: datetime | None = None,
    ) -> Suggestion | DecisionResult:
        """Move a pending suggestion to ``to`` (approved or rejected) in the caller's transaction, or
        say why not: it does not exist, it expired (recorded as expired now), or another decision got
        there first (compare-and-set on the status, so two presses decide once)."""
        s = repo.get_suggestion(suggestion_id)
        if s is None:
            return DecisionResult(Outcome.NOT_FOUND, f"There is no suggestion #{suggestion_id}.")
        if s.status is SuggestionStatus.PENDING and s.expired(now):
            if repo.transition(
                suggestion_id,
                from_=[SuggestionStatus.PENDING],
                to=SuggestionStatus.EXPIRED,
                at=now,
                reason="expired",
            ):
                self._expired(repo, suggestion_id, now)
        elif repo.transition(
            suggestion_id,
            from_=[SuggestionStatus.PENDING],
            to=to,
            reason=reason,
            user_id=user_id,
            at=now,
            not_expired_at=not_expired_at,
        ):
            return s
        current = repo.get_suggestion(suggestion_id)
        assert current is not None
        return self._settled(current, repo)

    def reject(self, suggestion_id: int, user_id: int) -> DecisionResult:
        now = self.clock.now()
        with desk_uow(self.factory) as repo:
            claimed = self._claim(
                repo, suggestion_id, user_id, now, to=SuggestionStatus.REJECTED, reason="rejected by a trader"
            )
            if isinstance(claimed, DecisionResult):
                return claimed
            s = claimed
            self._audit(
                repo,
                TradeDecisionLog(
                    at=now,
                    action=DecisionAction.REJECT,
                    outcome="rejected",
                    algorithm=s.algorithm,
                    strategy=s.structure.kind.value,
                    suggestion_id=suggestion_id,
                    user_id=user_id,
                ),
            )
            record_event(
                repo.session,
                EventKind.SUGGESTION_DECIDED,
                now,
                {"suggestion_id": suggestion_id, "status": "rejected", "user_id": user_id},
            )
            done = repo.get_suggestion(suggestion_id)
        return DecisionResult(Outcome.OK, f"Suggestion #{suggestion_id} rejected. Nothing was opened.", done)

    def _refuse(
        self, suggestion_id: int, user_id: int, reasons: Sequence[str], now: datetime
    ) -> DecisionResult:
        text = "; ".join(reasons)
        with desk_uow(self.factory) as repo:
            repo.transition(
                suggestion_id,
                from_=[SuggestionStatus.APPROVED],
                to=SuggestionStatus.REFUSED,
                reason=text,
                at=now,
            )
            s = repo.get_suggestion(suggestion_id)
            self._audit(
                repo,
                TradeDecisionLog(
                    at=now,
                    action=DecisionAction.REFUSE,
                    outcome="refused",
                    algorithm=s.algorithm if s else None,
                    strategy=s.structure.kind.value if s else None,
                    suggestion_id=suggestion_id,
                    user_id=user_id,
                    reason=text,
                ),
            )
            record_event(
                repo.session,
                EventKind.SUGGESTION_DECIDED,
                now,
                {"suggestion_id": suggestion_id, "status": "refused", "reason": text, "user_id": user_id},
            )
        return DecisionResult(
            Outcome.REFUSED,
            f"Approval of #{suggestion_id} refused: {text}. Nothing was opened.",
            s,
            reasons=tuple(reasons),
        )

    async def approve(self, suggestion_id: int, user_id: int) -> DecisionResult:
        now = self.clock.now()
        # 1. claim
        with desk_uow(self.factory) as repo:
            claimed = self._claim(
                repo, suggestion_id, user_id, now, to=SuggestionStatus.APPROVED, not_expired_at=now
            )
            if isinstance(claimed, DecisionResult):
                return claimed
            s = claimed
            self._audit(
                repo,
                TradeDecisionLog(
                    at=now,
                    action=DecisionAction.APPROVE,
                    outcome="claimed",
                    algorithm=s.algorithm,
                    suggestion_id=suggestion_id,
                    user_id=user_id,
                ),
            )
        # 2. re-price on fresh quotes
        try:
            snap = await self.market.snapshot(max_age_seconds=5)
        except Exception as exc:  # the data path failed: refuse, never open blind
            log.warning("approval %s: snapshot failed: %s", suggestion_id, exc)
            return self._refuse(suggestion_id, user_id, ["market data is unavailable right now"], now)
        now = self.clock.now()
        chain = snap.chain(s.structure.expiry)
        if chain is None:
            return self._refuse(
                suggestion_id,
                user_id,
                [f"no chain for the {s.structure.expiry:%d %b} expiry in the latest data"],
                now,
            )
        legs = requote_legs(s.structure.legs, chain)
        try:
            fill = fill_entry(legs, s.lots, s.structure.lot_size, self.config.paper_trading.slippage_ticks)
        except DataValidationError as exc:
            return self._refuse(suggestion_id, user_id, [exc.user_message.rstrip(".")], now)
        units = s.lots * s.structure.lot_size
        new_net = _net_per_unit(fill, units)
        old_net = s.structure.net_mid
        tolerance = Decimal(str(self.config.paper_trading.approval_price_tolerance))
        moved = abs(new_net - old_net) / abs(old_net) if old_net != 0 else Decimal(0)
        if moved > tolerance:
            kind = "credit" if s.structure.is_credit else "debit"
            return self._refuse(
                suggestion_id,
                user_id,
                [
                    f"the {kind} moved from {abs(old_net):.2f} to {abs(new_net):.2f} per unit "
                    f"({moved:.0%}, tolerance {tolerance:.0%})"
                ],
                now,
            )
        # 3. re-check every gate on the fresh data and open, in one transaction
        fresh = replace(s, structure=replace(s.structure, legs=legs))
        with desk_uow(self.factory) as repo:
            risk, _ = self._risk(repo, now)  # locks the risk row: openings are serialized
            positions = repo.open_positions()
            gates = run_gates(self._gate_context(snap, risk, positions, fresh, now))
            reasons = [g.reason for g in gates if not g.passed]
            position = None if reasons else self._open(repo, s, fill, user_id, now)
            if position is not None:
                state, _ = self._risk(repo, now)
                self._equity_point(repo, state, now)
                executed = repo.get_suggestion(suggestion_id)
        if position is None:
            return self._refuse(
                suggestion_id, user_id, reasons or ["this suggestion was already executed"], now
            )
        return DecisionResult(
            Outcome.OK,
            f"Approved: position #{position.id} opened ({s.structure.kind.label}, {s.lots} lot(s)).",
            executed,
            position,
        )

    def _open(
        self, repo: DeskRepository, s: Suggestion, fill: StructureFill, user_id: int, now: datetime
    ) -> Position | None:
        assert s.id is not None
        charges = compute_charges(fill.legs, self._day(now), self.charges)
        legs = tuple(
            PositionLeg(f.contract, f.action, f.quantity, f.price, mark=f.mid.quantize(Decimal("0.01")))
            for f in fill.legs
        )
        today = self._day(now)
        plan = s.exit_plan
        position = Position(
            id=0,
            suggestion_id=s.id,
            algorithm=s.algorithm,
            kind=s.structure.kind,
            expiry=s.structure.expiry,
            lots=s.lots,
            lot_size=s.structure.lot_size,
            legs=legs,
            exit_plan=plan,
            opened_at=now,
            opened_by=user_id,
            status=PositionStatus.OPEN,
            entry_charges=charges,
            sessions_held=1,
            last_session_date=today,
            marked_at=now,
            max_loss=position_max_loss(legs),
            margin=paise(s.structure.margin * s.lots),
        )
        if repo.position_for_suggestion(s.id) is not None:
            return None
        stored = repo.add_position(position)
        if not repo.transition(
            s.id,
            from_=[SuggestionStatus.APPROVED],
            to=SuggestionStatus.EXECUTED,
            position_id=stored.id,
            at=now,
        ):
            raise NiftyBaseError(f"suggestion #{s.id} changed state while opening; rolled back")
        self._audit(
            repo,
            TradeDecisionLog(
                at=now,
                action=DecisionAction.OPEN,
                outcome="executed",
                algorithm=s.algorithm,
                strategy=s.structure.kind.value,
                regime=s.regime.value,
                score=s.score,
                lots=s.lots,
                user_id=user_id,
                suggestion_id=s.id,
                position_id=stored.id,
                gate_checks=_gates_json(s.gates),
                params=dict(s.params),
                details={
                    "fills": [f.label for f in fill.legs],
                    "net_premium": str(fill.net_premium),
                    "charges": str(charges.total),
                },
            ),
        )
        record_event(
            repo.session,
            EventKind.POSITION_OPENED,
            now,
            {"position_id": stored.id, "suggestion_id": s.id, "user_id": user_id},
        )
        return stored

    def recover(self) -> list[int]:
        """At start-up: approvals interrupted by a crash are refused with the reason (nothing opened)."""
        now = self.clock.now()
        refused = []
        with desk_uow(self.factory) as repo:
            for s in repo.suggestions([SuggestionStatus.APPROVED]):
                assert s.id is not None
                pos = repo.position_for_suggestion(s.id)
                if pos is not None:  # opened, but the status update was lost: cannot happen in one tx
                    repo.transition(
                        s.id,
                        from_=[SuggestionStatus.APPROVED],
                        to=SuggestionStatus.EXECUTED,
                        position_id=pos.id,
                        at=now,
                    )
                    continue
                reason = "the desk restarted during the approval; nothing was opened"
                repo.transition(
                    s.id,
                    from_=[SuggestionStatus.APPROVED],
                    to=SuggestionStatus.REFUSED,
                    reason=reason,
                    at=now,
                )
                self._audit(
                    repo,
                    TradeDecisionLog(
                        at=now,
                        action=DecisionAction.REFUSE,
                        outcome="refused",
                        algorithm=s.algorithm,
                        suggestion_id=s.id,
                        reason=reason,
                    ),
                )
                record_event(
                    repo.session,
                    EventKind.SUGGESTION_DECIDED,
                    now,
                    {"suggestion_id": s.id, "status": "refused", "reason": reason},
                )
                refused.append(s.id)
        return refused

    # ---- positions ------------------------------------------------------------------------------------
    def open_positions(self) -> list[Position]:
        with desk_uow(self.factory, write=False) as repo:
            return repo.open_positions()

    def position(self, position_id: int) -> Position | None:
        with desk_uow(self.factory, write=False) as repo:
            return repo.get_position(position_id)

    def _exit_reason(self, p: Position, now: datetime) -> ExitReason | None:
        local = now.astimezone(IST)
        if p.expiry < local.date():
            return ExitReason.EXPIRY
        if p.expiry == local.date() and local.time() >= self.config.paper_trading.expiry_square_off:
            return ExitReason.EXPIRY
        per_lot = p.unrealized_pnl / p.lots
        if per_lot >= p.exit_plan.profit_target:
            return ExitReason.PROFIT_TARGET
        if -per_lot >= p.exit_plan.stop_loss:
            return ExitReason.STOP_LOSS
        if p.exit_plan.max_sessions is not None and p.sessions_held > p.exit_plan.max_sessions:
            return ExitReason.TIME_LIMIT
        return None

    def _marked(self, p: Position, legs: Sequence[StructureLeg], now: datetime) -> Position:
        """The position with new marks (mid when two-sided, else the previous mark) and sessions held."""
        marks = []
        for leg, q in zip(p.legs, legs, strict=True):
            mark = q.mid.quantize(Decimal("0.01")) if q.mid is not None else leg.mark
            marks.append(replace(leg, mark=mark))
        today = self._day(now)
        held, last = p.sessions_held, p.last_session_date
        if self.calendar.is_market_open(now) and last != today:
            held, last = held + 1, today
        return replace(p, legs=tuple(marks), marked_at=now, sessions_held=held, last_session_date=last)

    def _close(
        self,
        repo: DeskRepository,
        p: Position,
        legs: Sequence[StructureLeg],
        reason: ExitReason,
        now: datetime,
        by: int | None,
        snap: MarketSnapshot | None = None,
        *,
        settle_at: float | None = None,
    ) -> Position | None:
        """Fill the exit and close ``p`` in the caller's transaction. Expired contracts settle at
        intrinsic value against ``settle_at``, NIFTY's close on the expiry day; when that could not be
        read, against the snapshot's spot (said in the audit row)."""
        settlement: dict[str, str] = {}
        if p.expiry < self._day(now):
            if settle_at is not None:
                spot = paise(Decimal(str(settle_at)))
                settlement = {"settled_at": str(spot), "settlement": f"NIFTY close of {p.expiry}"}
            elif snap is not None and snap.spot is not None:
                spot = paise(Decimal(str(snap.spot.last)))
                settlement = {
                    "settled_at": str(spot),
                    "settlement": f"NIFTY at {now.astimezone(IST):%Y-%m-%d %H:%M} IST "
                    f"(the close of {p.expiry} was unavailable)",
                }
                log.warning("position #%s settled at the current NIFTY level: %s", p.id, settlement)
            else:
                raise DataValidationError("cannot settle an expired position without the NIFTY level")
            prices = {}
            for leg in p.legs:
                k = Decimal(str(leg.contract.strike))
                intrinsic = max(spot - k, ZERO) if leg.contract.option_type == "CE" else max(k - spot, ZERO)
                assert leg.id is not None
                prices[leg.id] = paise(intrinsic)
            charges = compute_charges([], self._day(now), self.charges)
        else:
            sl = [
                StructureLeg(q.contract, pl.action, q.bid, q.ask, q.mid, None, None)
                for pl, q in zip(p.legs, legs, strict=True)
            ]
            fill = fill_exit(sl, p.lots, p.lot_size, self.config.paper_trading.slippage_ticks)
            prices = {}
            for leg, f in zip(p.legs, fill.legs, strict=True):
                assert leg.id is not None
                prices[leg.id] = f.price
            charges = compute_charges(fill.legs, self._day(now), self.charges)
        closed = repo.close_position(
            p.id, exit_prices=prices, exit_charges=charges, reason=reason, at=now, by=by
        )
        if closed is None:
            return None
        self._audit(
            repo,
            TradeDecisionLog(
                at=now,
                action=DecisionAction.EXIT,
                outcome=reason.value,
                algorithm=p.algorithm,
                strategy=p.kind.value,
                lots=p.lots,
                reason=reason.label,
                pnl=closed.net_realized_pnl,
                user_id=by,
                suggestion_id=p.suggestion_id,
                position_id=p.id,
                details={
                    "gross": str(closed.realized_pnl),
                    "charges": str(closed.charges.total),
                    **settlement,
                },
            ),
        )
        record_event(
            repo.session,
            EventKind.POSITION_CLOSED,
            now,
            {"position_id": p.id, "reason": reason.value, "user_id": by},
        )
        return closed

    async def close(self, position_id: int, user_id: int) -> CloseResult:
        """Close a position by hand at current quotes (the trader confirmed in the chat)."""
        with desk_uow(self.factory, write=False) as repo:
            p = repo.get_position(position_id)
        if p is None:
            return CloseResult(Outcome.NOT_FOUND, f"There is no position #{position_id}.")
        if not p.is_open:
            return CloseResult(Outcome.ALREADY, f"Position #{position_id} is already closed.", p)
        if not self.calendar.is_market_open(self.clock.now()):
            return CloseResult(Outcome.REFUSED, "The F&O market is closed; the position stays open.", p)
        try:
            snap = await self.market.snapshot(max_age_seconds=5)
        except Exception:
            return CloseResult(Outcome.REFUSED, "Market data is unavailable; the position stays open.", p)
        chain = snap.chain(p.expiry)
        if chain is None:
            return CloseResult(Outcome.REFUSED, f"No quotes for the {p.expiry:%d %b} expiry; still open.", p)
        now = self.clock.now()
        legs = requote_legs(p.legs, chain)
        try:
            with desk_uow(self.factory) as repo:
                closed = self._close(repo, p, legs, ExitReason.MANUAL, now, user_id, snap)
                if closed is not None:
                    state, _ = self._risk(repo, now)
                    self._equity_point(repo, state, now)
        except DataValidationError as exc:
            return CloseResult(Outcome.REFUSED, f"Cannot close #{position_id}: {exc.user_message}", p)
        if closed is None:
            return CloseResult(Outcome.ALREADY, f"Position #{position_id} is already closed.", p)
        return CloseResult(Outcome.OK, f"Position #{position_id} closed.", closed)

    async def monitor(self) -> MonitorReport:
        """Mark every open position, take the exits that are due, update the risk state.

        With nothing open there is nothing to mark and the risk state cannot move: no snapshot is
        built and nothing is written (the replay's minutes without positions cost one query). The
        positions are read before the snapshot is awaited and re-checked (ids still open) in the write
        transaction, so a position closed by hand meanwhile is neither marked nor counted twice."""
        with desk_uow(self.factory, write=False) as repo:
            positions = repo.open_positions()
        if not positions:
            return MonitorReport(self.clock.now(), 0, (), None)
        snap = await self.market.snapshot(max_age_seconds=30)
        now = self.clock.now()
        exits: list[ExitRecord] = []
        problems: list[str] = []
        # Expired while the bot was down: settle at the expiry day's close, not at today's level.
        closes: dict[date, float | None] = {}
        for expiry in sorted({p.expiry for p in positions if p.expiry < self._day(now)}):
            closes[expiry] = await self.market.index_close(expiry)
        marked = 0
        market_open = self.calendar.is_market_open(now)
        with desk_uow(self.factory) as repo:
            open_ids = repo.open_position_ids()
            held = [p for p in positions if p.id in open_ids]
            row = repo.risk_row(self.config.paper_trading.capital, now, lock=True)
            if row.trading_day != self._day(now):
                self._risk(repo, now, held)  # roll the day on yesterday's marks before re-marking
            still_open: list[Position] = []
            to_save: list[Position] = []
            for p in held:
                chain = snap.chain(p.expiry)
                if chain is None and p.expiry >= self._day(now):
                    problems.append(f"#{p.id}: no quotes for the {p.expiry:%d %b} expiry")
                    still_open.append(p)
                    continue
                legs = quote_legs(p.legs, chain) if chain is not None else ()
                if legs:
                    m = self._marked(p, legs, now)
                    to_save.append(m)
                    marked += 1
                else:
                    m = p
                closed = None
                reason = self._exit_reason(m, now)
                if reason is not None and to_save:
                    repo.save_marks_many(to_save, now)  # an exit below reads the position's row
                    to_save = []
                # Exits fill only while the market is open; an expiry already past settles anyway.
                due = reason is not None and (market_open or m.expiry < self._day(now))
                if due:
                    assert reason is not None
                    try:
                        closed = self._close(
                            repo, m, legs, reason, now, None, snap, settle_at=closes.get(m.expiry)
                        )
                    except DataValidationError as exc:
                        problems.append(f"#{p.id}: {reason.label} due but {exc.user_message}")
                    if closed is not None:
                        exits.append(ExitRecord(closed, reason))
                if closed is None:
                    still_open.append(m)
            repo.save_marks_many(to_save, now)
            state, newly = self._risk(repo, now, still_open)
            self._equity_point(repo, state, now)
        return MonitorReport(now, marked, tuple(exits), state, tuple(sorted(newly)), tuple(problems))

    # ---- risk -----------------------------------------------------------------------------------------
    def risk(self) -> RiskReport:
        now = self.clock.now()
        with desk_uow(self.factory) as repo:
            positions = repo.open_positions()
            state, _ = self._risk(repo, now, positions)
        pt = self.config.paper_trading
        return RiskReport(
            state=state,
            headroom=tuple(headroom(state)),
            open_positions=len(positions),
            max_open_positions=pt.max_open_positions,
            margin_used=paise(sum((p.margin for p in positions), ZERO)),
            margin_budget=paise(state.equity * Decimal(str(pt.margin_utilisation_limit))),
        )

    def risk_peek(self) -> RiskState:
        """The risk state now without storing anything (metrics scrapes, read-only views)."""
        with self.factory() as session:
            state, _ = self._risk(DeskRepository(session), self.clock.now())
            session.rollback()
        return state

    def _risk_change(self, action: DecisionAction, user_id: int, detail: str) -> RiskReport:
        now = self.clock.now()
        with desk_uow(self.factory) as repo:
            row = repo.risk_row(self.config.paper_trading.capital, now, lock=True)
            if action is DecisionAction.PAUSE:
                row.paused, row.paused_by, row.paused_at = True, user_id, now
            elif action is DecisionAction.RESUME:
                row.paused, row.paused_by, row.paused_at = False, None, None
            row.updated_at = now
            state, _ = self._risk(repo, now)
            self._audit(repo, TradeDecisionLog(at=now, action=action, user_id=user_id, reason=detail))
            record_event(
                repo.session,
                EventKind.RISK_CHANGED,
                now,
                {"action": action.value, "user_id": user_id, "detail": detail, "status": state.status.value},
            )
        return self.risk()

    def pause(self, user_id: int) -> RiskReport:
        return self._risk_change(DecisionAction.PAUSE, user_id, "new entries paused")

    def resume(self, user_id: int) -> RiskReport:
        return self._risk_change(DecisionAction.RESUME, user_id, "new entries resumed")

    def reset_breakers(self, user_id: int) -> RiskReport:
        """Admin only (checked by the caller): clear tripped breakers and re-base them on today's
        equity — the daily loss counts from now, the drawdown from the current equity as the new peak."""
        now = self.clock.now()
        with desk_uow(self.factory) as repo:
            state, _ = self._risk(repo, now)
            row = repo.risk_row(self.config.paper_trading.capital, now, lock=True)
            before = row.tripped or "none"
            row.tripped, row.tripped_at, row.trip_reason = "", None, None
            row.day_start_equity = state.equity
            row.peak_equity = state.equity
            row.updated_at = now
            detail = f"breakers reset (were: {before}); limits re-based on equity {state.equity}"
            self._audit(
                repo, TradeDecisionLog(at=now, action=DecisionAction.RESET, user_id=user_id, reason=detail)
            )
            after, _ = self._risk(repo, now)
            record_event(
                repo.session,
                EventKind.RISK_CHANGED,
                now,
                {"action": "reset", "user_id": user_id, "detail": detail, "status": after.status.value},
            )
        return self.risk()

    # ---- archive --------------------------------------------------------------------------------------
    def archive(self, days: int | None = None) -> tuple[int, int]:
        """Move closed trades older than ``days`` (default ``paper_trading.archive_after_days``) out of the
        live tables; returns (positions archived, suggestions deleted). P&L totals include archived trades."""
        from core.persistence.codec import position_to_dict

        now = self.clock.now()
        keep = days if days is not None else self.config.paper_trading.archive_after_days
        cutoff = now - timedelta(days=keep)
        with desk_uow(self.factory) as repo:
            old = repo.closed_positions(until=cutoff)
            payloads = {p.id: position_to_dict(p) for p in old}
            return repo.archive_closed_before(cutoff, now, payloads)
