"""The record of a performance plan and the stages that work on it.

`pipeline.record` holds the one data model (pydantic) that flows through every stage;
`pipeline.checks` and `pipeline.allocation` are stages over that record.
"""
