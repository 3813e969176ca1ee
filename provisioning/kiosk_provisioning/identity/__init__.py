"""City hall's side of identity: the fleet authority (box certificates, one-time
enrolment codes, revocation), staff passes and short-lived call and TURN tokens,
the directory of who may use which call name and room, and the identity service."""
