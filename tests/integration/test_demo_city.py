"""The demo city: seeded through the service layer with logins that work and a short ladder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatchd import demo
from dispatchd.config import Settings
from dispatchd.notify.sms import sms_file_path
from dispatchd.service.dispatcher import Dispatcher
from dispatchd.service.offering import current_policy
from dispatchd.service.unit_of_work import UnitOfWork


def test_the_demo_seeds_zones_simulated_installers_on_duty_and_a_human_one_off_duty(
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
        human = uow.users.by_username("installer")
    assert len(installers) == 30
    assert human is not None
    assert human.installer_id not in {installer.id for installer in installers}
    assert all(installer.location is not None for installer in installers)
    assert [step.action.value for step in policy.escalation.steps] == [
        "remind",
        "penalize",
        "revoke",
    ]
    first, *_ = policy.escalation.steps
    assert first.after_s >= 30, "a person needs time to see an offer and answer it"
    assert sum(step.after_s for step in policy.escalation.steps) <= 180
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
    assert chosen.data_dir == (tmp_path / "demo").resolve()
    assert not (tmp_path / "demo" / "leftover").exists()
    assert chosen.database_url is None
    assert chosen.sms_url == (tmp_path / "demo" / "sms.jsonl").resolve().as_uri()
    assert sms_file_path(chosen.sms_url) == chosen.data_dir / "sms.jsonl"


def test_a_relative_data_dir_still_gives_the_demo_an_absolute_sms_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chosen = demo.demo_settings(settings.model_copy(update={"data_dir": Path("data")}))
    assert chosen.sms_url is not None
    assert chosen.sms_url.startswith("file:///")
    assert sms_file_path(chosen.sms_url) == tmp_path.resolve() / "data" / "demo" / "sms.jsonl"


def test_a_file_sms_url_naming_a_host_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="absolute path"):
        sms_file_path("file://data/demo/sms.jsonl")


def test_simulated_installers_find_the_latest_code_their_customer_was_sent(
    tmp_path: Path,
) -> None:
    sms = tmp_path / "sms.jsonl"
    lines = [
        {"order_id": "ord_a", "body": "【安装服务】……服务码：123456，请在安装完成后告诉师傅。"},
        {"order_id": "ord_b", "body": "Service code: 654321 - tell it to the installer"},
        {"order_id": "ord_a", "body": "【安装服务】……服务码：777888，请在安装完成后告诉师傅。"},
        {"order_id": "ord_a", "body": "师傅已出发，进度：http://x/t/abc"},
    ]
    sms.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    assert demo.service_code_for(sms, "ord_a") == "777888"
    assert demo.service_code_for(sms, "ord_b") == "654321"
    assert demo.service_code_for(sms, "ord_c") is None
    assert demo.service_code_for(tmp_path / "missing.jsonl", "ord_a") is None
