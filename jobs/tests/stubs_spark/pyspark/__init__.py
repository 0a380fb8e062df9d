"""Test stand-in for pyspark: the part of the SQL API jobs/batch_infer.py uses, over tables kept
as files (fake_spark_store.py beside this package). Strict where Spark is: an unknown table or
column is an AnalysisException, only Delta appends are written."""
