"""The API the web clients need beyond the core contract, gathered under one router.

Web sessions, Web Push subscriptions, the manual-assignment shortlist and the console's KPIs.
"""

from __future__ import annotations

from fastapi import APIRouter

from dispatchd.api.routes import candidates, push, session, stats

router = APIRouter()
for _module in (session, candidates, stats, push):
    router.include_router(_module.router)
