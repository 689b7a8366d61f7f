"""The report as a Python object that shows well in a notebook: :class:`Report`.

``lmcap.analyze()`` returns the report as a plain dict (the JSON contract of docs/report.md);
``lmcap.Report(that_dict)`` wraps it for display: Jupyter renders it as HTML (the verdict, the
findings worst first with evidence and advice, then the sections of the text report as
tables), ``print()`` gives the text report, and :meth:`Report.to_json` the exact text of
``lmcap analyze --format json``. A Report is a dict: ``report["findings"]`` works as before.
"""

from __future__ import annotations

import html
import json
from typing import Any

from lmcap import textreport as tr

#: Inline styles only: notebooks strip <style> blocks in some viewers (GitHub, nbviewer)
_TABLE_STYLE = "border-collapse:collapse;margin:4px 0 10px 0;font-size:90%"
_CELL_STYLE = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top"
_SEVERITY_COLOURS = {"error": "#b00020", "warning": "#a15c00", "info": "#1a5fb4"}


class Report(dict):
    """The report of :func:`lmcap.analyze` for display in a notebook.

    >>> report = lmcap.Report(lmcap.analyze("captures/arp/duplicate-ip.pcap"))  # doctest: +SKIP
    >>> report  # in Jupyter: the report as HTML  # doctest: +SKIP
    >>> report.to_json() == open("report.json").read()  # doctest: +SKIP

    ``top`` caps the rows of each list shown (0 for all), as ``lmcap analyze --top`` does;
    the data itself is never cut.
    """

    def __init__(self, report: dict[str, Any], top: int = tr.DEFAULT_TOP) -> None:
        super().__init__(report)
        self.top = top

    def to_json(self) -> str:
        """The report as ``lmcap analyze --format json`` writes it (docs/report.md)."""
        return json.dumps(dict(self), indent=2, default=str) + "\n"

    def to_text(self, width: int = tr.NOT_A_TERMINAL_WIDTH) -> str:
        """The text report of ``lmcap analyze``."""
        return tr.render(dict(self), top=self.top, width=width)

    def to_markdown(self) -> str:
        """The report of ``lmcap analyze --format markdown``."""
        return tr.render_markdown(dict(self), top=self.top)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<lmcap.Report: {tr.verdict(dict(self))}>"

    def _repr_html_(self) -> str:
        return render_html(dict(self), self.top)


def _esc(v: Any) -> str:
    return html.escape(tr._cell(v) if not isinstance(v, str) else v)


def _html_table(t: tr.Table) -> list[str]:
    head = "".join(f'<th style="{_CELL_STYLE}">{_esc(h)}</th>' for h in t.headers)
    out = [f'<table style="{_TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>']
    for row in t.rows:
        cells = "".join(f'<td style="{_CELL_STYLE}">{_esc(v)}</td>' for v in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    more = t.more_line()
    if more:
        out.append(f"<p><i>{_esc(more)}</i></p>")
    return out


def _html_finding(f: dict[str, Any]) -> list[str]:
    colour = _SEVERITY_COLOURS.get(f["severity"], "#000")
    out = [
        f'<div style="margin:6px 0 10px 0"><b style="color:{colour}">'
        f"{_esc(f['severity'].upper())}</b> <code>{_esc(f['id'])}</code>: {_esc(f['summary'])}"
    ]
    ev = tr.evidence(f.get("evidence") or {})
    items = [f"<li>evidence: {', '.join(f'<code>{_esc(x)}</code>' for x in ev.scalars)}</li>"]
    items = items if ev.scalars else []
    for key, values, more in ev.lists:
        note = f" (+{more} more in the JSON report)" if more else ""
        inner = "".join(f"<li><code>{_esc(v)}</code></li>" for v in values)
        items.append(f"<li>{_esc(key)}{_esc(note)}:<ul>{inner}</ul></li>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    if f.get("advice"):
        out.append(f"<p><b>Advice:</b> {_esc(f['advice'])}</p>")
    out.append("</div>")
    return out


def render_html(report: dict[str, Any], top: int = tr.DEFAULT_TOP) -> str:
    """The report as an HTML fragment for a notebook: the text report's verdict, findings and
    sections (``lmcap.textreport.sections``), each table an HTML table."""
    out = [
        f'<div class="lmcap-report"><p><b>{_esc(tr.verdict(report))}</b></p>',
        "<h3>Findings</h3>",
    ]
    findings = tr.ordered_findings(report)
    shown = findings if not top else findings[:top]
    if not findings:
        out.append("<p>None.</p>")
    for f in shown:
        out += _html_finding(f)
    if len(shown) < len(findings):
        out.append(f"<p><i>{_esc(tr._findings_more(findings[len(shown) :]))}</i></p>")
    for s in tr.sections(report, top):
        out.append(f"<h3>{_esc(s.title)}</h3>")
        bullets: list[str] = []
        for block in s.blocks:
            if isinstance(block, tr.Table):
                if bullets:
                    out.append("<ul>" + "".join(bullets) + "</ul>")
                    bullets = []
                out += _html_table(block)
            else:
                bullets.append(f"<li>{_esc(block.strip())}</li>")
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
    out.append("</div>")
    return "\n".join(out)
