"""Mask owner identifiers (phone numbers, account numbers, API keys) in every log record."""

from __future__ import annotations

import logging
import re

_API_KEY = re.compile(r"\b(sk-)[A-Za-z0-9_-]+")
# Provider account numbers: two capital letters, a dash, five or more digits (NT-908812).
_ACCOUNT = re.compile(r"\b([A-Z]{2}-)\d{3,}(\d{2})\b")
# Phone numbers in international form (+15550100, +1 555 0100); dates and ids stay readable.
_PHONE = re.compile(r"(?<![\w-])(\+\d[\d \-()]{5,}\d)(?![\w-])")


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(1))
    if len(digits) < 7:
        return match.group(0)
    return "+" + "*" * (len(digits) - 2) + digits[-2:]


def mask(text: str) -> str:
    """Return `text` with API keys, account numbers and phone numbers masked."""
    text = _API_KEY.sub(r"\1***", text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _PHONE.sub(_mask_phone, text)


_installed = False


def install_log_masking() -> None:
    """Wrap the log record factory so every record is masked once, before any handler sees it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg = mask(record.getMessage())
            record.args = None
        except Exception:  # a record that cannot be formatted is left for logging to report
            pass
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
