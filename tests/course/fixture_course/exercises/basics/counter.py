class Counter:
    def __init__(self, io=lambda: None):
        raise NotImplementedError("TODO")

    def increment(self):
        raise NotImplementedError("TODO")
