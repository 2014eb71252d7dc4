from collections import Counter
from pathlib import Path
import hypothesis.core
from hypothesis import settings, HealthCheck
from hypothesis.stateful import run_state_machine_as_test
import tests.integration.test_order_lifecycle_stateful as m

TOTAL = Counter()
orig_event = m.event
def ev(x): TOTAL[x] += 1
m.event = ev

class Stats(m.OrderLifecycle):
    def teardown(self):
        snap = self.snapshot()
        TOTAL["examples"] += 1
        for o in snap.offers: TOTAL["offer " + o["status"]] += 1
        for o in snap.orders: TOTAL["order " + o["status"]] += 1
        for a in snap.alerts: TOTAL["alert " + a["type"]] += 1
        TOTAL["ledger"] += len(snap.ledger)
        TOTAL["awaiting"] += sum(o["awaiting_dispatcher"] for o in snap.orders)
        super().teardown()

bootstrapped_template = m.bootstrapped_template

def test_stats(bootstrapped_template: Path) -> None:
    run_state_machine_as_test(lambda: Stats(bootstrapped_template), settings=settings(max_examples=500, stateful_step_count=50, deadline=None, suppress_health_check=list(HealthCheck)))
    for k, v in sorted(TOTAL.items()): print(k, v)
