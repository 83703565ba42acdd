"""The course tooling: checks for exercise test cells, notebook text format, grading, samples."""
