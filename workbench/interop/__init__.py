"""Other systems' data in and out: FlexMeasures databases, timely-beliefs frames, files."""
