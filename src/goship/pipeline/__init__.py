"""The pipeline every Go service needs, run the same way on a laptop and in CI.

settings.py holds the resolved ``[pipeline]`` tables of goship.toml; interface.py the types
the stages share (the plan of a run, a stage's log, outcome and result, the report);
stages/ one module per stage; runner.py runs the selected stages in order and stops at the
first failure; junit.py turns ``go test -json`` events into a JUnit XML report; report.py
renders the final table and the JSON report. ci/ writes the CI files that call
`goship pipeline`.
"""
