"""Other systems' data in and out of the workbench: files (CSV, Parquet, Excel) and more.

Each kind has a module of its own (``workbench.interop.files`` for files).
"""
