"""Self-contained HTML pages: the step-by-step explainer and the training report."""

from .explainer import explainer_html, report_html

__all__ = ["explainer_html", "report_html"]
