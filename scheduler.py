"""The forumwatch service's entry point: ``python -m scheduler [CONFIG]`` runs
``crawler.service`` (one scheduler, one crawl job per source) until stopped.

Nothing happens on import; the scheduling itself lives in ``crawler.service``, which
``forumwatch schedule`` runs too.
"""

from __future__ import annotations

import sys

from crawler.service import main

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
