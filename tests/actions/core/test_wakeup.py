"""The wake-up bell: rung from another thread it ends a sleep; unattached or closed it is silent."""

from __future__ import annotations

import asyncio
import threading

from actions.core.wakeup import WakeUp


def test_a_ring_from_another_thread_ends_the_sleep() -> None:
    async def main() -> bool:
        bell = WakeUp()
        bell.attach()
        threading.Thread(target=bell.ring).start()
        # Far longer than a ring takes: True means the ring, not the timeout, ended it.
        return await bell.sleep(60)

    assert asyncio.run(main()) is True


def test_a_sleep_nobody_rings_times_out() -> None:
    async def main() -> bool:
        bell = WakeUp()
        bell.attach()
        return await bell.sleep(0.01)

    assert asyncio.run(main()) is False


def test_clear_forgets_a_ring_that_came_before_it() -> None:
    async def main() -> tuple[bool, bool]:
        bell = WakeUp()
        bell.attach()
        bell.ring()
        await asyncio.sleep(0)  # the ring is scheduled on the loop; let it land
        bell.clear()
        forgotten = await bell.sleep(0.01)
        bell.ring()
        return forgotten, await bell.sleep(60)

    assert asyncio.run(main()) == (False, True)


def test_ringing_before_attach_or_after_the_loop_closed_does_nothing() -> None:
    bell = WakeUp()
    bell.ring()

    async def main() -> None:
        bell.attach()

    asyncio.run(main())  # closes its loop on return
    bell.ring()
