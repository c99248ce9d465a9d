"""The review report's blocks as Markdown or as one HTML page.

Blocks: ("h", text), ("h2", text), ("p", text), ("table", header, rows),
("img", file, alt). User text is data, never markup: escaped in both forms.
"""

from __future__ import annotations

import html


def _cell(value) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[tuple]) -> str:
    out: list[str] = []
    for kind, *rest in blocks:
        if kind == "h":
            out.append(f"# {rest[0]}")
        elif kind == "h2":
            out.append(f"## {rest[0]}")
        elif kind == "p":
            out.append(rest[0])
        elif kind == "img":
            out.append(f"![{rest[1]}]({rest[0]})")
        elif kind == "table":
            head, rows = rest
            if not rows:
                out.append("(none)")
                continue
            lines = ["| " + " | ".join(map(_cell, head)) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def render_html(blocks: list[tuple]) -> str:
    esc = html.escape
    body: list[str] = []
    for kind, *rest in blocks:
        if kind in ("h", "h2"):
            tag = "h1" if kind == "h" else "h2"
            body.append(f"<{tag}>{esc(rest[0])}</{tag}>")
        elif kind == "p":
            body.append(f"<p>{esc(rest[0])}</p>")
        elif kind == "img":
            body.append(f'<img src="{esc(rest[0])}" alt="{esc(rest[1])}">')
        elif kind == "table":
            head, rows = rest
            if not rows:
                body.append("<p>(none)</p>")
                continue
            cells = "".join(f"<th>{esc(str(h))}</th>" for h in head)
            lines = [f"<table><tr>{cells}</tr>"]
            for row in rows:
                lines.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
            body.append("\n".join(lines) + "</table>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "img{max-width:100%}"
    )
    return (
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Review</title>'
        f"<style>{style}</style><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
