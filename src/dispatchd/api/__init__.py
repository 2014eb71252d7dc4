"""The HTTP contract of ``shared/API.md``: FastAPI routes over the service layer."""
