import logging

from actions.log_masking import install_log_masking, mask


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
