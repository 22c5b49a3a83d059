"""The forumwatch service's entry point: ``python -m scheduler [CONFIG]`` runs
``crawler.service`` (what ``forumwatch serve`` runs: due sources crawled together on their
schedules, one service per database) until stopped.

Nothing happens on import; the service itself lives in the ``crawler.service`` package.
"""

from __future__ import annotations

import sys

from crawler.service import main

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
