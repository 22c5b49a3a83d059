"""Scrapy's downloader with the per-site concurrency cap kept when there is no download delay.

Root cause (Scrapy 2.13-2.19 on the asyncio reactor): ``Downloader._process_queue`` dispatches
queued requests in a loop ``while slot.queue and slot.free_transfer_slots() > 0``, and
``free_transfer_slots()`` counts ``slot.transferring``. A dispatched request enters
``slot.transferring`` only in ``_download``, i.e. once the task created by ``_schedule_coro``
first runs, on a later turn of the event loop. So one call of ``_process_queue`` empties the
whole queue of a slot: with ``DOWNLOAD_DELAY: 0`` every queued request of a site is sent at once
(126 in flight at one host with ``CONCURRENT_REQUESTS_PER_DOMAIN: 2``). With a positive delay the
loop breaks after one request and the next one waits for a timer, by which time the task has run,
which is why any delay hid the bug. On the plain Twisted reactor the coroutine starts at once and
the count is right; that is where the loop's assumption comes from.

The fix marks a request as transferring when it is dispatched (``_wait_for_download`` is called
synchronously inside the loop to build the coroutine), so the loop's condition sees it at once.
``_download`` adds the same request again (a set: no change) and removes it when the download
ends, as before. Nothing else changes: delays, AutoThrottle (which reads ``slot.transferring``),
``CONCURRENT_REQUESTS_PER_IP`` and ``DOWNLOAD_SLOTS`` work as in Scrapy.

Slots are keyed as in Scrapy: by host name without the port (by IP address when
``CONCURRENT_REQUESTS_PER_IP`` is set), so sources on one host share one cap. Wired through the
``DOWNLOADER`` setting; reads Scrapy's ``CONCURRENT_REQUESTS*``, ``DOWNLOAD_DELAY*`` and
``DOWNLOAD_SLOTS``.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from twisted.internet.defer import Deferred


class PoliteDownloader(Downloader):
    """Downloader whose slots count a request against the per-site cap from its dispatch."""

    def _wait_for_download(  # type: ignore[override]  # returns the coroutine, not async
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        # Called (not awaited) by _process_queue's dispatch loop: counting the request here,
        # before the task runs, is what keeps that loop within the slot's concurrency.
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
