"""Operations (issue 19): encrypted backup and verified restore, the production check, request
logs as JSON lines, and the health routes. The top layer: it may read every model."""
