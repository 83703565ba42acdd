"""The one vocabulary of how a submitted notebook's grading ended (scores.csv's `status` column).

GRADED is the only status of a notebook graded as it was handed in; every other one says what happened.
"""
GRADED = "graded"
TIMED_OUT = "timed out"                       # a cell, or the whole notebook, ran past its time limit
KERNEL_DIED = "kernel died"                   # the student's kernel exited or crashed
OUT_OF_MEMORY = "out of memory"               # the student's code ran past the memory limit
CHANNEL_BROKEN = "channel broken"             # the kernel sent what the grading channel does not allow
MISSING = "missing notebook"                  # not handed in
MALFORMED = "malformed notebook"              # not a readable notebook
WRONG_ASSIGNMENT = "wrong assignment"         # another assignment's notebook, or an unknown assignment
TAMPERED = "tests tampered with (restored and graded)"
CELLS_MISSING = "cells missing (restored and graded)"
FLAGGED = "suspected cheating"                # graded, but code that looks like cheating was found: a person decides
GRADER_ERROR = "grader error"                 # a fault of the grader's own (a bug, a broken environment)
