"""Manual assignment's shortlist: every installer a manager may choose, ranked by the rules.

The ranking is the automatic dispatcher's own (``domain.assignment.rank`` with the policy's
weights), so the console shows why the server would or would not pick someone, term by term;
the manager may still choose anyone.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from dispatchd.api.deps import ConsoleActor, DispatcherDep
from dispatchd.api.json_response import JSONResponse
from dispatchd.api.responses import CandidatesOut, candidate_view
from dispatchd.domain.assignment import rank
from dispatchd.service.errors import NotFound
from dispatchd.service.handlers.orders import may_see_order
from dispatchd.service.offering import current_policy, order_needs
from dispatchd.service.unit_of_work import UnitOfWork

router = APIRouter(tags=["orders"])


@router.get("/orders/{order_id}/candidates", response_model=CandidatesOut)
def list_candidates(
    order_id: str,
    actor: ConsoleActor,
    dispatcher: DispatcherDep,
    limit: int = Query(default=50, ge=1, le=500),
) -> JSONResponse:
    """Installers for the order: eligible first, then by the policy's ranking, with each term."""
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        order = uow.orders.get(order_id, for_update=False)
        if order is None or not may_see_order(actor, order):
            raise NotFound("order", order_id)
        needs = order_needs(uow, order, dispatcher.context(actor))
        zones = sorted(actor.zone_ids) if actor.zone_ids is not None else None
        records = {
            record.id: dispatcher.positions.fresher(record)
            for record in uow.installers.find(zone_ids=zones)
        }
        workload = uow.installers.active_jobs(records)
        ratings = uow.installers.average_ratings(records)
        _, policy = current_policy(uow)
    candidates = (r.as_candidate(workload[r.id], ratings.get(r.id)) for r in records.values())
    ranked = rank(needs, candidates, policy.ranking)
    items = [
        candidate_view(records[entry.installer_id], entry, needs.zone_ids)
        for entry in ranked[:limit]
    ]
    return JSONResponse(CandidatesOut(order_id=order.id, items=items))
