"""«Анализ»: the page and its charts."""

from .page import AnalysisPage

__all__ = ["AnalysisPage"]
