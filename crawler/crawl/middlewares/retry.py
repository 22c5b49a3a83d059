"""Retries with exponential backoff for 5xx answers, timeouts and connection failures.

Scrapy's RetryMiddleware re-queues a failed request at once; a struggling government server is
better served by waiting. Reads ``RETRY_*`` (Scrapy's) plus ``RETRY_BACKOFF_BASE`` and
``RETRY_BACKOFF_MAX`` (seconds): the n-th retry waits ``base * 2**(n-1)``, at most ``max``.
The wait is a non-blocking sleep on the reactor's event loop; other downloads carry on.
"""

from __future__ import annotations

import asyncio

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that sleeps before handing a retry back to the scheduler."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def backoff(self, retry_times: int) -> float:
        """Seconds to wait before the given retry (1 = first retry)."""
        return min(self.backoff_max, self.backoff_base * 2 ** max(0, retry_times - 1))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: scrapy.Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        delayed = await self._delayed(result)
        return response if delayed is None else delayed

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: scrapy.Spider | None = None
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        return await self._delayed(result)

    async def _delayed(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request):
            delay = self.backoff(int(result.meta.get("retry_times", 1)))
            if delay > 0:
                await asyncio.sleep(delay)
        return result
