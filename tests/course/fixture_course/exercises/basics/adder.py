def add(a, b):
    raise NotImplementedError("TODO: return a + b")
