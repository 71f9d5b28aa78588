"""The live warnings: the job that follows the stored readings (``job``), who is told (``audience``) and what an
incident holds (``incident``)."""
