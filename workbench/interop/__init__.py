"""Other systems' data in and out: FlexMeasures databases, timely-beliefs frames, files.

Each kind has a module of its own: ``workbench.interop.files`` (CSV, Parquet, Excel) and
``workbench.interop.flexmeasures`` (a FlexMeasures database).
"""
