"""An offer: one order proposed to one installer, escalating until it is answered or revoked.

The offer keeps its own copy of the ladder it was sent with, and the index of the next rung, so
that a deadline firing late, twice, or after the offer ended can always be recognised as stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dispatchd.domain.errors import IllegalTransition
from dispatchd.domain.escalation import EscalationStep, Ladder, StepAction


class OfferStatus(StrEnum):
    """Where an offer stands; the first three are "active" (the installer may still accept)."""

    SENT = "sent"
    REMINDED = "reminded"
    PENALIZED = "penalized"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


ACTIVE_OFFER_STATUSES = frozenset({OfferStatus.SENT, OfferStatus.REMINDED, OfferStatus.PENALIZED})
_ENDINGS = frozenset(
    {OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.REVOKED, OfferStatus.WITHDRAWN}
)
OFFER_TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.SENT: frozenset({OfferStatus.REMINDED, OfferStatus.PENALIZED}) | _ENDINGS,
    OfferStatus.REMINDED: frozenset({OfferStatus.REMINDED, OfferStatus.PENALIZED}) | _ENDINGS,
    OfferStatus.PENALIZED: frozenset({OfferStatus.REMINDED, OfferStatus.PENALIZED}) | _ENDINGS,
    OfferStatus.ACCEPTED: frozenset(),
    OfferStatus.DECLINED: frozenset(),
    OfferStatus.REVOKED: frozenset(),
    OfferStatus.WITHDRAWN: frozenset(),
}
_STATUS_AFTER_STEP = {
    StepAction.REMIND: OfferStatus.REMINDED,
    StepAction.PENALIZE: OfferStatus.PENALIZED,
    StepAction.REVOKE: OfferStatus.REVOKED,
}


@dataclass(frozen=True)
class StepTaken:
    """The rung that just happened to an offer: what the service layer must now carry out."""

    index: int
    step: EscalationStep
    at: datetime

    @property
    def action(self) -> StepAction:
        """The rung's action (remind, penalize or revoke)."""
        return self.step.action


@dataclass
class Offer:
    """One order proposed to one installer; ``next_step`` indexes the rung still to come."""

    id: str
    order_id: str
    installer_id: str
    attempt: int
    ladder: Ladder
    sent_at: datetime
    status: OfferStatus = OfferStatus.SENT
    next_step: int = 0
    next_step_at: datetime | None = None
    last_step_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None
    policy_version: int = 0

    @classmethod
    def send(
        cls,
        offer_id: str,
        order_id: str,
        installer_id: str,
        attempt: int,
        ladder: Ladder,
        now: datetime,
        policy_version: int = 0,
    ) -> Offer:
        """A fresh offer whose first rung comes ``after_s`` seconds after sending (S201)."""
        return cls(
            id=offer_id,
            order_id=order_id,
            installer_id=installer_id,
            attempt=attempt,
            ladder=ladder,
            sent_at=now,
            next_step_at=now + timedelta(seconds=ladder.step(0).after_s),
            policy_version=policy_version,
        )

    @property
    def is_active(self) -> bool:
        """True while the installer may still accept or decline."""
        return self.status in ACTIVE_OFFER_STATUSES

    def take_step(self, index: int, now: datetime) -> StepTaken | None:
        """Carry out rung ``index`` if it is the one due; a stale or repeated call does nothing.

        The next rung's period counts from ``now`` — when this rung actually happened — so a
        ladder that resumes after downtime advances one rung at a time, never in a burst.
        """
        if not self.is_active or index != self.next_step:
            return None
        step = self.ladder.step(index)
        self._move_to(_STATUS_AFTER_STEP[step.action], now)
        self.last_step_at = now
        self.next_step = index + 1
        if step.action is StepAction.REVOKE:
            self._end(now, "no confirmation in time")
        else:
            following = self.ladder.step(self.next_step)
            self.next_step_at = now + timedelta(seconds=following.after_s)
        return StepTaken(index, step, now)

    def accept(self, now: datetime) -> None:
        """The installer confirms (S402/S301); only an active offer can be accepted."""
        self._move_to(OfferStatus.ACCEPTED, now)
        self._end(now, None)

    def decline(self, now: datetime, reason: str | None) -> None:
        """The installer says no; the order goes on to the next installer at once."""
        self._move_to(OfferStatus.DECLINED, now)
        self._end(now, reason)

    def withdraw(self, now: datetime, reason: str) -> None:
        """A manager takes the offer back (manual assignment or cancellation)."""
        self._move_to(OfferStatus.WITHDRAWN, now)
        self._end(now, reason)

    def _move_to(self, wanted: OfferStatus, now: datetime) -> None:
        if wanted not in OFFER_TRANSITIONS[self.status]:
            hint = "Only an active offer (sent, reminded or penalized) can change."
            raise IllegalTransition(f"offer {self.id}", self.status.value, wanted.value, hint)
        self.status = wanted

    def _end(self, now: datetime, reason: str | None) -> None:
        self.ended_at = now
        self.end_reason = reason
        self.next_step_at = None
