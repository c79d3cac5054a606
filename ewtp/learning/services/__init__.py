"""Writes of learning: enrolment, progress, quizzes, applications and their review and decision,
certificates. Each service owns its transaction; mail goes out through tasks after commit.

Callers import from the concern's module (no re-exports here):

- ``common``: the manager check, the audit, ``CohortFull``.
- ``enrolments``: seats, enrolment in a course or cohort, invitations.
- ``courses``: lessons done, quiz attempts and grants, completion.
- ``certificates``: the signed credential, issue and revocation.
- ``applications``: submission, decisions, the waiting list, notices.
- ``reviews``: reviewers, assignments, conflicts of interest, scores.
"""
