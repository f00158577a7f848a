"""Item pipelines (archive, parse) and the plain-library document parser they call."""
