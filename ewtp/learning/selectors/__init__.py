"""Reads of learning with their permission checks: the catalogue, a learner's progress, the
trainer's figures, the ranking of applications, certificate verification.

Callers import from the concern's module (no re-exports here):

- ``courses``: the catalogue, a course's outline, progress, access to lessons and quizzes.
- ``dashboard``: the learner's dashboard, the trainer's programmes.
- ``figures``: enrolment and completion figures, the application pipeline.
- ``applications``: ranking, a manager's cohort, applications and review assignments.
- ``certificates``: lookup, signature check, verification, the export-ready badge.
"""
