# One image for every service of the classroom deployment (docker-compose.yml):
# the course toolkit installed from this checkout, with the course's own CLI as
# the entrypoint, so each service is one `course ...` command:
#
#   docker compose run --rm celery-worker --help     # = course celery-worker --help
#
# The repository is copied whole (course.toml, exercises/, solutions/, tests/,
# labs/, book/): the grader, the workers and the book all need it, and
# COURSE_ROOT tells every command where it is. The book is built into the image
# (strictly, every cell executed) so the `book` service only serves it; pass
# `--build-arg BUILD_BOOK=0` to skip that for a faster image without the book.
#
# BASE: any Debian-like image with Python 3.11+ and its venv module. CI, where no
# image registry is reachable, passes a bookworm base it makes with debootstrap
# (.ci/docker-classroom). The toolkit goes into a venv (/opt/course) so the same
# steps work on the official image and on Debian's Python, whose pip refuses
# system-wide installs (PEP 668).
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COURSE_ROOT=/course \
    MPLBACKEND=Agg \
    VIRTUAL_ENV=/opt/course \
    PATH=/opt/course/bin:$PATH

WORKDIR /course

# Dependencies first, read from pyproject.toml alone, so editing the toolkit, a
# page or an exercise does not reinstall them.
COPY pyproject.toml ./
RUN python3 -m venv "$VIRTUAL_ENV" \
    && python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
       > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY . .
# The toolkit itself (cheap: its dependencies are in the layer above).
RUN pip install --no-deps . \
    && python -c "import course, celery, Pyro5; print('course toolkit installed')"

ARG BUILD_BOOK=1
RUN if [ "$BUILD_BOOK" = "1" ]; then course book; else echo "book not built (BUILD_BOOK=$BUILD_BOOK)"; fi

# Services run as an unprivileged user that cannot change the course's files
# (owned by root). The grader service runs as root only to start each student's
# run as a second user, course-sandbox (COURSE_SANDBOX_USER in docker-compose.yml),
# with no home and no shell: student code then cannot signal the grader or the
# services, write the tests or the reports, or keep anything of its own (a
# `.pth`, a dotfile) for a later run outside the shared scratch folders that the
# grader empties after each run; RLIMIT_NPROC caps its processes (the kernel
# exempts root from that limit).
RUN useradd --create-home --uid 1000 course \
    && useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group course-sandbox \
    && mkdir -p /results /submissions \
    && chmod -R a+rX /course \
    && chmod -R go-rwx /course/solutions /course/tests/buggy
# The reference solutions and known-wrong variants stay readable by root only: the grader
# (root) never needs them to grade, and without namespaces (no CAP_SYS_ADMIN here) nothing
# else would keep the sandbox user, who runs the students' code, from reading them.
USER course

ENTRYPOINT ["course"]
CMD ["--help"]
