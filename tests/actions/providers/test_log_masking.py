import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actions.providers.log_masking import install_log_masking, mask
from tests.conftest import PROJECT_ROOT

# Values of every shape: none starts with sk-, none looks like an account or phone number.
ACTION_TOKEN = "sit0f3a9c2b7d1e4f5a6b8c9d0e1f2a3b4c"
RASA_TOKEN = "-Zq81_rasa-token-that-starts-with-a-dash"
WEBHOOK_SECRET = "hooks: correct horse battery staple"
DB_PASSWORD = "pg-pass-4471x"
OWNER_TOKEN = "owner.channel/token+Kq7"
KEY_OF_ANY_NAME = (
    "nimbus:7f3a9c0b11"  # in a variable whose name says nothing (the profile names it)
)
DEVICE_TOKEN = "router pin 99812231"
ACCOUNT_OF_ANY_SHAPE = "884422119"
PHONE = "+351912345678"
ACCOUNT, PHONE_IN_ERROR = "NT-908812", "+15550123"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings and a profile holding secrets of every shape, then masking (re)installed."""
    profile = tmp_path / "owner.yml"
    profile.write_text(
        f"""
owner: {{name: Test Owner, phone: "{PHONE}"}}
accounts:
  - provider: nimbus-telecom
    account_id: "{ACCOUNT_OF_ANY_SHAPE}"
    api_key_env: NIMBUS_LOGIN
    devices:
      - {{id: RT-1, kind: router, token_env: ROUTER_PIN}}
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("STANDIN_OWNER_PROFILE", str(profile))
    monkeypatch.setenv("NIMBUS_LOGIN", KEY_OF_ANY_NAME)
    monkeypatch.setenv("ROUTER_PIN", DEVICE_TOKEN)
    monkeypatch.setenv("STANDIN_ACTION_TOKEN", ACTION_TOKEN)
    monkeypatch.setenv("RASA_AUTH_TOKEN", RASA_TOKEN)
    monkeypatch.setenv("STANDIN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STANDIN_OWNER_TOKEN", OWNER_TOKEN)
    monkeypatch.setenv("STANDIN_DB_URL", f"postgresql://standin:{DB_PASSWORD}@db.internal/standin")
    install_log_masking()


def test_identifiers_are_masked_and_the_rest_stays_readable():
    line = "key sk-nimbus-demo account NT-908812 phone +15550100 at 2026-11-22T10:00:00Z TCK-000123"
    masked = mask(line)
    assert "sk-nimbus-demo" not in masked and "sk-***" in masked
    assert "NT-908812" not in masked and "NT-****12" in masked
    assert "+15550100" not in masked and masked.count("*") >= 6
    assert "2026-11-22T10:00:00Z" in masked and "TCK-000123" in masked


def test_every_log_record_is_masked(caplog):
    install_log_masking()
    with caplog.at_level(logging.INFO):
        logging.getLogger("rasa_sdk.anything").info(
            "slot phone=%s account=%s", "+15550199", "AQ-558900"
        )
    assert "+15550199" not in caplog.text and "AQ-558900" not in caplog.text
    assert "AQ-****00" in caplog.text


SECRETS = [
    ACTION_TOKEN,
    RASA_TOKEN,
    WEBHOOK_SECRET,
    DB_PASSWORD,
    OWNER_TOKEN,
    KEY_OF_ANY_NAME,
    DEVICE_TOKEN,
]


def test_every_configured_secret_is_masked_whatever_its_shape(configured, caplog):
    with caplog.at_level(logging.INFO):
        log = logging.getLogger("actions.anything")
        for secret in SECRETS:
            log.info("sent %s to the desk", secret)
        log.info("account %s, owner %s", ACCOUNT_OF_ANY_SHAPE, PHONE)
        # As they appear in URLs and JSON bodies.
        log.info("GET /webhook?token=%s", OWNER_TOKEN.replace("/", "%2F").replace("+", "%2B"))
        log.info('{"secret": "%s"}', WEBHOOK_SECRET)
    assert len(caplog.records) == len(SECRETS) + 3
    for secret in [*SECRETS, ACCOUNT_OF_ANY_SHAPE, PHONE, "owner.channel%2Ftoken"]:
        assert secret not in caplog.text
    assert "sent *** to the desk" in caplog.text
    assert "account *******19" in caplog.text


