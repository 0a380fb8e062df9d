"""Shared code for the Lakevision training, evaluation, export and batch-inference jobs.

The entrypoints (`jobs/train.py`, `evaluate.py`, `export.py`, `batch_infer.py`, `register.py`)
only parse arguments and narrate phases; everything else lives here so that the same code runs
locally as a subprocess of the app and on Databricks GPU clusters (single process, `torchrun`, or
Spark's `TorchDistributor`).
"""

__version__ = "0.1.0"
