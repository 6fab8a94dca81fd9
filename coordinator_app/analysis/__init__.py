"""The statistics core of the «Анализ» step (issue 14): pure computation over plain dataclasses —
no store, no Qt, no file I/O. Methodology: `/work/shared/OBJECTIVITY.md`.

Modules: `model` (inputs and thresholds), `stats` (exact tests, κ, ICC, t), `indicators` (I-0…I-8),
`agreement` (I-10 re-check agreement), `report` (a work, the year, JSON, the «светофор» sentences).
"""
