"""Log masking for every process of the stack: the action server, Rasa and the service desk.

It imports nothing of the project's, so each process installs it from its own entry point and
the desk never depends on the action server. Two kinds of things are masked:

- values known to be secret, whatever their shape: every environment variable whose name says
  it holds a secret (a `TOKEN`, `SECRET`, `PASSWORD` or `PASSWD` part, or a `_KEY` ending), URL
  passwords in any variable, and what a process adds with `remember` (the action server adds
  its settings and the owner profile's keys and tokens);
- identifiers by their shape: `sk-` API keys, account numbers (`NT-908812`), phone numbers in
  international form, URL credentials and bearer tokens.

`install` masks each log record as it is made (message, arguments, traceback, stack) and again
as each handler renders it (fields added with `extra=`), and the tracebacks of uncaught
exceptions and the text of warnings.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import traceback
import warnings
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

# Shorter values are not masked by value: they would mask ordinary words and numbers. Every
# token and secret the settings accept is 16+ characters; the demo keys are 14+.
MIN_SECRET_LENGTH = 8
SECRET_WORDS = frozenset({"TOKEN", "SECRET", "PASSWORD", "PASSWD"})

_API_KEY = re.compile(r"\b(sk-)[A-Za-z0-9_-]+")
# Provider account numbers: two capital letters, a dash, five or more digits (NT-908812).
_ACCOUNT = re.compile(r"\b([A-Z]{2}-)\d{3,}(\d{2})\b")
# Phone numbers in international form (+15550100, +1 555 0100); dates and ids stay readable.
_PHONE = re.compile(r"(?<![\w-])(\+\d[\d \-()]{5,}\d)(?![\w-])")
# scheme://user:password@host: the password, whatever its length.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")
_BEARER = re.compile(r"\b(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(1))
    if len(digits) < 7:
        return match.group(0)
    return "+" + "*" * (len(digits) - 2) + digits[-2:]


def mask_shapes(text: str) -> str:
    """`text` with API keys, account numbers, phone numbers and URL credentials masked."""
    text = _API_KEY.sub(r"\1***", text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _BEARER.sub(r"\1***", text)
    return _PHONE.sub(_mask_phone, text)


def is_secret_name(name: str) -> bool:
    """True for STANDIN_ACTION_TOKEN, STANDIN_DEVICE_TOKEN_RT_5521, DB_PASSWORD, X_API_KEY..."""
    upper = name.upper()
    return bool(SECRET_WORDS.intersection(upper.split("_"))) or upper.endswith("_KEY")


def _spellings(value: str) -> set[str]:
    """The ways a value is written into a log line: as is, in a URL, in JSON."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


class Masker:
    """Masks known values, then shapes. Known values only accumulate; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replacements: dict[str, str] = {}
        self._known: re.Pattern[str] | None = None

    def remember(self, *values: str | None) -> None:
        """Mask these secrets whole from now on (values shorter than 8 characters are not)."""
        self._add(
            (spelling, "sk-***" if _API_KEY.fullmatch(value) else "***")
            for value in values
            if value and len(value.strip()) >= MIN_SECRET_LENGTH
            for spelling in _spellings(value.strip())
        )

    def remember_identifier(self, value: str | None) -> None:
        """Mask an account or phone number of any shape, keeping its last two characters."""
        value = (value or "").strip()
        if len(value) < 5:
            return
        masked = mask_shapes(value)
        if masked == value:
            masked = "*" * (len(value) - 2) + value[-2:]
        spellings = _spellings(value)
        if value.startswith("+"):
            spellings.add(value[1:])  # a phone number without its +, as some channels send it
        self._add((spelling, masked) for spelling in spellings)

    def remember_environment(self, environ: Mapping[str, str] | None = None) -> None:
        """Every value whose variable name says it is secret, and every URL's password."""
        environ = os.environ if environ is None else environ
        for name, value in environ.items():
            if is_secret_name(name):
                self.remember(value)
            if "://" in value:
                try:
                    self.remember(urlsplit(value.strip()).password)
                except ValueError:
                    pass

    def _add(self, pairs: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            before = len(self._replacements)
            for spelling, masked in pairs:
                if spelling and spelling != masked:
                    self._replacements.setdefault(spelling, masked)
            if len(self._replacements) == before:
                return
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(self._replacements, key=len, reverse=True)
            self._known = re.compile("|".join(re.escape(v) for v in ordered))

    def __call__(self, text: str) -> str:
        known = self._known
        if known is not None:
            replacements = self._replacements
            text = known.sub(lambda m: replacements[m.group(0)], text)
        return mask_shapes(text)


MASKER = Masker()


def mask(text: str) -> str:
    """`text` with every secret this process knows and every identifier shape masked."""
    return MASKER(text)


def remember(*values: str | None) -> None:
    """Mask these secrets (a derived key, a per-provider secret) in every log line from now on."""
    MASKER.remember(*values)


def _safe_mask(value: object) -> str:
    try:
        return mask(value if isinstance(value, str) else str(value))
    except Exception:
        return f"<unprintable {type(value).__name__}>"


_FORMATTER = logging.Formatter()


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place: its message, its arguments, its traceback and its stack."""
    try:
        message = record.getMessage()
    except Exception:
        # Logging reports a record it cannot format, with its message and arguments: mask
        # each so that report is masked too, and the bug in the call stays visible.
        record.msg = _safe_mask(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _safe_mask(arg) for key, arg in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_safe_mask(arg) for arg in record.args)
        elif record.args is not None:
            record.args = (_safe_mask(record.args),)
    else:
        record.msg = mask(message)
        record.args = None
    if record.exc_info:
        # Rendered once here and masked; without exc_info no handler can render it raw.
        try:
            record.exc_text = mask(_FORMATTER.formatException(record.exc_info))
        except Exception:
            record.exc_text = "<traceback could not be rendered>"
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = _safe_mask(record.exc_text)
    if record.stack_info:
        record.stack_info = _safe_mask(record.stack_info)
    return record


_install_lock = threading.Lock()
_installed = False


def install(environ: Mapping[str, str] | None = None) -> None:
    """Mask every log line this process writes; call first thing in an entry point.

    Calling it again only adds the secrets `environ` (default: the environment) now holds.
    """
    global _installed
    MASKER.remember_environment(environ)
    with _install_lock:
        if _installed:
            return
        _installed = True
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous_factory(*args, **kwargs))

    logging.setLogRecordFactory(factory)

    # Fields added with `extra=` arrive after the factory ran: mask what each handler renders.
    render = logging.Handler.format

    def masked_format(self: logging.Handler, record: logging.LogRecord) -> str:
        return mask(render(self, record))

    logging.Handler.format = masked_format  # type: ignore[method-assign]

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if sys.stderr is not None:
            sys.stderr.write(mask("".join(traceback.format_exception(kind, exc, tb))))

    def thread_excepthook(hook: threading.ExceptHookArgs) -> None:
        if hook.exc_type is SystemExit or sys.stderr is None:
            return
        name = hook.thread.name if hook.thread is not None else threading.get_ident()
        text = "".join(
            traceback.format_exception(hook.exc_type, hook.exc_value, hook.exc_traceback)
        )
        sys.stderr.write(mask(f"Exception in thread {name}:\n{text}"))

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook

    format_warning = warnings.formatwarning

    def masked_warning(*args: Any, **kwargs: Any) -> str:
        return mask(format_warning(*args, **kwargs))

    warnings.formatwarning = masked_warning
