"""Where the capstone runs its chunks: on this machine (local), over Pyro5, or through Celery."""
