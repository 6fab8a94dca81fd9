"""The ФИС ОКО «форма сбора результатов» (.xlsx): its vocabulary, reading a downloaded template's
structure, checking and filling it with a work's results (or building a blank one), and reading a
form the school filled back.

Modules: `vocabulary` (the form's words and codes), `template` and `validations` (the form's
structure), `check` (every value against the form), `fill` / `splice` / `readback` / `ooxml` /
`totals` (writing the package), `blank` (a form built without a template), `filled` (a filled
form read back).
"""
