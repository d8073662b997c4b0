"""Online serving: the KServe predictor, the FastAPI facade and the Celery workers."""
