"""Provider webhook signatures and the per-provider secrets (the receiver applying deliveries to
the store is tests/actions/store/test_provider_events.py)."""

from __future__ import annotations

from actions.providers.webhooks import provider_secret, sign, verify_signature

SECRET = "test-webhook-secret-0123456789"  # the master secret (STANDIN_WEBHOOK_SECRET)
NIMBUS, VOLTRA = "nimbus-telecom", "voltra-motors"


def test_signature_rules():
    body = b'{"a":1}'
    now = 1_800_000_000
    header = sign(SECRET, body, now)
    assert verify_signature(SECRET, body, header, now=now + 299)
    assert not verify_signature(SECRET, body, header, now=now + 301)  # too old
    assert not verify_signature(SECRET, body, header, now=now - 301)  # from the future
    assert not verify_signature(SECRET, body + b" ", header, now=now)
    assert not verify_signature("another-secret-0123456789", body, header, now=now)
    assert not verify_signature(SECRET, body, None, now=now)
    assert not verify_signature(SECRET, body, "t=abc,v1=00", now=now)


def test_secrets_are_per_provider_and_derived_from_the_master():
    nimbus, voltra = provider_secret(SECRET, NIMBUS), provider_secret(SECRET, VOLTRA)
    assert len({nimbus, voltra, SECRET}) == 3
    assert SECRET not in nimbus and nimbus == provider_secret(SECRET, NIMBUS)  # no state kept
    assert provider_secret("another-master-0123456789", NIMBUS) != nimbus
    assert 16 <= len(nimbus) <= 256  # what the desk accepts as a subscription secret
