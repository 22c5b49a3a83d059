"""Where the tunable data files live (``crawler/data/*.yaml``): patterns, rules and taxonomies
that people edit, read by the extract and analyze stages."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
