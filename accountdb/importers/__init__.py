"""Importers of public data files into the account database: catalog CSVs and ratings data sets.

Both upsert on external ids (`<source>:<id>`), so running an import twice changes nothing; both
stream their files, commit in batches (one transaction each) and return an ImportReport.
"""

from accountdb.importers.catalog import DEFAULT_CATALOG_BATCH_SIZE, DEFAULT_CATALOG_SOURCE, import_catalog
from accountdb.importers.interactions import (
    DEFAULT_COUNTRY,
    DEFAULT_INTERACTIONS_BATCH_SIZE,
    RatingScaleError,
    import_interactions,
)
from accountdb.importers.report import ImportReport

__all__ = [
    "DEFAULT_CATALOG_BATCH_SIZE",
    "DEFAULT_CATALOG_SOURCE",
    "DEFAULT_COUNTRY",
    "DEFAULT_INTERACTIONS_BATCH_SIZE",
    "ImportReport",
    "RatingScaleError",
    "import_catalog",
    "import_interactions",
]
