"""The demo city: seeded through the service layer with logins that work and a short ladder."""

from __future__ import annotations

from pathlib import Path

from dispatchd import demo
from dispatchd.config import Settings
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.dispatching import current_policy
from dispatchd.service.unit_of_work import UnitOfWork


def test_the_demo_seeds_zones_installers_on_duty_and_logins_for_a_manager_and_an_installer(
    dispatcher: Dispatcher,
) -> None:
    city = demo.seed_city(dispatcher)
    assert len(city.zones) == 4
    assert len(city.installers) == 30
    assert {sim.temperament for sim in city.installers} == {"prompt", "late", "silent"}
    with dispatcher.reading() as conn:
        uow = UnitOfWork(conn)
        installers = uow.installers.find(on_duty=True)
        _version, policy = current_policy(uow)
        manager = uow.users.by_username("manager")
    assert len(installers) == 31
    assert all(installer.location is not None for installer in installers)
    assert [step.action.value for step in policy.escalation.steps] == [
        "remind",
        "penalize",
        "revoke",
    ]
    assert sum(step.after_s for step in policy.escalation.steps) <= 60
    assert manager is not None
    assert manager.role == "manager"
    assert set(city.logins) == {"admin", "manager", "installer"}


def test_the_demo_runs_on_its_own_fresh_database_and_never_sends_real_sms(
    settings: Settings, tmp_path: Path
) -> None:
    configured = settings.model_copy(
        update={"data_dir": tmp_path, "sms_url": "json://gateway.example/sms"}
    )
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "leftover").write_text("old demo")
    chosen = demo.demo_settings(configured)
    assert chosen.data_dir == tmp_path / "demo"
    assert not (tmp_path / "demo" / "leftover").exists()
    assert chosen.database_url is None
    assert chosen.sms_url == f"file://{tmp_path / 'demo' / 'sms.jsonl'}"
