"""Learning: learner records, courses, quizzes, progress, sync and campaigns."""
