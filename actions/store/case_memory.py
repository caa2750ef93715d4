"""Stand-in's own memory: the audit log of provider requests, cases, webhook events,
appointments and orders, and the owner's consents; one object over one database.

Each part is a module of its own (`audit_log`, `cases`, `event_log`, `appointments_orders`,
`consent_records`), all on one `database.Database` (engine, migrations). The store is
synchronous and small: async callers wrap calls in `await asyncio.to_thread(...)` so a slow
database does not block the action server's loop.

Nothing is masked here (the rows are the record of what was done in the owner's name); what
must never leave the process in clear is kept out of log lines by `log_masking`. API keys are
never handed to the store at all.
"""

from __future__ import annotations

from actions.store.appointments_orders import AppointmentsAndOrders
from actions.store.audit_log import AuditLog
from actions.store.cases import CaseRecords
from actions.store.consent_records import ConsentRecords
from actions.store.event_log import EventLog


class CaseMemory(AuditLog, CaseRecords, EventLog, AppointmentsAndOrders, ConsentRecords):
    """The store. Thread-safe: every method uses its own connection and transaction."""
