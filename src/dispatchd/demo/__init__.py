"""``dispatchd serve --demo``: a small city that runs by itself, so the first minute shows it all.

``city`` seeds zones, installers and logins through the service layer on the demo's own
database; ``simulation`` plays the simulated phones and shop over HTTP; ``http`` is the
standard-library client they use, so the demo needs nothing beyond the base install.
"""

from __future__ import annotations

from dispatchd.demo.city import DemoCity, banner, demo_settings, seed_city
from dispatchd.demo.simulation import Simulation, service_code_for

__all__ = ["DemoCity", "Simulation", "banner", "demo_settings", "seed_city", "service_code_for"]