def test_a_logged_traceback_is_masked(configured, caplog):
    def send() -> None:
        raise RuntimeError(
            f"refused key sk-live-Q9x2 and {KEY_OF_ANY_NAME} for NT-908812 phone +15550123"
        )

    with caplog.at_level(logging.INFO):
        try:
            send()
        except RuntimeError:
            logging.getLogger("actions.anything").exception("sending failed")
    assert "Traceback" in caplog.text and "RuntimeError: refused key sk-***" in caplog.text
    for clear in ("sk-live-Q9x2", KEY_OF_ANY_NAME, "NT-908812", "+15550123"):
        assert clear not in caplog.text
        assert clear not in repr(caplog.records[0].__dict__)  # nothing left to render raw


def test_a_logged_stack_is_masked(caplog):
    install_log_masking()
    with caplog.at_level(logging.INFO):
        logging.getLogger("x").info("here", stack_info=True)  # the line names NT-908812
    assert "Stack (most recent call last)" in caplog.text and "NT-****12" in caplog.text
    assert "NT-908812" not in caplog.text


def test_a_record_that_cannot_be_formatted_is_masked_all_the_same(configured, capsys):
    # A handler of its own: pytest's capture handler raises on a bad record instead of
    # reporting it as logging does in production (on stderr, with message and arguments).
    out = io.StringIO()
    log = logging.getLogger("actions.bad_format")
    handler = logging.StreamHandler(out)
    log.addHandler(handler)
    log.propagate = False
    try:
        # Logging reports the call's source line too: no literal identifier in it.
        log.warning("key %s account %s phone %d", KEY_OF_ANY_NAME, ACCOUNT, PHONE_IN_ERROR)
        log.warning("token %(token)s %(missing)s", {"token": ACTION_TOKEN})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    report = capsys.readouterr().err + out.getvalue()
    assert report.count("--- Logging error ---") == 2, report  # the bug in the call is reported
    for clear in (KEY_OF_ANY_NAME, ACCOUNT, PHONE_IN_ERROR, ACTION_TOKEN):
        assert clear not in report


def test_an_extra_field_is_masked_as_rendered(configured):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s %(request)s"))
    log = logging.getLogger("sanic.access.test")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("served", extra={"request": f"POST /webhook?token={ACTION_TOKEN}"})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert out.getvalue() == "served POST /webhook?token=***\n"


def test_uncaught_exceptions_are_masked(tmp_path):
    # In a process of its own: pytest replaces the exception hooks while a test runs.
    script = tmp_path / "crash.py"
    script.write_text(
        "import os, threading, logmask\n"
        "logmask.install()\n"
        "def fail():\n"
        "    raise ValueError('thread: ' + os.environ['STANDIN_OWNER_TOKEN'])\n"
        "t = threading.Thread(target=fail, name='worker'); t.start(); t.join()\n"
        "raise RuntimeError(os.environ['PHONE'] + ' ' + os.environ['STANDIN_OWNER_TOKEN'])\n"
        "",
        encoding="utf-8",
    )
    env = {**os.environ, "STANDIN_OWNER_TOKEN": OWNER_TOKEN, "PHONE": PHONE_IN_ERROR}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Exception in thread worker" in done.stderr and "ValueError: thread: ***" in done.stderr
    assert done.returncode == 1 and "RuntimeError: +******23 ***" in done.stderr
    assert OWNER_TOKEN not in done.stderr and PHONE_IN_ERROR not in done.stderr


def test_each_providers_derived_webhook_secret_is_masked(configured, caplog):
    from actions.providers.webhooks import provider_secret

    derived = provider_secret(WEBHOOK_SECRET, "nimbus-telecom")
    with caplog.at_level(logging.INFO):
        logging.getLogger("actions.anything").info("signing with %s", derived)
    assert derived not in caplog.text and "signing with ***" in caplog.text
