"""A wake-up bell for a background loop: any thread may ring it, the loop sleeps on it.

The device worker and the owner notifier each sleep between rounds and are woken early when
work is queued from a request handler's thread.
"""

from __future__ import annotations

import asyncio


class WakeUp:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> asyncio.AbstractEventLoop:
        """Called by the loop that sleeps on the bell, before its first round."""
        self._loop = asyncio.get_running_loop()
        return self._loop

    def ring(self) -> None:
        """Safe from any thread; before `attach` or after the loop closed it does nothing."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Forget earlier rings: work queued after this wakes the next sleep."""
        self._event.clear()

    async def sleep(self, timeout_s: float) -> bool:
        """Until rung or `timeout_s` has passed; True when rung."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=timeout_s)
        except asyncio.TimeoutError:
            return False
        return True
