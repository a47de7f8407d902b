"""Export an executed notebook to one self-contained HTML file with the code hidden.

nbconvert's ``lab`` template with inputs and prompts excluded, images embedded
(outputs are already base64 ``data:`` URIs; ``embed_images`` also inlines images of
Markdown cells), and the three ``<script src=...>`` tags the template would load from
a CDN (require.js, MathJax, Mermaid) removed: the file opens offline.

Details: a cell whose metadata holds ``{"cnimodel": {"details": "TITLE"}}`` is shown inside
a closed HTML ``<details>`` element titled TITLE; consecutive cells with the same title share
one element (Markdown cells among them keep their text).  Reports put the verdict first and
everything else (per-repetition plots, full tables, residuals, method) in details.
"""
from __future__ import annotations

import copy
import re

from .atomic import write_text
from .glue import strip_glue

__all__ = ["to_html", "export_html", "details_title", "group_details"]

_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style>
details.cnm-details{margin:.4em 0 .4em 0;border-top:1px solid #ddd;padding:.2em 0}
details.cnm-details>summary{font-size:1.15em;font-weight:600;cursor:pointer;padding:.35em 0 .35em 20px}
details.cnm-details[open]>summary{margin-bottom:.4em}
</style>{% endblock extra_css %}
{% block any_cell %}
{%- set d = (cell.metadata.get('cnimodel') or {}).get('details') -%}
{%- if d -%}
<details class="cnm-details"><summary>{{ d | e }}</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock any_cell %}
"""


_IMG_NO_ALT = re.compile(r"<img(?![^>]*\balt=)")


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportHTMLExporter(HTMLExporter):
        """HTMLExporter without its BeautifulSoup pass over the finished page.

        That pass only adds ``alt`` to images and ``tabindex`` to cells, but parsing and
        re-serialising a report page (thousands of table cells, megabytes of embedded
        images) costs about 3 s of CPU per report; ``alt`` is added here with a regex.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _IMG_NO_ALT.sub('<img alt="figure (described in the text around it)"', html), resources

    return ReportHTMLExporter


def _exporter():
    from jinja2 import DictLoader

    return _exporter_class()(template_name="lab", template_file="cnimodel_report.html.j2",
                        extra_loaders=[DictLoader({"cnimodel_report.html.j2": _TEMPLATE})],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                        embed_images=True)


def details_title(cell):
    """The ``<details>`` title of a cell (its ``cnimodel.details`` metadata), or None."""
    meta = cell.get("metadata") or {}
    return (meta.get("cnimodel") or {}).get("details") or None


def group_details(nb):
    """Merge each run of consecutive cells with the same details title into one code cell
    (Markdown cells become ``text/markdown`` outputs) and drop code cells without outputs
    (with inputs hidden they show nothing), in place; return ``nb``."""
    from nbformat.v4 import new_code_cell, new_output

    cells, last = [], None
    for cell in nb.cells:
        title = details_title(cell)
        if title is None and cell.cell_type == "code" and not cell.get("outputs"):
            continue  # shows nothing with inputs hidden (it would only add an empty block)
        if title is None:
            cells.append(cell)
            last = None
            continue
        if cell.cell_type == "markdown":
            outs = [new_output("display_data", data={"text/markdown": cell.source})] if cell.source.strip() else []
        else:
            outs = list(cell.get("outputs") or [])
        if last is not None and last[0] == title:
            last[1].outputs.extend(outs)
            continue
        merged = new_code_cell("", metadata={"cnimodel": {"details": title}})
        merged.outputs = outs
        cells.append(merged)
        last = (title, merged)
    nb.cells = cells
    return nb


def to_html(nb, title: str | None = None) -> str:
    """HTML text of notebook ``nb`` (a NotebookNode; not modified)."""
    nb = group_details(strip_glue(copy.deepcopy(nb)))
    # papermill's "injected-parameters" cell has no outputs; with inputs hidden it vanishes.
    if title:
        nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb)
    return body


def export_html(nb, target, title: str | None = None):
    """Write :func:`to_html` of ``nb`` to ``target`` atomically; return the path."""
    return write_text(target, to_html(nb, title))
