"""The box side of the central configuration: enrolment and signed updates. Qt-free."""
