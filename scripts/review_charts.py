"""The charts of `make review` (matplotlib, drawn without a display).

Two pictures people read faster than tables: what happened to the turns of
each day, and how users rated each topic's answers. Topics are shown by
their button labels (content.yml), as users see them.
"""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers or in CI
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

# One colour per outcome, kept for every chart (review_data.OUTCOMES order).
COLOURS = {
    "answered": "#2e7d32",
    "asked back": "#f9a825",
    "declined": "#6d4c41",
    "apologised": "#c62828",
    "good": "#2e7d32",
    "bad": "#c62828",
    "silent": "#bdbdbd",
}


def draw_days(ax, days: list[str], outcomes: dict[str, list[int]]) -> None:
    """Turns per day, stacked by outcome."""
    bottom = [0] * len(days)
    for outcome, counts in outcomes.items():
        ax.bar(days, counts, 0.6, bottom=bottom, label=outcome, color=COLOURS.get(outcome))
        bottom = [b + c for b, c in zip(bottom, counts, strict=False)]
    ax.set_title("Turns per day")
    ax.set_ylabel("turns")
    ax.set_xlim(-0.8, max(len(days), 1) - 0.2)  # one day stays a bar, not a wall
    ax.set_ylim(0, max(bottom + [1]) * 1.45)  # room for the legend above the bars
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize="small", ncol=2, loc="upper left")
    ax.tick_params(axis="x", labelrotation=45 if len(days) > 7 else 0)


def draw_feedback(ax, topics: list[str], good: list[int], bad: list[int], silent: list[int]):
    """Feedback offers per topic: rated useful, not what was meant, not rated
    (legends are the buttons' own titles)."""
    ax.barh(topics, good, color=COLOURS["good"], label="Hữu ích")
    ax.barh(topics, bad, left=good, color=COLOURS["bad"], label="Chưa đúng ý")
    left = [g + b for g, b in zip(good, bad, strict=False)]
    ax.barh(topics, silent, left=left, color=COLOURS["silent"], label="no answer")
    ax.invert_yaxis()  # the first topic on top, as in the table
    ax.set_title("Feedback per topic")
    ax.set_xlabel("feedback questions")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize="small")


def _save(fig, path: pathlib.Path) -> pathlib.Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def days_chart(path, days, outcomes) -> pathlib.Path:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    draw_days(ax, days, outcomes)
    return _save(fig, pathlib.Path(path))


def feedback_chart(path, topics, good, bad, silent) -> pathlib.Path:
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.35 * max(len(topics), 2)))
    draw_feedback(ax, topics, good, bad, silent)
    return _save(fig, pathlib.Path(path))


def overview_chart(path, days, outcomes, topics, good, bad, silent) -> pathlib.Path:
    """Both charts side by side: the picture of the README."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": (1, 1.3)}
    )
    draw_days(left, days, outcomes)
    draw_feedback(right, topics, good, bad, silent)
    return _save(fig, pathlib.Path(path))
