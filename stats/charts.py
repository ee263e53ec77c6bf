"""Bar charts drawn on the server as inline SVG: no script, no CDN, fine in print.

Only SVG attributes are used (no style attributes), so the Content-Security-Policy needs no
'unsafe-inline'. Each chart stands beside a table with the same figures.
"""

from django.utils.html import format_html, format_html_join

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 260
BAR_WIDTH = 300


def bar_chart(rows, *, title: str) -> str:
    """rows: objects with .label and .count."""
    rows = list(rows)
    biggest = max((r.count for r in rows), default=0) or 1
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + 60
    bars = format_html_join(
        "",
        '<g><text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart-bar"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text></g>',
        (
            (
                LABEL_WIDTH - 8,
                GAP + i * (BAR_HEIGHT + GAP) + BAR_HEIGHT * 0.7,
                _short(row.label),
                LABEL_WIDTH,
                GAP + i * (BAR_HEIGHT + GAP),
                max(1, round(BAR_WIDTH * row.count / biggest)) if row.count else 0,
                BAR_HEIGHT,
                LABEL_WIDTH + (round(BAR_WIDTH * row.count / biggest) if row.count else 0) + 6,
                GAP + i * (BAR_HEIGHT + GAP) + BAR_HEIGHT * 0.7,
                row.count,
            )
            for i, row in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet">{}</svg>',
        width,
        height,
        title,
        bars,
    )


def _short(label: str, limit: int = 38) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"
