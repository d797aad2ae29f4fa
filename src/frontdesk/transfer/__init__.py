"""Moving a whole workspace between databases: ``frontdesk export`` and ``frontdesk import``."""
