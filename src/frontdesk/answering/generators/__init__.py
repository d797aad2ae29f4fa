"""Answer generators: one abstract method (``generate``) each."""
