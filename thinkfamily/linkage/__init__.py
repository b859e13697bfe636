"""Record linkage: which agency records are one person.

The Splink pipeline of Think Family, with no dependency on the web app, so
the same code runs as a batch job on DuckDB or Spark::

    result = link_records(records, relationships=relationships)
    result.clusters      # unique_id -> cluster_id: one cluster, one person
    result.review        # pairs a person should look at
    result.model.save(Path("model.json"))
"""

from thinkfamily.linkage.clustering import Clustering, Edge, cluster
from thinkfamily.linkage.errors import LinkageError
from thinkfamily.linkage.model import LinkageModel, Thresholds
from thinkfamily.linkage.pipeline import link_records
from thinkfamily.linkage.records import RECORD_COLUMNS
from thinkfamily.linkage.results import LinkageResult

__all__ = [
    "RECORD_COLUMNS",
    "Clustering",
    "Edge",
    "LinkageError",
    "LinkageModel",
    "LinkageResult",
    "Thresholds",
    "cluster",
    "link_records",
]
