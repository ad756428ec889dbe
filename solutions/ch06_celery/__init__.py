"""ch06_celery."""
