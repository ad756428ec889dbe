"""A feedback file per student, in Markdown and HTML: each task, the failure in plain
words, its hint and, for concurrent work, the timeline of that student's own run.

Everything in a feedback file that comes from the run (failure messages, thread
names, function names) was written by the student's code, so it is treated as
text: failures go in code fences longer than any run of backticks they hold,
the HTML is rendered with raw HTML disabled (a `<script>` in a message shows as
text), and the timeline is a picture drawn here plus a plain-text list.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from course.grading.report import first_failure
from course.grading.results import ExerciseResult, Report
from course.learner.feedback import points

TIMELINE_ROWS = 40
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def fenced(text: str) -> str:
    """`text` as a code block no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def timeline_text(result: ExerciseResult) -> str:
    lines = [f"{lane[:24]:<24} {start:8.3f} s to {end:8.3f} s  {what}" for lane, what, start, end in result.timeline]
    if len(lines) > TIMELINE_ROWS:
        lines = lines[:TIMELINE_ROWS] + [f"... {len(lines) - TIMELINE_ROWS} more spans (see the picture)"]
    return "\n".join(lines)


def timeline_png(result: ExerciseResult, path: Path) -> None:
    """The run's timeline drawn with course.tracing: one row per thread, waits in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.tracing import Timeline, plot_timeline

    timeline = Timeline()
    timeline.origin = 0.0
    timeline.extend(result.timeline)
    labels = list(dict.fromkeys(span.label for span in timeline.spans))
    palette = plt.get_cmap("tab10")
    running = [label for label in labels if not label.startswith("waits")]
    colors = {label: palette(running.index(label) % 10) if label in running else (0.75, 0.75, 0.75) for label in labels}
    for index, label in enumerate(label for label in labels if label.startswith("waits")):
        colors[label] = (0.55 + 0.1 * (index % 4),) * 3
    figure, ax = plt.subplots(figsize=(9, 1.4 + 0.45 * max(len(timeline.lanes), len(labels) / 2)))
    plot_timeline(timeline, ax=ax, colors=colors, title=f"{result.exercise.id}: who ran what, who waited", legend=False)
    ax.legend([plt.Rectangle((0, 0), 1, 1, color=colors[label]) for label in labels], labels,
              loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # beside the bars, never over them
    figure.tight_layout()
    figure.savefig(path, dpi=96)
    plt.close(figure)


def feedback_markdown(student: str, report: Report, images: dict[str, str]) -> str:
    """The feedback page; `images` maps an exercise id to its timeline picture's file name."""
    lines = [f"# Feedback for {student}", "", f"**{report.final:g} of {report.max_score} points**"]
    if report.late.days_late:
        lines += ["", f"Submitted {report.late.submitted}, {report.late.days_late} day(s) after the deadline: "
                      f"{report.late.penalty:.0%} of {report.score} points taken off."]
    if report.error:
        lines += ["", "Grading did not finish normally:", "", fenced(report.error)]
    for result in report.results:
        mark = "✓" if result.complete else "✗"
        lines += ["", f"## {mark} {result.exercise.id}: {result.exercise.title} ({result.score}/{result.max_score})"]
        if result.problem:
            lines += ["", fenced(result.problem)]
        for task in result.tasks:
            lines += ["", f"- {'✓' if task.passed else '✗'} task {task.task.number}: {task.task.title} "
                          f"({points(task.earned)} of {task.task.points})"]
            if not task.passed:
                lines += ["", "  What went wrong:", "", _indent(fenced(first_failure(task, result.repeats))),
                          "", f"  Hint: {task.task.hint}"]
        if result.timeline:
            lines += ["", f"### Your run, thread by thread ({result.timeline_test.split('::')[-1]})", "",
                      "Each row is a thread; a bar is a function of yours it was running, or a wait "
                      "(grey: blocked on a lock, a condition, a join or a queue).", ""]
            if result.exercise.id in images:
                lines += [f"![Timeline of {result.exercise.id}]({images[result.exercise.id]})", ""]
            lines += [fenced(timeline_text(result))]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def as_html(markdown: str, title: str, folder: Path) -> str:
    """A standalone HTML page: raw HTML in the Markdown is escaped, pictures are inlined."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)

    def inline(match: re.Match) -> str:
        picture = folder / match.group(1)
        if not SAFE_NAME.search(match.group(1)) and picture.is_file():
            return f'src="data:image/png;base64,{base64.b64encode(picture.read_bytes()).decode()}"'
        return match.group(0)

    body = re.sub(r'src="([^"/]+\.png)"', inline, body)
    style = "body{font-family:sans-serif;max-width:50em;margin:2em auto}pre{background:#f4f4f4;padding:.5em;overflow:auto}"
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{_escape(title)}</title>"
            f"<style>{style}</style></head><body>\n{body}</body></html>\n")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_feedback(folder: Path, student: str, report: Report) -> list[Path]:
    """STUDENT.md, STUDENT.html and a timeline picture per concurrent exercise, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    base = SAFE_NAME.sub("_", student)
    images = {}
    for result in report.results:
        if result.timeline:
            name = f"{base}-{SAFE_NAME.sub('_', result.exercise.id)}-timeline.png"
            try:
                timeline_png(result, folder / name)
                images[result.exercise.id] = name
            except Exception:  # the text list below still says who ran what
                pass
    markdown = feedback_markdown(student, report, images)
    written = [folder / f"{base}.md", folder / f"{base}.html"]
    written[0].write_text(markdown, encoding="utf-8")
    written[1].write_text(as_html(markdown, f"Feedback for {student}", folder), encoding="utf-8")
    return written + [folder / name for name in images.values()]
